"""An access token presented to one of our resources (UserInfo, the account API): with the
``Bearer`` scheme (RFC 6750), or with the ``DPoP`` scheme and a proof of the key it is bound to
(RFC 9449 §7.1).

A token bound to a key (``cnf.jkt``) is good only with the DPoP scheme and a proof for this
request (``htm``, ``htu``, ``ath``) signed with that key; an unbound token only with the Bearer
scheme. Which scheme a request used decides the scheme of the challenge that answers a refusal.
"""

import re
from dataclasses import dataclass

from django.utils.crypto import constant_time_compare

from accounts.models import Realm
from authserver.protocol import bearer, certificate_binding, dpop
from authserver.protocol.bearer import INVALID, Bearer
from authserver.protocol.errors import InvalidDPoPProof, InvalidRequest, InvalidToken

BEARER = "Bearer"
DPOP = "DPoP"
# RFC 9449 §7.1: credentials = "DPoP" 1*SP token68.
_DPOP_AUTHORIZATION = re.compile(r"dpop +([A-Za-z0-9\-._~+/]+=*)", re.IGNORECASE)


@dataclass(frozen=True)
class Presented:
    """What a request presents: the scheme it used and its token (None: no token at all)."""

    scheme: str
    token: str | None


def scheme_of(authorization: str | None) -> str:
    """The scheme a request tried, to answer a refusal in it (even of malformed credentials)."""
    return DPOP if authorization and authorization.lower().startswith("dpop") else BEARER


def presented(*, authorization: str | None, form_values: list[str]) -> Presented:
    """The scheme and token of a request: ``Authorization: DPoP``, else as bearer.token_from
    finds a bearer token (the header, or the form of a POST). InvalidRequest when malformed or
    sent more than one way."""
    if scheme_of(authorization) == DPOP:
        matched = _DPOP_AUTHORIZATION.fullmatch(authorization.strip())
        if matched is None:
            raise InvalidRequest("malformed DPoP credentials")
        if any(form_values):
            raise InvalidRequest("send the access token in one place only")
        return Presented(DPOP, matched.group(1))
    return Presented(
        BEARER, bearer.token_from(authorization=authorization, form_values=form_values)
    )


def holder(
    realm: Realm, given: Presented, *, proof: str | None, method: str, url: str, environ
) -> Bearer:
    """The live token ``given`` presents to ``method url``, with its proof when it is bound to a
    key, over a connection with its certificate when it is bound to one (RFC 8705 §3, from WSGI
    ``environ``); InvalidToken, InvalidDPoPProof or UseDPoPNonce otherwise."""
    found = _holder(realm, given, proof=proof, method=method, url=url)
    certificate_binding.check_presenter(found.claims, environ)
    return found


def _holder(realm: Realm, given: Presented, *, proof: str | None, method: str, url: str) -> Bearer:
    if given.scheme == BEARER:
        return bearer.authenticate(realm, given.token)
    found = bearer.live(realm, given.token)
    bound = dpop.bound_key(found.claims)
    if bound is None:
        raise InvalidToken(INVALID, detail="a token bound to no key presented with DPoP")
    checked = dpop.check_proof(
        realm,
        proof,
        method=method,
        url=url,
        access_token=given.token,
        nonce_required=dpop.nonce_required(found.client),
    )
    if not constant_time_compare(bound, checked.jkt):
        raise InvalidDPoPProof(
            "the DPoP proof's key is not the one the access token is bound to",
            detail="proof key does not match cnf.jkt",
        )
    return found
