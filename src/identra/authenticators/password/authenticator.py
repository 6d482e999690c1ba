"""Password verification with lockout and rate limiting (OWASP Authentication Cheat Sheet).

- argon2id through ``identra.crypto.passwords``; a hash with outdated parameters (or an
  imported bcrypt/PBKDF2 hash) is replaced on a successful login.
- After ``threshold`` consecutive failures the account is locked for ``base_delay`` seconds,
  doubling with every further failure up to ``max_delay``; attempts during a lock are refused
  without checking the password. A success resets the counter.
- Unknown usernames answer exactly like known ones: the same message, a dummy hash check for
  similar timing, and a lockout counter of their own (in the cache), so the page cannot be
  used to find out which usernames exist.
- Per client IP, at most ``ip_limit`` failed attempts per ``ip_window`` seconds (cache
  counter); successful logins do not count, so one office NAT does not lock itself out.
- Users of directory stores (LDAP) are checked by their directory, through the user-store
  registry (``identra.userstores``), with the same lockout; an unreachable directory fails
  closed.
- Hashing runs in a worker thread so that it never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass

from identra.authenticators.password.storage import (
    DirectoryUnavailable,
    PasswordAccount,
    PasswordUserStore,
)
from identra.cache.base import Cache
from identra.crypto.passwords import hash_password, verify_password

AMR = ("pwd",)  # RFC 8176 §2


@functools.cache
def _dummy_hash() -> str:
    return hash_password("identra-dummy-password-for-timing")


@dataclass(frozen=True)
class LockoutPolicy:
    threshold: int = 5
    base_delay: int = 30
    max_delay: int = 3600
    ip_limit: int = 30
    ip_window: int = 300

    def delay(self, failures: int) -> int:
        if failures < self.threshold:
            return 0
        return int(min(self.max_delay, self.base_delay * 2 ** (failures - self.threshold)))


@dataclass(frozen=True)
class Verified:
    user_id: str
    amr: tuple[str, ...] = AMR


@dataclass(frozen=True)
class Refused:
    reason: str  # invalid | locked | rate_limited | unavailable
    retry_after: int = 0


class PasswordAuthenticator:
    component = "password"

    def __init__(
        self,
        store: PasswordUserStore,
        cache: Cache,
        now: Callable[[], int],
        policy: LockoutPolicy | None = None,
    ) -> None:
        self._store = store
        self._cache = cache
        self._now = now
        self.policy = policy or LockoutPolicy()

    async def verify(
        self, org_id: str, username: str, password: str, ip: str | None
    ) -> Verified | Refused:
        # Only failures count against the client's address: many people signing in
        # correctly from behind one office NAT must not lock each other out.
        key = f"rl:login:ip:{ip}"
        if ip is not None and int(await self._cache.get(key) or 0) >= self.policy.ip_limit:
            return Refused("rate_limited", self.policy.ip_window)
        outcome = await self._verify(org_id, username, password, ip)
        if ip is not None and isinstance(outcome, Refused) and outcome.reason != "unavailable":
            await self._cache.incr(key, ttl=self.policy.ip_window)
        return outcome

    async def _verify(
        self, org_id: str, username: str, password: str, ip: str | None
    ) -> Verified | Refused:
        now = self._now()
        name = username.strip()
        account = await self._store.find(org_id, name) if name else None
        if account is None and name:
            # Perhaps a directory user who never logged in here (no local row yet).
            try:
                user_id = await self._store.directory_login(org_id, name, password)
            except DirectoryUnavailable:
                return Refused("unavailable")
            if user_id is not None:
                await self._store.record_success(org_id, user_id, None, now, ip)
                return Verified(user_id)
        if account is None or account.status != "active":
            return await self._unknown(org_id, name.lower(), password, now)
        if account.locked_until is not None and account.locked_until > now:
            return Refused("locked", account.locked_until - now)
        if account.directory:
            try:
                accepted = await self._store.directory_login(org_id, name, password)
            except DirectoryUnavailable:
                return Refused("unavailable")
            if accepted != account.user_id:
                return await self._failed(org_id, account, now, ip)
            await self._store.record_success(org_id, account.user_id, None, now, ip)
            return Verified(account.user_id)
        if not account.password_hash:
            return await self._unknown(org_id, name.lower(), password, now)
        result = await asyncio.to_thread(verify_password, account.password_hash, password)
        if not result.ok:
            return await self._failed(org_id, account, now, ip)
        await self._store.record_success(org_id, account.user_id, result.new_hash, now, ip)
        return Verified(account.user_id)

    async def _failed(
        self, org_id: str, account: PasswordAccount, now: int, ip: str | None
    ) -> Refused:
        failures = account.failed_logins + 1
        delay = self.policy.delay(failures)
        locked_until = now + delay if delay else None
        await self._store.record_failure(org_id, account.user_id, failures, locked_until, ip)
        if locked_until is not None:
            return Refused("locked", delay)
        return Refused("invalid")

    async def _unknown(self, org_id: str, name: str, password: str, now: int) -> Refused:
        key = f"pw-unknown:{org_id}:{name[:200]}"
        raw = await self._cache.get(key)
        state = json.loads(raw) if raw else {"failures": 0, "locked_until": 0}
        if state["locked_until"] > now:
            return Refused("locked", int(state["locked_until"] - now))
        await asyncio.to_thread(verify_password, _dummy_hash(), password)
        state["failures"] += 1
        delay = self.policy.delay(state["failures"])
        state["locked_until"] = now + delay if delay else 0
        await self._cache.set(key, json.dumps(state), ttl=self.policy.max_delay * 2)
        return Refused("locked", delay) if delay else Refused("invalid")
