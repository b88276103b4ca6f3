"""Registering a client (RFC 7591 §3), reading, replacing and deleting it with its
registration access token (RFC 7592 §2). Plain values in, plain values or errors out.

A registered client is an ordinary client of the realm (the console and the admin API show it),
made through the realm file's reader, so it meets every rule a client made any other way meets.
It never holds more than a client registered in the console would: no roles but the realm's
default role for its service account, no wildcard redirect URIs, PKCE S256 when public.
"""

import uuid
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password
from django.db import transaction

from accounts.models import ClientScope, Realm
from accounts.realms import for_realm
from authserver.models import LOGOUT_URL_ATTRIBUTES, Client
from authserver.protocol.errors import InvalidToken
from authserver.realmfile import credentials, reader
from authserver.realmfile.errors import RealmFileError
from authserver.realmfile.importer import write_client
from authserver.registration import access_tokens, certificates, endpoint, metadata, policy
from authserver.registration.metadata import InvalidClientMetadata, InvalidRedirectUri

# The methods whose clients never use a secret: none is made for them.
_WITHOUT_SECRET = ("none", "private_key_jwt", *certificates.AUTHENTICATORS)
# What a client registered without ``scope`` gets, of the realm's client scopes.
DEFAULT_SCOPES = ("openid", "profile", "email", "roles")


@dataclass(frozen=True)
class Answer:
    """What the client is told: its metadata, with the secrets it is shown this once."""

    body: dict


def register(realm: Realm, body: object, initial_token: str | None) -> Answer:
    registration_policy = policy.of_realm(realm)
    if not registration_policy.enabled:
        raise policy.RegistrationRefused("client registration is not enabled in this realm")
    registration = metadata.read(body, str(uuid.uuid4()))
    representation = _with_default_scopes(realm, registration)
    _check(registration_policy, representation)
    secret = None if registration.method in _WITHOUT_SECRET else _new_secret()
    if secret is not None:
        representation = representation | {"secret": secret}
    spec = _spec(representation)
    with transaction.atomic():
        if not access_tokens.spend_initial(realm, initial_token):
            raise InvalidToken("the initial access token is not valid")
        policy.check_room(registration_policy)
        client = _save(realm, spec)
        token = access_tokens.issue_registration(client, registration.metadata)
    return _answer(client, registration.metadata, token, secret=secret, new=True)


def read(realm: Realm, client_id: str, token: str | None) -> Answer:
    with transaction.atomic():
        client = _registered(realm, client_id, token)
        kept = client.registration.metadata
        new_token = access_tokens.issue_registration(client)
    return _answer(client, kept, new_token)


def replace(realm: Realm, client_id: str, token: str | None, body: object) -> Answer:
    """RFC 7592 §2.2: the client's metadata becomes ``body`` (what it leaves out, the
    defaults). A client secret in the body must be the client's own."""
    with transaction.atomic():
        client = _registered(realm, client_id, token)
        if not isinstance(body, dict):
            raise InvalidClientMetadata("the body must be a JSON object")
        if body.get("client_id") != client.client_id:
            raise InvalidClientMetadata("client_id must be the registered client's")
        for name in ("registration_access_token", "registration_client_uri"):
            if name in body:
                raise InvalidClientMetadata(f"{name} must not be sent")
        if "client_secret" in body and not _is_secret_of(client, body["client_secret"]):
            raise InvalidClientMetadata("client_secret is not the client's")
        registration = metadata.read(body, client.client_id)
        representation = _with_default_scopes(realm, registration)
        _check(policy.of_realm(realm), representation)
        secret = None
        confidential = registration.method not in _WITHOUT_SECRET
        if confidential and client.is_public:
            secret = _new_secret()  # a client that had none gets one, shown once
            representation = representation | {"secret": secret}
        elif confidential:
            representation = representation | {"hashedSecret": _hash_of(client)}
        client = _save(realm, _spec(representation))
        new_token = access_tokens.issue_registration(client, registration.metadata)
    return _answer(client, registration.metadata, new_token, secret=secret)


def delete(realm: Realm, client_id: str, token: str | None) -> None:
    with transaction.atomic():
        client = _registered(realm, client_id, token)
        account = client.service_account
        client.delete()
        if account is not None:
            account.delete()


def _registered(realm: Realm, client_id: str, token: str | None) -> Client:
    client = access_tokens.registered_client(realm, client_id, token)
    if client is None:
        raise InvalidToken("the registration access token is not valid for this client")
    return Client.objects.select_for_update().get(pk=client.pk)


def _with_default_scopes(realm: Realm, registration: metadata.Registration) -> dict:
    representation = registration.representation
    if representation["defaultClientScopes"]:
        return representation
    defined = set(for_realm(ClientScope, realm).values_list("name", flat=True))
    names = [name for name in DEFAULT_SCOPES if name in defined]
    return representation | {"defaultClientScopes": names}


def _check(registration_policy, representation: dict) -> None:
    policy.check_redirect_uris(registration_policy, representation["redirectUris"])
    post_logout = representation["attributes"].get("post.logout.redirect.uris", "")
    policy.check_redirect_uris(registration_policy, [u for u in post_logout.split("##") if u])
    logout_uris = [representation["attributes"].get(name) for name in LOGOUT_URL_ATTRIBUTES]
    policy.check_logout_uris(registration_policy, [uri for uri in logout_uris if uri])
    policy.check_scopes(registration_policy, representation["defaultClientScopes"])


def _spec(representation: dict):
    try:
        return reader.read_client(representation)
    except RealmFileError as error:
        uri_fault = error.path.startswith(("redirectUris", "attributes"))
        raise (InvalidRedirectUri if uri_fault else InvalidClientMetadata)(
            _as_metadata(error)
        ) from None


def _as_metadata(error: RealmFileError) -> str:
    names = {"redirectUris": "redirect_uris", "name": "client_name"}
    where = error.path
    for keycloak, rfc in names.items():
        where = where.replace(keycloak, rfc)
    return f"{where}: {error.message}" if where else error.message


def _save(realm: Realm, spec) -> Client:
    scopes = {scope.name: scope for scope in for_realm(ClientScope, realm)}
    try:
        client = write_client(realm, spec, scopes)
    except RealmFileError as error:
        raise InvalidClientMetadata(_as_metadata(error)) from None
    if spec.service_accounts_enabled and client.service_account is None:
        client.create_service_account()
    return client


def _new_secret() -> str:
    return credentials.new_client_secret()


def _hash_of(client: Client) -> str:
    if client.hash_client_secret:
        return client.client_secret
    return credentials.hash_client_secret(client.client_secret)


def _is_secret_of(client: Client, secret: object) -> bool:
    return isinstance(secret, str) and check_password(secret, _hash_of(client))


def _answer(client, kept: dict, token: str, *, secret: str | None = None, new=False) -> Answer:
    body = metadata.of_client(client, kept)
    if new:
        body["client_id_issued_at"] = int(client.created.timestamp())
    if secret is not None:
        body["client_secret"] = secret
        body["client_secret_expires_at"] = 0  # RFC 7591 §3.2.1: it does not expire
    body["registration_access_token"] = token
    body["registration_client_uri"] = registration_uri(client)
    return Answer(body)


def registration_uri(client: Client) -> str:
    """RFC 7592 §1's client configuration endpoint."""
    return f"{endpoint(client.realm)}/{client.client_id}"
