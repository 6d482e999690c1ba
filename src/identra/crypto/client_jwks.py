"""Clients' public keys for ``private_key_jwt`` (RFC 7523 §2.2, OIDC Core §9, §10.1.1).

Keys come from the client's registered ``jwks`` (parsed once per content) or its ``jwks_uri``:
fetched with httpx under an explicit timeout, no redirects, a size cap and one retry on
transport errors; kept for :data:`TTL` seconds. An unknown ``kid`` may trigger a refetch (the
client rotated), at most once per :data:`MIN_REFRESH` seconds per URI. When a fetch fails the
last good copy is used for up to :data:`STALE_FOR` seconds; with none, authentication fails
closed (``KeysUnavailable`` → ``invalid_client``).

Only ``https`` URIs are fetched, and ``http`` on loopback for development; dynamic registration
accepts ``https`` only.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from identra.crypto.jwk import Key, import_public

TTL = 300.0
MIN_REFRESH = 30.0
STALE_FOR = 86400.0
TIMEOUT = httpx.Timeout(3.0)
MAX_BYTES = 64 * 1024
MAX_KEYS = 20
LOOPBACK = ("localhost", "127.0.0.1", "::1")
MIN_RSA_BITS = 2048


def _rsa_bits(jwk_value: dict[str, Any]) -> int:
    n = jwk_value.get("n")
    if not isinstance(n, str):
        return 0
    try:
        modulus = base64.urlsafe_b64decode(n + "=" * (-len(n) % 4)).lstrip(b"\0")
    except ValueError:
        return 0
    return len(modulus) * 8


class KeysUnavailable(Exception):
    """The client's keys cannot be had (none registered, fetch failed, garbage)."""


class KeyHolder(Protocol):
    """What is needed of a client: its registered ``jwks`` or ``jwks_uri``."""

    @property
    def jwks(self) -> dict[str, Any] | None: ...

    @property
    def jwks_uri(self) -> str | None: ...


@dataclass
class _Fetched:
    keys: list[Key]
    fetched_at: float


def parse_jwks(data: Any) -> list[Key]:
    """Public signing keys of a JWK Set; encryption keys and symmetric keys are left out."""
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list):
        raise KeysUnavailable("not a JWK Set")
    out: list[Key] = []
    for item in keys[:MAX_KEYS]:
        if not isinstance(item, dict) or item.get("use", "sig") != "sig":
            continue
        if item.get("kty") not in ("RSA", "EC", "OKP"):
            continue
        if item.get("kty") == "RSA" and _rsa_bits(item) < MIN_RSA_BITS:
            continue
        try:
            out.append(import_public(item))
        except (ValueError, TypeError, KeyError):
            continue
    return out


def fetchable(uri: str) -> bool:
    parts = urlsplit(uri)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and parts.hostname in LOOPBACK


class ClientKeys:
    """Implements ``identra.protocols.oauth2.client_assertion.ClientKeySource``."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.transport = transport
        self._clock = clock
        self._inline: dict[str, list[Key]] = {}
        self._remote: dict[str, _Fetched] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def keys(self, client: KeyHolder, *, refresh: bool = False) -> list[Key]:
        if client.jwks is not None:
            return self._inline_keys(client.jwks)
        if client.jwks_uri is None:
            raise KeysUnavailable("the client registered no keys")
        return await self._remote_keys(client.jwks_uri, refresh)

    def _inline_keys(self, jwks: dict[str, Any]) -> list[Key]:
        fingerprint = hashlib.sha256(json.dumps(jwks, sort_keys=True).encode()).hexdigest()
        found = self._inline.get(fingerprint)
        if found is None:
            found = parse_jwks(jwks)
            if len(self._inline) > 10_000:
                self._inline.clear()
            self._inline[fingerprint] = found
        return found

    async def _remote_keys(self, uri: str, refresh: bool) -> list[Key]:
        if not fetchable(uri):
            raise KeysUnavailable("jwks_uri must be https")
        lock = self._locks.setdefault(uri, asyncio.Lock())
        async with lock:
            cached = self._remote.get(uri)
            now = self._clock()
            if cached is not None:
                age = now - cached.fetched_at
                if age < (MIN_REFRESH if refresh else TTL):
                    return cached.keys
            try:
                keys = await self._fetch(uri)
            except KeysUnavailable:
                if cached is not None and now - cached.fetched_at < STALE_FOR:
                    return cached.keys
                raise
            self._remote[uri] = _Fetched(keys, now)
            return keys

    async def _fetch(self, uri: str) -> list[Key]:
        async with httpx.AsyncClient(
            transport=self.transport, timeout=TIMEOUT, follow_redirects=False
        ) as http:
            for attempt in (1, 2):
                try:
                    async with http.stream(
                        "GET", uri, headers={"accept": "application/json"}
                    ) as resp:
                        if resp.status_code != 200:
                            raise KeysUnavailable(f"jwks_uri answered {resp.status_code}")
                        body = b""
                        async for chunk in resp.aiter_bytes():
                            body += chunk
                            if len(body) > MAX_BYTES:
                                raise KeysUnavailable("jwks_uri document is too large")
                    break
                except httpx.TransportError as exc:
                    if attempt == 2:
                        raise KeysUnavailable(
                            f"jwks_uri unreachable: {type(exc).__name__}"
                        ) from exc
        try:
            return parse_jwks(json.loads(body))
        except ValueError as exc:
            raise KeysUnavailable("jwks_uri did not return JSON") from exc
