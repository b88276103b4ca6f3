"""Keycloak's client policies and profiles of a realm (``client-policies/policies`` and
``client-policies/profiles``): read them, replace them whole. What a realm requires of its
clients through them is authserver.protocol.client_policies'."""

from authserver.adminapi.api import NO_CONTENT, Context, Result, object_body, ok
from authserver.adminapi.errors import BadRequest
from authserver.protocol import client_policies

POLICIES, PROFILES = "CLIENT_POLICIES", "CLIENT_PROFILES"


def _policies(context: Context) -> dict:
    return {"policies": (context.realm.client_policies or {}).get("policies", [])}


def _profiles(context: Context) -> dict:
    return {"profiles": (context.realm.client_profiles or {}).get("profiles", [])}


def get_policies(context: Context) -> Result:
    return ok(_policies(context))


def get_profiles(context: Context) -> Result:
    answer = _profiles(context)
    if context.query.get("include-global-profiles") == "true":
        answer["globalProfiles"] = client_policies.global_profiles()
    return ok(answer)


def _store(context: Context, *, policies: dict, profiles: dict) -> None:
    try:
        problems = client_policies.check(
            policies=policies,
            profiles=profiles,
            signature_algorithm=context.realm.default_signature_algorithm,
        )
    except client_policies.PolicyDocumentError as error:
        raise BadRequest(str(error)) from None
    if problems:
        # Stored and silently not applied would be worse than refused.
        raise BadRequest("; ".join(problems))
    context.realm.client_policies = policies
    context.realm.client_profiles = profiles
    context.realm.save(update_fields=["client_policies", "client_profiles"])


def update_policies(context: Context) -> Result:
    body = object_body(context)
    before = _policies(context)
    after = {"policies": body.get("policies", [])}
    _store(context, policies=after, profiles=_profiles(context))
    context.record("UPDATE", POLICIES, "client-policies/policies", before=before, after=after)
    return NO_CONTENT


def update_profiles(context: Context) -> Result:
    body = object_body(context)
    before = _profiles(context)
    after = {"profiles": body.get("profiles", [])}
    _store(context, policies=_policies(context), profiles=after)
    context.record("UPDATE", PROFILES, "client-policies/profiles", before=before, after=after)
    return NO_CONTENT
