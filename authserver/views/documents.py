"""A realm's public JSON documents (discovery, the realm document, the JWKS) as HTTP answers
that clients may cache: ``Cache-Control: public``, a strong ETag, and 304 Not Modified to a
matching ``If-None-Match`` (RFC 9110 §13.1.2). HEAD is answered like GET, without the body.

The bytes and the ETag are computed once per version of a document rather than per request:
protocol/discovery.py hands out the same dict for as long as it keeps a document, and the JWKS
(keys/store.py, read from the process's key ring) compares equal until a key is published,
activated or withdrawn.
"""

import hashlib
import json
from collections.abc import Hashable

from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control

# One entry per document and realm; a bound all the same.
MAX_ENTRIES = 1_000

_encoded: dict[Hashable, tuple[dict, bytes, str]] = {}


def cacheable_json(request, document: dict, *, key: Hashable, max_age: int) -> HttpResponse:
    body, etag = _encode(document, key)
    response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=max_age)
    return get_conditional_response(request, etag=etag, response=response)


def _encode(document: dict, key: Hashable) -> tuple[bytes, str]:
    entry = _encoded.get(key)
    if entry is None or not (entry[0] is document or entry[0] == document):
        body = json.dumps(document, separators=(",", ":")).encode()
        if len(_encoded) >= MAX_ENTRIES:
            _encoded.clear()
        entry = _encoded[key] = (document, body, f'"{hashlib.sha256(body).hexdigest()}"')
    return entry[1], entry[2]
