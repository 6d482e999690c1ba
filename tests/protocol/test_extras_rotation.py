"""Scheduled signing-key rotation (``identra.crypto.rotation``), once across nodes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from identra.clock import FrozenClock
from identra.crypto import rotation
from identra.settings import Settings, unknown_env_vars
from identra.storage.models import SigningKey
from tests.protocol.extras_helpers import access_token, introspect, m2m
from tests.support import harness

DAY = 86400


async def test_rotates_an_old_key_and_keeps_tokens_valid(tmp_path: Path) -> None:
    clock = FrozenClock()
    async with harness(tmp_path, clock=clock) as h:
        assert await rotation.rotate_if_due(h.services) == []
        creds = await m2m(h, access_token_ttl=7200)
        old_kid = h.services.keyring.signer().kid
        clock.advance(91 * DAY)
        token = await access_token(h, creds)  # signed by the key about to retire
        rotated = await rotation.rotate_if_due(h.services, node_id="node-a")
        assert len(rotated) == 1 and rotated[0] != old_kid
        assert h.services.keyring.signer().kid == rotated[0]
        published = {k["kid"] for k in h.services.keyring.jwks["keys"]}
        assert {old_kid, rotated[0]} <= published
        assert (await introspect(h, creds, token)).json()["active"] is True
        async with h.services.sessions() as session:
            old = await session.get(SigningKey, old_kid)
        assert old is not None and old.status == "retired"
        assert old.expires_at is not None
        # Published for the longest token lifetime: the app's 7200 s beats the default 3600 s.
        assert (old.expires_at - clock.now()).total_seconds() == 7200
        # Right after, nothing is due any more.
        assert await rotation.rotate_if_due(h.services, node_id="node-b") == []


async def test_only_the_lease_holder_rotates(tmp_path: Path) -> None:
    clock = FrozenClock()
    async with harness(tmp_path, clock=clock) as h:
        clock.advance(91 * DAY)
        assert await h.services.cache.add(rotation.LEASE_KEY, "other-node", ttl=60)
        assert await rotation.rotate_if_due(h.services, node_id="node-a") == []
        await h.services.cache.delete(rotation.LEASE_KEY)
        assert len(await rotation.rotate_if_due(h.services, node_id="node-a")) == 1


async def test_two_nodes_at_once_rotate_once(tmp_path: Path) -> None:
    clock = FrozenClock()
    async with harness(tmp_path, clock=clock) as h:
        clock.advance(91 * DAY)
        results = await asyncio.gather(
            rotation.rotate_if_due(h.services, node_id="node-a"),
            rotation.rotate_if_due(h.services, node_id="node-b"),
        )
        assert sorted(len(r) for r in results) == [0, 1]
        async with h.services.sessions() as session:
            active = (
                await session.scalars(select(SigningKey).where(SigningKey.status == "active"))
            ).all()
        assert len(active) == 1


async def test_zero_days_turns_the_schedule_off(tmp_path: Path) -> None:
    clock = FrozenClock()
    async with harness(tmp_path, clock=clock, key_rotation_days=0) as h:
        clock.advance(3650 * DAY)
        assert await rotation.rotate_if_due(h.services) == []


async def test_the_schedule_runs_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rotation, "CHECK_SECONDS", 0.05)
    clock = FrozenClock()
    async with harness(tmp_path, clock=clock, key_rotation_days=30) as h:
        before = h.services.keyring.signer().kid
        clock.advance(31 * DAY)
        for _ in range(200):
            await asyncio.sleep(0.05)
            if h.services.keyring.signer().kid != before:
                break
        assert h.services.keyring.signer().kid != before


def test_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(_env_file=None).key_rotation_days == 90  # type: ignore[call-arg]
    monkeypatch.setenv("IDENTRA_KEY_ROTATION_DAYS", "30")
    assert "IDENTRA_KEY_ROTATION_DAYS" not in unknown_env_vars()
    assert Settings(_env_file=None).key_rotation_days == 30  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        Settings(_env_file=None, key_rotation_days=-1)  # type: ignore[call-arg]
