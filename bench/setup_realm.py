"""Benchmark fixtures: two realms (RS256, ES256), their clients and user, and authorization codes.

Run with the server's environment (same DATABASE_URL, AUTHSERVER_VAR_DIR, AUTHSERVER_URL):

    python bench/setup_realm.py realms                 # import (or replace) the bench realms
    python bench/setup_realm.py codes N OUT            # N single-use codes of bench-web, one a line
    python bench/setup_realm.py codes N OUT each       # the same, each code of its own SSO session

Codes are written as the authorization endpoint writes them (a Grant row holding the SHA-256 of
the code, bound to the client, user, SSO session, redirect URI and PKCE challenge), with a
lifetime long enough to outlast the run instead of the usual 60 seconds. The codes of one call
share one SSO session unless ``each`` is given: the refresh chains of a run each start from a
code of their own session, as the clients of many users would.
"""

import base64
import hashlib
import json
import os
import secrets
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "authserver.settings")

REALMS = {"bench-rs256": "RS256", "bench-es256": "ES256"}
SERVICE_CLIENT = "bench-service"
SERVICE_SECRET = "bench-service-secret-0123456789abcdef0123456789abcdef"
WEB_CLIENT = "bench-web"
WEB_SECRET = "bench-web-secret-0123456789abcdef0123456789abcdef"
REDIRECT_URI = "http://127.0.0.1/bench/callback"
USERNAME = "bench-user"
PASSWORD = "Bench-password-1"
VERIFIER = "bench-code-verifier-" + "v" * 40
CODE_SCOPE = "openid profile email roles"


def realm_document(name: str, alg: str) -> dict:
    return {
        "realm": name,
        "enabled": True,
        "displayName": f"Benchmark ({alg})",
        # Long enough that no token of the run expires during it.
        "accessTokenLifespan": 3600,
        "ssoSessionIdleTimeout": 36000,
        "ssoSessionMaxLifespan": 72000,
        "bruteForceProtected": True,
        "failureFactor": 30,
        "passwordPolicy": "length(8) and digits(1)",
        "defaultSignatureAlgorithm": alg,
        "roles": {"realm": [{"name": "user", "description": "A user"}]},
        "clientScopes": [
            {
                "name": "orders:read",
                "description": "Read orders",
                "protocol": "openid-connect",
                "protocolMappers": [
                    {
                        "name": "orders audience",
                        "protocol": "openid-connect",
                        "protocolMapper": "oidc-audience-mapper",
                        "config": {"included.custom.audience": "orders"},
                    }
                ],
            }
        ],
        "clients": [
            {
                "clientId": SERVICE_CLIENT,
                "enabled": True,
                "publicClient": False,
                "secret": SERVICE_SECRET,
                "standardFlowEnabled": False,
                "serviceAccountsEnabled": True,
                "defaultClientScopes": ["orders:read"],
            },
            {
                "clientId": WEB_CLIENT,
                "enabled": True,
                "publicClient": False,
                "secret": WEB_SECRET,
                "redirectUris": [REDIRECT_URI],
                "standardFlowEnabled": True,
                "defaultClientScopes": ["openid", "profile", "email", "roles"],
                "optionalClientScopes": ["orders:read", "offline_access"],
                "attributes": {"pkce.code.challenge.method": "S256"},
            },
        ],
        "users": [
            {
                "username": USERNAME,
                "email": "bench-user@example.com",
                "emailVerified": True,
                "firstName": "Bench",
                "lastName": "User",
                "enabled": True,
                "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
                "realmRoles": ["user"],
            },
            {
                "username": f"service-account-{SERVICE_CLIENT}",
                "enabled": True,
                "serviceAccountClientId": SERVICE_CLIENT,
                "realmRoles": ["user"],
            },
        ],
    }


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def import_realms() -> None:
    from django.core.management import call_command

    for name, alg in REALMS.items():
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(realm_document(name, alg), handle)
        try:
            call_command("import_realm", handle.name, overwrite=True, verbosity=0)
        finally:
            os.unlink(handle.name)


def mint_codes(
    count: int, out: Path, realm_name: str = "bench-rs256", *, session_each: bool = False
) -> None:
    from django.utils import timezone

    from accounts.models import Realm, User, UserSession
    from authserver.models import Client, Grant
    from authserver.protocol.validator import digest

    realm = Realm.objects.get(name=realm_name)
    client = Client.objects.get(realm=realm, client_id=WEB_CLIENT)
    user = User.objects.get(realm=realm, username=USERNAME)
    now = timezone.now()
    sessions = UserSession.objects.bulk_create(
        UserSession(
            realm=realm,
            user=user,
            key_hash=digest(secrets.token_urlsafe(32)),
            started=now,
            last_seen=now,
        )
        for _ in range(count if session_each else 1)
    )
    challenge = s256(VERIFIER)
    codes = [secrets.token_urlsafe(32) for _ in range(count)]
    Grant.objects.bulk_create(
        (
            Grant(
                user=user,
                code=digest(code),
                application=client,
                expires=now + timedelta(hours=2),
                redirect_uri=REDIRECT_URI,
                scope=CODE_SCOPE,
                code_challenge=challenge,
                code_challenge_method="S256",
                session=sessions[index % len(sessions)],
            )
            for index, code in enumerate(codes)
        ),
        batch_size=2000,
    )
    out.write_text("\n".join(codes) + "\n")


def main(argv: list[str]) -> None:
    import django

    django.setup()
    command = argv[0] if argv else ""
    if command == "realms":
        import_realms()
    elif command == "codes":
        mint_codes(int(argv[1]), Path(argv[2]), session_each=argv[3:4] == ["each"])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
