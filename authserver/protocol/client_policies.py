"""Keycloak's client policies: what a realm requires of some of its clients.

A realm's ``clientPolicies`` name, for the clients their conditions select, the profiles whose
requirements apply; ``clientProfiles`` are the realm's own profiles, built of Keycloak's
executors. The global profiles ``fapi-2-security-profile`` and ``fapi-2-dpop-security-profile``
are the FAPI 2.0 Security Profile (final, §5.3.2): pushed authorization requests only, PKCE with
S256, confidential clients authenticating with ``private_key_jwt`` or mutual TLS, sender-
constrained access tokens (mutual TLS or DPoP; DPoP only for the second), no password grant, the
issuer as the only audience of a client assertion, PS256 or ES256 signatures.

``requirements(client)`` answers what applies to one client; the endpoints ask it at their own
checks. A policy whose condition or a profile whose executor this server does not know is not
applied, and ``problems`` names it (the import, the console and the admin API say so).
"""

import json
from dataclasses import dataclass, field, replace

from accounts.models import Realm
from authserver.models import (
    CLIENT_JWT_AUTHENTICATOR,
    SELF_SIGNED_X509_AUTHENTICATOR,
    X509_AUTHENTICATOR,
    Client,
)
from authserver.protocol import scopes

FAPI2 = "fapi-2-security-profile"
FAPI2_DPOP = "fapi-2-dpop-security-profile"
# FAPI 2.0 Security Profile §5.4.1: PS256, ES256 or EdDSA; this server signs with PS256 or ES256.
FAPI_ALGORITHMS = frozenset({"PS256", "ES256"})
# Ways of binding an access token to its client (sender-constrained tokens).
DPOP = "dpop"
MTLS = "mtls"


@dataclass(frozen=True)
class Requirements:
    """What the policies that select a client require of it; the default requires nothing."""

    profiles: tuple[str, ...] = ()
    pushed_requests: bool = False
    pkce_s256: bool = False
    confidential: bool = False
    # Keycloak clientAuthenticatorType values the client may use; None: any.
    authenticators: frozenset[str] | None = None
    # Ways the client's access tokens must be bound (any one of them); None: bearer allowed.
    bindings: frozenset[str] | None = None
    password_grant: bool = True
    # Redirect URIs are https (Keycloak's secure-client-uris; FAPI 2.0 §5.3.2.1).
    https_redirects: bool = False
    # A client assertion's aud is the issuer, as a string, and nothing else (FAPI 2.0 §5.3.2.1).
    issuer_audience_only: bool = False
    # Signature algorithms of client assertions and of the realm's own tokens; None: any.
    algorithms: frozenset[str] | None = None

    @property
    def sender_constrained(self) -> bool:
        return self.bindings is not None

    def combine(self, other: "Requirements") -> "Requirements":
        """Both sets of requirements at once: the stricter of each."""
        return Requirements(
            profiles=self.profiles + tuple(p for p in other.profiles if p not in self.profiles),
            pushed_requests=self.pushed_requests or other.pushed_requests,
            pkce_s256=self.pkce_s256 or other.pkce_s256,
            confidential=self.confidential or other.confidential,
            authenticators=_narrowest(self.authenticators, other.authenticators),
            bindings=_narrowest(self.bindings, other.bindings),
            password_grant=self.password_grant and other.password_grant,
            https_redirects=self.https_redirects or other.https_redirects,
            issuer_audience_only=self.issuer_audience_only or other.issuer_audience_only,
            algorithms=_narrowest(self.algorithms, other.algorithms),
        )


def _narrowest(first: frozenset | None, second: frozenset | None) -> frozenset | None:
    if first is None:
        return second
    if second is None:
        return first
    return first & second


NONE = Requirements()

_FAPI2 = Requirements(
    pushed_requests=True,
    pkce_s256=True,
    confidential=True,
    authenticators=frozenset(
        {CLIENT_JWT_AUTHENTICATOR, X509_AUTHENTICATOR, SELF_SIGNED_X509_AUTHENTICATOR}
    ),
    bindings=frozenset({DPOP, MTLS}),
    password_grant=False,
    https_redirects=True,
    issuer_audience_only=True,
    algorithms=FAPI_ALGORITHMS,
)
GLOBAL_PROFILES = {
    FAPI2: replace(_FAPI2, profiles=(FAPI2,)),
    FAPI2_DPOP: replace(_FAPI2, profiles=(FAPI2_DPOP,), bindings=frozenset({DPOP})),
}
_GLOBAL_DESCRIPTIONS = {
    FAPI2: "FAPI 2.0 Security Profile (final)",
    FAPI2_DPOP: "FAPI 2.0 Security Profile (final), with DPoP-bound tokens",
}


