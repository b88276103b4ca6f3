"""Keycloak's two WebAuthn policies of a realm: ``webAuthnPolicy*`` for passkeys used as a
second factor, ``webAuthnPolicyPasswordless*`` for passkeys that sign in alone. Each is kept on
the realm as a dict under the names Keycloak gives after the prefix (``rpEntityName``,
``signatureAlgorithms``, ...), complete, and turned here into what the ``webauthn`` library
takes (accounts.passkeys). No HTTP, no database.

How each setting is honoured:

- ``rpEntityName``: the name the authenticator shows; empty, the realm's display name.
- ``rpId``: the relying party id; empty, this server's host (``AUTHSERVER_URL``). Otherwise it
  must be that host or a domain that host is under (WebAuthn §5.1.3).
- ``signatureAlgorithms``: the key algorithms offered at registration and accepted.
- ``attestationConveyancePreference``, ``authenticatorAttachment``: passed on ("not specified":
  none asked for, any attachment).
- ``requireResidentKey`` (``Yes``/``No``): a discoverable credential required or discouraged;
  "not specified" prefers one for a second factor and requires one for passwordless, which
  finds the user by it.
- ``userVerificationRequirement``: asked at registration and, for a second factor, at sign-in,
  where ``required`` is enforced; "not specified" is ``preferred`` for a second factor and
  ``required`` for passwordless. A passwordless sign-in always requires user verification: a
  passkey that signs in alone must be two factors (what the user has, and their PIN or
  biometric), whatever the policy asks of registration.
- ``createTimeout``: seconds the browser gives the user to register (0: its default, a minute).
- ``avoidSameAuthenticatorRegister``: the user's passkeys of that kind are excluded at
  registration, so one authenticator is not registered twice.
- ``acceptableAaguids``: when not empty, only authenticators of these models (AAGUIDs) may be
  registered.
- ``passkeysEnabled`` (passwordless only, Keycloak 26's
  ``webAuthnPolicyPasswordlessPasskeysEnabled``): the login page offers "Sign in with a
  passkey", and users may register passwordless passkeys.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorAttachment,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

SECOND_FACTOR = "webAuthnPolicy"
PASSWORDLESS = "webAuthnPolicyPasswordless"
NOT_SPECIFIED = "not specified"

# Keycloak's algorithm names and their COSE identifiers, among those the library verifies.
ALGORITHMS = {
    "ES256": COSEAlgorithmIdentifier.ECDSA_SHA_256,
    "ES512": COSEAlgorithmIdentifier.ECDSA_SHA_512,
    "RS256": COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
    "RS384": COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_384,
    "RS512": COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_512,
    "RS1": COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_1,
    "Ed25519": COSEAlgorithmIdentifier.EDDSA,
}
ATTESTATION = {
    NOT_SPECIFIED: AttestationConveyancePreference.NONE,
    "none": AttestationConveyancePreference.NONE,
    "indirect": AttestationConveyancePreference.INDIRECT,
    "direct": AttestationConveyancePreference.DIRECT,
    "enterprise": AttestationConveyancePreference.ENTERPRISE,
}
ATTACHMENT = {
    NOT_SPECIFIED: None,
    "platform": AuthenticatorAttachment.PLATFORM,
    "cross-platform": AuthenticatorAttachment.CROSS_PLATFORM,
}
RESIDENT_KEY = {
    NOT_SPECIFIED: None,
    "Yes": ResidentKeyRequirement.REQUIRED,
    "No": ResidentKeyRequirement.DISCOURAGED,
}
USER_VERIFICATION = {
    NOT_SPECIFIED: None,
    "required": UserVerificationRequirement.REQUIRED,
    "preferred": UserVerificationRequirement.PREFERRED,
    "discouraged": UserVerificationRequirement.DISCOURAGED,
}

# (key, kind, default, choices): the policy's settings, in Keycloak's order.
SETTINGS = (
    ("rpEntityName", str, "", None),
    ("signatureAlgorithms", list, ["ES256", "RS256"], tuple(ALGORITHMS)),
    ("rpId", str, "", None),
    ("attestationConveyancePreference", str, NOT_SPECIFIED, tuple(ATTESTATION)),
    ("authenticatorAttachment", str, NOT_SPECIFIED, tuple(ATTACHMENT)),
    ("requireResidentKey", str, NOT_SPECIFIED, tuple(RESIDENT_KEY)),
    ("userVerificationRequirement", str, NOT_SPECIFIED, tuple(USER_VERIFICATION)),
    ("createTimeout", int, 0, None),
    ("avoidSameAuthenticatorRegister", bool, False, None),
    ("acceptableAaguids", list, [], None),
)
PASSWORDLESS_ONLY = (("passkeysEnabled", bool, False, None),)
MAX_TIMEOUT_SECONDS = 31536000
_HOST = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)
_AAGUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class PolicyError(ValueError):
    """A refused setting, named by its key (after the prefix)."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


def field_name(prefix: str, key: str) -> str:
    """Keycloak's name of a policy's setting: webAuthnPolicy + RpEntityName."""
    return prefix + key[0].upper() + key[1:]


