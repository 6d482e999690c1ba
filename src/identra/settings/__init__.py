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


_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


class SmtpSettings(BaseModel):
    """Outbound email (one-time codes, sign-in links, account messages) through an SMTP relay.

    ``security``: ``starttls`` upgrades a plain connection (port 587), ``tls`` connects with TLS
    from the start (port 465), ``none`` sends in clear and is accepted with credentials only for
    a relay on loopback.
    """

    model_config = {"extra": "forbid", "frozen": True}

    host: str = Field(min_length=1, max_length=255, description="SMTP relay host name")
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = Field(None, max_length=255)
    password: SecretStr | None = None
    from_address: str = Field(
        min_length=3, max_length=320, description="envelope and From: address (no-reply@...)"
    )
    from_name: str = Field("Identra", max_length=100, description="display name in From:")
    timeout: float = Field(10.0, gt=0, le=120, description="seconds per SMTP operation")
    validate_certs: bool = True

    @field_validator("from_address")
    @classmethod
    def _plain_address(cls, value: str) -> str:
        local, at, domain = value.partition("@")
        if not at or not local or not domain or any(c.isspace() or c in '<>,"' for c in value):
            raise ValueError("from_address must be a plain address such as no-reply@example.com")
        return value

    @field_validator("from_name")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\r" in value or "\n" in value:
            raise ValueError("from_name must be one line")
        return value

    @model_validator(mode="after")
    def _credentials_need_encryption(self) -> SmtpSettings:
        if (self.username is None) != (self.password is None):
            raise ValueError("smtp username and password go together")
        if (
            self.password is not None
            and self.security == "none"
            and self.host.lower() not in _LOOPBACK_HOSTS
        ):
            raise ValueError("smtp credentials need security starttls or tls (or a loopback host)")
        return self


class SmsSettings(BaseModel):
    """Outbound SMS through an HTTP gateway (the wire format is in ``identra.notify.sms``)."""

    model_config = {"extra": "forbid", "frozen": True}

    provider: Literal["http"] = "http"
    base_url: str = Field(
        description="gateway base URL; messages are POSTed to {base_url}/messages"
    )
    api_key: SecretStr = Field(description="sent as a bearer token")
    sender_id: str = Field(
        "Identra", min_length=1, max_length=16, description="E.164 number or short alphanumeric id"
    )
    timeout: float = Field(10.0, gt=0, le=120, description="seconds for the whole request")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")) or any(c.isspace() for c in value):
            raise ValueError("sms base_url must be an http(s) URL")
        return value.rstrip("/")


class FlowAiSettings(BaseModel):
    """The optional LLM back end of the flow compiler (``identra flows generate``): any
    OpenAI-compatible chat-completions endpoint. Only the administrator's description and the
    names of configured building blocks are sent; unset, everything stays on this machine."""

    model_config = {"extra": "forbid", "frozen": True}

    base_url: str = Field(
        description="OpenAI-compatible API base; POSTs go to {base_url}/chat/completions"
    )
    model: str = Field(min_length=1, max_length=200, description="model name sent as 'model'")
    api_key: SecretStr | None = Field(None, description="sent as a bearer token when set")
    timeout: float = Field(30.0, gt=0, le=300, description="seconds for the whole request")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")) or any(c.isspace() for c in value):
            raise ValueError("flow_ai base_url must be an http(s) URL")
        return value.rstrip("/")


class PasswordHashSettings(BaseModel):
    """argon2id parameters for new password hashes. Unset: argon2-cffi's defaults (64 MiB,
    3 passes, 4 lanes). The lower bounds are OWASP's minimum for argon2id."""

    model_config = {"extra": "forbid", "frozen": True}

    time_cost: int = Field(3, ge=2, le=20, description="passes over the memory")
    memory_cost: int = Field(65536, ge=19456, le=4 * 1024 * 1024, description="KiB of memory")
    parallelism: int = Field(4, ge=1, le=16, description="lanes")


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
    audit_retention_days: int = Field(
        0,
        ge=0,
        le=36500,
        description="delete audit events older than this many days; 0: keep them all",
    )
    migrate_on_start: bool = True
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    bootstrap_admin_username: str = "admin"
    bootstrap_admin_password: SecretStr | None = None
    tokens: TokenSettings = TokenSettings()
    password_hash: PasswordHashSettings | None = None
    http: HttpSettings = HttpSettings()
    smtp: SmtpSettings | None = Field(None, description="outbound email; email options need it")
    sms: SmsSettings | None = Field(None, description="outbound SMS; the sms-otp option needs it")
    flow_ai: FlowAiSettings | None = Field(
        None, description="optional LLM back end of 'flows generate'; unset: rules only"
    )

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
