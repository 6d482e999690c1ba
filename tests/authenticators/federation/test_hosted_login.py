"""End to end through the downstream's hosted login pages: a flow ``password | idp:<name>``
applied with ``identra flows apply``, the upstream's real pages, the fixed return URL, and the
downstream's tokens for the application."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import pytest_asyncio
from joserfc import jwt
from joserfc.jwk import KeySet
from typer.testing import CliRunner

from identra.authenticators.interface import Redirect
from identra.cli.main import app as cli_app
from identra.storage.models import User
from tests.authenticators.federation.support import Upstream, add_idp, unique, upstream_login
from tests.flows.support import form_with, password, post
from tests.protocol.oidc.support import (
    PASSWORD,
    App,
    Browser,
    auth_params,
    make_app,
    make_user,
    pkce_pair,
    query,
)
from tests.support import ADMIN_PASSWORD, Harness, _in_thread

pytestmark = pytest.mark.asyncio(loop_scope="package")


def flows_apply(h: Harness, monkeypatch: pytest.MonkeyPatch, path: Path, client_id: str) -> str:
    """``identra flows apply FILE --org root --app CLIENT_ID`` on the downstream's database,
    configured through IDENTRA_* variables like an operator's shell."""
    settings = h.settings
    for key in list(os.environ):
        if key.startswith("IDENTRA_") and not key.startswith("IDENTRA_TEST_"):
            monkeypatch.delenv(key)
    assert settings.master_key is not None
    env = {
        "IDENTRA_DATA_DIR": str(settings.data_dir),
        "IDENTRA_MASTER_KEY": settings.master_key.get_secret_value(),
        "IDENTRA_CACHE_PREFIX": settings.cache_prefix,
        "IDENTRA_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "IDENTRA_DATABASE_URL": str(settings.database_url),
    }
    if settings.redis_url:
        env["IDENTRA_REDIS_URL"] = settings.redis_url
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    args = ["flows", "apply", str(path), "--org", "root", "--app", client_id]
    result = _in_thread(CliRunner().invoke, cli_app, args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return str(result.stdout)


@pytest_asyncio.fixture(loop_scope="package")
async def browser(h: Harness) -> AsyncIterator[Browser]:
    transport = httpx.ASGITransport(app=h.app)
    async with httpx.AsyncClient(transport=transport, base_url=h.settings.issuer) as client:
        yield Browser(client, h.settings.issuer)


async def setup_flow(
    h: Harness, up: Upstream, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **idp_kw: object
) -> tuple[App, str]:
    app = await make_app(h, settings={"skip_consent": True})
    name = unique("corp")
    await add_idp(h, up, name, **idp_kw)  # type: ignore[arg-type]
    source = tmp_path / "login.flow"
    source.write_text(
        f"""\
flow "Password or {name}"
start login

step login
  options password, idp:{name}
  next done

allow done
""",
        encoding="utf-8",
    )
    flows_apply(h, monkeypatch, source, app.client_id)
    return app, name


async def tokens_for(
    h: Harness, browser: Browser, app: App, back: dict[str, str], verifier: str
) -> dict[str, object]:
    resp = await browser.client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": back["code"],
            "redirect_uri": app.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(app.client_id, app.client_secret or ""),
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    jwks = KeySet.import_key_set((await browser.client.get("/oauth2/jwks")).json())
    claims = jwt.decode(body["id_token"], jwks).claims
    return dict(claims)


async def test_sign_in_with_the_upstream_through_the_hosted_pages(
    h: Harness,
    up: Upstream,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    app, name = await setup_flow(h, up, monkeypatch, tmp_path)
    username = unique("hosted")
    email = f"{username}@corp.example"
    await up.user(username, email)
    verifier, challenge = pkce_pair()
    params = auth_params(app, challenge)

    page = await browser.authorize(params)
    assert page.status_code == 200, page.text
    # Both options on one page: the password form and the provider's button.
    form_with(page, "option", "password")
    form_with(page, "option", f"idp:{name}")
    assert f"Sign in with {name}" in page.text

    away = await post(browser, page, ("option", f"idp:{name}"), action="login")
    assert away.status_code in (302, 303) and away.headers["location"].startswith(up.base_url)
    back = await upstream_login(up, Redirect(away.headers["location"]), username)
    done = await browser.follow(await browser.client.get(f"/login/return?{urlencode(back)}"))
    assert done.status_code in (302, 303), done.text
    answer = query(done.headers["location"])
    assert answer["state"] == params["state"] and "code" in answer

    claims = await tokens_for(h, browser, app, answer, verifier)
    assert claims["nonce"] == params["nonce"]
    # The user provisioned from the upstream account is who the downstream's ID token names.
    async with h.services.sessions() as session:
        user = await session.get(User, str(claims["sub"]))
        assert user is not None and user.username == email


async def test_upstream_refusal_shows_on_the_step_page_and_password_still_works(
    h: Harness,
    up: Upstream,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    app, name = await setup_flow(h, up, monkeypatch, tmp_path)
    username = unique("refuses")
    await up.user(username, f"{username}@corp.example")
    local_name = unique("local")
    local = await make_user(h, username=local_name)
    verifier, challenge = pkce_pair()
    params = auth_params(app, challenge)
    page = await browser.authorize(params)
    away = await post(browser, page, ("option", f"idp:{name}"), action="login")
    back = await upstream_login(up, Redirect(away.headers["location"]), username, consent=False)
    assert back["error"] == "access_denied"
    shown = await browser.follow(await browser.client.get(f"/login/return?{urlencode(back)}"))
    assert shown.status_code == 401, shown.text
    text = re.sub(r"\s+", " ", shown.text)
    assert f"Signing in with {name} was cancelled or refused" in text
    # A forged return for this flow is refused with a clear message, not a 500.
    flow = back["state"].partition(".")[0]
    forged = await browser.client.get(f"/login/return?state={flow}.forged&code=x")
    assert forged.status_code == 400, forged.text
    assert f"No sign-in with {name} is in progress" in re.sub(r"\s+", " ", forged.text)
    # Another way ("Try another way"): the password, on the same flow.
    assert 'value="back"' in forged.text
    step = form_with(forged, "csrf")
    page = await browser.follow(
        await browser.client.post(
            step["action"], data={"csrf": step["fields"]["csrf"], "action": "back"}
        )
    )
    done = await password(browser, page, local_name, PASSWORD)
    assert done.status_code in (302, 303), done.text
    answer = query(done.headers["location"])
    claims = await tokens_for(h, browser, app, answer, verifier)
    assert claims["sub"] == local
