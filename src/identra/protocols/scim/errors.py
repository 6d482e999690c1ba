"""SCIM errors (RFC 7644 §3.12): an HTTP status, an optional ``scimType`` and a detail.

The error document is ``{"schemas": [ERROR], "status": "400", "scimType": ..., "detail": ...}``;
``status`` is a string, as in the RFC's examples.
"""

from __future__ import annotations

from typing import Any

from identra.errors import IdentraError

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(IdentraError):
    status = 400
    scim_type: str | None = None

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(self.status)}
        if self.scim_type:
            out["scimType"] = self.scim_type
        out["detail"] = self.detail
        return out


class InvalidFilter(ScimError):
    """The filter syntax was invalid, or the filter names an attribute it cannot compare."""

    scim_type = "invalidFilter"


class TooMany(ScimError):
    scim_type = "tooMany"


class Uniqueness(ScimError):
    status = 409
    scim_type = "uniqueness"


class Mutability(ScimError):
    scim_type = "mutability"


class InvalidSyntax(ScimError):
    scim_type = "invalidSyntax"


class InvalidPath(ScimError):
    scim_type = "invalidPath"


class NoTarget(ScimError):
    scim_type = "noTarget"


class InvalidValue(ScimError):
    scim_type = "invalidValue"


class InvalidVersion(ScimError):
    scim_type = "invalidVers"


class Sensitive(ScimError):
    status = 403
    scim_type = "sensitive"


class Unauthorized(ScimError):
    status = 401


class Forbidden(ScimError):
    status = 403


class NotFound(ScimError):
    status = 404


class Conflict(ScimError):
    status = 409


class PreconditionFailed(ScimError):
    status = 412


class PayloadTooLarge(ScimError):
    status = 413


class MethodNotAllowed(ScimError):
    status = 405


class NotImplementedYet(ScimError):
    status = 501


class InternalError(ScimError):
    status = 500


class ServiceUnavailable(ScimError):
    """A service the change depends on (an organization's action) gave no usable answer."""

    status = 503
