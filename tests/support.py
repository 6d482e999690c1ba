"""Test helpers: building apps on a fresh database, clients, tokens."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from identra.app import create_app
from identra.clock import Clock
from identra.crypto.secretbox import generate_master_key
from identra.settings import Settings
from identra.storage.migrate import upgrade

ADMIN_PASSWORD = "correct-horse-battery-staple"
PG_URL = os.environ.get("IDENTRA_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("IDENTRA_TEST_REDIS_URL")
_TEMPLATE_LOCK = threading.Lock()
_templates: dict[str, str] = {}


def backend_name() -> str:
    return "postgresql+redis" if PG_URL else "sqlite+memory"


def _pg_admin(url: str) -> tuple[str, str]:
    """A synchronous psql-free way to run CREATE DATABASE: asyncpg on the maintenance DB."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    ), parsed.database or "identra_test"


async def _pg_exec(sql: str) -> None:
    import asyncpg

    assert PG_URL
    dsn, _ = _pg_admin(PG_URL)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _in_thread(fn: Any, *args: Any) -> Any:
    """Run blocking set-up that starts its own event loop, from inside a running loop."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def fresh_database_url(tmp_path: Path) -> str:
    """A migrated, empty database for one test: a copied SQLite file or a PostgreSQL clone."""
    worker = _worker()
    if PG_URL:
        with _TEMPLATE_LOCK:
            template = _templates.get("pg")
            if template is None:
                template = f"identra_tpl_{worker}_{uuid.uuid4().hex[:6]}"
                _in_thread(asyncio.run, _pg_exec(f'CREATE DATABASE "{template}"'))
                url = make_url(PG_URL).set(database=template).render_as_string(False)
                _in_thread(upgrade, url)
                _templates["pg"] = template
        name = f"identra_t_{uuid.uuid4().hex[:12]}"
        _in_thread(asyncio.run, _pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with _TEMPLATE_LOCK:
        template = _templates.get("sqlite")
        if template is None:
            folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"identra-tpl-{os.getpid()}"
            folder.mkdir(parents=True, exist_ok=True)
            template = str(folder / "template.db")
            _in_thread(upgrade, f"sqlite+aiosqlite:///{template}")
            _templates["sqlite"] = template
    target = tmp_path / "identra.db"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": fresh_database_url(tmp_path),
        "redis_url": REDIS_URL,
        "cache_prefix": f"t{uuid.uuid4().hex[:10]}:",
        "master_key": generate_master_key(),
        "bootstrap_admin_password": ADMIN_PASSWORD,
        "log_json": True,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    async with app.router.lifespan_context(app):
        yield app


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"authorization": f"Basic {token}"}


ADMIN = basic("admin", ADMIN_PASSWORD)


@dataclass
class Harness:
    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings

    @property
    def services(self) -> Any:
        return self.app.state.services

    async def create_org(self, handle: str, parent: str = "root") -> dict[str, Any]:
        resp = await self.client.post(
            f"/api/v1/orgs/{parent}/children",
            json={"handle": handle, "name": handle.title()},
            headers=ADMIN,
        )
        assert resp.status_code == 201, resp.text
        return resp.json()

    async def m2m_token(self, org: str, scopes: list[str]) -> str:
        """Create an M2M app in ``org`` with ``scopes`` (as the root admin) and get a token."""
        resp = await self.client.post(
            f"/api/v1/orgs/{org}/applications",
            json={"name": f"m2m-{uuid.uuid4().hex[:8]}", "type": "m2m", "scopes": scopes},
            headers=ADMIN,
        )
        assert resp.status_code == 201, resp.text
        body = resp.json()
        prefix = "" if org == "root" else f"/o/{org}"
        token = await self.client.post(
            f"{prefix}/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(body["client_id"], body["client_secret"]),
        )
        assert token.status_code == 200, token.text
        return str(token.json()["access_token"])


@asynccontextmanager
async def harness(
    tmp_path: Path, clock: Clock | None = None, **overrides: Any
) -> AsyncIterator[Harness]:
    settings = make_settings(tmp_path, **overrides)
    app = create_app(settings, clock)
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.issuer) as client:
            yield Harness(app, client, settings)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """Identra served by uvicorn on loopback in a thread, for clients that need real HTTP."""

    def __init__(self, tmp_path: Path, **overrides: Any) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        overrides.setdefault("issuer", self.base_url)
        self.settings = make_settings(tmp_path, **overrides)
        self.app = create_app(self.settings)
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_config=None, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
