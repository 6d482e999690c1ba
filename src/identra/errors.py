"""Root of Identra's error classes. Protocol and management errors subclass these."""

from __future__ import annotations


class IdentraError(Exception):
    """Base of every error Identra raises on purpose."""


class NotFound(IdentraError):
    """The resource does not exist, or it belongs to another organization (never distinguished)."""


class Conflict(IdentraError):
    """A uniqueness rule would be broken."""


class PreconditionFailed(IdentraError):
    """An ``If-Match`` version no longer matches."""


class InvalidInput(IdentraError):
    """The request is well-formed but its values are not acceptable."""

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