# --- executors: Keycloak's building blocks of a realm's own profiles ----------------------------
def _list(configuration: dict, *names: str) -> frozenset[str] | None:
    for name in names:
        value = configuration.get(name)
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list) and all(isinstance(each, str) for each in value):
            return frozenset(value)
    return None


_EXECUTORS = {
    "pkce-enforcer": lambda config: Requirements(pkce_s256=True),
    "confidential-client": lambda config: Requirements(confidential=True),
    "secure-client-uris": lambda config: Requirements(https_redirects=True),
    "secure-par-content": lambda config: Requirements(pushed_requests=True),
    "holder-of-key-enforcer": lambda config: Requirements(bindings=frozenset({MTLS})),
    "dpop-bind-enforcer": lambda config: Requirements(bindings=frozenset({DPOP})),
    "secure-client-authenticator": lambda config: Requirements(
        authenticators=_list(config, "allowed-client-authenticators", "client-authenticator-type")
    ),
    "secure-signature-algorithm-signed-jwt": lambda config: Requirements(
        algorithms=FAPI_ALGORITHMS
    ),
}
# Executors that ask nothing of a request this server would otherwise allow.
_NOTHING_MORE = frozenset({"secure-session", "secure-response-type"})


@dataclass
class _Reading:
    profiles: dict[str, Requirements] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _objects(document: object, key: str) -> list[dict]:
    if not isinstance(document, dict):
        return []
    values = document.get(key)
    return [each for each in values if isinstance(each, dict)] if isinstance(values, list) else []


def _realm_profiles(realm: Realm) -> _Reading:
    reading = _Reading(profiles=dict(GLOBAL_PROFILES))
    for profile in _objects(realm.client_profiles, "profiles"):
        name = profile.get("name")
        if not isinstance(name, str) or not name:
            continue
        combined = replace(NONE, profiles=(name,))
        for executor in _objects(profile, "executors"):
            kind = str(executor.get("executor"))
            configuration = executor.get("configuration")
            configuration = configuration if isinstance(configuration, dict) else {}
            if kind in _EXECUTORS:
                combined = combined.combine(_EXECUTORS[kind](configuration))
            elif kind not in _NOTHING_MORE:
                reading.problems.append(
                    f"client profile {name!r}: executor {kind!r} is not supported"
                )
        reading.profiles[name] = combined
    return reading


# --- conditions: which clients a policy selects --------------------------------------------------
def _access_type(client: Client) -> str:
    if client.bearer_only:
        return "bearer-only"
    return "public" if client.is_public else "confidential"


def _attribute_pairs(configuration: dict) -> list[tuple[str, str]]:
    pairs = []
    given = configuration.get("attributes")
    for each in given if isinstance(given, list) else []:
        if isinstance(each, str):
            try:
                each = json.loads(each)
            except ValueError:
                continue
        if isinstance(each, dict) and isinstance(each.get("key"), str):
            pairs.append((each["key"], str(each.get("value", ""))))
    return pairs


def _has_attributes(client: Client, configuration: dict) -> bool:
    attributes = client.attributes if isinstance(client.attributes, dict) else {}
    pairs = _attribute_pairs(configuration)
    return bool(pairs) and all(str(attributes.get(key)) == value for key, value in pairs)


def _has_roles(client: Client, configuration: dict) -> bool:
    wanted = _list(configuration, "roles") or frozenset()
    return client.roles.filter(name__in=wanted).exists() if wanted else False


def _has_scopes(client: Client, configuration: dict) -> bool:
    wanted = _list(configuration, "scopes") or frozenset()
    defaults, optionals = scopes.client_scopes(client)
    kind = str(configuration.get("type", "Default")).lower()
    return bool(wanted & set(optionals if kind == "optional" else defaults))


_CONDITIONS = {
    "any-client": lambda client, config: True,
    "client-access-type": lambda client, config: (
        _access_type(client) in (_list(config, "type") or frozenset({"confidential"}))
    ),
    "client-attributes": _has_attributes,
    "client-roles": _has_roles,
    "client-scopes": _has_scopes,
}


