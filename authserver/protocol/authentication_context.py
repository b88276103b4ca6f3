"""How the user authenticated, as the ID token says it (OIDC Core §2): ``amr`` (RFC 8176
method references: "pwd", "otp", "hwk" or "swk" for a passkey, and "mfa" when more than one
factor was shown: a password and a second factor, or a passwordless passkey with user
verification) and ``acr``: "1" for one factor, "2" for two (Keycloak's levels of
authentication)."""

from accounts.login_steps import SECOND_FACTORS, TWO_FACTOR_ACR_VALUES
from accounts.models import UserSession

SINGLE_FACTOR = "1"
TWO_FACTOR = "2"


def asks_second_factor(acr_values: str | None) -> bool:
    """OIDC Core §3.1.2.1 acr_values naming level "2" (or "mfa"): a step-up."""
    return not TWO_FACTOR_ACR_VALUES.isdisjoint((acr_values or "").split())


def is_multi_factor(session: UserSession | None) -> bool:
    return session is not None and not SECOND_FACTORS.isdisjoint(session.amr or [])


def claims(session: UserSession | None) -> dict:
    methods = list(session.amr or ["pwd"]) if session is not None else ["pwd"]
    if is_multi_factor(session):
        methods.append("mfa")
    return {"acr": TWO_FACTOR if is_multi_factor(session) else SINGLE_FACTOR, "amr": methods}
