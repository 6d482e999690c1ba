"""End-to-end password logins per second, against the raw argon2id verify rate.

One login is what a browser and a client do together: GET /oauth2/authorize → the hosted
login page → POST username and password → redirect to the client with a code → the client
redeems the code at /oauth2/token (PKCE) and gets an ID token. Every login is checked (a code
came back, the token response is 200 with an id_token); a failed one counts as an error.

The server (``identra serve``, one worker, SQLite, in-process cache) is pinned to one core and
the load generator to the other. The reference is the raw rate of ``argon2id`` verification of
the same hash on the server's core, single-threaded: the work a password login cannot avoid.
The ratio logins/s ÷ verifies/s says how much of a core the rest of the login costs (1.0 would
mean the whole login is as cheap as the hash check alone).

Run from the repository root:  uv run python bench/login_throughput.py [--duration 20]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
ADMIN_PASSWORD = "bench-admin-" + secrets.token_urlsafe(12)
USER_PASSWORD = "bench-user-password-" + secrets.token_hex(4)
CALLBACK = "http://127.0.0.1:9/cb"  # never contacted: the generator reads the Location header


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.action:
            self.action = a.get("action", "")
        elif tag == "input" and a.get("type") == "hidden" and a.get("name") not in self.fields:
            self.fields[a.get("name", "")] = a.get("value", "")


def argon2_rate(seconds: float, cpu: int) -> float:
    """argon2id verifies per second of one core, measured in a pinned subprocess."""
    code = (
        "import time;from identra.crypto.passwords import hash_password, verify_password\n"
        "h=hash_password('x'*20);n=0;t=time.perf_counter()\n"
        f"while time.perf_counter()-t<{seconds}:\n verify_password(h,'x'*20);n+=1\n"
        "print(n/(time.perf_counter()-t))"
    )
    out = subprocess.run(
        ["taskset", "-c", str(cpu), sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    )
    return float(out.stdout.strip())


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def one_login(client: httpx.AsyncClient, base: str, app: dict[str, Any]) -> bool:
    client.cookies.clear()  # a new browser each time: no SSO session to reuse
    verifier, challenge = pkce()
    params = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "state": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    resp = await client.get(f"{base}/oauth2/authorize?{urlencode(params)}")
    while resp.status_code in (302, 303) and resp.headers["location"].startswith(base):
        resp = await client.get(resp.headers["location"])
    form = _Form()
    form.feed(resp.text)
    data = {**form.fields, "username": "bench-user", "password": USER_PASSWORD, "action": "login"}
    resp = await client.post(base + form.action, data=data)
    while resp.status_code in (302, 303) and resp.headers["location"].startswith(base):
        resp = await client.get(resp.headers["location"])
    location = resp.headers.get("location", "")
    code = parse_qs(urlsplit(location).query).get("code", [""])[0]
    if not location.startswith(CALLBACK) or not code:
        return False
    token = await client.post(
        f"{base}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
        auth=(app["client_id"], app["client_secret"]),
    )
    return token.status_code == 200 and "id_token" in token.json()


async def load(base: str, app: dict[str, Any], concurrency: int, seconds: float) -> dict[str, Any]:
    done, errors, latencies = 0, 0, []
    deadline = time.perf_counter() + seconds

    async def browser() -> None:
        nonlocal done, errors
        async with httpx.AsyncClient(timeout=30) as client:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                ok = await one_login(client, base, app)
                latencies.append(time.perf_counter() - started)
                done, errors = (done + 1, errors) if ok else (done, errors + 1)

    started = time.perf_counter()
    await asyncio.gather(*(browser() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    pick = (
        (lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000)
        if latencies
        else (lambda q: 0.0)
    )
    return {
        "logins_per_s": done / elapsed,
        "errors": errors,
        "logins": done,
        "p50_ms": pick(0.5),
        "p99_ms": pick(0.99),
    }


async def prepare(base: str) -> dict[str, Any]:
    auth = ("admin", ADMIN_PASSWORD)
    async with httpx.AsyncClient(base_url=base, auth=auth, timeout=60) as api:
        user = await api.post(
            "/api/v1/orgs/root/users", json={"username": "bench-user", "password": USER_PASSWORD}
        )
        user.raise_for_status()
        app = await api.post(
            "/api/v1/orgs/root/applications",
            json={
                "name": "bench-web",
                "type": "web",
                "redirect_uris": [CALLBACK],
                "skip_consent": True,
            },
        )
        app.raise_for_status()
        body: dict[str, Any] = app.json()
        return body


async def wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            if proc.poll() is not None:
                raise SystemExit("identra serve exited during start")
            try:
                if (await client.get(f"{base}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("identra serve did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    os.sched_setaffinity(0, {args.client_cpu})
    port = httpx_free_port()
    base = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory(prefix="identra-login-bench-") as tmp:
        env = os.environ | {
            "IDENTRA_DATA_DIR": tmp,
            "IDENTRA_ISSUER": base,
            "IDENTRA_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "IDENTRA_LOG_LEVEL": "WARNING",
        }
        serve = [
            "taskset",
            "-c",
            str(args.server_cpu),
            sys.executable,
            "-m",
            "identra",
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
        ]
        proc = subprocess.Popen(
            serve, env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            asyncio.run(wait_ready(base, proc))
            app = asyncio.run(prepare(base))
            asyncio.run(load(base, app, args.concurrency, args.warmup))
            result = asyncio.run(load(base, app, args.concurrency, args.duration))
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    verify = argon2_rate(min(args.duration, 10.0), args.server_cpu)
    result["argon2id_verifies_per_s"] = verify
    result["ratio"] = result["logins_per_s"] / verify
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"end-to-end password logins: {result['logins_per_s']:.1f}/s "
        f"(p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms, "
        f"{result['logins']} logins, {result['errors']} errors, concurrency {args.concurrency})"
    )
    print(f"raw argon2id verify, same core: {verify:.1f}/s")
    print(f"ratio logins/verifies: {result['ratio']:.2f}")


def httpx_free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    main()
