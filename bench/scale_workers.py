"""Scale-out: token throughput with 1, 2 and 4 worker processes, Identra vs. oidc-provider.

For each worker count (``--workers``) and each server (``--servers``) this script:

1. starts the server with N worker processes on loopback, in the scale-out configuration:
   - Identra: ``identra serve --workers N`` on PostgreSQL + Redis (the private servers of
     scripts/services.sh, or IDENTRA_TEST_DATABASE_URL / IDENTRA_TEST_REDIS_URL), one fresh
     database and cache prefix per invocation;
   - oidc-provider: bench/peers/oidc-provider/cluster.mjs, Node's cluster module with N workers
     (the primary accepts connections and deals them round-robin to the workers), grants and
     refresh tokens in the same Redis (bench/peers/oidc-provider/redis-adapter.mjs);
2. measures ``client_credentials`` (a JWT access token per request) and ``refresh_token``
   (rotation on every use: JWT access token + ID token + a new refresh token; each connection
   runs its own chain, started from refresh tokens minted before the run: password grants on
   Identra, ``/bench/seed`` on the peer) for ``--duration`` seconds after a warm-up;
3. records the CPU time of the server's processes and of PostgreSQL + Redis during the run,
   and the resident memory (RSS) of each worker at the end of it.

It prints a table (req/s, p50, p99, errors, requests per CPU-second of the server and of the
whole deployment, RSS per worker), the ratio Identra/oidc-provider per grant and worker count,
and the per-core figure next to Keycloak's published sizing per vCPU.

Nothing is pinned to a core: N workers need N cores. On a machine with fewer cores than
workers + load generator, req/s stops growing and the per-core figure (requests per CPU-second
actually used) is the number to read.

Run from the repository root:  uv run python bench/scale_workers.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from token_throughput import (
    CLOCK_TICKS,
    HOST,
    LOADGEN_SCRIPT,
    PEER_SRC,
    REPO_ROOT,
    WORK_DIR,
    WRK_SCRIPT,
    BenchError,
    Unavailable,
    free_port,
    group_cpu_seconds,
    install_peer,
    log,
    peer_version,
    server_process,
    wait_for_port,
)

IDENTRA = "identra"
PEER = "oidc-provider"
SERVERS = (IDENTRA, PEER)
CC = "client_credentials"
REFRESH = "refresh_token"
GRANTS = (CC, REFRESH)
SCOPE = "bench"

# Red Hat build of Keycloak 26.2, High Availability Guide, chapter 6 "Concepts for sizing CPU
# and memory resources" (the same figures as keycloak.org/high-availability/single-cluster/
# concepts-memory-and-cpu-sizing at the time of writing): requests per second per vCPU.
KEYCLOAK_SOURCE = (
    "Red Hat build of Keycloak 26.2, High Availability Guide, ch. 6 'Concepts for sizing CPU "
    "and memory resources', https://docs.redhat.com/en/documentation/red_hat_build_of_keycloak/"
    "26.2/html/high_availability_guide/concepts-memory-and-cpu-sizing-"
)
KEYCLOAK_PER_VCPU = {"password login": 15, CC: 120, REFRESH: 120}
KEYCLOAK_NOTES = (
    "Keycloak's figures: TLS terminated by Keycloak, a new connection per client-credentials "
    "request (most of that CPU is the TLS handshake), database sized separately "
    "(0.35-0.7 vCPU per 100 login/logout/refresh per second), 150% CPU head-room on top. "
    "Here: plain HTTP on loopback, keep-alive connections."
)

# Cheapest argon2id parameters the settings accept (OWASP's minimum), so that minting the
# refresh tokens to start from (password grants) is quick; the measured paths hash nothing.
CHEAP_HASH = {
    "IDENTRA_PASSWORD_HASH__TIME_COST": "2",
    "IDENTRA_PASSWORD_HASH__MEMORY_COST": "19456",
    "IDENTRA_PASSWORD_HASH__PARALLELISM": "1",
}
SEED_USER = "bench-user"


@dataclass
class Point:
    server: str
    workers: int
    grant: str
    status: str = "ok"  # ok | failed | unavailable
    reason: str = ""
    requests: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    server_cpu_s: float = 0.0
    backing_cpu_s: float = 0.0  # PostgreSQL + Redis
    rps_per_server_cpu: float | None = None
    rps_per_all_cpu: float | None = None
    rss_mib_per_worker: float | None = None
    loadgen: str = ""


@dataclass(frozen=True)
class Options:
    workers: tuple[int, ...]
    servers: tuple[str, ...]
    grants: tuple[str, ...]
    duration: int
    warmup: int
    connections: int
    alg: str
    loadgen: str  # for client_credentials: wrk | python; refresh always uses python
    identra_cmd: tuple[str, ...]
    node: str
    npm: str
    start_timeout: float


@dataclass
class Deployment:
    """A running server: where to send requests and what to measure."""

    base_url: str
    token_path: str
    cc_auth: tuple[str, str]
    rt_auth: tuple[str, str]
    pgid: int
    mint: Any  # async (count) -> list[str] of refresh tokens


# --------------------------------------------------------------------- processes and CPU


def listening_pids(port: int) -> set[int]:
    """Processes holding a listening TCP socket on ``port`` (from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{fields[9]}]")
    pids = set()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        with contextlib.suppress(OSError):
            if {os.readlink(fd) for fd in fd_dir.iterdir()} & inodes:
                pids.add(int(fd_dir.parent.name))
    return pids


