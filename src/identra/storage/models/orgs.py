"""Organizations (a tree, root at bootstrap), their email domains and their user stores."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from identra.storage.models.base import Base, IdMixin, OrgOwnedMixin, TimestampMixin, VersionMixin
from identra.storage.types import JsonType


class Organization(IdMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "organizations"

    handle: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    # Materialised path of ids ("/root/child/"), so "is X inside Y" is one prefix test.
    path: Mapped[str] = mapped_column(String(2000), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    settings: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class OrganizationDomain(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    """An email domain that routes users to an organization (discovery by ``login_hint``)."""

    __tablename__ = "organization_domains"

    domain: Mapped[str] = mapped_column(String(253), unique=True)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)


class UserStore(IdMixin, OrgOwnedMixin, TimestampMixin, VersionMixin, Base):
    """A source of users: the database store now, LDAP/AD later. Read in ``position`` order."""

    __tablename__ = "user_stores"
    __table_args__ = (UniqueConstraint("org_id", "identifier"),)

    identifier: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32), default="database")
    description: Mapped[str] = mapped_column(String(500), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    read_only: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    config: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    # Connection secrets (an LDAP bind password), encrypted with the master key.
    secret_encrypted: Mapped[str | None] = mapped_column(String(4000))