def settings_of(prefix: str) -> tuple:
    return SETTINGS + (PASSWORDLESS_ONLY if prefix == PASSWORDLESS else ())


def default(prefix: str) -> dict:
    return {
        key: (list(value) if kind is list else value) for key, kind, value, _ in settings_of(prefix)
    }


def checked(prefix: str, given: dict) -> tuple[dict, list[tuple[str, str]]]:
    """The policy ``given`` (absent settings at their defaults), and notes (setting, what) on
    what was left out: algorithms the library cannot verify. PolicyError names a setting that
    is wrong."""
    policy, notes = {}, []
    for key, kind, fallback, choices in settings_of(prefix):
        value = given.get(key)
        if value is None:
            policy[key] = list(fallback) if kind is list else fallback
            continue
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise PolicyError(key, "expected a whole number")
        if kind is not int and (
            not isinstance(value, kind) or (kind is not bool and isinstance(value, bool))
        ):
            names = {str: "a string", list: "a list", bool: "true or false"}
            raise PolicyError(key, f"expected {names[kind]}")
        if kind is list and not all(isinstance(each, str) for each in value):
            raise PolicyError(key, "expected a list of strings")
        policy[key] = _checked_value(key, value, choices, notes)
    return policy, notes


def _checked_value(key: str, value, choices, notes: list):
    if key == "signatureAlgorithms":
        kept = [name for name in dict.fromkeys(value) if name in ALGORITHMS]
        dropped = [name for name in value if name not in ALGORITHMS]
        if dropped:
            notes.append((key, f"{', '.join(dropped)} not supported here; left out"))
        return kept or ["ES256", "RS256"]
    if choices is not None and value not in choices:
        raise PolicyError(key, f"must be one of: {', '.join(choices)}")
    if key == "rpId":
        value = value.strip().lower()
        if value and not _HOST.match(value):
            raise PolicyError(key, "must be a host name (no scheme, port or path), or empty")
    if key == "createTimeout" and not 0 <= value <= MAX_TIMEOUT_SECONDS:
        raise PolicyError(key, f"must be from 0 to {MAX_TIMEOUT_SECONDS} seconds")
    if key == "acceptableAaguids":
        value = [each.strip().lower() for each in value if each.strip()]
        wrong = [each for each in value if not _AAGUID.match(each)]
        if wrong:
            raise PolicyError(key, f"{wrong[0]!r} is not an AAGUID (8-4-4-4-12 hex digits)")
    return value


def server_host() -> str:
    return urlsplit(settings.AUTHSERVER_URL).hostname or ""


def rp_id_problem(rp_id: str) -> str | None:
    """Why ``rp_id`` cannot serve this server's origin (WebAuthn §5.1.3), or None."""
    host = server_host()
    if not rp_id or host == rp_id or host.endswith("." + rp_id):
        return None
    return f"must be this server's host ({host}) or a domain it is under"


def origin() -> str:
    parts = urlsplit(settings.AUTHSERVER_URL)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class Ceremony:
    """What one policy asks of the library, with this realm's and this server's defaults."""

    passwordless: bool
    rp_id: str
    rp_name: str
    algorithms: list[COSEAlgorithmIdentifier]
    attestation: AttestationConveyancePreference
    attachment: AuthenticatorAttachment | None
    resident_key: ResidentKeyRequirement
    user_verification: UserVerificationRequirement
    timeout_ms: int
    avoid_same_authenticator: bool
    acceptable_aaguids: tuple[str, ...]

    @property
    def requires_user_verification(self) -> bool:
        return self.passwordless or self.user_verification == UserVerificationRequirement.REQUIRED


def ceremony(realm, *, passwordless: bool) -> Ceremony:
    prefix = PASSWORDLESS if passwordless else SECOND_FACTOR
    stored = realm.webauthn_policy_passwordless if passwordless else realm.webauthn_policy
    policy, _notes = checked(prefix, stored or {})
    strict = ResidentKeyRequirement.REQUIRED if passwordless else ResidentKeyRequirement.PREFERRED
    verify = (
        UserVerificationRequirement.REQUIRED
        if passwordless
        else UserVerificationRequirement.PREFERRED
    )
    return Ceremony(
        passwordless=passwordless,
        rp_id=policy["rpId"] or server_host(),
        rp_name=policy["rpEntityName"] or realm.title,
        algorithms=[ALGORITHMS[name] for name in policy["signatureAlgorithms"]],
        attestation=ATTESTATION[policy["attestationConveyancePreference"]],
        attachment=ATTACHMENT[policy["authenticatorAttachment"]],
        resident_key=RESIDENT_KEY[policy["requireResidentKey"]] or strict,
        user_verification=USER_VERIFICATION[policy["userVerificationRequirement"]] or verify,
        timeout_ms=(policy["createTimeout"] or 60) * 1000,
        avoid_same_authenticator=policy["avoidSameAuthenticatorRegister"],
        acceptable_aaguids=tuple(policy["acceptableAaguids"]),
    )


def passkeys_enabled(realm) -> bool:
    """Whether the realm lets users sign in with a passkey alone."""
    return bool((realm.webauthn_policy_passwordless or {}).get("passkeysEnabled"))
