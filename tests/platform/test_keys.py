"""Signing keys: published before use, kept after retirement until their tokens expire."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from joserfc import jwt

from identra.clock import FrozenClock
from tests.support import harness


async def test_rotation_overlaps_and_expires(tmp_path: Path) -> None:
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    async with harness(tmp_path, clock=clock) as h:
        ring = h.services.keyring
        first = ring.signer()
        kids = {k["kid"] for k in (await h.client.get("/oauth2/jwks")).json()["keys"]}
        assert first.kid in kids and len(kids) == 2  # the active key and the published next one
        assert all("d" not in k for k in ring.jwks["keys"])  # public halves only
        next_kid = (kids - {first.kid}).pop()

        token = first.sign({"sub": "x"})
        promoted = await ring.rotate("RS256", overlap_seconds=3600)
        assert promoted == next_kid  # the key relying parties already cached is the one used
        kids = {k["kid"] for k in (await h.client.get("/oauth2/jwks")).json()["keys"]}
        assert {first.kid, next_kid} <= kids and len(kids) == 3
        old = ring.verification_key(first.kid)
        assert old is not None and jwt.decode(token, old).claims["sub"] == "x"

        clock.advance(3601)
        await ring.load()
        kids = {k["kid"] for k in ring.jwks["keys"]}
        assert first.kid not in kids and next_kid in kids


async def test_every_algorithm_signs_and_verifies(tmp_path: Path) -> None:
    async with harness(tmp_path) as h:
        ring = h.services.keyring
        await ring.ensure(["PS256", "ES256", "EdDSA"])
        for alg in ("RS256", "PS256", "ES256", "EdDSA"):
            signer = ring.signer(alg)
            token = signer.sign({"sub": alg})
            key = ring.verification_key(signer.kid)
            assert key is not None
            assert jwt.decode(token, key, algorithms=[alg]).claims["sub"] == alg
