"""``POST /backchannel-logout``: where the issuer tells the service that a session ended
(OpenID Connect Back-Channel Logout 1.0 §2.5-§2.8). Both services mount it; it answers for the
service's client (``RS_CLIENT_ID``), the audience of the logout tokens.

The token is validated (resource_server.auth.logout), then the session is remembered as ended
in the cache every worker reads (resource_server.auth.ended_sessions): from then on the
validator refuses the access tokens of that session. Nothing else the services keep is per
session: the introspection answers are looked at only after that check.
"""

import logging

from django.http import HttpResponse

from resource_server import responses, wiring
from resource_server.auth import InvalidLogoutToken, IssuerUnavailable, StoreUnavailable
from resource_server.authorization import public

log = logging.getLogger(__name__)

FORM = "application/x-www-form-urlencoded"


@public
def backchannel_logout(request):
    """§2.8: 200 once the logout is done here; 400 ``invalid_request`` for a bad request or
    token; 503 when it cannot be done now (the issuer retries). Never cached."""
    if not wiring.config().client_id:
        return responses.error("not_found", "no such resource", status=404)
    if request.method != "POST":
        return responses.error("method_not_allowed", "use POST", status=405, Allow="POST")
    if request.content_type != FORM:
        return _refuse(f"content type {request.content_type!r}")
    tokens = request.POST.getlist("logout_token")
    if len(tokens) != 1:
        return _refuse(f"{len(tokens)} logout_token parameters")
    try:
        logout = wiring.logout_tokens().validate(tokens[0])
        wiring.ended_sessions().end(sid=logout.sid, sub=logout.sub, at=logout.issued_at)
    except InvalidLogoutToken as error:
        return _refuse(error.detail)
    except IssuerUnavailable as error:
        log.error("cannot validate a logout token: %s", error)
        return responses.unavailable("the authorization server cannot be reached")
    except StoreUnavailable as error:
        # Not acknowledged: the issuer sends it again.
        log.error("cannot record a logout: %s", error)
        return responses.unavailable("the logout cannot be recorded now")
    log.info(
        "back-channel logout: session %s, subject %s%s",
        logout.sid or "-",
        logout.sub or "-",
        "" if logout.sid else " (every session)",
    )
    response = HttpResponse(status=200)
    response["Cache-Control"] = "no-store"
    return response


def _refuse(detail: str):
    log.info("back-channel logout refused: %s", detail)
    return responses.error(InvalidLogoutToken.code, InvalidLogoutToken.description, status=400)