def _policies(realm: Realm) -> list[dict]:
    return [each for each in _objects(realm.client_policies, "policies") if each.get("enabled")]


def _profile_names(policy: dict) -> list:
    """The names a policy gives; anything else in its list names no profile."""
    names = policy.get("profiles")
    return [name for name in names if isinstance(name, str)] if isinstance(names, list) else []


def _selects(policy: dict, client: Client) -> bool:
    conditions = _objects(policy, "conditions")
    if not conditions:
        return False  # Keycloak: a policy without conditions applies to no client
    for condition in conditions:
        test = _CONDITIONS.get(str(condition.get("condition")))
        if test is None:
            return False
        configuration = condition.get("configuration")
        configuration = configuration if isinstance(configuration, dict) else {}
        matched = test(client, configuration)
        if configuration.get("is_negative_logic") in (True, "true"):
            matched = not matched
        if not matched:
            return False
    return True


def requirements(client: Client) -> Requirements:
    """What the realm's enabled policies require of ``client`` (cached on it for the request)."""
    cached = getattr(client, "_policy_requirements", None)
    if cached is not None:
        return cached
    realm = client.realm
    result = NONE
    if realm.client_policies:
        policies = _policies(realm)
        if policies:
            profiles = _realm_profiles(realm).profiles
            for policy in policies:
                if _selects(policy, client):
                    for name in _profile_names(policy):
                        if name in profiles:
                            result = result.combine(profiles[name])
    client._policy_requirements = result
    return result


def requires_dpop(client: Client) -> bool:
    """Whether the client's policies ask for sender-constrained tokens that only DPoP can give
    it: the profile allows no mutual TLS, or the client does not bind its tokens to its
    certificate (FAPI 2.0 §5.3.2.1 items 4-5: no bearer fall-back)."""
    bindings = requirements(client).bindings
    if bindings is None:
        return False
    return MTLS not in bindings or not client.binds_certificate


# --- what is stored: checked before it is --------------------------------------------------------
class PolicyDocumentError(ValueError):
    """A client-policies or client-profiles document that cannot be stored, and why."""


def check(*, policies: object, profiles: object, signature_algorithm: str) -> list[str]:
    """Refuse documents that cannot be stored (not Keycloak's shape, a policy naming an unknown
    profile, a FAPI profile in a realm that signs with RS256); answer what would not be applied.
    """
    for document, key in ((policies, "policies"), (profiles, "profiles")):
        if not isinstance(document, dict) or not isinstance(document.get(key, []), list):
            raise PolicyDocumentError(f"expected an object with a {key!r} list")
        if any(not isinstance(each, dict) for each in document.get(key, [])):
            raise PolicyDocumentError(f"every entry of {key!r} is an object")
    trial = Realm(client_policies=policies, client_profiles=profiles)
    reading = _realm_profiles(trial)
    problems = list(reading.problems)
    for policy in _objects(policies, "policies"):
        name = policy.get("name")
        if not isinstance(name, str) or not name:
            raise PolicyDocumentError("every policy has a name")
        named = policy.get("profiles", [])
        if not isinstance(named, list) or len(_profile_names(policy)) != len(named):
            raise PolicyDocumentError(f"policy {name!r}: profiles is a list of names")
        for profile in named:
            if profile not in reading.profiles:
                raise PolicyDocumentError(f"policy {name!r} names an unknown profile {profile!r}")
            algorithms = reading.profiles[profile].algorithms
            if (
                policy.get("enabled")
                and algorithms is not None
                and signature_algorithm not in algorithms
            ):
                raise PolicyDocumentError(
                    f"policy {name!r}: profile {profile!r} needs the realm to sign with "
                    f"{' or '.join(sorted(algorithms))}, not {signature_algorithm}"
                )
        for condition in _objects(policy, "conditions"):
            if str(condition.get("condition")) not in _CONDITIONS:
                problems.append(
                    f"client policy {name!r}: condition {condition.get('condition')!r} is not "
                    "supported; the policy applies to no client"
                )
    return problems


def global_profiles() -> list[dict]:
    """The built-in profiles as Keycloak's admin API lists them (``globalProfiles``)."""
    return [
        {"name": name, "description": _GLOBAL_DESCRIPTIONS[name], "executors": []}
        for name in GLOBAL_PROFILES
    ]
