"""One-time secrets and the send throttle, on the in-process cache."""

from __future__ import annotations

import asyncio
import secrets
from types import SimpleNamespace
from typing import Any

from identra.authenticators.email_otp.outofband import authenticated
from identra.cache.memory import MemoryCache
from identra.crypto.secretbox import SecretBox
from identra.notify.codes import OneTimeSecrets, SendThrottle, new_code, new_link_token

NOW = 2_000_000_000


def store(cache: MemoryCache | None = None) -> OneTimeSecrets:
    return OneTimeSecrets(cache or MemoryCache(), SecretBox(secrets.token_bytes(32)), "test")


def test_codes_are_six_uniform_digits() -> None:
    codes = [new_code() for _ in range(2000)]
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(set(codes)) > 1900
    assert {c[0] for c in codes} == set("0123456789")  # leading zeros are kept
    assert len(new_link_token()) >= 43


async def test_ok_once_then_used() -> None:
    s = store()
    cid = await s.issue("user-1", "123456", NOW, 300)
    assert (await s.check(cid, "123456", NOW + 10)).verdict == "ok"
    assert (await s.check(cid, "123456", NOW + 11)).verdict == "used"


async def test_expiry_is_by_the_callers_clock() -> None:
    s = store()
    cid = await s.issue("user-1", "123456", NOW, 300)
    assert (await s.check(cid, "123456", NOW + 300)).verdict == "expired"
    assert (await s.check(cid, "123456", NOW)).verdict == "expired"  # gone for good


async def test_nothing_in_the_cache_reveals_the_secret() -> None:
    cache = MemoryCache()
    s = store(cache)
    await s.issue("user-1", "987654", NOW, 300)
    assert "987654" not in repr(cache._data)


async def test_decoys_never_pass() -> None:
    s = store()
    cid = await s.issue(None, "123456", NOW, 300)
    assert (await s.check(cid, "123456", NOW)).verdict == "wrong"


async def test_concurrent_guesses_get_at_most_five_comparisons() -> None:
    s = store()
    cid = await s.issue("user-1", "123456", NOW, 300)
    guesses = [f"{n:06d}" for n in range(20)] + ["123456"]
    results = await asyncio.gather(*(s.check(cid, g, NOW) for g in guesses))
    verdicts = [r.verdict for r in results]
    assert verdicts.count("wrong") + verdicts.count("ok") <= 5
    assert verdicts[-1] == "void"  # the right code came after the fifth try
    assert (await s.check(cid, "123456", NOW)).verdict == "void"


async def test_concurrent_right_answers_pass_once() -> None:
    s = store()
    cid = await s.issue("user-1", "123456", NOW, 300)
    results = await asyncio.gather(*(s.check(cid, "123456", NOW) for _ in range(3)))
    assert sorted(r.verdict for r in results) == ["ok", "used", "used"]


async def test_revoked_challenge() -> None:
    s = store()
    cid = await s.issue("user-1", "123456", NOW, 300)
    await s.revoke(cid)
    assert (await s.check(cid, "123456", NOW)).verdict == "expired"


async def test_throttle() -> None:
    t = SendThrottle(MemoryCache(), SecretBox(secrets.token_bytes(32)), "email", hourly=3)
    assert await t.wait("alice", NOW) == 0
    assert await t.reserve("alice", NOW)
    assert await t.wait("alice", NOW + 10) == 20
    assert await t.wait("bob", NOW + 10) == 0
    assert await t.wait("alice", NOW + 30) == 0
    assert await t.reserve("alice", NOW + 30)
    assert await t.reserve("alice", NOW + 60)
    assert not await t.reserve("alice", NOW + 90)  # the fourth in an hour


def test_authenticated_mode() -> None:
    def ctx(**kw: Any) -> Any:
        return SimpleNamespace(**{"user_id": None, "identified": False, **kw})

    assert not authenticated(ctx())
    assert authenticated(ctx(user_id="u"))  # a password step set the user
    assert not authenticated(ctx(user_id="u", identified=True))  # an identifier step did
    # Engines that say which options passed are believed.
    assert authenticated(ctx(user_id="u", identified=True, passed=("password",)))
    assert not authenticated(ctx(user_id="u", identified=False, passed=()))
