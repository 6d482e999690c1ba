"""Per-application settings the interactive OAuth code reads (``applications`` row).

``settings`` (JSON) holds ``skip_consent``, ``backchannel_logout_uri``,
``backchannel_logout_session_required``, and the OIDC options ``subject_type``,
``sector_identifier_uri`` and ``id_token_signed_response_alg``; the rest are columns. A
dynamically registered client (RFC 7591) keeps its metadata in ``settings["registration"]``;
the OIDC options are read from there when not set at the top level (the management API's
value wins).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.protocols.oidc.storage import ClientSettings
from identra.protocols.oidc.subjects import PAIRWISE, PUBLIC, SectorError, sector_of
from identra.storage.models import Application

OIDC_OPTIONS = ("subject_type", "sector_identifier_uri", "id_token_signed_response_alg")


def oidc_option(settings: dict[str, Any] | None, name: str) -> Any:
    """An OIDC option of the application: its own setting, else its registered metadata."""
    extra = settings or {}
    if extra.get(name) is not None:
        return extra[name]
    registered = extra.get("registration")
    return registered.get(name) if isinstance(registered, dict) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def to_settings(app: Application) -> ClientSettings:
    extra = app.settings or {}
    uri = extra.get("backchannel_logout_uri")
    subject_type = PAIRWISE if oidc_option(extra, "subject_type") == PAIRWISE else PUBLIC
    sector: str | None = None
    problem: str | None = None
    if subject_type == PAIRWISE:
        try:
            sector = sector_of(
                _text(oidc_option(extra, "sector_identifier_uri")), app.redirect_uris or ()
            )
        except SectorError as exc:
            problem = str(exc)
    return ClientSettings(
        application_id=app.id,
        post_logout_redirect_uris=tuple(app.post_logout_redirect_uris or ()),
        skip_consent=bool(extra.get("skip_consent", False)),
        backchannel_logout_uri=uri if isinstance(uri, str) and uri else None,
        backchannel_logout_session_required=bool(
            extra.get("backchannel_logout_session_required", True)
        ),
        refresh_token_ttl=app.refresh_token_ttl,
        id_token_ttl=app.id_token_ttl,
        subject_type=subject_type,
        sector=sector,
        sector_problem=problem,
        id_token_signed_response_alg=_text(oidc_option(extra, "id_token_signed_response_alg")),
    )


class SqlClientSettingsStore:
    """Read on every token response, so kept per node like the client records
    (``clients.SqlClientStore``): dropped on any application change on any node, and after
    ``ttl`` seconds as a safety net for changes made by another process."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], ttl: float = 30.0) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._cache: dict[str, tuple[ClientSettings, float]] = {}

    async def settings(self, application_id: str) -> ClientSettings:
        now = time.monotonic()
        hit = self._cache.get(application_id)
        if hit is not None and hit[1] > now:
            return hit[0]
        async with self._sessions() as session:
            app = await session.get(Application, application_id)
        if app is None:
            return ClientSettings(application_id=application_id)
        found = to_settings(app)
        if len(self._cache) < 100_000:
            self._cache[application_id] = (found, now + self._ttl)
        return found

    def invalidate(self, _client_id: str = "") -> None:
        # Events name the client_id, the cache is keyed by row id; changes are rare.
        self._cache.clear()

    async def by_ids(self, org_id: str, client_ids: list[str]) -> dict[str, ClientSettings]:
        if not client_ids:
            return {}
        async with self._sessions() as session:
            apps = await session.scalars(
                select(Application).where(
                    Application.org_id == org_id, Application.client_id.in_(client_ids)
                )
            )
            return {app.client_id: to_settings(app) for app in apps}
