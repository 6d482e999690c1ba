"""Running ``identra`` commands in-process against an isolated database.

Each test gets the database ``tests.support.make_settings`` builds (a migrated SQLite copy, or a
PostgreSQL clone and Redis on the second pass), handed to the CLI through the same
``IDENTRA_*`` environment variables an operator would set.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import Result
from sqlalchemy import select
from typer.testing import CliRunner

from identra.app import create_app
from identra.cli.main import app
from identra.settings import Settings
from identra.storage.db import create_engine, session_factory
from identra.storage.models import AuditEvent
from tests.support import ADMIN_PASSWORD, make_settings, running


@dataclass
class Cli:
    settings: Settings | None
    runner: CliRunner

    def __call__(self, *args: str, input: str | None = None, code: int | None = 0) -> Result:
        result = self.runner.invoke(app, list(args), input=input)
        # Only deliberate exits: an unexpected exception would show as a traceback.
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        if code is not None:
            assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
        return result

    def json(self, *args: str, input: str | None = None) -> Any:
        result = self(*args, "--json", input=input)
        return json.loads(result.stdout)

    def fail(self, *args: str, code: int = 1, input: str | None = None) -> str:
        """Run a command expected to fail; return its stderr (one line for domain errors)."""
        result = self(*args, input=input, code=code)
        assert result.stdout == ""
        if code == 1:
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
            assert "Traceback" not in result.stderr
        return result.stderr


def clear_identra_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("IDENTRA_") and not key.startswith("IDENTRA_TEST_"):
            monkeypatch.delenv(key)


def env_for(settings: Settings) -> dict[str, str]:
    assert settings.master_key is not None
    env = {
        "IDENTRA_DATA_DIR": str(settings.data_dir),
        "IDENTRA_MASTER_KEY": settings.master_key.get_secret_value(),
        "IDENTRA_CACHE_PREFIX": settings.cache_prefix,
        "IDENTRA_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    if settings.database_url:
        env["IDENTRA_DATABASE_URL"] = settings.database_url
    if settings.redis_url:
        env["IDENTRA_REDIS_URL"] = settings.redis_url
    return env


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    settings = make_settings(tmp_path)
    clear_identra_env(monkeypatch)
    for key, value in env_for(settings).items():
        monkeypatch.setenv(key, value)
    return Cli(settings, CliRunner())


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, str]], Cli]:
    """A CLI with exactly these IDENTRA_* variables (for configuration and first-start tests)."""

    def make(env: dict[str, str]) -> Cli:
        clear_identra_env(monkeypatch)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return Cli(None, CliRunner())

    return make


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The server on the CLI's database, in-process, for checking what a command did."""
    app_ = create_app(settings)
    async with running(app_):
        transport = httpx.ASGITransport(app=app_)
        async with httpx.AsyncClient(transport=transport, base_url=settings.issuer) as client:
            yield client


async def client_token(
    client: httpx.AsyncClient, client_id: str, secret: str, org: str = "root"
) -> httpx.Response:
    prefix = "" if org == "root" else f"/o/{org}"
    return await client.post(
        f"{prefix}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )


async def audit_events(settings: Settings) -> list[AuditEvent]:
    engine = create_engine(settings.effective_database_url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.scalars(select(AuditEvent).order_by(AuditEvent.seq))).all())
    finally:
        await engine.dispose()
