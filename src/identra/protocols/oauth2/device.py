"""RFC 8628 device authorization state, kept in the cache backend.

A device authorization is stored under a keyed digest of its ``device_code`` (a dump of the
cache yields no usable code) and found again by its ``user_code`` (§6.1: 8 characters from a
20-letter alphabet without vowels or look-alikes, about 34 bits; shown as ``XXXX-XXXX``, and
accepted in any case, with or without separators).

Life cycle: ``pending`` until the user approves (:meth:`DeviceCodes.approve`, with the user's
subject) or denies (:meth:`DeviceCodes.deny`) it on the verification page; the token endpoint
(``grants/device_code.py``) then consumes it once. Expiry is checked against the injected
clock; cache time-to-lives only clean up, a grace period later, so that a late poll still gets
``expired_token`` rather than ``invalid_grant``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from identra.cache.base import Cache
from identra.protocols.oauth2.errors import SlowDown

USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
DEFAULT_TTL = 600
DEFAULT_INTERVAL = 5
SLOW_DOWN_STEP = 5  # §3.5: "MUST be increased by 5 seconds"
GRACE = 600
_BY_DEVICE = "device:{digest}"
_BY_USER_CODE = "device-user:{org_id}:{user_code}"
_POLL = "device-poll:{digest}"


def normalize_user_code(value: str) -> str:
    return "".join(c for c in value.upper() if c in USER_CODE_ALPHABET)


def display_user_code(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


@dataclass
class DeviceAuthorization:
    digest: str
    user_code: str  # normalised, without separator
    org_id: str
    client_id: str
    application_id: str
    scope: list[str]
    created_at: int
    expires_at: int
    interval: int
    status: str = "pending"  # pending | approved | denied
    subject: str | None = None
    # Set on approval: scopes the user agreed to (may narrow the requested ones), and the
    # facts of the user's authentication for the ID token (OIDC Core §2).
    approved_scope: list[str] = field(default_factory=list)
    auth_time: int | None = None
    acr: str | None = None
    amr: list[str] = field(default_factory=list)
    session_id: str | None = None

    def to_json(self) -> str:
        return json.dumps({"v": 1, **asdict(self)}, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> DeviceAuthorization:
        data = json.loads(raw)
        if data.pop("v", None) != 1:
            raise ValueError("unknown device authorization version")
        return cls(**data)


class DeviceCodes:
    def __init__(self, cache: Cache, digest: Callable[[str], str]) -> None:
        self._cache = cache
        self._digest = digest

    async def start(
        self,
        *,
        org_id: str,
        client_id: str,
        application_id: str,
        scope: list[str],
        now: int,
        ttl: int = DEFAULT_TTL,
        interval: int = DEFAULT_INTERVAL,
    ) -> tuple[str, DeviceAuthorization]:
        """A new pending authorization; returns the ``device_code`` and the record."""
        device_code = secrets.token_urlsafe(32)
        digest = self._digest(device_code)
        keep = ttl + GRACE
        for _ in range(10):
            user_code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
            key = _BY_USER_CODE.format(org_id=org_id, user_code=user_code)
            if await self._cache.add(key, digest, ttl=keep):
                break
        else:  # pragma: no cover - 10 collisions in a 20^8 space
            raise RuntimeError("could not allocate a unique user code")
        record = DeviceAuthorization(
            digest=digest,
            user_code=user_code,
            org_id=org_id,
            client_id=client_id,
            application_id=application_id,
            scope=scope,
            created_at=now,
            expires_at=now + ttl,
            interval=interval,
        )
        await self._cache.set(_BY_DEVICE.format(digest=digest), record.to_json(), ttl=keep)
        return device_code, record

    async def find(self, device_code: str) -> DeviceAuthorization | None:
        if not device_code or len(device_code) > 512:
            return None
        return await self._load(self._digest(device_code))

    async def _load(self, digest: str) -> DeviceAuthorization | None:
        raw = await self._cache.get(_BY_DEVICE.format(digest=digest))
        return None if raw is None else DeviceAuthorization.from_json(raw)

    async def by_user_code(
        self, org_id: str, user_code: str, now: int
    ) -> DeviceAuthorization | None:
        """The pending, unexpired authorization a user typed the code of (for the page)."""
        code = normalize_user_code(user_code)
        if len(code) != USER_CODE_LENGTH:
            return None
        digest = await self._cache.get(_BY_USER_CODE.format(org_id=org_id, user_code=code))
        record = None if digest is None else await self._load(digest)
        if record is None or record.status != "pending" or record.expires_at <= now:
            return None
        return record

    async def approve(
        self,
        org_id: str,
        user_code: str,
        subject: str,
        now: int,
        scope: list[str] | None = None,
        *,
        auth_time: int | None = None,
        acr: str | None = None,
        amr: list[str] | None = None,
        session_id: str | None = None,
    ) -> DeviceAuthorization | None:
        """Approve for ``subject`` (the user's id); ``scope`` may narrow what was requested.

        ``auth_time``/``acr``/``amr``/``session_id`` describe the user's login on the
        verification page and go into the ID token. None if the code is not pending.
        """
        record = await self.by_user_code(org_id, user_code, now)
        if record is None:
            return None
        record.status = "approved"
        record.subject = subject
        record.approved_scope = [s for s in (scope or record.scope) if s in record.scope]
        record.auth_time = auth_time
        record.acr = acr
        record.amr = list(amr or [])
        record.session_id = session_id
        await self._save(record, now)
        return record

    async def deny(self, org_id: str, user_code: str, now: int) -> DeviceAuthorization | None:
        record = await self.by_user_code(org_id, user_code, now)
        if record is None:
            return None
        record.status = "denied"
        await self._save(record, now)
        return record

    async def _save(self, record: DeviceAuthorization, now: int) -> None:
        keep = max(record.expires_at - now, 0) + GRACE
        await self._cache.set(_BY_DEVICE.format(digest=record.digest), record.to_json(), ttl=keep)
        # The user code is spent once decided: it cannot be approved or denied again.
        await self._cache.delete(
            _BY_USER_CODE.format(org_id=record.org_id, user_code=record.user_code)
        )

    async def check_poll_rate(self, record: DeviceAuthorization, now: int) -> None:
        """§3.5 slow_down: a poll sooner than the interval raises it by 5 seconds for good."""
        key = _POLL.format(digest=record.digest)
        raw = await self._cache.get(key)
        state: dict[str, int | None] = (
            json.loads(raw) if raw else {"last": None, "interval": record.interval}
        )
        interval = int(state["interval"] or record.interval)
        last = state["last"]
        keep = max(record.expires_at - now, 0) + GRACE
        if last is not None and now - last < interval:
            state["interval"] = interval + SLOW_DOWN_STEP
            await self._cache.set(key, json.dumps(state), ttl=keep)
            raise SlowDown(f"poll at most every {state['interval']} seconds")
        state["last"] = now
        await self._cache.set(key, json.dumps(state), ttl=keep)

    async def consume(self, record: DeviceAuthorization) -> bool:
        """Remove the authorization; True for exactly one caller."""
        taken = await self._cache.take(_BY_DEVICE.format(digest=record.digest))
        await self._cache.delete(_POLL.format(digest=record.digest))
        return taken is not None
