"""One of two nodes is killed with SIGKILL under load (issue 9).

Two `identra serve` nodes share one PostgreSQL and one Redis. Both take a mixed load (client
credentials tokens, user creations through the management API, password logins and
refresh-token rotations, some chains hopping between the nodes); node A's server process is
killed in the middle of it. What must hold:

- B keeps answering every request with a 2xx, during and after the kill; requests in flight to A
  may fail, but only with a transport error, and only once A is killed;
- nothing acknowledged is lost: every user whose creation got a 201 exists and has its audit
  record, every access token handed out introspects active, and every refresh chain is where
  the acknowledged answers left it (the newest token works, the one before it is rotated out);
- A restarts on the same port (migrations applied, no lock or lease left behind blocks it) and
  serves the data written by both nodes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.nodes import Node, cluster_env, listening_pids
from tests.support import ADMIN, PG_URL, REDIS_URL, make_settings

pytestmark = pytest.mark.skipif(
    not (PG_URL and REDIS_URL), reason="needs the PostgreSQL+Redis pass (shared state)"
)

LOAD_SECONDS = 6.0
KILL_AT = 2.5  # seconds into the load
PASSWORD = "rita-passw0rd-long"
# OWASP's minimum argon2id parameters, so that the logins in the load are cheap on a small
# machine; everything else runs with the production defaults.
CHEAP_HASH = {
    "IDENTRA_PASSWORD_HASH__TIME_COST": "2",
    "IDENTRA_PASSWORD_HASH__MEMORY_COST": "19456",
    "IDENTRA_PASSWORD_HASH__PARALLELISM": "1",
}


@dataclass
class Chain:
    """A refresh-token family: the refresh tokens acknowledged so far, oldest first."""

    nodes: tuple[str, ...]  # the nodes it rotates on, in turn
    acknowledged: list[str]
    uncertain: bool = False  # a rotation was in flight to A when A died: outcome unknown


@dataclass
class Ledger:
    started: float = field(default_factory=time.monotonic)
    killed_at: float | None = None  # seconds into the load
    tokens: list[str] = field(default_factory=list)  # acknowledged access tokens
    users: dict[str, str] = field(default_factory=dict)  # id -> username, created with a 201
    successes: dict[str, list[float]] = field(default_factory=lambda: {"a": [], "b": []})
    failures: list[str] = field(default_factory=list)  # anything that is not allowed
    lost_in_flight: int = 0  # transport errors on A after its kill: allowed

    def now(self) -> float:
        return time.monotonic() - self.started


@dataclass
class Cluster:
    a: Node
    b: Node
    loader: dict[str, str]  # m2m app: management API, introspection
    web: dict[str, str]  # web app: password and refresh_token grants
    bearer: str


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    env = cluster_env(make_settings(tmp_path)) | CHEAP_HASH
    a = Node("a", env, tmp_path).start()
    b = Node("b", env, tmp_path).start()
    try:
        loader = _created(
            httpx.post(
                f"{a.url}/api/v1/orgs/root/applications",
                json={
                    "name": "loader",
                    "type": "m2m",
                    "scopes": ["users:read", "users:write", "audit:read"],
                },
                headers=ADMIN,
            )
        )
        web = _created(
            httpx.post(
                f"{a.url}/api/v1/orgs/root/applications",
                json={
                    "name": "legacy",
                    "type": "web",
                    "redirect_uris": ["https://rp.example.com/cb"],
                    "grant_types": ["authorization_code", "refresh_token", "password"],
                },
                headers=ADMIN,
            )
        )
        _created(
            httpx.post(
                f"{a.url}/api/v1/orgs/root/users",
                json={"username": "rita", "password": PASSWORD},
                headers=ADMIN,
            )
        )
        token = httpx.post(
            f"{a.url}/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "scope": "users:read users:write audit:read",
            },
            auth=(loader["client_id"], loader["client_secret"]),
        )
        assert token.status_code == 200, token.text
        yield Cluster(a, b, loader, web, token.json()["access_token"])
    finally:
        a.stop()
        b.stop()


def _created(resp: httpx.Response) -> dict[str, str]:
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def _log_tail(node: Node) -> str:
    return node.log_path.read_text(errors="replace")[-3000:]


class Load:
    """The load: a few concurrent loops per node, each recording what was acknowledged."""

    def __init__(self, cluster: Cluster, clients: dict[str, httpx.AsyncClient]) -> None:
        self.cluster = cluster
        self.clients = clients
        self.ledger = Ledger()
        self.stop_at = LOAD_SECONDS
        self.a_rotations = 0

    def url(self, name: str) -> str:
        return (self.cluster.a if name == "a" else self.cluster.b).url

    async def send(self, name: str, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        """One request; None when it must not be retried (A died while it was in flight)."""
        ledger = self.ledger
        try:
            resp = await self.clients[name].request(method, self.url(name) + path, **kwargs)
        except httpx.TransportError as exc:
            if name == "a" and ledger.killed_at is not None:
                ledger.lost_in_flight += 1
                return None
            ledger.failures.append(f"{name} {method} {path}: {exc!r} at {ledger.now():.2f}s")
            return None
        if 200 <= resp.status_code < 300:
            ledger.successes[name].append(ledger.now())
        else:
            ledger.failures.append(f"{name} {method} {path}: {resp.status_code} {resp.text[:300]}")
        return resp

    def running(self, name: str) -> bool:
        if self.ledger.now() >= self.stop_at:
            return False
        return name == "b" or self.ledger.killed_at is None

    async def client_credentials(self, name: str) -> None:
        web = self.cluster.loader
        while self.running(name):
            resp = await self.send(
                name,
                "POST",
                "/oauth2/token",
                data={"grant_type": "client_credentials", "scope": "users:read"},
                auth=(web["client_id"], web["client_secret"]),
            )
            if resp is None and name == "a":
                return
            if resp is not None and resp.status_code == 200:
                self.ledger.tokens.append(resp.json()["access_token"])

    async def create_users(self, name: str) -> None:
        headers = {"authorization": f"Bearer {self.cluster.bearer}"}
        while self.running(name):
            username = f"load-{name}-{uuid.uuid4().hex[:10]}"
            resp = await self.send(
                name,
                "POST",
                "/api/v1/orgs/root/users",
                json={"username": username},
                headers=headers,
            )
            if resp is None and name == "a":
                return
            if resp is not None and resp.status_code == 201:
                self.ledger.users[resp.json()["id"]] = username

    async def logins(self, name: str) -> None:
        web = self.cluster.web
        while self.running(name):
            resp = await self.send(
                name,
                "POST",
                "/oauth2/token",
                data={
                    "grant_type": "password",
                    "username": "rita",
                    "password": PASSWORD,
                    "scope": "openid",
                },
                auth=(web["client_id"], web["client_secret"]),
            )
            if resp is None and name == "a":
                return
            if resp is not None and resp.status_code == 200:
                self.ledger.tokens.append(resp.json()["access_token"])

    async def rotate(self, chain: Chain) -> None:
        web = self.cluster.web
        turn = 0
        while True:
            name = chain.nodes[turn % len(chain.nodes)]
            turn += 1
            if self.ledger.now() >= self.stop_at or (
                "b" not in chain.nodes and not self.running(name)
            ):
                return
            if not self.running(name):
                continue  # A is dead: the chain goes on on B
            resp = await self.send(
                name,
                "POST",
                "/oauth2/token",
                data={"grant_type": "refresh_token", "refresh_token": chain.acknowledged[-1]},
                auth=(web["client_id"], web["client_secret"]),
            )
            if resp is None:
                # The answer never came: A may or may not have rotated the token. Presenting it
                # again would be a reuse (and revoke the family), so this chain stops here.
                chain.uncertain = name == "a"
                return
            if resp.status_code != 200:
                return  # recorded as a failure
            body = resp.json()
            self.ledger.tokens.append(body["access_token"])
            chain.acknowledged.append(body["refresh_token"])
            self.a_rotations += name == "a"

    def a_has_acknowledged(self) -> bool:
        """A user creation and a refresh rotation acknowledged by A, so that there is something
        of A's to lose."""
        users = any(n.startswith("load-a-") for n in self.ledger.users.values())
        return users and self.a_rotations > 0

    async def kill_a(self) -> None:
        await asyncio.sleep(KILL_AT)
        for _ in range(100):  # on a busy machine A may need a little longer
            if self.a_has_acknowledged():
                break
            await asyncio.sleep(0.05)
        proc = self.cluster.a.proc
        assert proc is not None
        # The process to kill is the one that holds the listening socket (with one worker,
        # `identra serve` runs uvicorn in-process: that is the process we started).
        holders = listening_pids(self.cluster.a.port)
        assert holders == {proc.pid}, (holders, proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        self.ledger.killed_at = self.ledger.now()
        # The survivor must go on serving for a while after the kill.
        self.stop_at = max(self.stop_at, self.ledger.killed_at + LOAD_SECONDS - KILL_AT)
        await asyncio.to_thread(proc.wait, 10)


async def _seed_chain(load: Load, nodes: tuple[str, ...]) -> Chain:
    web = load.cluster.web
    resp = await load.clients["b"].post(
        load.url("b") + "/oauth2/token",
        data={
            "grant_type": "password",
            "username": "rita",
            "password": PASSWORD,
            "scope": "openid",
        },
        auth=(web["client_id"], web["client_secret"]),
    )
    assert resp.status_code == 200, resp.text
    return Chain(nodes, [resp.json()["refresh_token"]])


async def _gather_limited(coros: list[Any], limit: int = 8) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(coro: Any) -> Any:
        async with gate:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros))


