"""Per-application settings the interactive OAuth code reads (``applications`` row).

``settings`` (JSON) holds ``skip_consent``, ``backchannel_logout_uri`` and
``backchannel_logout_session_required``; the rest are columns.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.protocols.oidc.storage import ClientSettings
from identra.storage.models import Application


def to_settings(app: Application) -> ClientSettings:
    extra = app.settings or {}
    uri = extra.get("backchannel_logout_uri")
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
    )


class SqlClientSettingsStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def settings(self, application_id: str) -> ClientSettings:
        async with self._sessions() as session:
            app = await session.get(Application, application_id)
        if app is None:
            return ClientSettings(application_id=application_id)
        return to_settings(app)

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
