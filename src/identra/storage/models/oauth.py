"""Durable OAuth state: grants (token families), refresh tokens, opaque tokens and consents.

Short-lived state (authorization codes, PAR requests, device codes, SSO sessions) lives in the
cache backend; what must survive restarts and be revocable lives here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from identra.storage.models.base import Base, IdMixin, OrgOwnedMixin, TimestampMixin
from identra.storage.types import JsonType, UTCDateTime


class OAuthGrant(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    """One authorization given to one client: the family every refresh token descends from."""

    __tablename__ = "oauth_grants"

    application_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[str | None] = mapped_column(String(64), index=True)
    scopes: Mapped[list[str]] = mapped_column(JsonType, default=list)
    claims: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    auth_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acr: Mapped[str | None] = mapped_column(String(200))
    amr: Mapped[list[str]] = mapped_column(JsonType, default=list)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when a token exchange acts on behalf of a user (impersonation): the actor's subject.
    actor: Mapped[dict[str, Any] | None] = mapped_column(JsonType)


class RefreshToken(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    __tablename__ = "refresh_tokens"

    grant_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("oauth_grants.id", ondelete="CASCADE"), index=True
    )
    token_digest: Mapped[str] = mapped_column(String(128), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Rotation: a used token is kept so that its reuse is detected and revokes the family.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dpop_jkt: Mapped[str | None] = mapped_column(String(128))


class OpaqueAccessToken(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    """Reference tokens for applications that do not want JWT access tokens."""

    __tablename__ = "opaque_access_tokens"

    grant_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("oauth_grants.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    token_digest: Mapped[str] = mapped_column(String(128), unique=True)
    claims: Mapped[dict[str, Any]] = mapped_column(JsonType)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class RevokedToken(OrgOwnedMixin, Base):
    """Revoked JWT access tokens by ``jti``, kept until they would have expired anyway."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Consent(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    """Remembered consent of a user to an application's scopes; users can revoke it."""

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("user_id", "application_id"),)

    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("applications.id", ondelete="CASCADE")
    )
    scopes: Mapped[list[str]] = mapped_column(JsonType, default=list)
    claims: Mapped[list[str]] = mapped_column(JsonType, default=list)


class UserSession(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    """An SSO session's durable record (the hot copy lives in the cache) for My Account."""

    __tablename__ = "user_sessions"

    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    amr: Mapped[list[str]] = mapped_column(JsonType, default=list)
