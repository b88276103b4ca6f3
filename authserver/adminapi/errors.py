"""The admin API's errors: a status, an error code, a public description, field messages.

Shaped like the protocol's errors (``error``, ``error_description``), plus ``fields``: the
message for each bad field, named by its JSON path in the body (``redirectUris[0]``).
"""


class AdminError(Exception):
    status = 400
    error = "invalid_request"

    def __init__(self, description: str, *, fields: dict[str, str] | None = None):
        super().__init__(description)
        self.description = description
        self.fields = fields or {}

    def as_dict(self) -> dict:
        body = {"error": self.error, "error_description": self.description}
        if self.fields:
            body["fields"] = self.fields
        return body


class BadRequest(AdminError):
    status, error = 400, "invalid_request"


class Forbidden(AdminError):
    status, error = 403, "insufficient_permissions"


class NotFound(AdminError):
    status, error = 404, "not_found"


class Conflict(AdminError):
    """Keycloak answers 409 when a name is already taken."""

    status, error = 409, "conflict"


class TooLarge(AdminError):
    status, error = 413, "invalid_request"


class UnsupportedMediaType(AdminError):
    status, error = 415, "invalid_request"


def invalid_field(path: str, message: str) -> BadRequest:
    """400 naming one field of the body (the body itself when ``path`` is empty)."""
    where = path or "(body)"
    return BadRequest(f"{where}: {message}", fields={where: message})
