"""One typed settings tree, read from ``IDENTRA_*`` environment variables.

Each component receives only its own sub-model. Unknown ``IDENTRA_`` variables are rejected at
start-up so that a typo fails loudly instead of silently falling back to a default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SigningAlg = Literal["RS256", "PS256", "ES256", "EdDSA"]


class TokenSettings(BaseModel):
    """Default lifetimes; applications may override them."""

    access_token_ttl: int = Field(3600, ge=60, le=86400, description="seconds")
    refresh_token_ttl: int = Field(30 * 86400, ge=300, description="seconds")
    authorization_code_ttl: int = Field(60, ge=10, le=600, description="seconds")
    id_token_ttl: int = Field(3600, ge=60, le=86400, description="seconds")


class BootstrapSettings(BaseModel):
    admin_username: str = "admin"
    admin_password: SecretStr | None = None


class HttpSettings(BaseModel):
    max_body_bytes: int = Field(1_048_576, ge=1024, description="largest accepted request body")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="IDENTRA_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    data_dir: Path = Field(Path("./var"), description="where SQLite, the key file and logs live")
    database_url: str | None = Field(None, description="SQLAlchemy async URL; SQLite when unset")
    redis_url: str | None = Field(None, description="Redis/Valkey URL; in-process cache when unset")
    cache_prefix: str = Field("identra:", description="key prefix in Redis, to share a server")
    issuer: str = Field("http://localhost:8000", description="root organization's issuer URL")
    master_key: SecretStr | None = Field(
        None, description="base64url 32-byte key that encrypts secrets at rest; file when unset"
    )
    signing_alg: SigningAlg = Field("RS256", description="algorithm of the active signing key")
    key_rotation_days: int = Field(
        90,
        ge=0,
        le=3650,
        description="rotate the signing key when the active one is this many days old; 0: never",
    )
    migrate_on_start: bool = True
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    bootstrap_admin_username: str = "admin"
    bootstrap_admin_password: SecretStr | None = None
    tokens: TokenSettings = TokenSettings()
    http: HttpSettings = HttpSettings()

    @field_validator("issuer")
    @classmethod
    def _issuer_is_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")) or value.endswith("/"):
            raise ValueError("issuer must be an http(s) URL without a trailing slash")
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("database_url must use postgresql+asyncpg:// or sqlite+aiosqlite://")
        return value

    @model_validator(mode="after")
    def _check_redis(self) -> Settings:
        if self.redis_url is not None and not self.redis_url.startswith(
            ("redis://", "rediss://", "unix://")
        ):
            raise ValueError("redis_url must be a redis://, rediss:// or unix:// URL")
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'identra.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")


KNOWN_ENV = {f"IDENTRA_{name.upper()}" for name in Settings.model_fields}


def unknown_env_vars() -> list[str]:
    """IDENTRA_* variables that match no setting (nested ``__`` names count by their head)."""
    ignored = {"IDENTRA_TEST_DATABASE_URL", "IDENTRA_TEST_REDIS_URL", "IDENTRA_TEST_WORKERS"}
    out = []
    for key in os.environ:
        if not key.startswith("IDENTRA_") or key in ignored:
            continue
        head = key.split("__", 1)[0]
        if head not in KNOWN_ENV:
            out.append(key)
    return sorted(out)


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
