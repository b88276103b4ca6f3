"""Realm files for the realm-file tests: the demo file, a small one, and what the database holds."""

import copy
import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from accounts.models import ClientScope, Group, Realm, Role, User, UserSession
from authserver.models import Client
from authserver.realmfile import reader
from authserver.realmfile.exporter import export_realm
from authserver.realmfile.importer import import_realm

DEMO_FILE = Path(settings.BASE_DIR) / "deploy" / "demo-realm.json"


@cache
def _demo_text() -> str:
    return DEMO_FILE.read_text()


def demo() -> dict:
    """A fresh copy of deploy/demo-realm.json."""
    return json.loads(_demo_text())


def quick_demo() -> dict:
    """The demo file with its passwords pre-hashed cheaply, for tests that import it often."""
    document = demo()
    for user in document["users"]:
        for credential in user["credentials"]:
            credential["hashedValue"] = _quick_hash(credential.pop("value"))
    return document


@cache
def _quick_hash(password: str) -> str:
    return PBKDF2PasswordHasher().encode(password, "quick-salt", iterations=1000)


def small(name="small", **fields) -> dict:
    """A realm with one public client and one user, for tests about a single field."""
    document = {
        "realm": name,
        "roles": {"realm": [{"name": "user"}]},
        "clients": [
            {
                "clientId": "app",
                "publicClient": True,
                "redirectUris": ["https://app.example/callback"],
                "defaultClientScopes": ["openid", "profile"],
            }
        ],
        "users": [
            {
                "username": "alice",
                "credentials": [{"type": "password", "value": "alice-Password1"}],
                "realmRoles": ["user"],
            }
        ],
    }
    document.update(fields)
    return copy.deepcopy(document)


def load(document: dict, *, overwrite: bool = False) -> Realm:
    """Read and import ``document``, as the import command does."""
    return import_realm(reader.read(document).realm, overwrite=overwrite)


def write(tmp_path: Path, document: dict | str, name: str = "realm.json") -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def snapshot() -> dict:
    """Everything a realm import may touch, to compare before and after."""
    models = (Realm, User, Client, Role, Group, ClientScope, UserSession)
    return {
        "counts": {model.__name__: model.objects.count() for model in models},
        "realms": {realm.name: export_realm(realm) for realm in Realm.objects.all()},
        "realm_ids": sorted(Realm.objects.values_list("pk", flat=True)),
    }
