"""Fallback load generator for bench/token_throughput.py when `wrk` is not installed.

Runs as its own process (the bench pins it to the load-generator core with taskset) and
keeps `--connections` keep-alive connections busy with client_credentials token
requests (credentials and body from BENCH_BASIC_AUTH / BENCH_BODY, as for wrk) for
`--duration` seconds, then prints one `BENCH_RESULT {json}` line in the same
shape as bench/wrk/token.lua.

One Python process tops out well below wrk, so a fast server can be limited by this
generator rather than by itself; token_throughput.py says so in its output.

Refresh mode (bench/scale_workers.py): with BENCH_REFRESH_TOKENS set (one refresh token a
line, at least one per connection), each connection runs its own rotation chain: it sends
`grant_type=refresh_token` with its current token and continues with the one the answer
returns. A chain that gets anything but a 200 stops (its token may be spent), so errors show
up as fewer requests as well as in the error counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import time
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx


@dataclass
class Tally:
    latencies_us: list[int] = field(default_factory=list)
    errors_connect: int = 0
    errors_read: int = 0
    errors_status: int = 0
    errors_timeout: int = 0


def percentile(sorted_values: list[int], pct: float) -> int:
    """Nearest-rank percentile; 0 when nothing was measured."""
    if not sorted_values:
        return 0
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


async def worker(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    deadline: float,
    tally: Tally,
) -> None:
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            response = await client.post(url, content=body, headers=headers)
        except httpx.TimeoutException:
            tally.errors_timeout += 1
            continue
        except httpx.ConnectError:
            tally.errors_connect += 1
            # Don't spin on a dead server until the deadline.
            await asyncio.sleep(0.01)
            continue
        except httpx.TransportError:
            tally.errors_read += 1
            continue
        tally.latencies_us.append(int((time.perf_counter() - started) * 1_000_000))
        # Stricter than wrk (which only counts >= 400): anything but 200 is an error.
        if response.status_code != 200:
            tally.errors_status += 1


async def refresh_worker(
    client: httpx.AsyncClient,
    url: str,
    token: str,
    headers: dict[str, str],
    deadline: float,
    tally: Tally,
) -> None:
    """One rotation chain: every answer's refresh token is the next request's."""
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        body = f"grant_type=refresh_token&refresh_token={quote(token, safe='')}".encode()
        try:
            response = await client.post(url, content=body, headers=headers)
        except httpx.TimeoutException:
            tally.errors_timeout += 1
            return
        except httpx.TransportError:
            tally.errors_read += 1
            return
        tally.latencies_us.append(int((time.perf_counter() - started) * 1_000_000))
        if response.status_code != 200:
            tally.errors_status += 1
            return
        try:
            token = response.json()["refresh_token"]
        except (ValueError, KeyError):
            tally.errors_status += 1
            return


async def run(
    url: str,
    basic_auth: str,
    body: str,
    connections: int,
    duration: float,
    refresh_tokens: list[str] | None = None,
) -> None:
    headers = {
        "Authorization": f"Basic {basic_auth}",
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
    }
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    tally = Tally()
    async with httpx.AsyncClient(limits=limits, timeout=10.0) as client:
        started = time.perf_counter()
        deadline = started + duration
        if refresh_tokens is not None:
            await asyncio.gather(
                *(
                    refresh_worker(client, url, token, headers, deadline, tally)
                    for token in refresh_tokens[:connections]
                )
            )
        else:
            await asyncio.gather(
                *(
                    worker(client, url, body.encode(), headers, deadline, tally)
                    for _ in range(connections)
                )
            )
        elapsed = time.perf_counter() - started
    latencies = sorted(tally.latencies_us)
    result = {
        "requests": len(latencies),
        "duration_us": int(elapsed * 1_000_000),
        "p50_us": percentile(latencies, 50),
        "p99_us": percentile(latencies, 99),
        "mean_us": sum(latencies) / len(latencies) if latencies else 0.0,
        "max_us": latencies[-1] if latencies else 0,
        "errors_connect": tally.errors_connect,
        "errors_read": tally.errors_read,
        "errors_write": 0,
        "errors_status": tally.errors_status,
        "errors_timeout": tally.errors_timeout,
    }
    print("BENCH_RESULT " + json.dumps(result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    # Credentials come through the environment, as for wrk, so they stay out of `ps`.
    basic_auth = os.environ["BENCH_BASIC_AUTH"]
    body = os.environ.get("BENCH_BODY", "grant_type=client_credentials")
    refresh_tokens = None
    if os.environ.get("BENCH_REFRESH_TOKENS"):
        refresh_tokens = os.environ["BENCH_REFRESH_TOKENS"].split()
        if len(refresh_tokens) < args.connections:
            parser.error("BENCH_REFRESH_TOKENS needs a refresh token for every connection")
    asyncio.run(run(args.url, basic_auth, body, args.connections, args.duration, refresh_tokens))


if __name__ == "__main__":
    main()
