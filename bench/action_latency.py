"""The latency a pre-issue access token action adds to the token endpoint.

    uv run python bench/action_latency.py                 # 300 requests per case
    uv run python bench/action_latency.py --requests 1000 --json

What it does, on loopback only:

1. prepares a fresh embedded database (a temporary folder) with two organizations, each with
   one M2M application; organization ``with-action`` also has a pre-issue access token action
   (signed requests, an API key) pointing at a local service that answers at once
   (``samples/actions/python/pre_issue_access_token.py``, in its own process);
2. starts ``identra serve`` in its own process;
3. sends ``client_credentials`` token requests one after the other (one keep-alive
   connection), alternating between the two organizations so that both see the same machine
   state, after a warm-up; every answer is checked (HTTP 200; the ``tier`` claim present
   exactly where the action applies);
4. reports median, p90 and p99 latency per case and the difference of the medians: what the
   action costs (the call, its signature, validation of the answer, and the audit record).

Both processes are stopped on every exit path.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "actions" / "python" / "pre_issue_access_token.py"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(values), 3),
        "p90_ms": round(percentile(values, 90), 3),
        "p99_ms": round(percentile(values, 99), 3),
        "mean_ms": round(statistics.mean(values), 3),
    }


def start(command: list[str], env: dict[str, str], ready: str | None, url: str = "") -> Any:
    """Start ``command``; ready when its output contains ``ready``, or ``url`` answers 200."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    seen = b""
    while time.monotonic() < deadline and proc.poll() is None:
        ready_fds, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready_fds:
            seen += os.read(proc.stdout.fileno(), 4096)
        if ready is not None and ready.encode() in seen:
            return proc
        if url:
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    return proc
            except httpx.HTTPError:
                pass
    stop(proc)
    raise RuntimeError(f"{command[:3]} did not start:\n{seen.decode(errors='replace')[-2000:]}")


def stop(proc: Any) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def prepare(env: dict[str, str], endpoint: str) -> dict[str, dict[str, str]]:
    """Organizations, applications and the action, written straight into the database."""
    sys.path.insert(0, str(ROOT / "src"))
    from identra.admin import actions as actions_admin
    from identra.admin import apps as apps_admin
    from identra.admin import orgs as orgs_admin
    from identra.bootstrap import prepare as prepare_database
    from identra.observability import audit
    from identra.services import build_services
    from identra.settings import Settings
    from identra.storage.repositories import orgs

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=Path(env["IDENTRA_DATA_DIR"]),
        master_key=env["IDENTRA_MASTER_KEY"],
        issuer=env["IDENTRA_ISSUER"],
        bootstrap_admin_password=env["IDENTRA_BOOTSTRAP_ADMIN_PASSWORD"],
    )
    services = build_services(settings)
    clients: dict[str, dict[str, str]] = {}
    try:
        await prepare_database(services)
        async with services.sessions.begin() as session:
            root = await orgs.root(session)
            for handle in ("no-action", "with-action"):
                org = await orgs_admin.create(session, root, handle, handle, audit.SYSTEM)
                app, secret = await apps_admin.create(
                    session,
                    org,
                    apps_admin.NewApp(name="bench", type="m2m", scopes=["bench"]),
                    audit.SYSTEM,
                    services.box,
                )
                assert secret is not None
                clients[handle] = {"client_id": app.client_id, "client_secret": secret}
                if handle == "with-action":
                    await actions_admin.create(
                        session,
                        org,
                        actions_admin.NewAction(
                            name="tier",
                            type="preIssueAccessToken",
                            endpoint=endpoint,
                            authentication={
                                "type": "api_key",
                                "header": "x-api-key",
                                "value": "bench-key",
                            },
                            signed=True,
                        ),
                        audit.SYSTEM,
                        services.box,
                    )
    finally:
        await services.close()
    return clients


def claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return data


def run(base: str, clients: dict[str, dict[str, str]], requests: int, warmup: int) -> Any:
    times: dict[str, list[float]] = {handle: [] for handle in clients}
    with httpx.Client(base_url=base, timeout=30) as http:
        for i in range(warmup + requests):
            for handle, client in clients.items():
                started = time.perf_counter()
                resp = http.post(
                    f"/o/{handle}/oauth2/token",
                    data={"grant_type": "client_credentials"},
                    auth=(client["client_id"], client["client_secret"]),
                )
                elapsed = (time.perf_counter() - started) * 1000
                if resp.status_code != 200:
                    raise RuntimeError(f"{handle}: HTTP {resp.status_code} {resp.text[:300]}")
                has_tier = "tier" in claims(resp.json()["access_token"])
                if has_tier != (handle == "with-action"):
                    raise RuntimeError(f"{handle}: the action applied where it should not")
                if i >= warmup:
                    times[handle].append(elapsed)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="measured requests per case")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    from identra.crypto.secretbox import generate_master_key

    server = sample = None
    with tempfile.TemporaryDirectory(prefix="identra-bench-") as folder:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("IDENTRA_")}
        env.update(
            IDENTRA_DATA_DIR=folder,
            IDENTRA_MASTER_KEY=generate_master_key(),
            IDENTRA_ISSUER=f"http://{HOST}:{port}",
            IDENTRA_BOOTSTRAP_ADMIN_PASSWORD="bench-admin-password-1",
            IDENTRA_LOG_LEVEL="WARNING",
        )
        try:
            sample_port = free_port()
            sample = start(
                [sys.executable, str(SAMPLE), "--port", str(sample_port)], env, "listening on"
            )
            clients = asyncio.run(prepare(env, f"http://{HOST}:{sample_port}/"))
            server = start(
                [sys.executable, "-m", "identra", "serve", "--host", HOST, "--port", str(port)],
                env,
                None,
                f"{env['IDENTRA_ISSUER']}/readyz",
            )
            times = run(env["IDENTRA_ISSUER"], clients, args.requests, args.warmup)
        finally:
            stop(server)
            stop(sample)
    without, with_action = summary(times["no-action"]), summary(times["with-action"])
    result = {
        "requests_per_case": args.requests,
        "without_action": without,
        "with_action": with_action,
        "added_median_ms": round(with_action["median_ms"] - without["median_ms"], 3),
        "added_p99_ms": round(with_action["p99_ms"] - without["p99_ms"], 3),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"token endpoint latency, {args.requests} sequential requests per case (ms)")
    print(f"{'case':<16}{'median':>10}{'p90':>10}{'p99':>10}")
    for name, row in (("without action", without), ("with action", with_action)):
        print(f"{name:<16}{row['median_ms']:>10.2f}{row['p90_ms']:>10.2f}{row['p99_ms']:>10.2f}")
    print(
        f"the action adds {result['added_median_ms']:.2f} ms at the median, "
        f"{result['added_p99_ms']:.2f} ms at p99"
    )


if __name__ == "__main__":
    main()
