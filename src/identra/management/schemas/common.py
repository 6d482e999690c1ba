"""Shared pieces of the management schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Name = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
]
Handle = Annotated[
    str, StringConstraints(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
]
Description = Annotated[
    str, StringConstraints(max_length=1000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")
]
# A line of text without control characters (external ids, client ids, labels).
Line = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f]+$")
]
# Identifiers of rows (UUIDs) as they appear in bodies; anything else simply matches nothing.
RowId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def _absent() -> Any:
    return None


def Omittable(**constraints: Any) -> Any:
    """A PATCH field that may be left out but not sent as ``null``.

    Absent, it keeps its value (``model_dump(exclude_unset=True)`` leaves it out); an explicit
    ``null`` fails validation with a 422 that points at the field, as the OpenAPI schema says.
    """
    return Field(default_factory=_absent, **constraints)


class Strict(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class Resource(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    created_at: datetime
    updated_at: datetime
    version: int
