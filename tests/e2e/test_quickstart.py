"""The README's Quick start and First steps, exactly as a person runs them: real processes.

``identra serve`` runs as a subprocess on a free port with an empty data dir (SQLite and the
in-process cache; PostgreSQL and Redis on the second test pass); ``identra users create`` and
``identra apps create`` run as separate processes on the same data dir while it serves; the M2M
app's client-credentials token, fetched over HTTP, reads the created user back from the API.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support import PG_URL, REDIS_URL, free_port, fresh_database_url

PASSWORD = "s3cret-Passw0rd-for-alice"
START_TIMEOUT = 120.0


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDENTRA_")}
    env["IDENTRA_DATA_DIR"] = str(tmp_path / "var")
    env["IDENTRA_ISSUER"] = f"http://127.0.0.1:{port}"
    if PG_URL:  # the second pass: the same steps on PostgreSQL and Redis
        env["IDENTRA_DATABASE_URL"] = fresh_database_url(tmp_path)
        env["IDENTRA_CACHE_PREFIX"] = f"e2e{uuid.uuid4().hex[:8]}:"
        if REDIS_URL:
            env["IDENTRA_REDIS_URL"] = REDIS_URL
    return env


@contextmanager
def serving(env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    """``identra serve`` in a subprocess, its stdout and stderr in ``log``; yields the base URL."""
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "identra", "serve", "--port", str(port)],
            env=env,
            cwd=Path(env["IDENTRA_DATA_DIR"]).parent,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if proc.poll() is not None:
                    raise AssertionError(f"identra serve exited early:\n{log.read_text()}")
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"identra serve did not start:\n{log.read_text()}")
                time.sleep(0.2)
            yield base
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def identra(env: dict[str, str], *args: str, input: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "identra", *args],
        env=env,
        cwd=Path(env["IDENTRA_DATA_DIR"]).parent,
        input=input,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def test_quickstart(tmp_path: Path) -> None:
    port = free_port()
    env = _env(tmp_path, port)
    first_log = tmp_path / "first-start.log"
    with serving(env, port, first_log) as base:
        # First start with no IDENTRA_BOOTSTRAP_ADMIN_PASSWORD: a generated one is printed once.
        found = re.search(r"^  password: (\S+)$", first_log.read_text(), re.MULTILINE)
        assert found, first_log.read_text()
        admin_password = found.group(1)
        assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200

        identra(
            env,
            "users", "create", "alice", "--password-stdin",
            "--email", "alice@example.com", "--display-name", "Alice",
            input=PASSWORD + "\n",
        )  # fmt: skip
        create_app = "apps create --name reporting --type m2m --scope users:read --json"
        app = json.loads(identra(env, *create_app.split()))
        assert app["client_id"] and app["client_secret"]

        token = httpx.post(
            f"{base}/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(app["client_id"], app["client_secret"]),
            timeout=30,
        )
        assert token.status_code == 200, token.text
        body = token.json()
        assert body["token_type"] == "Bearer" and body["scope"] == "users:read"
        users = httpx.get(
            f"{base}/api/v1/orgs/root/users",
            headers={"authorization": f"Bearer {body['access_token']}"},
            timeout=30,
        )
        assert users.status_code == 200, users.text
        alice = next(u for u in users.json()["items"] if u["username"] == "alice")
        assert alice["emails"][0]["value"] == "alice@example.com"
        assert alice["has_password"] is True

        # The generated administrator password works for the management API (HTTP Basic).
        as_admin = httpx.get(
            f"{base}/api/v1/orgs/root/users", auth=("admin", admin_password), timeout=30
        )
        assert as_admin.status_code == 200, as_admin.text

    first = first_log.read_text()
    # The password appears once, in the bootstrap notice, never in a log record.
    assert first.count(admin_password) == 1
    assert PASSWORD not in first and app["client_secret"] not in first

    second_log = tmp_path / "second-start.log"
    with serving(env, port, second_log) as base:
        assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200
        again = httpx.post(
            f"{base}/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(app["client_id"], app["client_secret"]),
            timeout=30,
        )
        assert again.status_code == 200, again.text
    second = second_log.read_text()
    assert admin_password not in second
    assert "password:" not in second
