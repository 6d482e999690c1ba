"""Signing keys, private halves encrypted with the master key; rotation with overlap."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from identra.storage.models.base import Base, TimestampMixin
from identra.storage.types import JsonType, UTCDateTime


class SigningKey(TimestampMixin, Base):
    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    # NULL = deployment-wide key; set for an organization that brings its own keys.
    org_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    alg: Mapped[str] = mapped_column(String(16))
    # next: published, not yet used | active: signs | retired: published until expiry
    status: Mapped[str] = mapped_column(String(16))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JsonType)
    private_jwk_encrypted: Mapped[str] = mapped_column(String(16000))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # After this instant nothing signed by the key can still be valid: drop it from the JWKS.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
