"""Dynamic client registration (RFC 7591) and its management protocol (RFC 7592), at Keycloak's
``/realms/NAME/clients-registrations/openid-connect``: initial access tokens, registration access
tokens and the realm's registration policy."""


def endpoint(realm) -> str:
    """Keycloak's registration endpoint of a realm (RFC 7591 §3)."""
    return f"{realm.issuer}/clients-registrations/openid-connect"
