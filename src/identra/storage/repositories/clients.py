"""OAuth client records read from the applications table."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.protocols.oauth2.models import Client
from identra.storage.models import Application


def to_client(app: Application) -> Client:
    return Client(
        id=app.id,
        org_id=app.org_id,
        client_id=app.client_id,
        name=app.name,
        type=app.type,
        enabled=app.enabled,
        secret_digest=app.client_secret_digest,
        auth_method=app.token_endpoint_auth_method,
        grant_types=frozenset(app.grant_types),
        scopes=frozenset(app.scopes),
        audiences=tuple(app.audiences),
        redirect_uris=tuple(app.redirect_uris),
        pkce_required=app.pkce_required,
        access_token_format=app.access_token_format,
        access_token_ttl=app.access_token_ttl,
        jwks=app.jwks,
        jwks_uri=app.jwks_uri,
        secret_encrypted=(app.settings or {}).get("client_secret_encrypted"),
        dpop_bound_access_tokens=bool((app.settings or {}).get("dpop_bound_access_tokens")),
        require_pushed_authorization_requests=bool(
            (app.settings or {}).get("require_pushed_authorization_requests")
        ),
    )


class SqlClientStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def by_client_id(self, client_id: str) -> Client | None:
        async with self._sessions() as session:
            app = await session.scalar(
                select(Application).where(Application.client_id == client_id)
            )
            return None if app is None else to_client(app)
