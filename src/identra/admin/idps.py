"""Upstream identity providers an organization trusts (generic OIDC, Google).

The client secret at the upstream provider is write-only: encrypted with the master key (bound
to the provider's id), never returned, never audited. Endpoints are validated https URLs.

Besides the endpoints, a configuration says how federated login treats the provider
(``identra.authenticators.federated``, docs/authenticators/federation.md):
``link_by_email`` (default on) links an upstream account to the local user with the same
*verified* email, and ``token_endpoint_auth_method`` is ``client_secret_basic`` (default) or
``client_secret_post``. Google's issuer is fixed, except that a loopback ``http`` issuer is
accepted so that tests and local development can stand in for Google.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.admin.common import (
    LOOPBACK_HOSTS,
    check_changes,
    check_http_url,
    flush_or_conflict,
)
from identra.crypto.secretbox import SecretBox
from identra.errors import Conflict, InvalidInput, NotFound
from identra.observability import audit
from identra.storage.models import IdentityProvider, Organization
from identra.storage.types import new_id

KINDS = ("oidc", "google")
GOOGLE_ISSUER = "https://accounts.google.com"
URL_FIELDS = (
    "issuer",
    "discovery_url",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
)
CONFIG_FIELDS = (
    *URL_FIELDS,
    "client_id",
    "scopes",
    "link_by_email",
    "token_endpoint_auth_method",
)
TOKEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
FIELDS = ("name", "enabled", "jit_provisioning", "config", "client_secret")
NULLABLE = ("client_secret",)
DEFAULT_SCOPES = ["openid", "email", "profile"]


@dataclass
class NewIdp:
    name: str
    kind: str
    config: dict[str, Any] = field(default_factory=dict)
    client_secret: str | None = None
    enabled: bool = True
    jit_provisioning: bool = True


def secret_context(idp_id: str) -> str:
    return f"idp-client-secret:{idp_id}"


def normalize_config(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    """Validate a provider configuration for ``kind``; the stored form (no empty keys)."""
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", "kind")
    unknown = sorted(set(config) - set(CONFIG_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown configuration field {unknown[0]}", f"config/{unknown[0]}")
    clean: dict[str, Any] = {k: v for k, v in config.items() if v is not None}
    for name in URL_FIELDS:
        if name in clean:
            check_http_url(str(clean[name]), f"config/{name}")
    client_id = clean.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise InvalidInput("client_id is required", "config/client_id")
    scopes = clean.get("scopes") or list(DEFAULT_SCOPES)
    clean["scopes"] = list(dict.fromkeys(scopes))
    link = clean.setdefault("link_by_email", True)
    if not isinstance(link, bool):
        raise InvalidInput("link_by_email must be true or false", "config/link_by_email")
    method = clean.setdefault("token_endpoint_auth_method", TOKEN_AUTH_METHODS[0])
    if method not in TOKEN_AUTH_METHODS:
        raise InvalidInput(
            f"token_endpoint_auth_method must be one of {', '.join(TOKEN_AUTH_METHODS)}",
            "config/token_endpoint_auth_method",
        )
    if kind == "google":
        issuer = clean.setdefault("issuer", GOOGLE_ISSUER)
        if issuer != GOOGLE_ISSUER and not _loopback(str(issuer)):
            raise InvalidInput(f"Google's issuer is {GOOGLE_ISSUER}", "config/issuer")
    elif not (
        "issuer" in clean
        or "discovery_url" in clean
        or ("authorization_endpoint" in clean and "token_endpoint" in clean)
    ):
        raise InvalidInput(
            "an OIDC provider needs an issuer, a discovery_url, or both the authorization "
            "and token endpoints",
            "config",
        )
    return clean


def _loopback(url: str) -> bool:
    """A plain-http loopback URL: a stand-in provider for tests and local development."""
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


async def get(session: AsyncSession, org: Organization, idp_id: str) -> IdentityProvider:
    idp = await session.scalar(
        select(IdentityProvider).where(
            IdentityProvider.id == idp_id, IdentityProvider.org_id == org.id
        )
    )
    if idp is None:
        raise NotFound("identity provider")
    return idp


async def _name_taken(session: AsyncSession, org: Organization, name: str) -> bool:
    found = await session.scalar(
        select(IdentityProvider.id).where(
            IdentityProvider.org_id == org.id, IdentityProvider.name == name
        )
    )
    return found is not None


async def create(
    session: AsyncSession, org: Organization, new: NewIdp, actor: audit.Actor, box: SecretBox
) -> IdentityProvider:
    config = normalize_config(new.kind, new.config)
    conflict = f"an identity provider named {new.name} exists"
    if await _name_taken(session, org, new.name):
        raise Conflict(conflict)
    idp_id = new_id()
    idp = IdentityProvider(
        id=idp_id,
        org_id=org.id,
        name=new.name,
        kind=new.kind,
        enabled=new.enabled,
        jit_provisioning=new.jit_provisioning,
        config=config,
        secret_encrypted=(
            box.encrypt(new.client_secret, context=secret_context(idp_id))
            if new.client_secret
            else None
        ),
    )
    session.add(idp)
    await flush_or_conflict(session, conflict)
    audit.record(
        session,
        org_id=org.id,
        action="idp.create",
        actor=actor,
        target_type="idp",
        target_id=idp.id,
        details={
            "name": idp.name,
            "kind": idp.kind,
            "secret_configured": idp.secret_encrypted is not None,
        },
    )
    return idp


async def update(
    session: AsyncSession,
    org: Organization,
    idp: IdentityProvider,
    changes: dict[str, Any],
    actor: audit.Actor,
    box: SecretBox,
) -> IdentityProvider:
    """Apply a partial change; ``config``, when given, replaces the whole configuration."""
    check_changes(changes, NULLABLE)
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"{unknown[0]} cannot be changed", unknown[0])
    conflict = f"an identity provider named {changes.get('name')} exists"
    if "name" in changes and changes["name"] != idp.name:
        if await _name_taken(session, org, changes["name"]):
            raise Conflict(conflict)
    if "config" in changes:
        idp.config = normalize_config(idp.kind, changes["config"])
    if "client_secret" in changes:
        secret = changes["client_secret"]
        idp.secret_encrypted = (
            box.encrypt(secret, context=secret_context(idp.id)) if secret else None
        )
    for name in ("name", "enabled", "jit_provisioning"):
        if name in changes:
            setattr(idp, name, changes[name])
    idp.version += 1
    await flush_or_conflict(session, conflict)
    audit.record(
        session,
        org_id=org.id,
        action="idp.update",
        actor=actor,
        target_type="idp",
        target_id=idp.id,
        # Field names only: the secret's value never reaches the log.
        details={"fields": sorted(changes)},
    )
    return idp


async def delete(
    session: AsyncSession, org: Organization, idp: IdentityProvider, actor: audit.Actor
) -> None:
    audit.record(
        session,
        org_id=org.id,
        action="idp.delete",
        actor=actor,
        target_type="idp",
        target_id=idp.id,
        details={"name": idp.name},
    )
    await session.delete(idp)
    await session.flush()


def client_secret(idp: IdentityProvider, box: SecretBox) -> str | None:
    """The decrypted client secret, for the federation code that talks to the provider."""
    if idp.secret_encrypted is None:
        return None
    return box.decrypt(idp.secret_encrypted, context=secret_context(idp.id))