def _stat(pid: int) -> list[str] | None:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1]).split()
    except (OSError, IndexError):
        return None


def processes() -> dict[int, list[str]]:
    out = {}
    for entry in Path("/proc").glob("[0-9]*"):
        fields = _stat(int(entry.name))
        if fields is not None:
            out[int(entry.name)] = fields
    return out


def backing_pids(ports: Sequence[int]) -> set[int]:
    """PostgreSQL's postmaster and its backends, and Redis: the listeners and their children."""
    roots = set().union(*(listening_pids(p) for p in ports)) if ports else set()
    table = processes()
    return roots | {pid for pid, f in table.items() if int(f[1]) in roots}


def cpu_by_pid(pids: set[int]) -> dict[int, float]:
    out = {}
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            out[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return out


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two snapshots by the processes alive at the second one (a backend
    that exited in between is missed; one that started in between counts in full)."""
    return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())


def worker_rss_mib(pgid: int) -> list[float]:
    """RSS of the server's workers: the leaves of its process tree (uv and a supervisor or a
    cluster primary are inner nodes; multiprocessing's resource tracker is left out)."""
    table = {pid: f for pid, f in processes().items() if int(f[2]) == pgid}
    parents = {int(f[1]) for f in table.values()}
    out = []
    for pid, fields in table.items():
        if pid in parents:
            continue
        with contextlib.suppress(OSError):
            if b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
        out.append(int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20)  # rss in pages
    return out


# ---------------------------------------------------------------------------- load


def run_load(
    opts: Options, dep: Deployment, grant: str, seconds: int, tokens: list[str] | None
) -> dict[str, Any]:
    """One load-generator run; its BENCH_RESULT as a dict."""
    url = dep.base_url + dep.token_path
    user, secret = dep.rt_auth if grant == REFRESH else dep.cc_auth
    pair = f"{urllib.parse.quote_plus(user)}:{urllib.parse.quote_plus(secret)}"
    env = os.environ | {"BENCH_BASIC_AUTH": base64.b64encode(pair.encode()).decode()}
    if grant == REFRESH:
        assert tokens is not None
        env["BENCH_REFRESH_TOKENS"] = "\n".join(tokens)
    else:
        env["BENCH_BODY"] = urllib.parse.urlencode({"grant_type": CC, "scope": SCOPE})
    if grant == CC and opts.loadgen == "wrk":
        argv = [
            "wrk", "--threads", "1", "--connections", str(opts.connections),
            "--duration", f"{seconds}s", "--timeout", "10s", "--script", str(WRK_SCRIPT), url,
        ]  # fmt: skip
    else:
        argv = [
            sys.executable, str(LOADGEN_SCRIPT), "--url", url,
            "--connections", str(opts.connections), "--duration", str(seconds),
        ]  # fmt: skip
    try:
        done = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=seconds + 60, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"load generator did not finish within {seconds + 60}s") from error
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(
            f"load generator failed (exit {done.returncode}): "
            f"{(done.stderr or done.stdout).strip()[-400:]}"
        )
    result: dict[str, Any] = json.loads(line.removeprefix("BENCH_RESULT "))
    return result


