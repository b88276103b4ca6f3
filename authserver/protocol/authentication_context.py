"""How the user authenticated, as the ID token says it (OIDC Core §2): ``amr`` (RFC 8176
method references: "pwd", "otp", and "mfa" when more than one factor was shown) and ``acr``:
"1" for one factor, "2" for two (Keycloak's levels of authentication)."""

from accounts.models import UserSession

SINGLE_FACTOR = "1"
TWO_FACTOR = "2"
# acr_values a client may ask for that want a second factor (step-up).
TWO_FACTOR_VALUES = frozenset({TWO_FACTOR, "mfa"})


def is_multi_factor(session: UserSession | None) -> bool:
    return session is not None and "otp" in (session.amr or [])


def claims(session: UserSession | None) -> dict:
    methods = list(session.amr or ["pwd"]) if session is not None else ["pwd"]
    if len(methods) > 1:
        methods.append("mfa")
    return {"acr": TWO_FACTOR if is_multi_factor(session) else SINGLE_FACTOR, "amr": methods}
