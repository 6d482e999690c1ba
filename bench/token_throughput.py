"""OAuth 2 client_credentials token throughput: Identra vs. panva's oidc-provider.

For each signing algorithm (``--algs``) and each server (``--servers``) this script:

1. starts the server alone, pinned to one core (``taskset -c SERVER_CPU``), on loopback;
2. requests one token and checks it: HTTP 200, ``token_type`` Bearer, and an
   ``access_token`` that is a JWT whose header ``alg`` is the expected one;
3. runs a warm-up, then ``--repeat`` measured runs of ``--duration`` seconds from a
   load generator pinned to the other core (``wrk`` with bench/wrk/token.lua, else
   bench/loadgen.py);
4. checks one more token (the server survived the load) and stops the server.

It prints a table (server, alg, req/s, p50 ms, p99 ms, errors, CPU use; the median run
by req/s) and the ratio Identra/oidc-provider, or JSON with ``--json``. Servers are
stopped on every exit path, Ctrl-C and SIGTERM included. Only 127.0.0.1 is ever
contacted, for a bounded time.

Run from the repository root:  uv run python bench/token_throughput.py
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import platform
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Literal

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
PEER_SRC = BENCH_DIR / "peers" / "oidc-provider"
WORK_DIR = BENCH_DIR / ".work"  # git-ignored scratch: npm install, server logs
WRK_SCRIPT = BENCH_DIR / "wrk" / "token.lua"
LOADGEN_SCRIPT = BENCH_DIR / "loadgen.py"

HOST = "127.0.0.1"  # loopback only, by design
IDENTRA = "identra"
PEER = "oidc-provider"
SERVERS = (IDENTRA, PEER)
ALGS = ("RS256", "ES256")

Status = Literal["ok", "unavailable", "failed"]


class BenchError(Exception):
    """A step failed; the message is what the table shows."""


class Unavailable(BenchError):
    """The server could not be set up or started (e.g. Identra not built yet)."""


@dataclass(frozen=True)
class Target:
    """A running server's token endpoint and the client to authenticate as."""

    token_url: str
    client_id: str
    client_secret: str

    def basic_auth(self) -> str:
        # RFC 6749 2.3.1: id and secret are form-urlencoded before base64.
        pair = (
            f"{urllib.parse.quote_plus(self.client_id)}:"
            f"{urllib.parse.quote_plus(self.client_secret)}"
        )
        return base64.b64encode(pair.encode()).decode()


@dataclass
class Measurement:
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    errors: int
    error_detail: dict[str, int]
    # Share of one core used by the server, and how busy its core was overall: when
    # the two differ, something else ran on the server's core and the run is noisy.
    server_cpu_pct: float | None = None
    core_busy_pct: float | None = None
    # Requests per CPU-second of the server: steadier than req/s when something else
    # takes a share of the server's core, since it divides that share out.
    rps_per_cpu: float | None = None


@dataclass
class Result:
    server: str
    alg: str
    status: Status
    reason: str = ""
    measurement: Measurement | None = None  # the median of `runs` by req/s
    runs: list[Measurement] = field(default_factory=list)
    token_header: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Options:
    algs: tuple[str, ...]
    servers: tuple[str, ...]
    duration: int
    warmup: int
    repeat: int
    connections: int
    scope: str
    loadgen: Literal["wrk", "python"]
    server_cpu: int
    loadgen_cpu: int
    identra_cmd: tuple[str, ...]
    identra_token_path: str
    node: str
    npm: str
    start_timeout: float


# --------------------------------------------------------------------------- processes


def log(message: str) -> None:
    # Progress goes to stderr so that --json keeps stdout machine-readable.
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def tail(path: Path, lines: int = 8) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


