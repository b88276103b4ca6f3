"""The one HTTP client of the package: the standard library's, small and injectable.

A ``Fetch`` is any callable ``fetch(method, url, *, form=None, json_body=None, headers=None)``
returning a :class:`Response`; tests pass their own and never touch the network.
"""

import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

# Discovery documents, key sets, token and introspection responses are small; a bigger answer
# is a misconfiguration or an attack, and is cut off rather than read into memory.
MAX_RESPONSE_BYTES = 1 << 20
TIMEOUT_SECONDS = 5.0


class FetchError(Exception):
    """No HTTP answer at all: refused connection, timeout, DNS, TLS."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self):
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.body)


Fetch = Callable[..., Response]


def fetch(
    method: str,
    url: str,
    *,
    form: dict | None = None,
    json_body=None,
    headers: dict | None = None,
    timeout: float = TIMEOUT_SECONDS,
    context: ssl.SSLContext | None = None,
) -> Response:
    """One request; any status is a Response, only a missing answer raises FetchError.
    ``context``: the TLS context for https (a private CA, a client certificate for mutual TLS)."""
    if urlsplit(url).scheme not in {"http", "https"}:
        raise FetchError(f"refusing to fetch a non-HTTP URL: {url!r}")
    data = None
    sent = {"Accept": "application/json", **(headers or {})}
    if form is not None:
        data = urlencode(form).encode()
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    elif json_body is not None:
        data = json.dumps(json_body).encode()
        sent["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=sent, method=method)  # noqa: S310 (scheme checked above)
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as answer:  # noqa: S310 (scheme checked above)
            return Response(answer.status, _read(answer), _headers(answer))
    except urllib.error.HTTPError as answer:
        with answer:
            return Response(answer.code, _read(answer), _headers(answer))
    except (OSError, ValueError) as error:
        raise FetchError(f"{method} {url}: {error}") from error


def _read(answer) -> bytes:
    body = answer.read(MAX_RESPONSE_BYTES + 1)
    if len(body) > MAX_RESPONSE_BYTES:
        raise FetchError(f"response larger than {MAX_RESPONSE_BYTES} bytes")
    return body


def _headers(answer) -> dict[str, str]:
    return {name.lower(): value for name, value in answer.headers.items()}
