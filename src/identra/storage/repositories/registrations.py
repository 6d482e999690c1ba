"""Dynamically registered clients (RFC 7591/7592) as ``applications`` rows.

The registered metadata is kept as sent-and-validated in ``settings["registration"]`` so that
RFC 7592 reads return it unchanged; the columns the token endpoint reads (auth method, grant
types, redirect URIs, keys, scopes) are set from it. Secrets are stored as keyed digests; a
``client_secret_jwt`` client's secret is also kept encrypted (it is the HMAC key). The
registration access token is stored as a keyed digest. Every write is audited.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.crypto.secretbox import SecretBox
from identra.observability import audit
from identra.protocols.oauth2.endpoints.registration import ClientMetadata, RegisteredClient
from identra.storage.models import Application, Organization
from identra.storage.types import new_client_id, new_id

ENABLED = "dynamic_client_registration"
EXTRA_SCOPES = "dynamic_client_registration_scopes"


def _registered(app: Application) -> RegisteredClient | None:
    settings = app.settings or {}
    stored = settings.get("registration")
    if not isinstance(stored, dict):
        return None
    return RegisteredClient(
        client_id=app.client_id,
        application_id=app.id,
        metadata=ClientMetadata(**stored),
        issued_at=int(app.created_at.timestamp()),
        registration_token_digest=settings.get("registration_access_token_digest"),
        secret_digest=app.client_secret_digest,
        secret_encrypted="client_secret_encrypted" in settings,
    )


class SqlRegistrations:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], box: SecretBox) -> None:
        self._sessions = sessions
        self._box = box

    async def enabled(self, org_id: str) -> tuple[bool, list[str]]:
        async with self._sessions() as session:
            org = await session.get(Organization, org_id)
        settings = (org.settings or {}) if org is not None else {}
        extra = settings.get(EXTRA_SCOPES) or []
        scopes = [s for s in extra if isinstance(s, str)] if isinstance(extra, list) else []
        return settings.get(ENABLED) is True, scopes

    def _apply(self, app: Application, metadata: ClientMetadata, secret: str | None) -> None:
        settings: dict[str, Any] = dict(app.settings or {})
        settings["registration"] = _stored(metadata)
        settings["dpop_bound_access_tokens"] = metadata.dpop_bound_access_tokens
        settings["require_pushed_authorization_requests"] = (
            metadata.require_pushed_authorization_requests
        )
        method = metadata.token_endpoint_auth_method
        if secret is not None:
            app.client_secret_digest = self._box.digest(secret)
            if method == "client_secret_jwt":
                settings["client_secret_encrypted"] = self._box.encrypt(
                    secret, context=f"client-secret:{app.id}"
                )
        if method != "client_secret_jwt":
            settings.pop("client_secret_encrypted", None)
        if method in ("none", "private_key_jwt"):
            app.client_secret_digest = None
        app.type = metadata.app_type
        app.token_endpoint_auth_method = method
        app.redirect_uris = list(metadata.redirect_uris)
        app.post_logout_redirect_uris = list(metadata.post_logout_redirect_uris)
        app.grant_types = list(metadata.grant_types)
        app.response_types = list(metadata.response_types)
        app.scopes = list(metadata.scope)
        app.jwks = metadata.jwks
        app.jwks_uri = metadata.jwks_uri
        app.settings = settings

    async def _name(self, session: AsyncSession, org_id: str, wanted: str, app_id: str) -> str:
        taken = await session.scalar(
            select(Application.id).where(
                Application.org_id == org_id, Application.name == wanted, Application.id != app_id
            )
        )
        return wanted if taken is None else f"{wanted[:180]} ({app_id[:8]})"

    async def create(
        self,
        org_id: str,
        metadata: ClientMetadata,
        *,
        secret: str | None,
        registration_token_digest: str,
        ip: str | None,
    ) -> RegisteredClient:
        async with self._sessions.begin() as session:
            app_id = new_id()
            app = Application(
                id=app_id,
                org_id=org_id,
                name=await self._name(session, org_id, metadata.client_name, app_id),
                description="Registered dynamically (RFC 7591)",
                protocol="oidc",
                client_id=new_client_id(),
                audiences=[],
                pkce_required=True,
                access_token_format="jwt",
                settings={"registration_access_token_digest": registration_token_digest},
            )
            self._apply(app, metadata, secret)
            session.add(app)
            await session.flush()
            audit.record(
                session,
                org_id=org_id,
                action="application.register",
                actor=audit.Actor("application", app.id, ip),
                target_type="application",
                target_id=app.id,
                details={"name": app.name, "client_id": app.client_id, "type": app.type},
            )
            registered = _registered(app)
        assert registered is not None
        return registered

    async def _find(self, session: AsyncSession, org_id: str, client_id: str) -> Application:
        app = await session.scalar(
            select(Application).where(
                Application.org_id == org_id, Application.client_id == client_id
            )
        )
        if app is None:
            raise LookupError(client_id)
        return app

    async def get(self, org_id: str, client_id: str) -> RegisteredClient | None:
        async with self._sessions() as session:
            app = await session.scalar(
                select(Application).where(
                    Application.org_id == org_id, Application.client_id == client_id
                )
            )
        return None if app is None else _registered(app)

    async def update(
        self, org_id: str, client_id: str, metadata: ClientMetadata, *, secret: str | None
    ) -> RegisteredClient:
        async with self._sessions.begin() as session:
            app = await self._find(session, org_id, client_id)
            app.name = await self._name(session, org_id, metadata.client_name, app.id)
            self._apply(app, metadata, secret)
            app.version += 1
            audit.record(
                session,
                org_id=org_id,
                action="application.update",
                actor=audit.Actor("application", app.id),
                target_type="application",
                target_id=app.id,
                details={"via": "client configuration endpoint", "new_secret": secret is not None},
            )
            registered = _registered(app)
        assert registered is not None
        return registered

    async def delete(self, org_id: str, client_id: str) -> None:
        async with self._sessions.begin() as session:
            app = await self._find(session, org_id, client_id)
            await session.delete(app)
            audit.record(
                session,
                org_id=org_id,
                action="application.delete",
                actor=audit.Actor("application", app.id),
                target_type="application",
                target_id=app.id,
                details={"name": app.name, "via": "client configuration endpoint"},
            )


def _stored(metadata: ClientMetadata) -> dict[str, Any]:
    return asdict(metadata)
