"""Declarative base and the columns every organization-owned row shares."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from identra.storage.types import UTCDateTime, new_id, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class IdMixin:
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class VersionMixin:
    """A counter bumped on every write; it is the resource's ETag."""

    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)


class OrgOwnedMixin:
    """Every row belongs to an organization; deleting the organization deletes the row."""

    @declared_attr
    def org_id(cls) -> Mapped[str]:
        return mapped_column(
            String(36), ForeignKey("organizations.id", ondelete="CASCADE"), index=True
        )
