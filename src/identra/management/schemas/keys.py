"""Signing key resources: public material only."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from identra.management.schemas.common import Strict

Alg = Literal["RS256", "PS256", "ES256", "EdDSA"]


class KeyOut(BaseModel):
    kid: str
    alg: str
    status: str  # next | active | retired | expired
    created_at: datetime
    activated_at: datetime | None
    retired_at: datetime | None
    expires_at: datetime | None
    public_jwk: dict[str, Any]


class RotateIn(Strict):
    alg: Alg = "RS256"
