"""Identity verification results and risk events (fraud detection), per user."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from identra.storage.models.base import Base, IdMixin, OrgOwnedMixin, TimestampMixin
from identra.storage.types import JsonType, UTCDateTime


class VerifiedClaim(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    """A claim an identity-verification provider vouched for (OIDC4IDA ``verified_claims``)."""

    __tablename__ = "verified_claims"

    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(48))
    claim: Mapped[str] = mapped_column(String(200))
    value: Mapped[Any] = mapped_column(JsonType)
    status: Mapped[str] = mapped_column(String(16))  # pending | verified | rejected
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    evidence: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class RiskEvent(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    __tablename__ = "risk_events"

    user_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(48))  # login | registration | password_change
    provider: Mapped[str] = mapped_column(String(48))  # builtin | sift
    score: Mapped[float] = mapped_column(Float)
    decision: Mapped[str | None] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class Branding(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    """Theme of the hosted pages and emails, per organization or per application."""

    __tablename__ = "branding"

    application_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("applications.id", ondelete="CASCADE")
    )
    config: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
