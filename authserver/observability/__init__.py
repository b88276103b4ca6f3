"""What an operator sees of a running server: request ids, log fields, Prometheus metrics.

``context`` holds what the logs say about the request being served; ``middleware`` opens it
and counts each request; ``metrics`` defines every metric; ``receivers`` count the events
recorded elsewhere (logins, database errors) without touching the code that records them.
"""
