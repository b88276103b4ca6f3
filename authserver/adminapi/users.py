"""/admin/realms/{realm}/users[/{id}[/reset-password]]: a user's ``id`` is its token subject.

Passwords come in ``credentials`` (as in a realm file) or through reset-password; a password in
clear must satisfy the realm's password policy. A stored hash (``hashedValue``, Keycloak's
``secretData``) is taken as a realm file's is: a hash cannot be checked against a policy.
"""

import uuid

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import Q

from accounts import links, login_names, permissions, required_actions
from accounts.models import ActionToken, User
from accounts.realms import for_realm
from authserver.adminapi import mappings
from authserver.adminapi import representations as rep
from authserver.adminapi.api import (
    NO_CONTENT,
    Context,
    Result,
    created,
    location,
    object_body,
    ok,
    page,
)
from authserver.adminapi.errors import Conflict, Forbidden, NotFound, invalid_field
from authserver.realmfile import exporter, reader, webauthn_credentials
from authserver.realmfile.errors import RealmFileError, quote
from authserver.realmfile.importer import checked
from authserver.realmfile.schema import PasswordSpec, UserSpec

RESOURCE = "USER"
_CREDENTIAL = "credentials[0]"


def find(context: Context, user_id: str) -> User:
    try:
        subject = uuid.UUID(user_id)
    except ValueError:
        raise NotFound("no such user") from None
    user = for_realm(User, context.realm).filter(subject=subject).first()
    if user is None:
        raise NotFound("no such user")
    return user


def _path(user: User) -> str:
    return f"users/{user.subject}"


def list_users(context: Context) -> Result:
    users = _matching(context).prefetch_related("roles__client", "realm_groups", "otpdevice_set")
    paths = exporter.realm_group_paths(context.realm)
    found = page(users.select_related("service_account_client").order_by("username"), context.query)
    return ok([rep.user(user, paths) for user in found])


def count_users(context: Context) -> Result:
    """Keycloak's GET users/count: the number of users the same filters as the list find."""
    return ok(_matching(context).count())


def _matching(context: Context):
    """The realm's users matching the query: ``username``, ``email``, ``firstName``,
    ``lastName`` (substrings, or exact with ``exact=true``) and ``search`` (any of them)."""
    query = context.query
    users = for_realm(User, context.realm)
    exact = query.get("exact") == "true"
    for key, field in (
        ("username", "username"),
        ("email", "email"),
        ("firstName", "first_name"),
        ("lastName", "last_name"),
    ):
        if key in query:
            lookup = field if exact else f"{field}__icontains"
            users = users.filter(**{lookup: query[key]})
    if query.get("search"):
        words = query["search"].strip("*")
        users = users.filter(
            Q(username__icontains=words)
            | Q(email__icontains=words)
            | Q(first_name__icontains=words)
            | Q(last_name__icontains=words)
        )
    return users


def get_user(context: Context, user_id: str) -> Result:
    return ok(rep.user(find(context, user_id)))


def _read(body: dict) -> UserSpec:
    """The user of an API body: a realm file's user, but passkeys are their user's to register
    (a file skips a malformed one with a warning; an API caller is told)."""
    credentials = body.get("credentials")
    if isinstance(credentials, list) and any(
        isinstance(each, dict) and each.get("type") in webauthn_credentials.TYPES
        for each in credentials
    ):
        raise invalid_field("credentials", "passkeys (webauthn) are registered by their user")
    return reader.read_user(body)


def create_user(context: Context) -> Result:
    spec = _read(object_body(context))
    if for_realm(User, context.realm).filter(username=spec.username).exists():
        raise Conflict(f"user {quote(spec.username)} already exists")
    if login_names.email_taken(context.realm, spec.email):
        raise Conflict("a user with this e-mail address already exists")
    user = User(realm=context.realm)
    if spec.subject is not None:
        if User.objects.filter(subject=spec.subject).exists():
            raise Conflict("a user with this id already exists")
        user.subject = spec.subject
    user.set_unusable_password()
    _save(context, user, spec, creating=True)
    after = rep.user(user)
    context.record("CREATE", RESOURCE, _path(user), after=after)
    return created(after, location(context.realm, _path(user)))


