"""Applying login flows the way an operator does (``identra flows apply``), and reading the
hosted pages without JavaScript."""

from __future__ import annotations

import asyncio
import re
from html import unescape
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from identra.cli.main import app as cli_app
from identra.settings import Settings
from tests.protocol.oidc.support import Browser, forms
from tests.support import ADMIN_PASSWORD


def cli_env(settings: Settings) -> dict[str, str]:
    assert settings.master_key is not None
    env = {
        "IDENTRA_DATA_DIR": str(settings.data_dir),
        "IDENTRA_MASTER_KEY": settings.master_key.get_secret_value(),
        "IDENTRA_CACHE_PREFIX": settings.cache_prefix,
        "IDENTRA_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "IDENTRA_ISSUER": settings.issuer,
    }
    if settings.database_url:
        env["IDENTRA_DATABASE_URL"] = settings.database_url
    if settings.redis_url:
        env["IDENTRA_REDIS_URL"] = settings.redis_url
    return env


async def apply_flow(settings: Settings, folder: Path, source: str, client_id: str) -> str:
    """``identra flows apply FILE --org root --app CLIENT_ID`` (in a thread: the command runs
    its own event loop)."""
    path = folder / f"flow-{client_id}.txt"
    path.write_text(source, encoding="utf-8")
    args = ["flows", "apply", str(path), "--org", "root", "--app", client_id]
    result = await asyncio.to_thread(CliRunner().invoke, cli_app, args, env=cli_env(settings))
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return str(result.stdout)


def form_for(page: httpx.Response, option: str) -> dict[str, Any]:
    for form in forms(page.text):
        if form["fields"].get("option") == option:
            return dict(form)
    raise AssertionError(f"no form for option {option!r} in:\n{page.text}")


async def submit(
    browser: Browser, page: httpx.Response, option: str, **data: str
) -> httpx.Response:
    form = form_for(page, option)
    body = {**form["fields"], **data}
    return await browser.follow(await browser.client.post(form["action"], data=body))


async def secondary(browser: Browser, page: httpx.Response, action: str) -> httpx.Response:
    """Press one of the step page's own buttons (back, skip, cancel)."""
    form = [f for f in forms(page.text) if "option" not in f["fields"]][-1]
    body = {**form["fields"], "action": action}
    return await browser.follow(await browser.client.post(form["action"], data=body))


def text_of(page: httpx.Response, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', page.text, re.S)
    assert found, page.text
    return unescape(found.group(1)).strip()


def alert(page: httpx.Response) -> str:
    found = re.search(r'role="alert" id="form-error">(.*?)</p>', page.text, re.S)
    return unescape(found.group(1)).strip() if found else ""
