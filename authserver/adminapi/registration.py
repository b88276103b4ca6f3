"""Dynamic client registration, administered: Keycloak's initial access tokens
(``clients-initial-access``: create one, shown once; list them without the token; delete one),
and the realm's registration policy (``client-registration-policy``, this server's own path:
on or off, trusted hosts, allowed client scopes, the most registered clients)."""

from accounts.models import ClientScope
from accounts.realms import for_realm
from authserver.adminapi.api import NO_CONTENT, Context, Result, object_body, ok
from authserver.adminapi.errors import NotFound, invalid_field
from authserver.registration import access_tokens, policy
from authserver.registration.models import InitialAccessToken

INITIAL_ACCESS, POLICY = "CLIENT_INITIAL_ACCESS_MODEL", "CLIENT_REGISTRATION_POLICY"
# Keycloak's admin console offers up to a year; more is a token that outlives its purpose.
_MAX_LIFETIME = 366 * 24 * 3600
_MAX_COUNT = 10_000


def _initial(record: InitialAccessToken) -> dict:
    created = int(record.created.timestamp())
    lifetime = int(record.expires.timestamp()) - created if record.expires else 0
    return {
        "id": str(record.pk),
        "timestamp": created,
        "expiration": lifetime,
        "count": record.count,
        "remainingCount": record.remaining,
    }


def list_initial(context: Context) -> Result:
    records = InitialAccessToken.objects.filter(realm=context.realm).order_by("-created", "-pk")
    return ok([_initial(record) for record in records])


def create_initial(context: Context) -> Result:
    body = object_body(context)
    lifetime = _whole(body, "expiration", default=0, highest=_MAX_LIFETIME, lowest=0)
    count = _whole(body, "count", default=1, highest=_MAX_COUNT, lowest=1)
    record, token = access_tokens.issue_initial(context.realm, count=count, lifetime=lifetime)
    answer = _initial(record)
    context.record("CREATE", INITIAL_ACCESS, f"clients-initial-access/{record.pk}", after=answer)
    # Keycloak answers 200 with the token, which is shown this once.
    return ok(answer | {"token": token})


def delete_initial(context: Context, token_id: str) -> Result:
    is_key = token_id.isascii() and token_id.isdigit() and len(token_id) <= 18
    found = (
        InitialAccessToken.objects.filter(realm=context.realm, pk=int(token_id)).first()
        if is_key
        else None
    )
    if found is None:
        raise NotFound("no such initial access token")
    before = _initial(found)
    found.delete()
    context.record("DELETE", INITIAL_ACCESS, f"clients-initial-access/{token_id}", before=before)
    return NO_CONTENT


def _policy(found) -> dict:
    return {
        "enabled": found.enabled,
        "trustedHosts": found.trusted_hosts.split(),
        "allowedClientScopes": found.allowed_scopes.split(),
        "maxClients": found.max_clients,
    }


def get_policy(context: Context) -> Result:
    return ok(_policy(policy.of_realm(context.realm)))


def update_policy(context: Context) -> Result:
    found = policy.of_realm(context.realm)
    before = _policy(found)
    body = before | object_body(context)
    if not isinstance(body["enabled"], bool):
        raise invalid_field("enabled", "must be true or false")
    hosts = _names(body, "trustedHosts")
    scopes = _names(body, "allowedClientScopes")
    defined = set(for_realm(ClientScope, context.realm).values_list("name", flat=True))
    for index, name in enumerate(scopes):
        if name not in defined:
            raise invalid_field(f"allowedClientScopes[{index}]", "no such client scope")
    found.enabled = body["enabled"]
    found.trusted_hosts, found.allowed_scopes = " ".join(hosts), " ".join(scopes)
    found.max_clients = _whole(body, "maxClients", default=found.max_clients, lowest=0)
    found.save()
    context.record("UPDATE", POLICY, "client-registration-policy", before=before, after=body)
    return NO_CONTENT


def _names(body: dict, key: str) -> list[str]:
    value = body[key]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid_field(key, "must be a list of strings")
    for index, item in enumerate(value):
        if not item or any(character.isspace() for character in item) or len(item) > 255:
            raise invalid_field(f"{key}[{index}]", "must be one name without spaces")
    return list(dict.fromkeys(value))


def _whole(body: dict, key: str, *, default: int, lowest: int, highest: int = _MAX_COUNT):
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_field(key, "must be a whole number")
    if not lowest <= value <= highest:
        raise invalid_field(key, f"must be between {lowest} and {highest}")
    return value
