"""Authorization codes (RFC 6749 §4.1.2, §10.5; RFC 9700 §4.2.4).

- A code is 256 random bits, stored in the cache backend under a keyed digest (never in
  clear), with a short lifetime (``tokens.authorization_code_ttl``).
- Single use: redemption is an atomic take. After a successful redemption a marker remembers
  which grant the code produced; presenting the code again fails **and** revokes the tokens
  issued from it (§4.1.2: "the authorization server SHOULD revoke ... all tokens previously
  issued based on that authorization code"). Two concurrent redemptions cannot both succeed;
  the loser flags the code as replayed, and the winner revokes what it just issued.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from identra.cache.base import Cache

_CODE = "code:"
_USED = "code-used:"
_REPLAYED = "code-replayed:"


@dataclass(frozen=True)
class CodeRecord:
    org_id: str
    client_id: str
    application_id: str
    redirect_uri: str
    redirect_uri_sent: bool  # whether the authorization request carried redirect_uri
    user_id: str
    scopes: list[str]
    issued_at: int
    expires_at: int
    auth_time: int
    session_id: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    acr: str | None = None
    amr: list[str] = field(default_factory=list)
    claims: dict[str, Any] = field(default_factory=dict)
    dpop_jkt: str | None = None  # RFC 9449 §10

    def to_json(self) -> str:
        return json.dumps({"v": 1, **asdict(self)}, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> CodeRecord:
        data: dict[str, Any] = json.loads(raw)
        if data.pop("v", None) != 1:
            raise ValueError("unknown code record version")
        return cls(**data)


@dataclass(frozen=True)
class UsedCode:
    grant_id: str | None
    jti: str | None = None
    expires_at: int | None = None  # of the access token


class CodeStore:
    def __init__(self, cache: Cache, digest: Callable[[str], str]) -> None:
        self._cache = cache
        self._digest = digest

    def _id(self, code: str) -> str:
        return self._digest("code:" + code)

    async def issue(self, record: CodeRecord, ttl: int) -> str:
        code = secrets.token_urlsafe(32)
        await self._cache.set(_CODE + self._id(code), record.to_json(), ttl=ttl + 5)
        return code

    async def redeem(self, code: str, ttl: int) -> CodeRecord | None:
        """Take the code (it can never be redeemed again, whatever happens next)."""
        if not code or len(code) > 256:
            return None
        key = self._id(code)
        raw = await self._cache.take(_CODE + key)
        if raw is None:
            return None
        # "In flight" until mark_used says which grant it produced.
        await self._cache.set(_USED + key, json.dumps({"grant_id": None}), ttl=max(60, ttl))
        try:
            return CodeRecord.from_json(raw)
        except (ValueError, TypeError, KeyError):
            return None

    async def mark_used(self, code: str, used: UsedCode, ttl: int) -> bool:
        """Remember what the code produced; True when a replay was seen meanwhile."""
        key = self._id(code)
        await self._cache.set(_USED + key, json.dumps(asdict(used)), ttl=max(60, ttl))
        return await self._cache.get(_REPLAYED + key) is not None

    async def replayed(self, code: str, ttl: int) -> UsedCode | None:
        """Called when a code could not be redeemed: was it redeemed before?"""
        if not code or len(code) > 256:
            return None
        key = self._id(code)
        raw = await self._cache.get(_USED + key)
        if raw is None:
            return None  # never issued, or long expired: nothing to revoke
        # A redemption still in flight sees this flag and revokes what it issued.
        await self._cache.set(_REPLAYED + key, "1", ttl=max(60, ttl))
        data = json.loads(raw)
        return None if data.get("grant_id") is None else UsedCode(**data)
