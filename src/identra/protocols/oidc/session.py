"""The SSO session: who is logged in at an organization in this browser (OIDC Core §3.1.2.3).

The browser holds a random cookie value; the cache backend holds the session under a keyed
digest of that value (a dump of the cache yields no usable cookie), and a durable row in
``user_sessions`` records it for auditing and for My Account. ``sid`` (OIDC Front/Back-Channel
Logout §2) is the row's id: public, and distinct from the cookie value.

The session remembers which clients received tokens in it, so that logging out can notify
them (OIDC Back-Channel Logout 1.0 §2.5).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from identra.cache.base import Cache
from identra.flows.interface import LoginResult
from identra.protocols.oidc.storage import SessionRecords

_KEY = "sso:"
_BY_SID = "sso-sid:"


@dataclass
class SsoSession:
    id: str  # sid
    org_id: str
    user_id: str
    auth_time: int
    created_at: int
    expires_at: int
    amr: list[str] = field(default_factory=list)
    acr: str | None = None
    clients: list[str] = field(default_factory=list)  # client_ids given tokens

    def to_json(self) -> str:
        return json.dumps({"v": 1, **asdict(self)}, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> SsoSession:
        data: dict[str, Any] = json.loads(raw)
        if data.pop("v", None) != 1:
            raise ValueError("unknown session record version")
        return cls(**data)


@dataclass(frozen=True)
class SessionPolicy:
    ttl: int = 24 * 3600  # absolute lifetime of an SSO session, seconds


class SessionManager:
    def __init__(
        self,
        cache: Cache,
        records: SessionRecords,
        digest: Callable[[str], str],
        policy: SessionPolicy | None = None,
    ) -> None:
        self._cache = cache
        self._records = records
        self._digest = digest
        self.policy = policy or SessionPolicy()

    @property
    def digest(self) -> Callable[[str], str]:
        """The deployment's keyed digest (pairwise subjects derive their key from it)."""
        return self._digest

    def _key(self, cookie: str) -> str:
        return _KEY + self._digest("sso:" + cookie)

    async def load(self, cookie: str | None, org_id: str, now: int) -> SsoSession | None:
        if not cookie or len(cookie) > 128:
            return None
        raw = await self._cache.get(self._key(cookie))
        if raw is None:
            return None
        try:
            session = SsoSession.from_json(raw)
        except (ValueError, TypeError, KeyError):
            return None
        if session.org_id != org_id or session.expires_at <= now:
            return None
        return session

    async def create(
        self,
        org_id: str,
        login: LoginResult,
        now: int,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> tuple[str, SsoSession]:
        """Start a new session (always a new cookie value: no session fixation)."""
        cookie = secrets.token_urlsafe(32)
        session = SsoSession(
            id=secrets.token_urlsafe(18),
            org_id=org_id,
            user_id=login.user_id,
            auth_time=login.auth_time,
            created_at=now,
            expires_at=now + self.policy.ttl,
            amr=list(login.amr),
            acr=login.acr,
        )
        await self._records.started(session, ip, user_agent)
        await self._store(cookie, session, now)
        return cookie, session

    async def reauthenticate(self, session: SsoSession, login: LoginResult, now: int) -> str:
        """The same user logged in again: same ``sid``, fresh facts, a new cookie value."""
        old_key = await self._cache.take(_BY_SID + session.id)
        if old_key is not None:
            await self._cache.delete(old_key)
        session.auth_time = login.auth_time
        session.amr = list(login.amr)
        session.acr = login.acr
        session.expires_at = now + self.policy.ttl
        cookie = secrets.token_urlsafe(32)
        await self._store(cookie, session, now)
        return cookie

    async def _store(self, cookie: str, session: SsoSession, now: int) -> None:
        ttl = max(1, session.expires_at - now)
        key = self._key(cookie)
        await self._cache.set(key, session.to_json(), ttl=ttl)
        await self._cache.set(_BY_SID + session.id, key, ttl=ttl)

    async def add_client(self, cookie: str, session: SsoSession, client_id: str, now: int) -> None:
        if client_id in session.clients:
            return
        session.clients.append(client_id)
        await self._store(cookie, session, now)

    async def by_sid(self, sid: str, now: int) -> SsoSession | None:
        key = await self._cache.get(_BY_SID + sid)
        if key is None:
            return None
        raw = await self._cache.get(key)
        if raw is None:
            return None
        session = SsoSession.from_json(raw)
        return session if session.expires_at > now else None

    async def end(self, session: SsoSession, now: int) -> None:
        """Forget the session everywhere; the cookie value becomes worthless."""
        key = await self._cache.take(_BY_SID + session.id)
        if key is not None:
            await self._cache.delete(key)
        await self._records.ended(session.org_id, session.id, now)
