"""The API gateway's token check: nginx asks it, with ``auth_request``, before it routes a
request to a service (deploy/gateway, docs/gateway.md).

A small WSGI application on the framework-free validator (resource_server.auth): the bearer
token's signature, issuer, audience, lifetime and, with introspection, whether it is still
active; the answer kept for a second or so under the token's hash. Then the Redis token bucket
of the caller (the token's client, or the address without a token). It never sees a body, and
the token goes on to the service unchanged: the service validates it again.
"""
