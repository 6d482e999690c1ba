"""Applications: OAuth/OIDC clients now, SAML service providers later, from SSO templates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from identra.storage.models.base import Base, IdMixin, OrgOwnedMixin, TimestampMixin, VersionMixin
from identra.storage.types import JsonType


class Application(IdMixin, OrgOwnedMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")
    type: Mapped[str] = mapped_column(String(16))  # web | spa | native | m2m | saml
    protocol: Mapped[str] = mapped_column(String(16), default="oidc")
    template: Mapped[str | None] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    client_id: Mapped[str] = mapped_column(String(128), unique=True)
    # Keyed SHA-256 digest of a high-entropy secret: argon2 would cap the token endpoint.
    client_secret_digest: Mapped[str | None] = mapped_column(String(128))
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(32))
    redirect_uris: Mapped[list[str]] = mapped_column(JsonType, default=list)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JsonType, default=list)
    grant_types: Mapped[list[str]] = mapped_column(JsonType, default=list)
    response_types: Mapped[list[str]] = mapped_column(JsonType, default=list)
    scopes: Mapped[list[str]] = mapped_column(JsonType, default=list)
    audiences: Mapped[list[str]] = mapped_column(JsonType, default=list)
    pkce_required: Mapped[bool] = mapped_column(Boolean, default=True)
    access_token_format: Mapped[str] = mapped_column(String(16), default="jwt")
    access_token_ttl: Mapped[int | None] = mapped_column(Integer)
    refresh_token_ttl: Mapped[int | None] = mapped_column(Integer)
    id_token_ttl: Mapped[int | None] = mapped_column(Integer)
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    jwks_uri: Mapped[str | None] = mapped_column(String(2000))
    # Protocol extras (SAML entity id and ACS, back-channel logout URI, pairwise sector...).
    settings: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    flow_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("flows.id", ondelete="SET NULL")
    )