async def test_a_node_killed_under_load_loses_nothing_acknowledged(cluster: Cluster) -> None:
    a, b = cluster.a, cluster.b
    timeout = httpx.Timeout(30.0)
    async with (
        httpx.AsyncClient(timeout=timeout) as to_a,
        httpx.AsyncClient(timeout=timeout) as to_b,
    ):
        load = Load(cluster, {"a": to_a, "b": to_b})
        chains = [
            await _seed_chain(load, nodes)
            for nodes in (("a", "b"), ("b", "a"), ("a",), ("b",), ("b",))
        ]
        load.ledger = Ledger()  # the clock starts with the load
        tasks = [load.kill_a(), *(load.rotate(c) for c in chains)]
        for name in ("a", "b"):
            tasks += [
                load.client_credentials(name),
                load.client_credentials(name),
                load.create_users(name),
                load.logins(name),
            ]
        await asyncio.gather(*tasks)
        ledger = load.ledger

        print(  # shown with -s, and with the failure report
            f"killed A at {ledger.killed_at}s; acknowledged: {len(ledger.tokens)} tokens, "
            f"{len(ledger.users)} users, rotations {[len(c.acknowledged) - 1 for c in chains]}; "
            f"2xx on A {len(ledger.successes['a'])}, on B {len(ledger.successes['b'])}; "
            f"lost in flight on A: {ledger.lost_in_flight}"
        )
        assert ledger.killed_at is not None
        assert not ledger.failures, ledger.failures[:10]
        # B served all along: before the kill, right after it, and until the end.
        b_times = ledger.successes["b"]
        assert any(t < ledger.killed_at for t in b_times)
        assert any(ledger.killed_at < t < ledger.killed_at + 2.5 for t in b_times), b_times[-20:]
        assert any(t > load.stop_at - 2.5 for t in b_times), (load.stop_at, b_times[-20:])
        assert load.a_has_acknowledged()  # A did take load before it died
        by_node = {n: sum(u.startswith(f"load-{n}-") for u in ledger.users.values()) for n in "ab"}
        assert by_node["a"] > 0 and by_node["b"] > 0, by_node

        # Every user acknowledged with a 201 exists, seen from B...
        bearer = {"authorization": f"Bearer {cluster.bearer}"}
        found = await _gather_limited(
            [
                to_b.get(f"{b.url}/api/v1/orgs/root/users/{uid}", headers=bearer)
                for uid in ledger.users
            ]
        )
        missing = [
            (uid, r.status_code)
            for uid, r in zip(ledger.users, found, strict=True)
            if r.status_code != 200 or r.json()["username"] != ledger.users[uid]
        ]
        assert not missing, missing[:10]
        # ...and has its audit record.
        audited: set[str] = set()
        cursor: str | None = None
        while True:
            params = {"action": "user.create", "limit": "200"} | (
                {"cursor": cursor} if cursor else {}
            )
            page = await to_b.get(
                f"{b.url}/api/v1/orgs/root/audit-events", params=params, headers=bearer
            )
            assert page.status_code == 200, page.text
            audited |= {e["target_id"] for e in page.json()["items"]}
            cursor = page.json()["next_cursor"]
            if not cursor:
                break
        assert set(ledger.users) <= audited, set(ledger.users) - audited

        # Every access token handed out is active on B.
        loader = (cluster.loader["client_id"], cluster.loader["client_secret"])
        answers = await _gather_limited(
            [
                to_b.post(f"{b.url}/oauth2/introspect", data={"token": t}, auth=loader)
                for t in ledger.tokens
            ]
        )
        inactive = [r.text[:200] for r in answers if r.status_code != 200 or not r.json()["active"]]
        assert not inactive, (len(inactive), len(ledger.tokens), inactive[:3])

        # Every refresh chain is where its acknowledged answers left it.
        web = (cluster.web["client_id"], cluster.web["client_secret"])
        for chain in chains:
            newest = await to_b.post(
                f"{b.url}/oauth2/token",
                data={"grant_type": "refresh_token", "refresh_token": chain.acknowledged[-1]},
                auth=web,
            )
            if chain.uncertain:  # rotated by A before it died (reuse detected), or not
                assert newest.status_code in (200, 400), newest.text
            else:
                assert newest.status_code == 200, (chain.nodes, newest.text)
            if len(chain.acknowledged) > 1:
                older = await to_b.post(
                    f"{b.url}/oauth2/token",
                    data={"grant_type": "refresh_token", "refresh_token": chain.acknowledged[-2]},
                    auth=web,
                )
                assert older.json().get("error") == "invalid_grant", older.text
        assert sum(len(c.acknowledged) > 1 for c in chains if "a" in c.nodes) > 0

    # A comes back on the same port, with the migrations applied and nothing left locked.
    started = time.monotonic()
    a.start(timeout=45)
    restart_seconds = time.monotonic() - started
    assert restart_seconds < 45
    with httpx.Client(timeout=30) as client:
        token = client.post(
            f"{a.url}/oauth2/token",
            data={"grant_type": "client_credentials", "scope": "users:read"},
            auth=loader,
        )
        assert token.status_code == 200, (token.text, _log_tail(a))
        some_user_of_b = next(u for u, n in ledger.users.items() if n.startswith("load-b-"))
        seen = client.get(f"{a.url}/api/v1/orgs/root/users/{some_user_of_b}", headers=bearer)
        assert seen.status_code == 200, (seen.text, _log_tail(a))
        active = client.post(
            f"{a.url}/oauth2/introspect", data={"token": ledger.tokens[0]}, auth=loader
        )
        assert active.json()["active"] is True, active.text
