"""What every resource handler shares: its input (Context), its output (Result), paging, and the
audit record of a change. No HTTP here: http.py turns a request into a Context and a Result (or
an AdminError) into a response."""

from dataclasses import dataclass, field
from urllib.parse import quote

from accounts import audit
from accounts.models import Realm
from authserver.adminapi import validation
from authserver.adminapi.errors import BadRequest
from authserver.adminapi.permissions import Caller

# What a path segment may hold unencoded besides letters, digits and "-._~" (RFC 3986 §3.3).
_PCHAR = "!$&'()*+,;=:@"
# Keycloak's default page size for users and clients is 100; a larger ``max`` is allowed.
_MAX_PAGE = 1000


@dataclass(frozen=True)
class Context:
    caller: Caller
    realm: Realm | None
    body: object = None
    query: dict[str, str] = field(default_factory=dict)
    # The HTTP request, only for the audit log's IP address.
    request: object = None

    def record(
        self,
        operation: str,
        resource_type: str,
        resource_path: str,
        *,
        before: dict | None = None,
        after: dict | None = None,
    ) -> None:
        """Keycloak's admin event: CREATE, UPDATE, DELETE or ACTION, by this caller."""
        audit.admin_event(
            operation,
            realm=self.realm,
            actor=self.caller.user,
            resource_type=resource_type,
            resource_path=resource_path,
            before=before,
            after=after,
            request=self.request,
        )


@dataclass(frozen=True)
class Result:
    status: int = 200
    body: object = None
    location: str | None = None


def ok(body: object) -> Result:
    return Result(200, body)


def created(body: object, location: str) -> Result:
    return Result(201, body, location)


NO_CONTENT = Result(204)


def object_body(context: Context) -> dict:
    if not isinstance(context.body, dict):
        raise BadRequest("the body must be a JSON object", fields={"(body)": "expected an object"})
    return context.body


def page(items, query: dict[str, str], *, everything: bool = False):
    """Keycloak's paging: ``first`` (offset, default 0) and ``max`` (default 100, or, with
    ``everything``, all of them, as Keycloak lists roles and role mappings without ``max``)."""
    first = validation.query_count(query, "first", 0)
    if query.get("max") == "-1":
        # What Keycloak's own console sends for "no limit": the default page.
        query = {key: value for key, value in query.items() if key != "max"}
    if everything and "max" not in query:
        return items[first:]
    size = min(validation.query_count(query, "max", 100), _MAX_PAGE)
    return items[first : first + size]


def location(realm: Realm, *parts: str) -> str:
    """The URL of an object, each name percent-encoded as one path segment (RFC 3986 §3.3)."""
    segments = (quote(segment, safe=_PCHAR) for part in parts for segment in part.split("/"))
    return "/".join(("/admin/realms", quote(realm.name, safe=_PCHAR), *segments))
