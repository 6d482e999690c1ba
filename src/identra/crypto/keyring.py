"""The node's in-memory view of the signing keys, reloaded when any node rotates them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.clock import Clock
from identra.crypto.jwk import Key, LoadedKey, import_public
from identra.crypto.secretbox import SecretBox
from identra.storage.repositories import keys as key_rows


@dataclass
class Keyring:
    sessions: async_sessionmaker[AsyncSession]
    box: SecretBox
    clock: Clock
    default_alg: str
    _active: dict[str, LoadedKey] = field(default_factory=dict)
    _by_kid: dict[str, dict[str, Any]] = field(default_factory=dict)
    _verifiers: dict[str, Key] = field(default_factory=dict)
    _jwks: dict[str, Any] = field(default_factory=lambda: {"keys": []})

    async def load(self) -> None:
        async with self.sessions() as session:
            rows = await key_rows.published_keys(session, self.clock.now())
            active = {
                r.alg: key_rows.load_private(r, self.box) for r in rows if r.status == "active"
            }
        self._active = active
        self._by_kid = {r.kid: r.public_jwk for r in rows}
        self._verifiers = {r.kid: import_public(r.public_jwk) for r in rows}
        self._jwks = {"keys": [r.public_jwk for r in rows]}

    async def ensure(self, algs: list[str]) -> None:
        async with self.sessions.begin() as session:
            for alg in algs:
                await key_rows.ensure_keys(session, alg, self.box, self.clock.now())
        await self.load()

    async def rotate(self, alg: str, overlap_seconds: int) -> str:
        async with self.sessions.begin() as session:
            row = await key_rows.rotate(
                session, alg, self.box, self.clock.now(), timedelta(seconds=overlap_seconds)
            )
            kid = row.kid
        await self.load()
        return kid

    def signer(self, alg: str | None = None) -> LoadedKey:
        return self._active[alg or self.default_alg]

    def active_algs(self) -> list[str]:
        """The algorithms this node has an active signing key for."""
        return sorted(self._active)

    def public_key(self, kid: str) -> dict[str, Any] | None:
        return self._by_kid.get(kid)

    def verification_key(self, kid: str) -> Key | None:
        """The parsed public key for ``kid``, for verifying tokens this deployment issued."""
        return self._verifiers.get(kid)

    @property
    def jwks(self) -> dict[str, Any]:
        return self._jwks
