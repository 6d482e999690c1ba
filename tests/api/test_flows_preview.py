"""``POST /api/v1/orgs/{org}/flows/preview``: the real page of one node, for the designer; it
stores nothing, sends nothing, and refuses bad input with a 4xx problem."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from identra.cache.base import Cache
from tests.api.helpers import assert_problem, bearer, db_snapshot, ok, pointers
from tests.mailserver import MailServer
from tests.support import ADMIN, Harness, harness

BASE = "/api/v1/orgs/root/flows"
PREVIEW = f"{BASE}/preview"


def flow(*nodes: dict[str, Any], start: str = "login") -> dict[str, Any]:
    return {"schema": "identra.flow/1", "name": "Preview", "start": start, "nodes": list(nodes)}


STEP = flow(
    {"id": "login", "type": "step", "options": ["password", "magic-link"], "next": "mfa"},
    {"id": "mfa", "type": "step", "options": ["totp", "email-otp", "passkey"], "next": "check"},
    {
        "id": "check",
        "type": "condition",
        "if": {"application": {"in": ["x"]}},
        "then": "stop",
        "else": "enroll",
    },
    {
        "id": "enroll",
        "type": "enroll",
        "options": ["totp", "passkey"],
        "next": "limit",
        "skippable": True,
    },
    {"id": "limit", "type": "limit_sessions", "max": 2, "on_exceed": "choose", "next": "done"},
    {"id": "done", "type": "allow"},
    {"id": "stop", "type": "deny", "message": "Only from the office."},
)


@pytest.fixture(scope="module")
def mail() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest.fixture
async def h(tmp_path: Path, mail: MailServer) -> AsyncIterator[Harness]:
    async with harness(tmp_path, smtp=mail.smtp_settings()) as h:
        yield h


async def preview(h: Harness, **body: Any) -> dict[str, Any]:
    body.setdefault("flow", STEP)
    return await ok(await h.client.post(PREVIEW, json=body, headers=ADMIN))


def forms(html: str) -> list[str]:
    return re.findall(r"<form\b[^>]*>", html)


class CacheWrites:
    """Records every key written to the cache while installed."""

    def __init__(self, cache: Cache, monkeypatch: pytest.MonkeyPatch) -> None:
        self.keys: list[str] = []
        for name in ("set", "add", "incr"):
            original = getattr(cache, name)

            def recording(key: str, *args: Any, _original: Any = original, **kw: Any) -> Any:
                self.keys.append(key)
                return _original(key, *args, **kw)

            monkeypatch.setattr(cache, name, recording)


async def test_a_step_shows_every_option_in_the_real_page(h: Harness, mail: MailServer) -> None:
    app = await ok(
        await h.client.post(
            "/api/v1/orgs/root/applications",
            json={"name": "Payroll", "type": "web", "redirect_uris": ["https://pay.example/cb"]},
            headers=ADMIN,
        ),
        201,
    )
    before = await db_snapshot(h)
    sent = len(mail.messages)

    page = await preview(h, node="login", client_id=app["client_id"])

    assert page["node"] == "login" and page["kind"] == "step"
    html = page["html"]
    assert html.startswith("<!doctype html>")
    assert 'value="password"' in html and 'value="magic-link"' in html
    assert 'type="password"' in html and "Email me a link" in html
    assert "<strong>Payroll</strong>" in html  # the application the login is for
    assert forms(html) and all('action="#"' in f for f in forms(html))
    assert "<script" not in html.lower()
    assert 'name="csrf" value="preview"' in html
    # The style is linked from the server (a srcdoc frame allows no inline style).
    assert "<style" not in html
    link = re.search(r'<link rel="stylesheet" href="([^"]+)">', html)
    assert link is not None and link.group(1).startswith(h.settings.issuer)
    css = await h.client.get(link.group(1))  # no credentials needed
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "--identra-primary" in css.text and "</style>" not in css.text
    # Nothing stored, nothing sent.
    assert await db_snapshot(h) == before
    assert len(mail.messages) == sent


async def test_a_second_step_and_its_one_time_code_send_nothing(
    h: Harness, mail: MailServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    await preview(h, node="login")  # the registry and caches are warm
    before = await db_snapshot(h)
    writes = CacheWrites(h.services.cache, monkeypatch)
    page = await preview(h, node="mfa")
    html = page["html"]
    assert 'value="totp"' in html and 'value="email-otp"' in html
    assert "Sign in with a passkey" in html and "<script" not in html.lower()
    assert 'value="alex"' in html or "alex" in html  # the sample user an earlier step named
    assert await db_snapshot(h) == before
    assert writes.keys == []  # no flow context, no passkey challenge, no send throttle
    assert mail.messages == []


async def test_every_page_kind_renders(h: Harness) -> None:
    enroll = await preview(h, node="enroll")
    assert enroll["kind"] == "enroll"
    assert "Protect your account" in enroll["html"] and 'value="skip"' in enroll["html"]
    limit = await preview(h, node="limit")
    assert limit["kind"] == "limit_sessions" and "Too many active sessions" in limit["html"]
    denied = await preview(h, node="stop")
    assert denied["kind"] == "deny" and "Only from the office." in denied["html"]
    assert 'href="#"' in denied["html"]
    ident = await preview(
        h,
        flow=flow(
            {"id": "who", "type": "identify", "next": "pw"},
            {"id": "pw", "type": "step", "options": ["password"], "next": "ok"},
            {"id": "ok", "type": "allow"},
            start="who",
        ),
        node="who",
    )
    assert ident["kind"] == "identify" and 'name="username"' in ident["html"]
    root_name = (await ok(await h.client.get("/api/v1/orgs/root", headers=ADMIN)))["name"]
    assert f"<strong>{root_name}</strong>" in ident["html"]  # no application: the organization


async def test_the_text_form_and_a_german_page(h: Harness) -> None:
    text = (
        'flow "Text"\nstart login\n\nstep login\n  options password, magic-link\n  next done\n\n'
        "allow done\n"
    )
    page = await ok(
        await h.client.post(
            PREVIEW,
            json={"flow": None, "text": text, "node": "login", "locale": "de"},
            headers=ADMIN,
        )
    )
    assert '<html lang="de">' in page["html"]
    assert "Passwort" in page["html"] and "Abbrechen" in page["html"]
    english = await preview(h, node="login", locale="xx")  # not shipped: English
    assert '<html lang="en">' in english["html"] and "Cancel" in english["html"]


async def test_bad_input_is_a_problem_and_changes_nothing(h: Harness) -> None:
    c = h.client
    before = await db_snapshot(h)
    missing = assert_problem(await c.post(PREVIEW, json={"flow": STEP}, headers=ADMIN), 422)
    assert "/node" in {e["pointer"] for e in missing["errors"]}
    both = await c.post(PREVIEW, json={"flow": STEP, "text": "x", "node": "login"}, headers=ADMIN)
    assert_problem(both, 422)
    assert pointers(both) == {"/flow"}
    neither = await c.post(PREVIEW, json={"node": "login"}, headers=ADMIN)
    assert_problem(neither, 422)
    bad_flow = flow(
        {"id": "login", "type": "step", "options": ["no-such-option"], "next": "done"},
        {"id": "done", "type": "allow"},
    )
    invalid = await c.post(PREVIEW, json={"flow": bad_flow, "node": "login"}, headers=ADMIN)
    assert_problem(invalid, 422)
    assert pointers(invalid) == {"nodes.login.options"}
    bad_text = await c.post(PREVIEW, json={"text": "flow", "node": "login"}, headers=ADMIN)
    assert_problem(bad_text, 422)
    unknown = await c.post(PREVIEW, json={"flow": STEP, "node": "nope"}, headers=ADMIN)
    assert_problem(unknown, 422)
    assert pointers(unknown) == {"/node"}
    for silent in ("check", "done"):
        body = assert_problem(
            await c.post(PREVIEW, json={"flow": STEP, "node": silent}, headers=ADMIN), 422
        )
        assert "shows no page" in body["detail"]
        assert pointers(
            await c.post(PREVIEW, json={"flow": STEP, "node": silent}, headers=ADMIN)
        ) == {"/node"}
    await ok(
        await c.post(
            "/api/v1/orgs/root/children", json={"handle": "acme", "name": "Acme"}, headers=ADMIN
        ),
        201,
    )
    theirs = await ok(
        await c.post(
            "/api/v1/orgs/acme/applications",
            json={"name": "acme-app", "type": "web", "redirect_uris": ["https://a.example/cb"]},
            headers=ADMIN,
        ),
        201,
    )
    before = await db_snapshot(h)
    other = await c.post(
        PREVIEW,
        json={"flow": STEP, "node": "login", "client_id": theirs["client_id"]},
        headers=ADMIN,
    )
    assert_problem(other, 404)
    huge = {"flow": STEP, "node": "login", "text": None, "padding": "x" * 400_000}
    assert_problem(await c.post(PREVIEW, json=huge, headers=ADMIN), 413)
    assert_problem(
        await c.post(
            PREVIEW, content=b"{not json", headers={**ADMIN, "content-type": "application/json"}
        ),
        400,
    )
    assert_problem(
        await c.post(
            PREVIEW,
            content=b"node=login",
            headers={**ADMIN, "content-type": "application/x-www-form-urlencoded"},
        ),
        415,
    )
    assert_problem(await c.post(PREVIEW, json=[1, 2], headers=ADMIN), 422)
    assert_problem(
        await c.post(PREVIEW, json={"flow": STEP, "node": "login", "locale": "<x>"}, headers=ADMIN),
        422,
    )
    assert_problem(await c.post(PREVIEW, json={"flow": 5, "node": "login"}, headers=ADMIN), 422)
    assert await db_snapshot(h) == before


async def test_the_preview_needs_flows_read(h: Harness) -> None:
    body = {"flow": STEP, "node": "login"}
    token = bearer(await h.m2m_token("root", ["users:read"]))
    assert_problem(await h.client.post(PREVIEW, json=body, headers=token), 403)
    reader = bearer(await h.m2m_token("root", ["flows:read"]))
    page = await ok(await h.client.post(PREVIEW, json=body, headers=reader))
    assert page["kind"] == "step"
    assert_problem(await h.client.post(PREVIEW, json=body), 401)