@contextlib.contextmanager
def server_process(
    argv: Sequence[str], env: Mapping[str, str], log_path: Path, cwd: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server in its own session and always kill its whole process group.

    A new session keeps the terminal's Ctrl-C away from the server (we stop it
    ourselves, in order) and lets us reach grandchildren such as `uv run`'s Python.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield proc
        finally:
            stop_group(proc)


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    # A second Ctrl-C while we are stopping must not leave the server running.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _kill_group(proc)
    finally:
        signal.signal(signal.SIGINT, previous)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
            # The leader is gone; still sweep the group for stray workers.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Unavailable(f"exited with code {proc.returncode}: {tail(log_path)}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise Unavailable(f"not listening on {HOST}:{port} after {timeout:.0f}s: {tail(log_path)}")


def pinned(cpu: int, argv: Sequence[str]) -> list[str]:
    return ["taskset", "-c", str(cpu), *argv]


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user+system) of the live processes in a process group."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # Fields after the parenthesised command name; pgrp is field 5, utime 14.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def core_ticks(cpu: int) -> tuple[int, int]:
    """(busy, total) jiffies of one CPU from /proc/stat."""
    for text_line in Path("/proc/stat").read_text().splitlines():
        name, *values = text_line.split()
        if name == f"cpu{cpu}":
            ticks = [int(v) for v in values[:8]]  # user nice system idle iowait irq softirq steal
            idle = ticks[3] + ticks[4]
            return sum(ticks) - idle, sum(ticks)
    raise OSError(f"cpu{cpu} not in /proc/stat")


# ------------------------------------------------------------------------ token check


