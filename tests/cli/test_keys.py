"""``identra keys``: list shows public facts only; rotate keeps the old key published."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.cli.conftest import Cli

PUBLIC_FIELDS = {
    "kid", "alg", "status", "published", "created_at", "activated_at", "retired_at", "expires_at",
}  # fmt: skip


def test_list_shows_no_private_material(cli: Cli) -> None:
    keys = cli.json("keys", "list")
    assert {k["status"] for k in keys} == {"active", "next"}
    assert all(set(k) == PUBLIC_FIELDS for k in keys)
    assert all(k["alg"] == "RS256" for k in keys)
    out = cli("keys", "list").stdout
    assert out.split()[:3] == ["KID", "ALG", "STATUS"]
    assert "private" not in out.lower() and "v1." not in out


def test_rotate_promotes_next_and_keeps_the_old_key_for_the_overlap(cli: Cli) -> None:
    before = {k["status"]: k["kid"] for k in cli.json("keys", "list")}
    rotated = cli.json("keys", "rotate")
    assert rotated["alg"] == "RS256"
    assert rotated["active"] == before["next"]
    assert rotated["next"] not in before.values()
    assert [r["kid"] for r in rotated["retired"]] == [before["active"]]
    assert rotated["overlap_seconds"] == 3600  # the default access and ID token lifetime
    after = {k["kid"]: k for k in cli.json("keys", "list")}
    old = after[before["active"]]
    assert old["status"] == "retired" and old["published"] is True
    lifetime = datetime.fromisoformat(old["expires_at"]) - datetime.fromisoformat(old["retired_at"])
    assert lifetime.total_seconds() == 3600
    assert after[rotated["active"]]["status"] == "active"
    human = cli("keys", "rotate").stdout
    assert f"retired {rotated['active']}" in human


def test_overlap_follows_the_longest_configured_lifetime(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDENTRA_TOKENS__ID_TOKEN_TTL", "7200")
    assert cli.json("keys", "rotate")["overlap_seconds"] == 7200


def test_rotate_another_algorithm(cli: Cli) -> None:
    rotated = cli.json("keys", "rotate", "--alg", "ES256")
    assert rotated["alg"] == "ES256" and rotated["retired"] == []
    algs = {(k["alg"], k["status"]) for k in cli.json("keys", "list")}
    assert ("ES256", "active") in algs and ("RS256", "active") in algs
    cli("keys", "rotate", "--alg", "HS256", code=2)
