"""Which redirect URIs a client may register (RFC 6749 §3.1.2): absolute, without a fragment,
web (http, https) or a native app's (RFC 8252 §7).

A native app receives the browser's redirect at a private-use URI scheme (§7.1:
``com.example.app:/oauth2redirect``, or ``app://callback``), at a claimed https URI (§7.2: an
https URI like any other) or at a loopback IP address (§7.3: ``http://127.0.0.1/cb``, where a
public client's URI matches on any port: ``Client.redirect_uri_allowed``). Every redirect is
matched by simple string comparison otherwise (RFC 9700 §2.1), so a private-use scheme gives
nothing more than its exact URI. Schemes that make the browser run, show or fetch something
itself are no app's and are refused.

The console, the admin API and the realm file all ask ``problem``; post-logout redirect URIs
follow the same rule. A front- or back-channel logout URI is fetched by a browser frame or by
this server, never handed to an app: ``web_problem``, http(s) only.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from oauth2_provider.validators import AllowedURIValidator

WEB_SCHEMES = ("http", "https")
# Browser-handled schemes: script, inline or local content, other protocols. Never an app.
REFUSED_SCHEMES = frozenset(
    {
        "javascript",
        "vbscript",
        "data",
        "blob",
        "file",
        "filesystem",
        "about",
        "view-source",
        "ftp",
        "ws",
        "wss",
        "mailto",
        "tel",
        "sms",
    }
)


def scheme_of(uri: str) -> str:
    try:
        return urlsplit(uri).scheme.lower()
    except ValueError:
        return ""


def is_private_use(uri: str) -> bool:
    """Whether ``uri`` uses a private-use URI scheme (RFC 8252 §7.1) that may be registered."""
    scheme = scheme_of(uri)
    return bool(scheme) and scheme not in WEB_SCHEMES and scheme not in REFUSED_SCHEMES


def problem(uri: str, what: str = "redirect URI") -> str | None:
    """Why ``uri`` cannot be registered as a ``what`` (to follow the URI in a message), or
    None if it can."""
    scheme = scheme_of(uri)
    if scheme in REFUSED_SCHEMES:
        return f"uses the {scheme}: scheme, which no app can receive"
    schemes = (*WEB_SCHEMES, scheme) if is_private_use(uri) else WEB_SCHEMES
    return _invalid(uri, schemes, what)


def web_problem(uri: str, what: str) -> str | None:
    """Why ``uri`` cannot be registered as a ``what`` that a browser frame or this server
    fetches (Front-Channel Logout 1.0 §2, Back-Channel Logout 1.0 §2.2: absolute, http or
    https, no fragment), or None if it can."""
    if scheme_of(uri) not in WEB_SCHEMES:
        return f"is not a valid {what} (an http or https URI)"
    return _invalid(uri, WEB_SCHEMES, what)


def _invalid(uri: str, schemes, what: str) -> str | None:
    """Why Django OAuth Toolkit's URI validator refuses ``uri`` (no fragment, a host for the web
    schemes), or None."""
    validator = AllowedURIValidator(schemes, what, allow_path=True, allow_query=True)
    try:
        validator(uri)
    except ValidationError as error:
        cause = (error.params or {}).get("cause") or " ".join(error.messages)
        return f"is not a valid {what} ({cause})"
    return None
