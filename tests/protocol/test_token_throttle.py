"""Limits at the token endpoint (``identra.protocols.oauth2.throttle``): a client's own
per-minute rate, and failed client authentications per address. Both are counted in the cache
backend, so they hold on every node (the two-node pass checks that in tests/platform)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from identra.clock import FrozenClock
from identra.protocols.oauth2.throttle import AUTH_FAILURE_WINDOW, AUTH_FAILURES_PER_WINDOW
from tests.support import ADMIN, Harness, harness

CLOCK_START = 1_800_000_000  # a window boundary for both window sizes, so counts start fresh


@pytest.fixture
async def clock() -> FrozenClock:
    from datetime import UTC, datetime

    return FrozenClock(datetime.fromtimestamp(CLOCK_START, UTC))


@pytest.fixture
async def h(tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Harness]:
    async with harness(tmp_path, clock=clock) as value:
        yield value


async def _m2m(h: Harness, name: str, org: str = "root", **extra: Any) -> dict[str, Any]:
    resp = await h.client.post(
        f"/api/v1/orgs/{org}/applications",
        json={"name": name, "type": "m2m", "scopes": ["users:read"], **extra},
        headers=ADMIN,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


async def _token(
    h: Harness, app: dict[str, Any], secret: str | None = None, org: str = "root"
) -> httpx.Response:
    prefix = "" if org == "root" else f"/o/{org}"
    return await h.client.post(
        f"{prefix}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(app["client_id"], secret or app["client_secret"]),
    )


def _refused(resp: httpx.Response) -> int:
    """The Retry-After of a 429 ``temporarily_unavailable`` answer."""
    assert resp.status_code == 429, resp.text
    assert resp.json()["error"] == "temporarily_unavailable"
    return int(resp.headers["retry-after"])


async def test_a_client_past_its_rate_gets_429_until_the_minute_ends(
    h: Harness, clock: FrozenClock
) -> None:
    limited = await _m2m(h, "limited", token_rate_limit=3)
    assert limited["token_rate_limit"] == 3
    other = await _m2m(h, "other")
    for _ in range(3):
        assert (await _token(h, limited)).status_code == 200
    clock.advance(20)
    assert _refused(await _token(h, limited)) == 40
    assert (await _token(h, other)).status_code == 200  # its own budget, unlimited
    clock.advance(40)
    assert (await _token(h, limited)).status_code == 200


async def test_the_rate_can_be_changed_and_removed(h: Harness) -> None:
    app = await _m2m(h, "tunable", token_rate_limit=1)
    assert (await _token(h, app)).status_code == 200
    _refused(await _token(h, app))
    url = f"/api/v1/orgs/root/applications/{app['id']}"
    resp = await h.client.patch(url, json={"token_rate_limit": None}, headers=ADMIN)
    assert resp.status_code == 200 and resp.json()["token_rate_limit"] is None
    assert (await _token(h, app)).status_code == 200


@pytest.mark.parametrize("value", [0, -1, 1_000_001, "10", True, 2.5])
async def test_a_bad_rate_is_refused_and_changes_nothing(h: Harness, value: object) -> None:
    resp = await h.client.post(
        "/api/v1/orgs/root/applications",
        json={"name": "bad", "type": "m2m", "token_rate_limit": value},
        headers=ADMIN,
    )
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    app = await _m2m(h, "kept", token_rate_limit=5)
    url = f"/api/v1/orgs/root/applications/{app['id']}"
    patched = await h.client.patch(url, json={"token_rate_limit": value}, headers=ADMIN)
    assert patched.status_code == 422
    assert (await h.client.get(url, headers=ADMIN)).json()["token_rate_limit"] == 5


async def test_repeated_failed_client_authentication_blocks_that_client_from_the_address(
    h: Harness, clock: FrozenClock
) -> None:
    app = await _m2m(h, "target")
    neighbour = await _m2m(h, "neighbour")
    await h.create_org("acme")
    elsewhere = await _m2m(h, "acme-app", org="acme")
    for _ in range(AUTH_FAILURES_PER_WINDOW):
        assert (await _token(h, app, secret="wrong")).status_code == 401
    # Now even the right secret waits, for the rest of the window.
    clock.advance(100)
    assert _refused(await _token(h, app)) == AUTH_FAILURE_WINDOW - 100
    # Form-posted credentials name the same client: still blocked.
    posted = await h.client.post(
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )
    _refused(posted)
    # Another client behind the same address, and another organization, are not held back.
    assert (await _token(h, neighbour)).status_code == 200
    assert (await _token(h, elsewhere, org="acme")).status_code == 200
    clock.advance(AUTH_FAILURE_WINDOW - 100)
    assert (await _token(h, app)).status_code == 200


async def test_unknown_client_ids_are_blocked_too(h: Harness) -> None:
    unknown = {"client_id": "nobody", "client_secret": "x"}
    for _ in range(AUTH_FAILURES_PER_WINDOW):
        assert (await _token(h, unknown)).status_code == 401
    _refused(await _token(h, unknown))


async def test_successes_do_not_count_toward_the_block(h: Harness) -> None:
    app = await _m2m(h, "busy")
    for _ in range(AUTH_FAILURES_PER_WINDOW + 5):
        assert (await _token(h, app)).status_code == 200
    assert (await _token(h, app, secret="wrong")).status_code == 401
    assert (await _token(h, app)).status_code == 200
