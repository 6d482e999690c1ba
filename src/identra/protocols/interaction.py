"""The hand-off between a protocol request and the user interaction that completes it.

``/authorize`` validates a request, saves an :class:`Interaction` (JSON in the cache backend,
with a time-to-live) and sends the browser to the login flow or the consent page. Those pages
come back to the resume URL, which loads the interaction again and finishes the protocol's
answer. The record is typed JSON (never pickle), so it survives node restarts on a shared
cache and can be inspected.

An interaction is bound to the browser that started it (``browser``: a digest of the
browser-binding cookie): someone else's browser cannot resume it, which stops login CSRF and
session fixation through a leaked interaction URL.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from identra.cache.base import Cache
from identra.flows.interface import LoginResult

KEY_PREFIX = "ia:"


@dataclass
class Interaction:
    id: str
    kind: str  # "oidc.authorize" (SAML SSO and CIBA later)
    org_id: str
    client_id: str
    browser: str
    created_at: int
    expires_at: int
    request: dict[str, Any]  # the protocol's validated request, read only by that protocol
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    login: LoginResult | None = None  # a login completed during this interaction
    login_started: bool = False
    consent_given: list[str] | None = None  # scopes approved on the consent page

    def to_json(self) -> str:
        return json.dumps(
            {
                "v": 1,
                "id": self.id,
                "kind": self.kind,
                "org_id": self.org_id,
                "client_id": self.client_id,
                "browser": self.browser,
                "created_at": self.created_at,
                "expires_at": self.expires_at,
                "request": self.request,
                "csrf": self.csrf,
                "login": None if self.login is None else self.login.to_json(),
                "login_started": self.login_started,
                "consent_given": self.consent_given,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, raw: str) -> Interaction:
        data = json.loads(raw)
        if data.get("v") != 1:
            raise ValueError("unknown interaction record version")
        login = data.get("login")
        return cls(
            id=data["id"],
            kind=data["kind"],
            org_id=data["org_id"],
            client_id=data["client_id"],
            browser=data["browser"],
            created_at=int(data["created_at"]),
            expires_at=int(data["expires_at"]),
            request=dict(data["request"]),
            csrf=data["csrf"],
            login=None if login is None else LoginResult.from_json(login),
            login_started=bool(data.get("login_started")),
            consent_given=data.get("consent_given"),
        )


class InteractionStore:
    """Interactions in the cache backend, expiring on their own."""

    def __init__(self, cache: Cache, ttl: int = 1800) -> None:
        self._cache = cache
        self.ttl = ttl

    @staticmethod
    def new_id() -> str:
        return secrets.token_urlsafe(18)

    async def save(self, interaction: Interaction, now: int) -> None:
        remaining = max(1, interaction.expires_at - now)
        await self._cache.set(KEY_PREFIX + interaction.id, interaction.to_json(), ttl=remaining)

    async def get(self, interaction_id: str, now: int) -> Interaction | None:
        if not interaction_id or len(interaction_id) > 64:
            return None
        raw = await self._cache.get(KEY_PREFIX + interaction_id)
        if raw is None:
            return None
        try:
            interaction = Interaction.from_json(raw)
        except (ValueError, KeyError, TypeError):
            return None
        if interaction.expires_at <= now:
            return None
        return interaction

    async def delete(self, interaction_id: str) -> None:
        await self._cache.delete(KEY_PREFIX + interaction_id)
