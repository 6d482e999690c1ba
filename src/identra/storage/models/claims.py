"""Claim (attribute) definitions and their mapping to OIDC claims and SCIM attributes."""

from __future__ import annotations

from sqlalchemy import Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from identra.storage.models.base import Base, IdMixin, OrgOwnedMixin, TimestampMixin, VersionMixin


class ClaimDefinition(IdMixin, OrgOwnedMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "claim_definitions"
    __table_args__ = (UniqueConstraint("org_id", "uri"),)

    uri: Mapped[str] = mapped_column(String(500))
    display_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")
    data_type: Mapped[str] = mapped_column(String(16), default="string")
    multi_valued: Mapped[bool] = mapped_column(Boolean, default=False)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    read_only: Mapped[bool] = mapped_column(Boolean, default=False)
    oidc_claim: Mapped[str | None] = mapped_column(String(200))
    scim_attribute: Mapped[str | None] = mapped_column(String(500))
