"""Groups, roles with permissions, and role assignments to users and groups."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from identra.storage.models.base import Base, IdMixin, OrgOwnedMixin, TimestampMixin, VersionMixin
from identra.storage.types import JsonType


class Group(IdMixin, OrgOwnedMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(String(1000), default="")
    user_store_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("user_stores.id", ondelete="CASCADE")
    )
    external_id: Mapped[str | None] = mapped_column(String(255))


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Role(IdMixin, OrgOwnedMixin, TimestampMixin, VersionMixin, Base):
    """A named set of permissions (management scopes or application permissions)."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(String(1000), default="")
    # "organization" roles carry management permissions; "application" roles an app's own.
    audience: Mapped[str] = mapped_column(String(16), default="organization")
    application_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("applications.id", ondelete="CASCADE")
    )
    permissions: Mapped[list[str]] = mapped_column(JsonType, default=list)
    attributes: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class RoleAssignment(IdMixin, OrgOwnedMixin, Base):
    __tablename__ = "role_assignments"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (group_id IS NULL)", name="one_subject"),
        UniqueConstraint("role_id", "user_id", "group_id"),
    )

    role_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("roles.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
