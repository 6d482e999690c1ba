"""Upstream identity providers (generic OIDC, Google, SAML...) an organization trusts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from identra.storage.models.base import Base, IdMixin, OrgOwnedMixin, TimestampMixin, VersionMixin
from identra.storage.types import JsonType


class IdentityProvider(IdMixin, OrgOwnedMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "identity_providers"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))  # oidc | google | saml | ...
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    config: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    # The client secret at the upstream provider, encrypted with the master key.
    secret_encrypted: Mapped[str | None] = mapped_column(String(4000))
    jit_provisioning: Mapped[bool] = mapped_column(Boolean, default=True)