def update_user(context: Context, user_id: str) -> Result:
    user = changeable(context, user_id)
    before = rep.user(user)
    spec = _read(before | object_body(context))
    if spec.subject != user.subject:
        raise invalid_field("id", "does not match the user of the URL")
    taken = for_realm(User, context.realm).filter(username=spec.username).exclude(pk=user.pk)
    if taken.exists():
        raise Conflict(f"user {quote(spec.username)} already exists")
    if spec.email.lower() != user.email.lower() and login_names.email_taken(
        context.realm, spec.email, other_than=user
    ):
        raise Conflict("a user with this e-mail address already exists")
    _save(context, user, spec)
    context.record("UPDATE", RESOURCE, _path(user), before=before, after=rep.user(user))
    return NO_CONTENT


def delete_user(context: Context, user_id: str) -> Result:
    user = changeable(context, user_id)
    before = rep.user(user)
    user.delete()
    context.record("DELETE", RESOURCE, _path(user), before=before)
    return NO_CONTENT


def reset_password(context: Context, user_id: str) -> Result:
    """Keycloak's PUT .../reset-password with a credential {type, value, temporary}."""
    user = changeable(context, user_id)
    body = object_body(context)
    if body.get("type", "password") != "password":
        raise invalid_field("type", 'only a "password" is set here')
    try:
        spec = reader.read_user({"username": user.username, "credentials": [body]})
    except RealmFileError as error:
        # Named as in this body, not the wrapper: "value", not "credentials[0].value".
        path = error.path.removeprefix(_CREDENTIAL).lstrip(".")
        raise invalid_field(path, error.message) from None
    _set_password(user, spec.password, path="value")
    user.save()
    context.record("ACTION", RESOURCE, f"{_path(user)}/reset-password")
    return NO_CONTENT


def changeable(context: Context, user_id: str) -> User:
    """The user, if the caller may take it over (change, disable, delete, set a password)."""
    user = find(context, user_id)
    if not permissions.may_take_over(context.caller.authority, user):
        raise Forbidden("this user holds roles (or console rights) the caller may not grant")
    return user


def _save(context: Context, user: User, spec: UserSpec, *, creating: bool = False) -> None:
    roles = mappings.roles(context, spec.realm_roles, spec.client_roles)
    groups = mappings.groups(context, spec.groups)
    user.username = spec.username
    user.email = spec.email
    user.email_verified = spec.email_verified
    user.first_name = spec.first_name
    user.last_name = spec.last_name
    user.is_active = spec.enabled
    if spec.otp:
        raise invalid_field("credentials", "authenticators (otp) are enrolled by their user")
    user.required_actions = required_actions.stored(spec.required_actions)
    if spec.password is not None:
        _set_password(user, spec.password, path=f"{_CREDENTIAL}.value")
    else:
        user.password_temporary = (
            required_actions.UPDATE_PASSWORD in spec.required_actions and user.has_usable_password()
        )
    checked(user).save()
    if creating:
        # Beside the realm's default roles, which a new user was given on saving.
        user.roles.add(*roles)
    else:
        user.roles.set(roles)
    user.realm_groups.set(groups)


def _set_password(user: User, password: PasswordSpec, *, path: str) -> None:
    if password.encoded is not None:
        user.password = password.encoded
    else:
        try:
            validate_password(password.plain, user=user)
        except ValidationError as error:
            raise invalid_field(path, " ".join(error.messages)) from None
        user.set_password(password.plain)
    user.password_temporary = password.temporary


def execute_actions_email(context: Context, user_id: str) -> Result:
    """Keycloak's PUT .../execute-actions-email with a list of required actions: they are set
    on the user, and a link to do them (without the password) is mailed to the user."""
    user = changeable(context, user_id)
    body = context.body
    if not isinstance(body, list) or not all(isinstance(each, str) for each in body):
        raise invalid_field("(body)", "expected a list of required actions")
    unknown = [each for each in body if each not in required_actions.ALL]
    if unknown:
        raise invalid_field("(body)", f"unknown required action {quote(unknown[0])}")
    if not user.email:
        raise invalid_field("email", "the user has no e-mail address")
    if required_actions.UPDATE_PASSWORD in body:
        user.password_temporary = True
    user.required_actions = required_actions.stored([*user.required_actions, *body])
    user.save(update_fields=["password_temporary", "required_actions"])
    links.send_link(context.request, user, ActionToken.Kind.EXECUTE_ACTIONS, email=user.email)
    context.record("ACTION", RESOURCE, f"{_path(user)}/execute-actions-email")
    return NO_CONTENT
