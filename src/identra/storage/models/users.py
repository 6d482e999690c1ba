"""Users with their emails and phone numbers, MFA credentials and federated links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from identra.storage.models.base import Base, IdMixin, OrgOwnedMixin, TimestampMixin, VersionMixin
from identra.storage.types import JsonType, UTCDateTime


class User(IdMixin, OrgOwnedMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("org_id", "user_store_id", "username_normalized"),
        Index("ix_users_org_username", "org_id", "username_normalized"),
        Index("ix_users_org_external_id", "org_id", "external_id"),
        Index("ix_users_org_created", "org_id", "created_at"),
    )

    user_store_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("user_stores.id", ondelete="CASCADE"), index=True
    )
    username: Mapped[str] = mapped_column(String(255))
    username_normalized: Mapped[str] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255))
    # active | locked | disabled | unverified
    status: Mapped[str] = mapped_column(String(16), default="active")
    display_name: Mapped[str | None] = mapped_column(String(255))
    given_name: Mapped[str | None] = mapped_column(String(255))
    family_name: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(35))
    password_hash: Mapped[str | None] = mapped_column(String(512))
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claims: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)

    emails: Mapped[list[UserEmail]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserEmail.position"
    )
    phone_numbers: Mapped[list[UserPhone]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserPhone.position"
    )


class UserEmail(IdMixin, Base):
    __tablename__ = "user_emails"
    __table_args__ = (Index("ix_user_emails_org_value", "org_id", "value_normalized"),)

    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[str] = mapped_column(String(36))
    value: Mapped[str] = mapped_column(String(320))
    value_normalized: Mapped[str] = mapped_column(String(320))
    type: Mapped[str | None] = mapped_column(String(32))
    primary: Mapped[bool] = mapped_column(Boolean, default=False)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)


class UserPhone(IdMixin, Base):
    __tablename__ = "user_phone_numbers"

    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[str] = mapped_column(String(36), index=True)
    value: Mapped[str] = mapped_column(String(32))
    type: Mapped[str | None] = mapped_column(String(32))
    primary: Mapped[bool] = mapped_column(Boolean, default=False)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)


class PasswordHistory(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    """Earlier password hashes, for the "not one of your last N passwords" policy."""

    __tablename__ = "password_history"

    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    password_hash: Mapped[str] = mapped_column(String(512))


class Credential(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    """An enrolled authenticator: TOTP, passkey, backup-code set or push device."""

    __tablename__ = "credentials"

    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))  # totp | passkey | backup_codes | push
    name: Mapped[str] = mapped_column(String(200), default="")
    # Look-up key where the kind has one (a WebAuthn credential id, a push device id).
    lookup: Mapped[str | None] = mapped_column(String(512), index=True)
    secret_encrypted: Mapped[str | None] = mapped_column(String(8000))
    data: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FederatedIdentity(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    """A link between a local user and their subject at an upstream identity provider."""

    __tablename__ = "federated_identities"
    __table_args__ = (UniqueConstraint("idp_id", "subject"),)

    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    idp_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("identity_providers.id", ondelete="CASCADE")
    )
    subject: Mapped[str] = mapped_column(String(255))
    claims: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