def measure(
    server: str, workers: int, grant: str, dep: Deployment, opts: Options, ports: Sequence[int]
) -> Point:
    point = Point(server, workers, grant)
    point.loadgen = "wrk" if grant == CC and opts.loadgen == "wrk" else "python"
    need = opts.connections * (2 if opts.warmup else 1)
    seeds = asyncio.run(dep.mint(need)) if grant == REFRESH else None
    if opts.warmup:
        warm = seeds[: opts.connections] if seeds else None
        run_load(opts, dep, grant, opts.warmup, warm)
    measured = seeds[-opts.connections :] if seeds else None
    server_before, backing_before = group_cpu_seconds(dep.pgid), cpu_by_pid(backing_pids(ports))
    raw = run_load(opts, dep, grant, opts.duration, measured)
    point.server_cpu_s = round(group_cpu_seconds(dep.pgid) - server_before, 2)
    point.backing_cpu_s = round(cpu_delta(backing_before, cpu_by_pid(backing_pids(ports))), 2)
    rss = worker_rss_mib(dep.pgid)
    point.rss_mib_per_worker = round(sum(rss) / len(rss), 1) if rss else None
    seconds = raw["duration_us"] / 1e6
    point.requests = int(raw["requests"])
    point.errors = sum(int(v) for k, v in raw.items() if k.startswith("errors_"))
    point.rps = round(point.requests / seconds, 1) if seconds else 0.0
    point.p50_ms = round(raw["p50_us"] / 1000, 2)
    point.p99_ms = round(raw["p99_us"] / 1000, 2)
    if point.server_cpu_s > 0:
        point.rps_per_server_cpu = round(point.requests / point.server_cpu_s, 1)
        point.rps_per_all_cpu = round(
            point.requests / (point.server_cpu_s + point.backing_cpu_s), 1
        )
    log(
        f"{server} x{workers} {grant}: {point.rps:,.0f} req/s, p50 {point.p50_ms} ms, "
        f"p99 {point.p99_ms} ms, errors {point.errors}, server cpu {point.server_cpu_s}s, "
        f"pg+redis cpu {point.backing_cpu_s}s, rss/worker {point.rss_mib_per_worker} MiB"
    )
    if point.errors and point.requests == 0:
        raise BenchError(f"every request failed ({point.errors} errors)")
    return point


