"""Versioned login-flow definitions, per application or as an organization default."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from identra.storage.models.base import Base, IdMixin, OrgOwnedMixin, TimestampMixin
from identra.storage.types import JsonType


class Flow(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    """One saved version of a flow document; the newest ``active`` version is used."""

    __tablename__ = "flows"
    __table_args__ = (UniqueConstraint("org_id", "name", "revision"),)

    name: Mapped[str] = mapped_column(String(200))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    created_by: Mapped[str | None] = mapped_column(String(64))
    # Organization default when NULL; otherwise bound to one application.
    application_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("applications.id", ondelete="CASCADE", use_alter=True)
    )
