"""Helpers for tests that need real HTTP and real clients: a live server with an injectable
clock, direct seeding of its database, the openid-client harness (Node) and Chromium."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import uvicorn
from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import ConsoleMessage, Page, async_playwright

from identra.app import create_app
from identra.clock import Clock
from identra.crypto.secretbox import SecretBox, decode_master_key
from identra.storage.db import create_engine, session_factory
from tests.protocol.oidc.support import App, create_user, pkce_pair
from tests.protocol.oidc.support import create_app as seed_app
from tests.support import LiveServer

NODE_DIR = Path(__file__).resolve().parents[2] / "node"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class ClockedLiveServer(LiveServer):
    """``tests.support.LiveServer`` whose application uses the given clock."""

    def __init__(self, tmp_path: Path, clock: Clock, **overrides: Any) -> None:
        super().__init__(tmp_path, **overrides)
        self.app = create_app(self.settings, clock)
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_config=None, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)


class ShiftedClock(Clock):
    """Real time plus an offset the test can move back and forth (openid-client compares the
    tokens' ``iat`` with its own clock, so time must not stay frozen)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def timestamp(self) -> int:
        return int(time.time() + self.offset)


@asynccontextmanager
async def seeding(server: LiveServer) -> AsyncIterator[Seeder]:
    """Write users and applications straight into the live server's database."""
    engine = create_engine(server.settings.effective_database_url)
    assert server.settings.master_key is not None
    box = SecretBox(decode_master_key(server.settings.master_key.get_secret_value()))
    try:
        yield Seeder(session_factory(engine), box)
    finally:
        await engine.dispose()


class Seeder:
    def __init__(self, sessions: Any, box: SecretBox) -> None:
        self.sessions = sessions
        self.box = box

    async def user(self, username: str, **kw: Any) -> str:
        return await create_user(self.sessions, "root", username, **kw)

    async def app(self, **kw: Any) -> App:
        return await seed_app(self.sessions, self.box, "root", **kw)


def node_available() -> None:
    """The Node harness must be installed (scripts/setup.sh runs npm ci); never skipped."""
    if shutil.which("node") is None:
        raise RuntimeError("node is not installed (scripts/setup.sh --system installs it)")
    if not (NODE_DIR / "node_modules" / "openid-client").is_dir():
        raise RuntimeError("run `npm ci --prefix tests/node` (scripts/setup.sh does it)")


class RelyingParty:
    """One long-lived ``node tests/node/oidc.mjs serve`` process: each call is one
    openid-client step (a JSON line in, a JSON line out)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self._proc = proc
        self._lock = asyncio.Lock()

    async def __call__(self, command: str, **payload: Any) -> dict[str, Any]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        async with self._lock:
            line = json.dumps({"command": command, "input": payload}) + "\n"
            self._proc.stdin.write(line.encode())
            await self._proc.stdin.drain()
            answer = await asyncio.wait_for(self._proc.stdout.readline(), timeout=60)
        assert answer, "the openid-client harness exited"
        result: dict[str, Any] = json.loads(answer)
        return result


@asynccontextmanager
async def relying_party() -> AsyncIterator[RelyingParty]:
    node_available()
    proc = await asyncio.create_subprocess_exec(
        "node",
        str(NODE_DIR / "oidc.mjs"),
        "serve",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "NODE_NO_WARNINGS": "1"},
    )
    try:
        yield RelyingParty(proc)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), timeout=10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


@asynccontextmanager
async def chromium() -> AsyncIterator[PlaywrightBrowser]:
    """Debian's Chromium through Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


class ClientSite:
    """The relying party's own web server on loopback: records every request the browser
    makes to it (redirects and form posts from Identra) and answers 200."""

    def __init__(self) -> None:
        hits: list[tuple[str, str, str]] = []
        self.hits = hits

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                url = f"http://127.0.0.1:{self.server.server_port}{self.path}"
                hits.append((self.command, url, body))
                payload = b"back at the client"
                self.send_response(200)
                self.send_header("content-type", "text/plain")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _record

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ClientSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    async def wait(self, prefix: str, after: int = 0, timeout: float = 30) -> tuple[str, str, str]:
        """The first request at or after index ``after`` whose URL starts with ``prefix``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for hit in self.hits[after:]:
                if hit[1].startswith(prefix):
                    return hit
            await asyncio.sleep(0.05)
        raise TimeoutError(f"the browser never reached {prefix}")


def authorize_url(server: LiveServer, app: App) -> tuple[str, str]:
    """An authorization request of ``app`` (code flow, PKCE) at the live server: the URL and
    its ``state``."""
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "scope": "openid",
        "state": "st-" + os.urandom(4).hex(),
        "nonce": "n",
        "code_challenge": pkce_pair()[1],
        "code_challenge_method": "S256",
    }
    return f"{server.base_url}/oauth2/authorize?{urlencode(params)}", params["state"]


def watch_csp(page: Page) -> list[str]:
    """Collects the page's Content-Security-Policy violations (a test asserts there are none)."""
    violations: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", console)
    return violations
