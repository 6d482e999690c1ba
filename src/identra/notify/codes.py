"""One-time codes and links sent out of band (email, SMS), kept in the cache backend.

A *challenge* is a random id naming a cache entry with the keyed digest of the secret (never
the secret), the subject it proves (a user id, or ``""`` for a decoy nobody can pass) and its
expiry. Checking a secret:

- spends one of ``max_tries`` attempts *before* comparing (an atomic counter), so even
  concurrent guesses on several nodes get no more than ``max_tries`` comparisons; the attempt
  that uses up the last try voids the challenge;
- consumes the challenge with an atomic ``take`` on success, so a code or link works once even
  when submitted twice at the same moment;
- leaves a short-lived marker saying why a challenge is gone (used, void), so users get a clear
  message instead of "wrong code".

Expiry is checked against the caller's clock (``now``), so tests can use ``FrozenClock``; the
cache time-to-live only cleans up.

:class:`SendThrottle` spaces out messages to one recipient (one resend per ``every`` seconds)
and caps them per hour.
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Literal

from identra.cache.base import Cache
from identra.crypto.secretbox import SecretBox

CODE_TTL = 300  # a code works for 5 minutes
LINK_TTL = 900  # a sign-in link for 15 minutes
MAX_TRIES = 5  # wrong codes before the code is void
RESEND_AFTER = 30  # seconds between two messages to the same recipient
HOURLY_CAP = 10  # messages to one recipient per hour
_CLEANUP = 3600  # how long markers outlive their challenge in the cache

Verdict = Literal["ok", "wrong", "expired", "used", "void"]


def new_code(digits: int = 6) -> str:
    """A uniformly random decimal code from the system CSPRNG."""
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def new_link_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Checked:
    verdict: Verdict
    subject: str | None = None  # the user id on "ok"
    tries_left: int = 0  # on "wrong"


class OneTimeSecrets:
    """Challenges of one purpose (``email-otp``, ``magic-link``...)."""

    def __init__(self, cache: Cache, box: SecretBox, purpose: str) -> None:
        self.cache = cache
        self.box = box
        self.purpose = purpose

    def _key(self, challenge_id: str, part: str = "") -> str:
        return f"otc:{self.purpose}:{challenge_id}{part}"

    def _digest(self, challenge_id: str, secret: str) -> str:
        return self.box.digest(f"one-time:{self.purpose}:{challenge_id}:{secret}")

    async def issue(self, subject: str | None, secret: str, now: int, ttl: int) -> str:
        """Store a challenge for ``secret``; ``subject=None`` makes a decoy that never passes
        (used when nobody matched, so the caller can answer exactly as if somebody had)."""
        challenge_id = secrets.token_urlsafe(18)
        record = {
            "d": self._digest(challenge_id, secret if subject else secrets.token_urlsafe(32)),
            "s": subject or "",
            "exp": now + ttl,
        }
        await self.cache.set(self._key(challenge_id), json.dumps(record), ttl=ttl + _CLEANUP)
        return challenge_id

    async def revoke(self, challenge_id: str) -> None:
        await self.cache.delete(self._key(challenge_id))

    async def check(
        self, challenge_id: str, secret: str, now: int, max_tries: int = MAX_TRIES
    ) -> Checked:
        raw = await self.cache.get(self._key(challenge_id))
        if raw is None:
            gone = await self.cache.get(self._key(challenge_id, ":gone"))
            return Checked("used" if gone == "used" else "void" if gone == "void" else "expired")
        record = json.loads(raw)
        if now >= int(record["exp"]):
            await self.revoke(challenge_id)
            return Checked("expired")
        tries = await self.cache.incr(self._key(challenge_id, ":tries"), ttl=_CLEANUP * 2)
        if tries > max_tries:
            await self._void(challenge_id)
            return Checked("void")
        subject = str(record["s"])
        if subject and hmac.compare_digest(self._digest(challenge_id, secret), record["d"]):
            if await self.cache.take(self._key(challenge_id)) is None:
                return Checked("used")  # a concurrent request took it first
            await self.cache.set(self._key(challenge_id, ":gone"), "used", ttl=_CLEANUP)
            return Checked("ok", subject)
        if tries >= max_tries:
            await self._void(challenge_id)
            return Checked("void")
        return Checked("wrong", tries_left=max_tries - tries)

    async def _void(self, challenge_id: str) -> None:
        await self.cache.set(self._key(challenge_id, ":gone"), "void", ttl=_CLEANUP)
        await self.revoke(challenge_id)


class SendThrottle:
    """Spaces messages to one recipient key; the key is digested (no addresses in the cache)."""

    def __init__(
        self,
        cache: Cache,
        box: SecretBox,
        channel: str,
        every: int = RESEND_AFTER,
        hourly: int = HOURLY_CAP,
    ) -> None:
        self.cache = cache
        self.box = box
        self.channel = channel
        self.every = every
        self.hourly = hourly

    def _key(self, recipient: str) -> str:
        return f"otc-throttle:{self.channel}:{self.box.digest(f'throttle:{recipient}')}"

    async def wait(self, recipient: str, now: int) -> int:
        """Seconds to wait before the next message to ``recipient`` (0: go ahead)."""
        last = await self.cache.get(self._key(recipient))
        if last is not None and now - int(last) < self.every:
            return self.every - (now - int(last))
        return 0

    async def reserve(self, recipient: str, now: int) -> bool:
        """Note a message about to be sent; False when the hourly cap is reached (then do not
        send it)."""
        await self.cache.set(self._key(recipient), str(now), ttl=_CLEANUP)
        count = await self.cache.incr(self._key(recipient) + ":hour", ttl=3600)
        return count <= self.hourly