def wait_idle(pgid: int, timeout: float) -> None:
    """Wait until the server's processes are idle: with several workers the first one answers
    while the others are still importing and starting, and a measurement must not start then."""
    deadline = time.monotonic() + timeout
    before = group_cpu_seconds(pgid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = group_cpu_seconds(pgid)
        if now - before < 0.05:  # under 10% of one core over half a second
            return
        before = now
    log(f"warning: the server was still busy {timeout:.0f}s after start")


def check_status(url: str, auth: tuple[str, str], data: dict[str, str], timeout: float) -> None:
    """Retry until the token endpoint answers 200 (workers may still be starting)."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            resp = httpx.post(url, data=data, auth=auth, timeout=10)
            if resp.status_code == 200:
                return
            last = f"HTTP {resp.status_code}: {resp.text[:200]}"
            if resp.status_code < 500:
                break
        except httpx.HTTPError as error:
            last = repr(error)
        time.sleep(0.25)
    raise BenchError(f"token request failed: {last}")


async def gather_limited(count: int, one: Any, limit: int = 8) -> list[str]:
    gate = asyncio.Semaphore(limit)

    async def guarded() -> str:
        async with gate:
            return str(await one())

    return list(await asyncio.gather(*(guarded() for _ in range(count))))


# ------------------------------------------------------------------------- services


@contextlib.contextmanager
def services() -> Iterator[tuple[str, str]]:
    """PostgreSQL + Redis URLs: from the environment, else scripts/services.sh (stopped again
    on the way out only if this script started them)."""
    db, redis = (
        os.environ.get("IDENTRA_TEST_DATABASE_URL"),
        os.environ.get("IDENTRA_TEST_REDIS_URL"),
    )
    if db and redis:
        yield db, redis
        return
    script = REPO_ROOT / "scripts" / "services.sh"
    if subprocess.run([script, "check"], capture_output=True, check=False).returncode != 0:
        raise Unavailable("PostgreSQL/Redis binaries missing (scripts/setup.sh --system)")
    running = subprocess.run([script, "status"], capture_output=True, check=False).returncode == 0
    done = subprocess.run([script, "start"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise Unavailable(f"scripts/services.sh start failed: {done.stderr[-400:]}")
    urls = dict(line.split("=", 1) for line in done.stdout.split())
    try:
        yield urls["IDENTRA_TEST_DATABASE_URL"], urls["IDENTRA_TEST_REDIS_URL"]
    finally:
        if not running:
            subprocess.run([script, "stop"], capture_output=True, check=False)


def url_port(url: str, default: int) -> int:
    return urllib.parse.urlsplit(url).port or default


def _admin_dsn(url: str) -> str:
    parts = urllib.parse.urlsplit(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    return urllib.parse.urlunsplit(parts._replace(path="/postgres"))


async def _pg(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_admin_dsn(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def fresh_database(url: str) -> Iterator[str]:
    name = f"identra_bench_{secrets.token_hex(6)}"
    asyncio.run(_pg(url, f'CREATE DATABASE "{name}"'))
    parts = urllib.parse.urlsplit(url)
    try:
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with contextlib.suppress(Exception):
            asyncio.run(_pg(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# --------------------------------------------------------------------------- Identra


class IdentraSide:
    def __init__(self, opts: Options, db_url: str, redis_url: str, data_dir: Path) -> None:
        self.opts = opts
        self.admin_password = secrets.token_urlsafe(24)
        self.user_password = secrets.token_urlsafe(24)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("IDENTRA_")} | {
            "IDENTRA_DATABASE_URL": db_url,
            "IDENTRA_REDIS_URL": redis_url,
            "IDENTRA_CACHE_PREFIX": f"bench{secrets.token_hex(4)}:",
            "IDENTRA_DATA_DIR": str(data_dir),
            "IDENTRA_BOOTSTRAP_ADMIN_PASSWORD": self.admin_password,
            "IDENTRA_SIGNING_ALG": opts.alg,
            "IDENTRA_LOG_LEVEL": "WARNING",
            **CHEAP_HASH,
        }
        self.cc: tuple[str, str] | None = None
        self.rt: tuple[str, str] | None = None

    def setup(self, base: str) -> None:
        """Once per invocation: the applications and the user the load runs as."""
        if self.cc is not None:
            return
        admin = ("admin", self.admin_password)
        with httpx.Client(base_url=base, auth=admin, timeout=60) as client:
            m2m = client.post(
                "/api/v1/orgs/root/applications",
                json={"name": "bench", "type": "m2m", "scopes": [SCOPE]},
            )
            web = client.post(
                "/api/v1/orgs/root/applications",
                json={
                    "name": "bench-rt",
                    "type": "web",
                    "redirect_uris": ["https://rp.example.com/cb"],
                    "grant_types": ["authorization_code", "refresh_token", "password"],
                },
            )
            user = client.post(
                "/api/v1/orgs/root/users",
                json={"username": SEED_USER, "password": self.user_password},
            )
        for resp in (m2m, web, user):
            if resp.status_code != 201:
                raise BenchError(
                    f"setup: {resp.request.url.path} gave {resp.status_code}: {resp.text[:300]}"
                )
        self.cc = (m2m.json()["client_id"], m2m.json()["client_secret"])
        self.rt = (web.json()["client_id"], web.json()["client_secret"])

    @contextlib.contextmanager
    def start(self, workers: int) -> Iterator[Deployment]:
        port = free_port()
        base = f"http://{HOST}:{port}"
        argv = [*self.opts.identra_cmd, "serve", "--host", HOST, "--port", str(port),
                "--workers", str(workers)]  # fmt: skip
        log_path = WORK_DIR / "logs" / f"scale-identra-x{workers}.log"
        with server_process(argv, self.env, log_path, cwd=REPO_ROOT) as proc:
            wait_for_port(port, proc, self.opts.start_timeout, log_path)
            self.setup(base)
            assert self.cc is not None and self.rt is not None
            check_status(
                base + "/oauth2/token", self.cc, {"grant_type": CC, "scope": SCOPE},
                self.opts.start_timeout,
            )  # fmt: skip
            wait_idle(proc.pid, self.opts.start_timeout)
            rt = self.rt
            password = self.user_password

            async def mint(count: int) -> list[str]:
                async with httpx.AsyncClient(base_url=base, auth=rt, timeout=60) as client:

                    async def one() -> str:
                        resp = await client.post(
                            "/oauth2/token",
                            data={
                                "grant_type": "password",
                                "username": SEED_USER,
                                "password": password,
                                "scope": "openid",
                            },
                        )
                        if resp.status_code != 200:
                            raise BenchError(
                                f"password grant: {resp.status_code} {resp.text[:200]}"
                            )
                        return str(resp.json()["refresh_token"])

                    return await gather_limited(count, one)

            yield Deployment(base, "/oauth2/token", self.cc, self.rt, proc.pid, mint)


# ----------------------------------------------------------------------------- peer


class PeerSide:
    def __init__(self, opts: Options, redis_url: str, peer_dir: Path) -> None:
        self.opts = opts
        self.redis_url = redis_url
        self.peer_dir = peer_dir
        self.cc = ("bench-client", f"bench-secret-{secrets.token_hex(16)}")
        self.rt = ("bench-rt", f"bench-rt-{secrets.token_hex(16)}")
        self.seed_secret = secrets.token_hex(16)

    @contextlib.contextmanager
    def start(self, workers: int) -> Iterator[Deployment]:
        port = free_port()
        base = f"http://{HOST}:{port}"
        prefix = f"oidcbench{secrets.token_hex(4)}:"
        env = os.environ | {
            "NODE_ENV": "production",
            "PORT": str(port),
            "ALG": self.opts.alg,
            "WORKERS": str(workers),
            "REDIS_URL": self.redis_url,
            "REDIS_PREFIX": prefix,
            "CLIENT_ID": self.cc[0],
            "CLIENT_SECRET": self.cc[1],
            "RT_CLIENT_ID": self.rt[0],
            "RT_CLIENT_SECRET": self.rt[1],
            "SEED_SECRET": self.seed_secret,
            "SCOPE": SCOPE,
        }
        log_path = WORK_DIR / "logs" / f"scale-oidc-provider-x{workers}.log"
        with server_process(
            [self.opts.node, "cluster.mjs"], env, log_path, cwd=self.peer_dir
        ) as proc:
            wait_for_port(port, proc, self.opts.start_timeout, log_path)
            check_status(
                base + "/token", self.cc, {"grant_type": CC, "scope": SCOPE},
                self.opts.start_timeout,
            )  # fmt: skip
            wait_idle(proc.pid, self.opts.start_timeout)
            secret = self.seed_secret

            async def mint(count: int) -> list[str]:
                async with httpx.AsyncClient(base_url=base, timeout=60) as client:

                    async def one() -> str:
                        resp = await client.post("/bench/seed", headers={"x-bench-seed": secret})
                        if resp.status_code != 200:
                            raise BenchError(f"seed: {resp.status_code} {resp.text[:200]}")
                        return str(resp.json()["refresh_token"])

                    return await gather_limited(count, one)

            try:
                yield Deployment(base, "/token", self.cc, self.rt, proc.pid, mint)
            finally:
                drop_keys(self.redis_url, prefix)


def drop_keys(redis_url: str, prefix: str) -> None:
    """Remove the peer's grants and refresh tokens from Redis (they would live for weeks)."""
    import redis

    with contextlib.suppress(redis.RedisError):
        client = redis.Redis.from_url(redis_url)
        try:
            for key in client.scan_iter(match=f"{prefix}*", count=1000):
                client.delete(key)
        finally:
            client.close()


def prepare_peer(opts: Options) -> Path:
    from token_throughput import Options as ThroughputOptions

    dest = install_peer(ThroughputOptions(  # only `npm` is read
        algs=(), servers=(), duration=1, warmup=0, repeat=1, connections=1, scope="",
        loadgen="python", server_cpu=0, loadgen_cpu=0, identra_cmd=(), identra_token_path="",
        node=opts.node, npm=opts.npm, start_timeout=1,
    ))  # fmt: skip
    for name in ("cluster.mjs", "redis-adapter.mjs"):
        shutil.copy2(PEER_SRC / name, dest / name)
    return dest


# ---------------------------------------------------------------------------- report


def ratio(points: Sequence[Point], grant: str, workers: int) -> dict[str, float] | None:
    found = {p.server: p for p in points if p.grant == grant and p.workers == workers}
    ours, peer = found.get(IDENTRA), found.get(PEER)
    if not ours or not peer or ours.status != "ok" or peer.status != "ok" or not peer.rps:
        return None
    out = {"rps": round(ours.rps / peer.rps, 2)}
    if ours.rps_per_server_cpu and peer.rps_per_server_cpu:
        out["per_core"] = round(ours.rps_per_server_cpu / peer.rps_per_server_cpu, 2)
    return out


def format_report(points: Sequence[Point], opts: Options, quick: bool) -> str:
    headers = ("grant", "workers", "server", "req/s", "p50 ms", "p99 ms", "errors",
               "req/srv-cpu-s", "req/all-cpu-s", "RSS/worker MiB")  # fmt: skip
    rows = []
    for p in points:
        if p.status != "ok":
            rows.append((p.grant, str(p.workers), p.server, p.status, *("-" * 6)))
            continue
        rows.append((
            p.grant, str(p.workers), p.server, f"{p.rps:,.0f}", f"{p.p50_ms:.1f}",
            f"{p.p99_ms:.1f}", str(p.errors),
            "-" if p.rps_per_server_cpu is None else f"{p.rps_per_server_cpu:,.0f}",
            "-" if p.rps_per_all_cpu is None else f"{p.rps_per_all_cpu:,.0f}",
            "-" if p.rss_mib_per_worker is None else f"{p.rss_mib_per_worker:.0f}",
        ))  # fmt: skip
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]  # fmt: skip

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i < 3 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True)))  # fmt: skip

    out = [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows), ""]
    for grant in opts.grants:
        for workers in opts.workers:
            r = ratio(points, grant, workers)
            if r is None:
                out.append(f"ratio Identra/oidc-provider {grant} x{workers}: n/a")
            else:
                out.append(
                    f"ratio Identra/oidc-provider {grant} x{workers}: req/s {r['rps']:.2f}x"
                    + (f", per core {r['per_core']:.2f}x" if "per_core" in r else "")
                )
    out.append("")
    out.append("per core (requests per CPU-second of the server processes) vs. Keycloak per vCPU:")
    for grant in opts.grants:
        ours = [
            p for p in points if p.server == IDENTRA and p.grant == grant and p.rps_per_server_cpu
        ]
        peer = [p for p in points if p.server == PEER and p.grant == grant and p.rps_per_server_cpu]
        best = max((p.rps_per_server_cpu or 0 for p in ours), default=0)
        peer_best = max((p.rps_per_server_cpu or 0 for p in peer), default=0)
        out.append(
            f"  {grant}: Identra {best:,.0f}/core"
            + (f", oidc-provider {peer_best:,.0f}/core" if peer_best else "")
            + f", Keycloak {KEYCLOAK_PER_VCPU[grant]}/vCPU"
            + (f" (Identra {best / KEYCLOAK_PER_VCPU[grant]:.1f}x)" if best else "")
        )
    out.append(f"  password login: Keycloak {KEYCLOAK_PER_VCPU['password login']}/vCPU "
               "(Identra: see bench/login_throughput.py)")  # fmt: skip
    out.append(f"  source: {KEYCLOAK_SOURCE}")
    out.append(f"  {KEYCLOAK_NOTES}")
    out.append("")
    for p in points:
        if p.reason:
            out.append(f"{p.server} x{p.workers} {p.grant} {p.status}: {p.reason}")
    out.append(
        f"{opts.connections} connections, {opts.duration}s after {opts.warmup}s warm-up, "
        f"{opts.alg}; client_credentials load from {opts.loadgen}, refresh_token from the Python "
        f"load generator (a rotation chain per connection); {os.cpu_count()} CPUs, nothing pinned"
        + ("; QUICK SMOKE RUN: not a measurement" if quick else "")
    )
    return "\n".join(out)


