"""OAuth client records read from the applications table, cached per node.

The token endpoint looks a client up on every request, so records are kept in memory; a change
to an application invalidates its record on every node (``identra.cache.invalidation``), and
entries also expire after ``ttl`` seconds as a safety net for changes made by another process
on the embedded single-node setup.
"""

from __future__ import annotations

import time

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
        token_rate_limit=_positive((app.settings or {}).get("token_rate_limit")),
    )


def _positive(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


class SqlClientStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], ttl: float = 30.0) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._cache: dict[str, tuple[Client | None, float]] = {}

    async def by_client_id(self, client_id: str) -> Client | None:
        hit = self._cache.get(client_id)
        now = time.monotonic()
        if hit is not None and hit[1] > now:
            return hit[0]
        async with self._sessions() as session:
            app = await session.scalar(
                select(Application).where(Application.client_id == client_id)
            )
        client = None if app is None else to_client(app)
        if client is not None or len(self._cache) < 100_000:
            # Unknown ids are remembered too (bounded), so a flood of bogus ids stays cheap.
            self._cache[client_id] = (client, now + self._ttl)
        return client

    def invalidate(self, client_id: str) -> None:
        self._cache.pop(client_id, None)
