"""The admin REST API under /admin/realms/{realm}/..., in Keycloak's shape.

Bodies and representations use the realm file's field names: they are read by the realm-file
reader (the same checks, errors naming the body's field) and written from the exporter's output.
Callers authenticate with a bearer access token of this server; what they may do comes from the
client roles of the realm's ``realm-management`` client (permissions.py).
"""
