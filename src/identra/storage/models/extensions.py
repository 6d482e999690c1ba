"""Service-based extensions (actions), connectors to outside services, and event webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from identra.storage.models.base import Base, IdMixin, OrgOwnedMixin, TimestampMixin, VersionMixin
from identra.storage.types import JsonType, UTCDateTime


class Action(IdMixin, OrgOwnedMixin, TimestampMixin, VersionMixin, Base):
    """An external HTTP service called at one extension point (pre-issue access token...)."""

    __tablename__ = "actions"

    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(48))
    endpoint: Mapped[str] = mapped_column(String(2000))
    auth_type: Mapped[str] = mapped_column(String(16), default="none")
    auth_encrypted: Mapped[str | None] = mapped_column(String(4000))
    timeout_ms: Mapped[int] = mapped_column(Integer, default=2000)
    failure_policy: Mapped[str] = mapped_column(String(16), default="fail_closed")
    rule: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    signing_secret_encrypted: Mapped[str | None] = mapped_column(String(4000))
    description: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    # Type-specific settings (the attributes a pre-update-profile action receives, how a
    # pre-update-password action receives the password, an authenticator's label...).
    config: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class Connector(IdMixin, OrgOwnedMixin, TimestampMixin, VersionMixin, Base):
    """A configured outside service: SMS gateway, SMTP, FCM, Onfido, Sift..."""

    __tablename__ = "connectors"

    kind: Mapped[str] = mapped_column(String(48))
    name: Mapped[str] = mapped_column(String(200))
    base_url: Mapped[str | None] = mapped_column(String(2000))
    config: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    secret_encrypted: Mapped[str | None] = mapped_column(String(8000))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Webhook(IdMixin, OrgOwnedMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "webhooks"

    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JsonType, default=list)
    secret_encrypted: Mapped[str] = mapped_column(String(4000))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    # The audit log position up to which events were turned into outbox messages.
    relayed_seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), default=0, server_default="0"
    )


class OutboxMessage(Base):
    """Durable outbox: a webhook delivery survives restarts and is retried with backoff."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("webhook_id", "source_seq"),)

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    org_id: Mapped[str] = mapped_column(String(36), index=True)
    webhook_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("webhooks.id", ondelete="CASCADE")
    )
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(1000))
    # The audit event the message was made from: one message per webhook and event.
    source_seq: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
