"""Applications (OAuth clients): presets per type, redirect-URI rules, one-time secrets.

OIDC options kept in ``settings`` (decision 0027): ``subject_type`` (``public`` | ``pairwise``),
``sector_identifier_uri`` (fetched when set: a JSON array that must list every redirect URI)
and ``id_token_signed_response_alg`` (an algorithm the deployment has an active key for).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from identra.crypto.secretbox import SecretBox
from identra.errors import Conflict, InvalidInput, NotFound
from identra.observability import audit
from identra.protocols.oidc.id_token import DEFAULT_ID_TOKEN_ALG, SIGNING_ALGS
from identra.protocols.oidc.subjects import (
    PUBLIC,
    SUBJECT_TYPES,
    SectorError,
    SectorFetcher,
    check_subject_settings,
    fetch_sector_document,
)
from identra.storage.models import Application, Organization, SigningKey
from identra.storage.types import new_client_id

APP_TYPES = ("web", "spa", "native", "m2m")
# RFC 6749 §3.3 scope-token: printable ASCII except space, double quote and backslash.
SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]{1,128}$")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")


@dataclass(frozen=True)
class Preset:
    auth_method: str
    grant_types: tuple[str, ...]
    response_types: tuple[str, ...]
    needs_redirect: bool


PRESETS = {
    "web": Preset("client_secret_basic", ("authorization_code", "refresh_token"), ("code",), True),
    "spa": Preset("none", ("authorization_code", "refresh_token"), ("code",), True),
    "native": Preset("none", ("authorization_code", "refresh_token"), ("code",), True),
    "m2m": Preset("client_secret_basic", ("client_credentials",), (), False),
}


@dataclass
class NewApp:
    name: str
    type: str
    description: str = ""
    redirect_uris: list[str] = field(default_factory=list)
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    scopes: list[str] = field(default_factory=list)
    audiences: list[str] = field(default_factory=list)
    grant_types: list[str] | None = None
    access_token_format: str = "jwt"
    access_token_ttl: int | None = None
    refresh_token_ttl: int | None = None
    pkce_required: bool = True
    # Options kept in ``applications.settings`` (skip_consent, back-channel logout...).
    settings: dict[str, Any] = field(default_factory=dict)


def check_redirect_uri(uri: str, app_type: str, field_name: str = "redirect_uris") -> None:
    """Absolute, no fragment (RFC 6749 §3.1.2); HTTPS except loopback; custom schemes for native."""
    parts = urlsplit(uri)
    if not parts.scheme or parts.fragment or "#" in uri:
        raise InvalidInput(f"{uri!r} must be an absolute URI without a fragment", field_name)
    if any(c.isspace() for c in uri) or len(uri) > 2000:
        raise InvalidInput(f"{uri!r} is not a valid redirect URI", field_name)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        if not parts.hostname:
            raise InvalidInput(f"{uri!r} has no host", field_name)
        if scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
            raise InvalidInput(f"{uri!r} must use https (http only for loopback)", field_name)
        return
    if app_type != "native" or scheme in ("javascript", "data", "file", "vbscript"):
        raise InvalidInput(f"{uri!r} uses a scheme not allowed for {app_type} apps", field_name)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


async def get(session: AsyncSession, org: Organization, app_id: str) -> Application:
    app = await session.scalar(
        select(Application).where(Application.id == app_id, Application.org_id == org.id)
    )
    if app is None:
        raise NotFound("application")
    return app


def _validate(new: NewApp) -> Preset:
    if new.type not in PRESETS:
        raise InvalidInput(f"type must be one of {', '.join(APP_TYPES)}", "type")
    preset = PRESETS[new.type]
    if preset.needs_redirect and not new.redirect_uris:
        raise InvalidInput(
            f"{new.type} applications need at least one redirect URI", "redirect_uris"
        )
    if not preset.needs_redirect and new.redirect_uris:
        raise InvalidInput("machine-to-machine applications have no redirect URIs", "redirect_uris")
    for uri in new.redirect_uris:
        check_redirect_uri(uri, new.type)
    for uri in new.post_logout_redirect_uris:
        check_redirect_uri(uri, new.type, "post_logout_redirect_uris")
    logout_uri = new.settings.get("backchannel_logout_uri")
    if logout_uri:
        # A server-to-server endpoint: https (http only on loopback), never a custom scheme.
        check_redirect_uri(logout_uri, "web", "backchannel_logout_uri")
    for scope in new.scopes:
        if not SCOPE_TOKEN.match(scope):
            raise InvalidInput(f"{scope!r} is not a valid scope", "scopes")
    if new.access_token_format not in ("jwt", "opaque"):
        raise InvalidInput("access_token_format must be jwt or opaque", "access_token_format")
    if new.grant_types is not None:
        allowed = set(preset.grant_types) | {
            "urn:ietf:params:oauth:grant-type:token-exchange",
            "urn:ietf:params:oauth:grant-type:device_code",
            "password",
        }
        if preset.auth_method != "none":
            allowed.add("client_credentials")
        bad = [g for g in new.grant_types if g not in allowed]
        if bad or not new.grant_types:
            raise InvalidInput(f"grant types not allowed for {new.type}: {bad}", "grant_types")
    return preset


async def active_signing_algs(session: AsyncSession) -> list[str]:
    """Algorithms the deployment has an active signing key for (any node's keyring loads
    these), in the order of :data:`SIGNING_ALGS`."""
    rows = await session.scalars(
        select(SigningKey.alg)
        .where(SigningKey.org_id.is_(None), SigningKey.status == "active")
        .distinct()
    )
    found = set(rows)
    return [alg for alg in SIGNING_ALGS if alg in found]


async def check_oidc_options(
    session: AsyncSession,
    redirect_uris: list[str],
    settings: dict[str, Any],
    fetch: SectorFetcher = fetch_sector_document,
) -> None:
    """The OIDC options of ``settings`` against the application's redirect URIs (OIDC
    Registration §2, §5): a bad value is :class:`InvalidInput` naming the field. A
    ``sector_identifier_uri`` is fetched (https; http on loopback for development)."""
    subject_type = settings.get("subject_type") or PUBLIC
    if subject_type not in SUBJECT_TYPES:
        raise InvalidInput("subject_type must be public or pairwise", "subject_type")
    sector_uri = settings.get("sector_identifier_uri")
    if sector_uri is not None and (not isinstance(sector_uri, str) or not sector_uri):
        raise InvalidInput("sector_identifier_uri must be a URL", "sector_identifier_uri")
    try:
        await check_subject_settings(
            subject_type=subject_type,
            sector_identifier_uri=sector_uri,
            redirect_uris=redirect_uris,
            allow_loopback_http=True,
            fetch=fetch,
        )
    except SectorError as exc:
        name = "sector_identifier_uri" if sector_uri else "subject_type"
        raise InvalidInput(str(exc), name) from exc
    alg = settings.get("id_token_signed_response_alg")
    if alg is not None and alg != DEFAULT_ID_TOKEN_ALG:
        active = await active_signing_algs(session)
        if alg not in active:
            raise InvalidInput(
                f"id_token_signed_response_alg must be one of {', '.join(active)}",
                "id_token_signed_response_alg",
            )


async def create(
    session: AsyncSession, org: Organization, new: NewApp, actor: audit.Actor, box: SecretBox
) -> tuple[Application, str | None]:
    """Create an application; returns it and its client secret (shown this once, or None)."""
    preset = _validate(new)
    await check_oidc_options(session, new.redirect_uris, new.settings)
    taken = await session.scalar(
        select(Application.id).where(Application.org_id == org.id, Application.name == new.name)
    )
    if taken is not None:
        raise Conflict(f"an application named {new.name} exists")
    secret = new_secret() if preset.auth_method != "none" else None
    app = Application(
        org_id=org.id,
        name=new.name,
        description=new.description,
        type=new.type,
        protocol="oidc",
        client_id=new_client_id(),
        client_secret_digest=box.digest(secret) if secret else None,
        token_endpoint_auth_method=preset.auth_method,
        redirect_uris=list(dict.fromkeys(new.redirect_uris)),
        post_logout_redirect_uris=list(dict.fromkeys(new.post_logout_redirect_uris)),
        grant_types=list(new.grant_types or preset.grant_types),
        response_types=list(preset.response_types),
        scopes=list(dict.fromkeys(new.scopes)),
        audiences=list(dict.fromkeys(new.audiences)),
        # Public clients always need PKCE; confidential ones follow the setting.
        pkce_required=True if preset.auth_method == "none" else new.pkce_required,
        access_token_format=new.access_token_format,
        access_token_ttl=new.access_token_ttl,
        refresh_token_ttl=new.refresh_token_ttl,
        settings=dict(new.settings),
    )
    session.add(app)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"an application named {new.name} exists") from exc
    audit.record(
        session,
        org_id=org.id,
        action="application.create",
        actor=actor,
        target_type="application",
        target_id=app.id,
        details={"name": app.name, "type": app.type, "client_id": app.client_id},
    )
    return app, secret


async def regenerate_secret(
    session: AsyncSession, org: Organization, app: Application, actor: audit.Actor, box: SecretBox
) -> str:
    if app.token_endpoint_auth_method == "none":
        raise InvalidInput("public applications have no client secret")
    secret = new_secret()
    app.client_secret_digest = box.digest(secret)
    app.version += 1
    audit.record(
        session,
        org_id=org.id,
        action="application.secret.regenerate",
        actor=actor,
        target_type="application",
        target_id=app.id,
    )
    await session.flush()
    return secret


async def delete(
    session: AsyncSession, org: Organization, app: Application, actor: audit.Actor
) -> None:
    await session.delete(app)
    audit.record(
        session,
        org_id=org.id,
        action="application.delete",
        actor=actor,
        target_type="application",
        target_id=app.id,
        details={"name": app.name},
    )
    await session.flush()
