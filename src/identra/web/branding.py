"""Each node's copy of the organizations' themes, for the hosted pages.

Pages find their organization from the request path (``/o/{org}/...``, else the root) when they
are sent (``identra.web.login.pages.HostedPage``), so no handler passes a theme around. A change
to a theme or an organization, on any node, empties the copy (configuration events).
"""

from __future__ import annotations

import logging

from identra.branding.theme import Theme, ThemeInvalid, parse
from identra.services import Services
from identra.storage.repositories import branding, orgs

log = logging.getLogger(__name__)
ROOT = ""


class Themes:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._by_handle: dict[str, Theme | None] = {}
        services.events.on("branding", self.forget)
        services.events.on("org", self.forget)

    def forget(self, _key: str = "") -> None:
        self._by_handle.clear()

    async def for_handle(self, handle: str | None) -> Theme | None:
        key = handle or ROOT
        if key in self._by_handle:
            return self._by_handle[key]
        async with self._services.sessions() as session:
            org = await (orgs.root(session) if handle is None else orgs.by_handle(session, handle))
            row = None if org is None else await branding.org_row(session, org.id)
        theme: Theme | None = None
        if row is not None:
            try:
                theme = parse(row.config)
            except ThemeInvalid:
                # Stored before a stricter rule: the page keeps the default look.
                log.warning("ignoring an invalid stored theme", extra={"org": key})
        if len(self._by_handle) < 10_000:
            self._by_handle[key] = theme
        return theme