# ------------------------------------------------------------------------------ main


def parse_args(argv: Sequence[str] | None) -> tuple[Options, bool, bool]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", default="1,2,4", help="comma list of worker counts")
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--grants", default=",".join(GRANTS))
    parser.add_argument("--duration", type=int, default=15, help="measured seconds per point")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up seconds per point")
    parser.add_argument(
        "--quick", action="store_true", help="3 s per point, 2 s warm-up: a smoke run"
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--alg", choices=("RS256", "ES256"), default="RS256")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--identra-cmd", default="uv run identra")
    parser.add_argument("--node", default="node")
    parser.add_argument("--npm", default="npm")
    parser.add_argument("--start-timeout", type=float, default=120.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    workers = tuple(int(w) for w in args.workers.split(",") if w.strip())
    servers = tuple(s.strip() for s in args.servers.split(",") if s.strip())
    grants = tuple(g.strip() for g in args.grants.split(",") if g.strip())
    if not workers or any(not 1 <= w <= 64 for w in workers):
        parser.error("--workers: counts between 1 and 64")
    if bad := [s for s in servers if s not in SERVERS]:
        parser.error(f"unknown --servers {bad}; choose from {SERVERS}")
    if bad := [g for g in grants if g not in GRANTS]:
        parser.error(f"unknown --grants {bad}; choose from {GRANTS}")
    duration, warmup = (3, 2) if args.quick else (args.duration, args.warmup)
    if not 1 <= duration <= 600 or not 0 <= warmup <= 120:
        parser.error("--duration must be 1..600 s and --warmup 0..120 s")
    loadgen = args.loadgen
    if loadgen == "auto":
        loadgen = "wrk" if shutil.which("wrk") else "python"
    opts = Options(
        workers=workers, servers=servers, grants=grants, duration=duration, warmup=warmup,
        connections=args.connections, alg=args.alg, loadgen=loadgen,
        identra_cmd=tuple(shlex.split(args.identra_cmd)), node=args.node, npm=args.npm,
        start_timeout=args.start_timeout,
    )  # fmt: skip
    return opts, args.quick, args.json


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run_side(
    name: str, side: IdentraSide | PeerSide, opts: Options, ports: Sequence[int]
) -> list[Point]:
    points = []
    for workers in opts.workers:
        log(f"--- {name} with {workers} worker(s)")
        try:
            with side.start(workers) as dep:
                for grant in opts.grants:
                    try:
                        points.append(measure(name, workers, grant, dep, opts, ports))
                    except BenchError as error:
                        log(f"{name} x{workers} {grant}: FAILED: {error}")
                        points.append(Point(name, workers, grant, "failed", str(error)))
        except (BenchError, Unavailable) as error:
            status = "unavailable" if isinstance(error, Unavailable) else "failed"
            log(f"{name} x{workers}: {status}: {error}")
            points += [Point(name, workers, g, status, str(error)) for g in opts.grants]
    return points


def main(argv: Sequence[str] | None = None) -> int:
    opts, quick, as_json = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    if os.getloadavg()[0] > 0.5:
        log(f"warning: 1-minute load average is {os.getloadavg()[0]:.2f}; results will be noisy")
    points: list[Point] = []
    env_info: dict[str, Any] = {"cpus": os.cpu_count(), "loadavg_1m_at_start": os.getloadavg()[0]}
    try:
        with services() as (db_url, redis_url), fresh_database(db_url) as bench_db:
            ports = (url_port(db_url, 5432), url_port(redis_url, 6379))
            if IDENTRA in opts.servers:
                with tempfile.TemporaryDirectory(prefix="identra-scale-") as tmp:
                    side = IdentraSide(opts, bench_db, redis_url, Path(tmp))
                    points += run_side(IDENTRA, side, opts, ports)
            if PEER in opts.servers:
                try:
                    peer_dir = prepare_peer(opts)
                except (Unavailable, OSError, subprocess.TimeoutExpired) as error:
                    points += [Point(PEER, w, g, "unavailable", str(error))
                               for w in opts.workers for g in opts.grants]  # fmt: skip
                else:
                    env_info["oidc_provider"] = peer_version(peer_dir)
                    points += run_side(PEER, PeerSide(opts, redis_url, peer_dir), opts, ports)
    except Unavailable as error:
        log(f"unavailable: {error}")
        return 1
    except KeyboardInterrupt:
        log("interrupted; servers stopped")
        return 130
    if as_json:
        report = {
            "benchmark": "token throughput by worker count",
            "quick": quick,
            "options": asdict(opts),
            "environment": env_info,
            "points": [asdict(p) for p in points],
            "ratios": {f"{g} x{w}": ratio(points, g, w) for g in opts.grants for w in opts.workers},
            "keycloak_per_vcpu": KEYCLOAK_PER_VCPU,
            "keycloak_source": KEYCLOAK_SOURCE,
        }
        print(json.dumps(report, indent=2))
    else:
        print(format_report(points, opts, quick))
    return 1 if any(p.status == "failed" for p in points) else 0


if __name__ == "__main__":
    sys.exit(main())