def b64url_json(segment: str) -> dict[str, Any]:
    padded = segment + "=" * (-len(segment) % 4)
    value = json.loads(base64.urlsafe_b64decode(padded))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def request_token(target: Target, scope: str) -> tuple[int, bytes]:
    form = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
    request = urllib.request.Request(
        target.token_url,
        data=urllib.parse.urlencode(form).encode(),
        headers={
            "Authorization": f"Basic {target.basic_auth()}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def check_token(target: Target, alg: str, scope: str, retry_for: float = 0.0) -> dict[str, Any]:
    """Fail unless the endpoint returns 200 and a JWT access token signed with `alg`.

    Returns the JWT header. `retry_for` absorbs servers that accept connections a
    moment before their app is ready: connection errors and 5xx are retried until
    then, a 4xx answer is final.
    """
    deadline = time.monotonic() + retry_for
    while True:
        try:
            status, body = request_token(target, scope)
        except OSError as error:
            if time.monotonic() >= deadline:
                raise BenchError(f"token request failed: {error}") from error
        else:
            if status < 500 or time.monotonic() >= deadline:
                break
        time.sleep(0.25)
    snippet = body[:300].decode(errors="replace")
    if status != 200:
        raise BenchError(f"token request gave HTTP {status}: {snippet}")
    try:
        payload = json.loads(body)
        token = payload["access_token"]
        header_b64, claims_b64, signature = token.split(".")
        header = b64url_json(header_b64)
        b64url_json(claims_b64)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BenchError(f"access_token is not a JWT ({error}): {snippet}") from error
    if not signature:
        raise BenchError("access_token has an empty signature")
    if header.get("alg") != alg:
        raise BenchError(f"access_token alg is {header.get('alg')!r}, expected {alg}")
    if str(payload.get("token_type", "")).lower() != "bearer":
        raise BenchError(f"token_type is {payload.get('token_type')!r}, expected Bearer")
    if header.get("typ") not in ("at+jwt", "application/at+jwt"):
        # RFC 9068 asks for typ at+jwt; worth knowing, not worth failing the run.
        log(f"note: access_token typ is {header.get('typ')!r}, RFC 9068 says 'at+jwt'")
    return header


# ----------------------------------------------------------------------- load generator


def form_body(scope: str) -> str:
    form = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
    return urllib.parse.urlencode(form)


def run_load(target: Target, opts: Options, seconds: int, server_pgid: int) -> Measurement:
    # Credentials via the environment keep them out of `ps`.
    env = os.environ | {
        "BENCH_BASIC_AUTH": target.basic_auth(),
        "BENCH_BODY": form_body(opts.scope),
    }
    if opts.loadgen == "wrk":
        # One wrk thread: it has one core, and keep-alive connections multiplex on it.
        argv = [
            "wrk", "--threads", "1", "--connections", str(opts.connections),
            "--duration", f"{seconds}s", "--timeout", "10s",
            "--script", str(WRK_SCRIPT), target.token_url,
        ]  # fmt: skip
    else:
        argv = [
            sys.executable, str(LOADGEN_SCRIPT), "--url", target.token_url,
            "--connections", str(opts.connections), "--duration", str(seconds),
        ]  # fmt: skip
    cpu_before = group_cpu_seconds(server_pgid)
    busy_before, total_before = core_ticks(opts.server_cpu)
    try:
        done = subprocess.run(
            pinned(opts.loadgen_cpu, argv),
            env=env,
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"load generator did not finish within {seconds + 60}s") from error
    server_cpu = group_cpu_seconds(server_pgid) - cpu_before
    busy_after, total_after = core_ticks(opts.server_cpu)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(
            f"load generator failed (exit {done.returncode}): "
            f"{(done.stderr or done.stdout).strip()[-400:]}"
        )
    raw: dict[str, float] = json.loads(line.removeprefix("BENCH_RESULT "))
    detail = {k.removeprefix("errors_"): int(v) for k, v in raw.items() if k.startswith("errors_")}
    duration_s = raw["duration_us"] / 1e6
    return Measurement(
        requests=int(raw["requests"]),
        duration_s=round(duration_s, 3),
        rps=round(raw["requests"] / duration_s, 1) if duration_s else 0.0,
        p50_ms=round(raw["p50_us"] / 1000, 3),
        p99_ms=round(raw["p99_us"] / 1000, 3),
        mean_ms=round(raw["mean_us"] / 1000, 3),
        max_ms=round(raw["max_us"] / 1000, 3),
        errors=sum(detail.values()),
        error_detail=detail,
        server_cpu_pct=round(100 * server_cpu / duration_s, 1) if duration_s else None,
        rps_per_cpu=round(raw["requests"] / server_cpu, 1) if server_cpu > 0 else None,
        core_busy_pct=(
            round(100 * (busy_after - busy_before) / (total_after - total_before), 1)
            if total_after > total_before
            else None
        ),
    )


def measure(server: str, alg: str, target: Target, opts: Options, pgid: int) -> Result:
    header = check_token(target, alg, opts.scope, retry_for=opts.start_timeout)
    log(f"{server} {alg}: sample token OK (header {json.dumps(header, sort_keys=True)})")
    if opts.warmup > 0:
        log(f"{server} {alg}: warm-up {opts.warmup:g}s")
        run_load(target, opts, opts.warmup, pgid)
    runs: list[Measurement] = []
    for i in range(1, opts.repeat + 1):
        log(
            f"{server} {alg}: measuring {opts.duration:g}s, {opts.connections} connections"
            + (f" (run {i}/{opts.repeat})" if opts.repeat > 1 else "")
        )
        run = run_load(target, opts, opts.duration, pgid)
        log(
            f"{server} {alg}: {run.rps:,.0f} req/s, p50 {run.p50_ms:.2f} ms, "
            f"p99 {run.p99_ms:.2f} ms, errors {run.errors}, server cpu {run.server_cpu_pct}%, "
            f"core busy {run.core_busy_pct}%"
        )
        runs.append(run)
    # The server must still issue valid tokens after the load, not just have answered.
    try:
        check_token(target, alg, opts.scope)
    except BenchError as error:
        raise BenchError(f"after the load: {error}") from error
    # On a shared 2-core machine single runs are noisy; the median run by req/s is the
    # figure, the others stay in the JSON.
    median = sorted(runs, key=lambda m: m.rps)[(len(runs) - 1) // 2]
    return Result(server, alg, "ok", measurement=median, runs=runs, token_header=header)


# ---------------------------------------------------------------------------- servers


def install_peer(opts: Options) -> Path:
    """Install oidc-provider into bench/.work from the committed lockfile (once)."""
    dest = WORK_DIR / "oidc-provider"
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json", "server.mjs"):
        # server.mjs must sit next to node_modules for Node's ESM resolution.
        shutil.copy2(PEER_SRC / name, dest / name)
    lock_hash = hashlib.sha256((PEER_SRC / "package-lock.json").read_bytes()).hexdigest()
    stamp = dest / ".installed-lock.sha256"
    if (dest / "node_modules").is_dir() and stamp.is_file() and stamp.read_text() == lock_hash:
        return dest
    log("installing oidc-provider (npm ci)")
    done = subprocess.run(
        [opts.npm, "ci", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=dest,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise Unavailable(f"npm ci failed: {(done.stderr or done.stdout).strip()[-400:]}")
    stamp.write_text(lock_hash)
    return dest


def peer_version(peer_dir: Path) -> str:
    try:
        manifest = json.loads((peer_dir / "node_modules/oidc-provider/package.json").read_text())
        return str(manifest["version"])
    except (OSError, ValueError, KeyError):
        return "unknown"


def run_peer(alg: str, opts: Options, peer_dir: Path) -> Result:
    port = free_port()
    target = Target(
        token_url=f"http://{HOST}:{port}/token",
        client_id="bench-client",
        client_secret=f"bench-secret-{os.urandom(16).hex()}",
    )
    env = os.environ | {
        "NODE_ENV": "production",
        "PORT": str(port),
        "ALG": alg,
        "CLIENT_ID": target.client_id,
        "CLIENT_SECRET": target.client_secret,
        "SCOPE": opts.scope or "bench",
    }
    log_path = WORK_DIR / "logs" / f"oidc-provider-{alg}.log"
    argv = pinned(opts.server_cpu, [opts.node, "server.mjs"])
    with server_process(argv, env, log_path, cwd=peer_dir) as proc:
        wait_for_port(port, proc, opts.start_timeout, log_path)
        return measure(PEER, alg, target, opts, proc.pid)


def identra_env(data_dir: Path, alg: str) -> dict[str, str]:
    return os.environ | {"IDENTRA_DATA_DIR": str(data_dir), "IDENTRA_SIGNING_ALG": alg}


def identra_cli(opts: Options, env: Mapping[str, str], *args: str) -> str:
    """Run one Identra CLI command to completion; its stdout, or Unavailable."""
    argv = [*opts.identra_cmd, *args]
    try:
        done = subprocess.run(
            argv,
            cwd=REPO_ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,  # the first `uv run` may have to sync the environment
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise Unavailable(f"`{shlex.join(argv)}` failed: {error}") from error
    if done.returncode != 0:
        detail = one_line(done.stderr or done.stdout)
        raise Unavailable(f"`{shlex.join(argv)}` exited {done.returncode}: {detail}")
    return done.stdout


def one_line(text: str, lines: int = 3) -> str:
    """The last lines of a CLI's output, without rich's box drawing, for the table."""
    cleaned = [" ".join(x.strip("╭╮╰╯│─ ").split()) for x in text.splitlines()]
    return " | ".join([x for x in cleaned if x][-lines:])


def create_identra_client(opts: Options, env: Mapping[str, str]) -> tuple[str, str]:
    # Migrate first so that `apps create` finds its schema in the fresh data dir; it
    # is a no-op if `apps create` (or `serve`) would have done it anyway.
    identra_cli(opts, env, "migrate")
    scope = ["--scope", opts.scope] if opts.scope else []
    out = identra_cli(
        opts, env, "apps", "create", "--name", "bench", "--type", "m2m", *scope, "--json"
    )
    # Tolerate log lines around the JSON document: the whole output, else the last
    # line that parses.
    for candidate in [out, *reversed(out.splitlines())]:
        with contextlib.suppress(ValueError):
            app = json.loads(candidate)
            if isinstance(app, dict) and app.get("client_id") and app.get("client_secret"):
                return str(app["client_id"]), str(app["client_secret"])
    raise Unavailable(f"no client_id/client_secret in `apps create` output: {out[-300:]}")


def run_identra(alg: str, opts: Options) -> Result:
    with tempfile.TemporaryDirectory(prefix="identra-bench-") as tmp:
        env = identra_env(Path(tmp), alg)
        client_id, client_secret = create_identra_client(opts, env)
        port = free_port()
        target = Target(
            token_url=f"http://{HOST}:{port}{opts.identra_token_path}",
            client_id=client_id,
            client_secret=client_secret,
        )
        serve = [*opts.identra_cmd, "serve", "--host", HOST, "--port", str(port), "--workers", "1"]
        log_path = WORK_DIR / "logs" / f"identra-{alg}.log"
        with server_process(pinned(opts.server_cpu, serve), env, log_path, cwd=REPO_ROOT) as proc:
            wait_for_port(port, proc, opts.start_timeout, log_path)
            return measure(IDENTRA, alg, target, opts, proc.pid)


def run_one(server: str, alg: str, opts: Options, peer: Path | Unavailable) -> Result:
    log(f"--- {server} {alg}")
    try:
        if server == PEER:
            if isinstance(peer, Unavailable):
                raise peer
            return run_peer(alg, opts, peer)
        return run_identra(alg, opts)
    except Unavailable as error:
        log(f"{server} {alg}: unavailable: {error}")
        return Result(server, alg, "unavailable", reason=str(error))
    except BenchError as error:
        log(f"{server} {alg}: FAILED: {error}")
        return Result(server, alg, "failed", reason=str(error))


# ---------------------------------------------------------------------------- report


def ratios(results: Sequence[Result]) -> dict[str, dict[str, float] | None]:
    """Identra/oidc-provider per algorithm: >1 means Identra is faster for req/s and
    slower for latencies."""
    by_key = {(r.server, r.alg): r.measurement for r in results if r.status == "ok"}
    out: dict[str, dict[str, float] | None] = {}
    for alg in dict.fromkeys(r.alg for r in results):
        ours, peer = by_key.get((IDENTRA, alg)), by_key.get((PEER, alg))
        if ours is None or peer is None or not peer.rps or not peer.p50_ms or not peer.p99_ms:
            out[alg] = None
            continue
        ratio = {
            "rps": round(ours.rps / peer.rps, 3),
            "p50": round(ours.p50_ms / peer.p50_ms, 3),
            "p99": round(ours.p99_ms / peer.p99_ms, 3),
        }
        if ours.rps_per_cpu and peer.rps_per_cpu:
            ratio["rps_per_cpu"] = round(ours.rps_per_cpu / peer.rps_per_cpu, 3)
        out[alg] = ratio
    return out


def format_table(results: Sequence[Result], opts: Options) -> str:
    headers = (
        "server", "alg", "req/s", "p50 ms", "p99 ms", "errors", "srv cpu%", "core%", "req/cpu-s",
    )  # fmt: skip
    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    for r in results:
        m = r.measurement
        if m is None:
            rows.append((r.server, r.alg, r.status, *("-" * (len(headers) - 3))))
            continue
        numbers = (f"{m.rps:,.0f}", f"{m.p50_ms:.2f}", f"{m.p99_ms:.2f}", str(m.errors))
        per_cpu = "-" if m.rps_per_cpu is None else f"{m.rps_per_cpu:,.0f}"
        usage = (pct(m.server_cpu_pct), pct(m.core_busy_pct), per_cpu)
        rows.append((r.server, r.alg, *numbers, *usage))
        if m.server_cpu_pct is not None and m.core_busy_pct is not None:
            if m.core_busy_pct - m.server_cpu_pct > NOISE_PCT:
                notes.append(
                    f"noisy: during {r.server} {r.alg} other processes used "
                    f"~{m.core_busy_pct - m.server_cpu_pct:.0f}% of cpu {opts.server_cpu}"
                )
            elif m.server_cpu_pct < 100 - NOISE_PCT:
                notes.append(
                    f"{r.server} {r.alg} used {m.server_cpu_pct:.0f}% of its core: it waited on "
                    "something else (load generator, I/O, locks)"
                )
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        # Text columns left-aligned, numbers right-aligned.
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in pairs)

    out = [line(headers), line(["-" * w for w in widths]), *(line(row) for row in rows)]
    out.append("")
    for alg, ratio in ratios(results).items():
        if ratio is None:
            out.append(f"ratio Identra/oidc-provider {alg}: n/a (a side did not run)")
        else:
            cpu_ratio = ratio.get("rps_per_cpu")
            out.append(
                f"ratio Identra/oidc-provider {alg}: req/s {ratio['rps']:.2f}x, "
                f"p50 {ratio['p50']:.2f}x, p99 {ratio['p99']:.2f}x"
                + ("" if cpu_ratio is None else f", req/cpu-s {cpu_ratio:.2f}x")
            )
    for r in results:
        if r.reason:
            out.append(f"{r.server} {r.alg} {r.status}: {r.reason}")
    out.append(
        f"loadgen {opts.loadgen} on cpu {opts.loadgen_cpu}, {opts.connections} connections, "
        f"{opts.duration:g}s after {opts.warmup:g}s warm-up"
        + (f", median of {opts.repeat} runs" if opts.repeat > 1 else "")
        + f"; servers on cpu {opts.server_cpu}, one at a time"
    )
    if opts.loadgen == "python":
        out.append("note: the Python load generator may saturate before the server; install wrk")
    out.extend(f"note: {n}" for n in notes)
    return "\n".join(out)


NOISE_PCT = 10.0  # points of a core; beyond this a run is flagged in the table notes


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def command_version(argv: Sequence[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else ""


def environment(opts: Options, peer_dir: Path | None) -> dict[str, Any]:
    cpu_model = "unknown"
    with contextlib.suppress(OSError):
        for text_line in Path("/proc/cpuinfo").read_text().splitlines():
            if text_line.startswith("model name"):
                cpu_model = text_line.split(":", 1)[1].strip()
                break
    return {
        "cpu_model": cpu_model,
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "node": command_version([opts.node, "--version"]),
        "oidc_provider": peer_version(peer_dir) if peer_dir else "not installed",
        "loadgen": opts.loadgen,
        "wrk": command_version(["wrk", "--version"]) if opts.loadgen == "wrk" else None,
        "loadavg_1m_at_start": round(os.getloadavg()[0], 2),
    }


# ------------------------------------------------------------------------------ main


def parse_args(argv: Sequence[str] | None = None) -> tuple[Options, bool, bool]:
    parser = argparse.ArgumentParser(
        description="client_credentials token throughput: Identra vs. oidc-provider"
    )
    parser.add_argument("--algs", default=",".join(ALGS), help="comma list of RS256,ES256")
    parser.add_argument("--servers", default=",".join(SERVERS), help="comma list of servers")
    parser.add_argument("--duration", type=int, default=10, help="measured seconds per run")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up seconds (0: none)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="measured runs per server; the median is shown"
    )
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections")
    parser.add_argument("--scope", default="bench", help="scope to request ('' for none)")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--server-cpu", type=int, default=1)
    parser.add_argument("--loadgen-cpu", type=int, default=0)
    parser.add_argument("--identra-cmd", default="uv run identra", help="how to invoke the CLI")
    parser.add_argument("--identra-token-path", default="/oauth2/token")
    parser.add_argument("--node", default="node")
    parser.add_argument("--npm", default="npm")
    parser.add_argument("--start-timeout", type=float, default=60.0, help="seconds")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a server is unavailable, too"
    )
    args = parser.parse_args(argv)

    algs = tuple(a.strip().upper() for a in args.algs.split(",") if a.strip())
    servers = tuple(s.strip() for s in args.servers.split(",") if s.strip())
    if bad := [a for a in algs if a not in ALGS]:
        parser.error(f"unsupported --algs {bad}; choose from {ALGS}")
    if bad := [s for s in servers if s not in SERVERS]:
        parser.error(f"unknown --servers {bad}; choose from {SERVERS}")
    if not 1 <= args.duration <= 600 or not 0 <= args.warmup <= 120:
        parser.error("--duration must be 1..600 s and --warmup 0..120 s (bounded runs)")
    if not 1 <= args.repeat <= 10:
        parser.error("--repeat must be 1..10")
    if not 1 <= args.connections <= 1024:
        parser.error("--connections must be 1..1024")
    cpus = os.sched_getaffinity(0)
    if args.server_cpu not in cpus or args.loadgen_cpu not in cpus:
        parser.error(f"--server-cpu/--loadgen-cpu must be among the usable CPUs {sorted(cpus)}")
    if args.server_cpu == args.loadgen_cpu:
        log("warning: server and load generator share a CPU; numbers will be pessimistic")
    if shutil.which("taskset") is None:
        parser.error("taskset (util-linux) is required to pin processes to CPUs")
    loadgen = args.loadgen
    if loadgen == "auto":
        loadgen = "wrk" if shutil.which("wrk") else "python"
    elif loadgen == "wrk" and shutil.which("wrk") is None:
        parser.error("wrk not found (apt-get install -y wrk), or use --loadgen python")
    opts = Options(
        algs=algs,
        servers=servers,
        duration=args.duration,
        warmup=args.warmup,
        repeat=args.repeat,
        connections=args.connections,
        scope=args.scope,
        loadgen=loadgen,
        server_cpu=args.server_cpu,
        loadgen_cpu=args.loadgen_cpu,
        identra_cmd=tuple(shlex.split(args.identra_cmd)),
        identra_token_path=args.identra_token_path,
        node=args.node,
        npm=args.npm,
        start_timeout=args.start_timeout,
    )
    return opts, args.json, args.strict


def _terminate(signum: int, _frame: FrameType | None) -> None:
    # Turn SIGTERM/SIGHUP into the same unwinding as Ctrl-C so servers get stopped.
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    opts, as_json, strict = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    if opts.loadgen == "python":
        log("using the Python load generator; `apt-get install -y wrk` gives better numbers")
    if os.getloadavg()[0] > 0.5:
        log(f"warning: 1-minute load average is {os.getloadavg()[0]:.2f}; results will be noisy")

    peer: Path | Unavailable = Unavailable("not requested")
    results: list[Result] = []
    try:
        if PEER in opts.servers:
            try:
                peer = install_peer(opts)
            except Unavailable as error:
                peer = error
            except (OSError, subprocess.TimeoutExpired) as error:
                peer = Unavailable(f"installing oidc-provider failed: {error}")
        env_info = environment(opts, peer if isinstance(peer, Path) else None)
        for alg in opts.algs:
            for server in opts.servers:
                results.append(run_one(server, alg, opts, peer))
    except KeyboardInterrupt:
        log("interrupted; servers stopped")
        return 130

    if as_json:
        report = {
            "benchmark": "oauth2 client_credentials token endpoint",
            "options": asdict(opts),
            "environment": env_info,
            "results": [asdict(r) for r in results],
            "ratio_identra_over_peer": ratios(results),
        }
        print(json.dumps(report, indent=2))
    else:
        print(format_table(results, opts))
    bad: set[Status] = {"failed", "unavailable"} if strict else {"failed"}
    return 1 if any(r.status in bad for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
