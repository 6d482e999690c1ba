"""Wrong-code limits for the code-based second factors (TOTP, backup codes).

After ``max_failures`` wrong codes within ``window`` seconds the option is locked for the user
for ``lock_seconds``. State lives in the cache backend so every node sees it. The lock stores
its end time and is compared with the caller's clock (``ctx.now``), so it also works with the
test clock; the cache time-to-live only cleans up.
"""

from __future__ import annotations

from dataclasses import dataclass

from identra.cache.base import Cache


@dataclass(frozen=True)
class LimitPolicy:
    max_failures: int = 5
    window: int = 900
    lock_seconds: int = 300


class FailureLimiter:
    def __init__(self, cache: Cache, scope: str, policy: LimitPolicy | None = None) -> None:
        self._cache = cache
        self._scope = scope
        self.policy = policy or LimitPolicy()

    def _keys(self, org_id: str, user_id: str) -> tuple[str, str]:
        base = f"mfa:{self._scope}:{org_id}:{user_id}"
        return f"{base}:failures", f"{base}:locked"

    async def locked_for(self, org_id: str, user_id: str, now: int) -> int:
        """Seconds left on the lock (0 when not locked)."""
        _, lock_key = self._keys(org_id, user_id)
        raw = await self._cache.get(lock_key)
        if raw is None:
            return 0
        try:
            until = int(raw)
        except ValueError:
            return 0
        return max(0, until - now)

    async def failed(self, org_id: str, user_id: str, now: int) -> int:
        """Count a wrong code; returns the seconds of the lock it started (0 if none)."""
        count_key, lock_key = self._keys(org_id, user_id)
        count = await self._cache.incr(count_key, ttl=self.policy.window)
        if count < self.policy.max_failures:
            return 0
        await self._cache.set(
            lock_key, str(now + self.policy.lock_seconds), ttl=self.policy.lock_seconds
        )
        await self._cache.delete(count_key)
        return self.policy.lock_seconds

    async def succeeded(self, org_id: str, user_id: str) -> None:
        count_key, _ = self._keys(org_id, user_id)
        await self._cache.delete(count_key)


def minutes(seconds: int) -> int:
    return max(1, -(-seconds // 60))
