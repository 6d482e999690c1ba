"""Accessibility of the hosted pages (issue 4): every page reachable over HTTP, read with an HTML
parser, and the login page in Chromium on a small phone screen.

Every HTML response of the walks below is audited (:func:`audit`): ``<html lang>`` set, a
``<title>``, one ``<h1>``, unique ids, every visible input, select and textarea labelled
(``<label for>``, ``aria-label`` or ``aria-labelledby``), buttons and links with text, images
with ``alt``, no positive ``tabindex``, ARIA references that point somewhere. The templates the
walks render are recorded, and together they must be every page template there is.

In Chromium (360 by 740 pixels, the size of a small phone): no page of the login needs horizontal
scrolling, in English, German and French; the whole login and consent are done with the
keyboard alone (Tab, typing, Enter).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pyotp
import pytest
from playwright.async_api import Page

from identra.clock import Clock, FrozenClock
from identra.i18n.extract import TEMPLATES, page_templates
from identra.web.login import pages
from tests.actions.support import mount as mount_actions
from tests.flows.support import apply_flow, form_with, identify, password, post
from tests.mailserver import MailServer
from tests.protocol.extras_helpers import DEVICE_CODE
from tests.protocol.oidc.live import ClientSite, ClockedLiveServer, chromium, seeding
from tests.protocol.oidc.support import (
    PASSWORD,
    Browser,
    auth_params,
    forms,
    hidden,
    make_app,
    make_user,
    pkce_pair,
    query,
)
from tests.selfservice.support import Visitor
from tests.smsgateway import SmsGateway
from tests.support import ADMIN, Harness, harness

PHONE = "+15551234567"
STRONG = "violet-harbour-lantern-42"
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)

# ---- the audit ------------------------------------------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    hidden: bool
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[Element] = []
        self.elements: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        hidden = (
            (bool(self.stack) and self.stack[-1].hidden)
            or "hidden" in values
            or values.get("aria-hidden") == "true"
        )
        element = Element(tag, values, hidden)
        self.elements.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            element.parts.append(data)


def audit(html: str, lang: str = "en") -> list[str]:
    """What is wrong with a page, as readable sentences (empty: nothing)."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    elements = parser.elements
    problems: list[str] = []

    def tagged(tag: str) -> list[Element]:
        return [e for e in elements if e.tag == tag]

    root = tagged("html")
    if not root or root[0].attrs.get("lang") != lang:
        problems.append(f"<html lang> is {root[0].attrs.get('lang') if root else None!r}")
    titles = tagged("title")
    if len(titles) != 1 or not titles[0].text:
        problems.append("no <title> text")
    headings = tagged("h1")
    if len(headings) != 1 or not headings[0].text:
        problems.append(f"{len(headings)} <h1> (one with text expected)")
    if not tagged("main"):
        problems.append("no <main>")
    if not any(m.attrs.get("name") == "viewport" for m in tagged("meta")):
        problems.append("no viewport <meta>")
    ids = [e.attrs["id"] for e in elements if "id" in e.attrs]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        problems.append(f"duplicate ids {duplicates}")
    known = set(ids)
    labelled = {e.attrs.get("for") for e in tagged("label") if e.text}
    for e in elements:
        name = f"<{e.tag} {' '.join(f'{k}={v!r}' for k, v in e.attrs.items())[:80]}>"
        tabindex = e.attrs.get("tabindex", "0").strip()
        if not re.fullmatch(r"-?\d+", tabindex) or int(tabindex) > 0:
            problems.append(f"{name}: tabindex {tabindex!r}")
        for attr in ("aria-describedby", "aria-labelledby"):
            missing = [i for i in e.attrs.get(attr, "").split() if i not in known]
            if missing:
                problems.append(f"{name}: {attr} names missing ids {missing}")
        if e.tag == "label" and e.attrs.get("for") and e.attrs["for"] not in known:
            problems.append(f"{name}: labels nothing")
        if e.hidden:
            continue
        kind = e.attrs.get("type", "text").lower()
        if e.tag in ("input", "select", "textarea") and kind != "hidden":
            if kind in ("submit", "button", "reset"):
                if not e.attrs.get("value", "").strip():
                    problems.append(f"{name}: a button without text")
            elif not (
                e.attrs.get("id") in labelled
                or e.attrs.get("aria-label", "").strip()
                or e.attrs.get("aria-labelledby", "").strip()
            ):
                problems.append(f"{name}: not labelled")
        if e.tag == "button" and not (e.text or e.attrs.get("aria-label", "").strip()):
            problems.append(f"{name}: a button without text")
        if e.tag == "a" and "href" in e.attrs and not (e.text or e.attrs.get("aria-label")):
            problems.append(f"{name}: a link without text")
        if e.tag == "img" and not e.attrs.get("alt", "").strip():
            problems.append(f"{name}: no alt text")
    return problems


def test_the_audit_finds_problems() -> None:
    good = (
        '<!doctype html><html lang="en"><head><meta name="viewport" content="x">'
        "<title>T</title></head><body><main><h1>H</h1>"
        '<label for="a">A</label><input id="a" name="a"><input type="hidden" name="h">'
        '<input name="u" hidden><button>Go</button><img src="x" alt="X"></main></body></html>'
    )
    assert audit(good) == []
    bad = (
        "<html><head><title></title></head><body><main><h1>A</h1><h1>B</h1>"
        '<input id="a" name="a"><select id="a"></select><textarea></textarea>'
        '<label for="nothing">x</label><p aria-describedby="gone">p</p>'
        '<button></button><a href="/x"></a><img src="x"><span tabindex="2">s</span>'
        "</main></body></html>"
    )
    found = "\n".join(audit(bad))
    for expected in (
        "<html lang> is None",
        "no <title> text",
        "2 <h1>",
        "no viewport",
        "duplicate ids ['a']",
        "<input id='a' name='a'>: not labelled",
        "<textarea >: not labelled",
        "labels nothing",
        "aria-describedby names missing ids ['gone']",
        "<button >: a button without text",
        "a link without text",
        "no alt text",
        "tabindex '2'",
    ):
        assert expected in found, (expected, found)
    assert audit(good, lang="de") == ["<html lang> is 'en'"]


# ---- recording what the walks see -----------------------------------------------------------


@dataclass
class Seen:
    problems: dict[str, list[str]] = field(default_factory=dict)
    templates: set[str] = field(default_factory=set)
    count: int = 0

    async def hook(self, response: httpx.Response) -> None:
        if not response.headers.get("content-type", "").startswith("text/html"):
            return
        await response.aread()
        self.count += 1
        found = audit(response.text)
        if found:
            title = re.search(r"<title>(.*?)</title>", response.text, re.S)
            where = f"{response.request.method} {response.request.url.path}"
            self.problems[f"{where} ({title.group(1) if title else '?'})"] = found

    def check(self, *expected: str) -> None:
        assert self.count >= len(expected) // 2, "the walk saw hardly any page"
        assert self.problems == {}
        missing = set(expected) - self.templates
        assert not missing, f"these templates were never rendered: {sorted(missing)}"


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> Seen:
    record = Seen()
    original = pages._env.get_template

    def get_template(name: Any, *args: Any, **kw: Any) -> Any:
        record.templates.add(str(name))
        return original(name, *args, **kw)

    # Includes, imports and parents are loaded through the same call.
    monkeypatch.setattr(pages._env, "get_template", get_template)
    return record


def audited(h: Harness, seen: Seen) -> Visitor:
    """A browser of its own (cookies) whose every HTML answer is audited."""
    client = httpx.AsyncClient(
        transport=h.client._transport,
        base_url=h.settings.issuer,
        event_hooks={"response": [seen.hook]},
    )
    return Visitor(client, h.settings.issuer)


@pytest.fixture(scope="module")
def mail() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest.fixture(scope="module")
def sms() -> Iterator[SmsGateway]:
    with SmsGateway() as gateway:
        yield gateway


@pytest.fixture
async def h(tmp_path: Path, mail: MailServer, sms: SmsGateway) -> AsyncIterator[Harness]:
    mail.clear()
    sms.clear()
    settings = {"smtp": mail.smtp_settings(), "sms": sms.sms_settings()}
    async with harness(tmp_path, FrozenClock(), **settings) as h:
        await make_user(h, username="alice")
        yield h


async def back(b: Browser, page: httpx.Response) -> httpx.Response:
    """Press "Try another way" if the page offers it."""
    if 'value="back"' not in page.text:
        return page
    return await post(b, page, ("csrf", None), action="back")


# ---- the login flow's pages -----------------------------------------------------------------

EVERY_OPTION = """\
flow "Every option"
start login

step login
  options password, email-otp, magic-link, passkey, idp:upstream, action:pin
  next protect

enroll protect
  options totp, backup-code, passkey
  next second

step second
  options sms-otp, totp, backup-code
  next done

allow done
"""

IDENTIFIER_FIRST = """\
flow "Identifier first, one session"
start who

identify who
  next login

step login
  options password, email-otp
  next single

limit_sessions single
  max 1
  on_exceed choose
  next done

allow done
"""

CLOSED = """\
flow "Closed"
start login

step login
  options password
  next no

deny no
  message "This application is closed."
"""

LOGIN_PAGES = (
    "base.html",
    "consent.html",
    "login/step.html",
    "login/identify.html",
    "login/sessions.html",
    "login/denied.html",
    "login/options/password.html",
    "login/options/email-otp.html",
    "login/options/magic-link.html",
    "login/options/passkey.html",
    "login/options/federated.html",
    "login/options/action.html",
    "login/options/enroll-choice.html",
    "login/options/backup-codes-enroll.html",
    "login/options/backup-codes-show.html",
    "login/options/backup-code.html",
    "login/options/sms-otp.html",
)


async def test_login_flow_pages(h: Harness, seen: Seen, sms: SmsGateway) -> None:
    app = await make_app(h)
    identifier_first = await make_app(h, settings={"skip_consent": True})
    closed = await make_app(h)
    # An identity provider and an authentication action to offer (neither answers: their
    # buttons lead to their error messages, which are pages too).
    resp = await h.client.post(
        "/api/v1/orgs/root/identity-providers",
        json={
            "name": "upstream",
            "kind": "oidc",
            "config": {"client_id": "x", "issuer": "http://127.0.0.1:9"},
            "client_secret": "s",
        },
        headers=ADMIN,
    )
    assert resp.status_code == 201, resp.text
    mount_actions(h.app)  # the actions API, unless create_app mounts it already
    resp = await h.client.post(
        "/api/v1/orgs/root/actions",
        json={
            "name": "pin",
            "type": "authentication",
            "endpoint": "http://127.0.0.1:9/pin",
            "config": {"label": "Use a PIN"},
        },
        headers=ADMIN,
    )
    assert resp.status_code == 201, resp.text
    await apply_flow(h, EVERY_OPTION, app.client_id)
    await apply_flow(h, IDENTIFIER_FIRST, identifier_first.client_id)
    await apply_flow(h, CLOSED, closed.client_id)

    b = audited(h, seen)
    page = await b.authorize(auth_params(app, pkce_pair()[1]))
    assert page.status_code == 200 and 'data-passkey="get"' in page.text, page.text
    for option in ("password", "email-otp", "magic-link", "idp:upstream", "action:pin"):
        assert f'value="{option}"' in page.text
    page = await post(b, page, ("option", "email-otp"), action="send", identifier="alice")
    assert 'id="email-otp-code"' in page.text, page.text
    page = await back(b, page)
    page = await post(b, page, ("option", "magic-link"), action="send", identifier="alice")
    assert 'id="magic-link-notice"' in page.text, page.text
    page = await back(b, page)
    page = await post(b, page, ("option", "passkey"), action="passkey", credential="")
    assert page.status_code == 400 and 'role="alert"' in page.text
    page = await post(b, await back(b, page), ("option", "idp:upstream"), action="login")
    assert page.status_code >= 400 and 'role="alert"' in page.text
    page = await post(b, await back(b, page), ("option", "action:pin"), action="start")
    assert page.status_code >= 400 and 'role="alert"' in page.text
    page = await back(b, page)
    page = await password(b, page, "alice", "wrong-password")
    assert page.status_code == 401
    page = await password(b, page, "alice", PASSWORD)
    assert page.status_code == 200 and page.text.count('value="choose"') == 3, page.text
    page = await post(b, page, ("option", "backup-code"), action="choose")
    page = await post(b, page, ("option", "backup-code"), action="enroll")
    codes = re.findall(r"<li><code>([^<]+)</code></li>", page.text)
    assert len(codes) == 10, page.text
    page = await post(b, page, ("option", ""), action="continue")
    assert 'value="sms-otp"' in page.text and 'id="backup-code"' in page.text, page.text
    page = await post(b, page, ("option", "sms-otp"), action="send")
    assert 'id="sms-otp-code"' in page.text, page.text
    await sms.wait_for(PHONE)
    page = await back(b, page)
    page = await post(b, page, ("option", "backup-code"), code="0000-0000")
    assert page.status_code == 401
    page = await post(b, page, ("option", "backup-code"), code=codes[0])
    assert page.status_code == 200 and 'name="decision"' in page.text, page.text
    page = await b.consent(page)
    assert page.status_code in (302, 303) and "code" in query(page.headers["location"])

    # Another browser: the identifier step, then the session limit (alice is signed in above).
    b2 = audited(h, seen)
    page = await b2.authorize(auth_params(identifier_first, pkce_pair()[1]))
    bad = await post(b2, page, ("csrf", None), action="identify", username="")
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.text
    page = await identify(b2, bad, "alice")
    assert "Signing in as" in page.text and 'value="email-otp"' in page.text, page.text
    page = await password(b2, page, None, PASSWORD)
    assert page.status_code == 200 and 'value="end"' in page.text, page.text
    session = form_with(page, "session")["fields"]["session"]
    page = await post(b2, page, ("session", session), action="end")
    assert page.status_code in (302, 303), page.text

    # A flow that denies.
    b3 = audited(h, seen)
    page = await b3.authorize(auth_params(closed, pkce_pair()[1]))
    page = await password(b3, page, "alice", PASSWORD)
    assert page.status_code == 403 and "This application is closed." in page.text
    seen.check(*LOGIN_PAGES)


# ---- other protocol pages -------------------------------------------------------------------

PROTOCOL_PAGES = ("error.html", "form_post.html", "logout_confirm.html", "logged_out.html")


async def test_protocol_pages(h: Harness, seen: Seen) -> None:
    app = await make_app(h, settings={"skip_consent": True})
    b = audited(h, seen)
    error = await b.client.get("/oauth2/authorize?client_id=nobody&response_type=code")
    assert error.status_code == 400 and "invalid" in error.text
    page = await b.authorize(auth_params(app, pkce_pair()[1], response_mode="form_post"))
    page = await b.login(page)
    assert page.status_code == 200 and 'id="response"' in page.text, page.text
    ask = await b.client.get("/oauth2/logout")
    assert ask.status_code == 200 and 'value="stay"' in ask.text, ask.text
    fields = hidden(ask.text)
    stayed = await b.client.post(forms(ask.text)[0]["action"], data={**fields, "decision": "stay"})
    assert stayed.status_code == 200
    out = await b.client.post(forms(ask.text)[0]["action"], data={**fields, "decision": "logout"})
    assert out.status_code == 200
    seen.check(*PROTOCOL_PAGES)


DEVICE_PAGES = ("device/enter.html", "device/confirm.html", "device/done.html")


async def test_device_pages(h: Harness, seen: Seen) -> None:
    tv = await make_app(h, type="native", grant_types=[DEVICE_CODE])
    b = audited(h, seen)

    async def start() -> str:
        resp = await h.client.post(
            "/oauth2/device_authorization", data={"client_id": tv.client_id, "scope": "openid"}
        )
        assert resp.status_code == 200, resp.text
        return str(resp.json()["user_code"])

    async def enter(code: str) -> httpx.Response:
        page = await b.client.get("/device")
        form = forms(page.text)[0]
        return await b.follow(
            await b.client.post(form["action"], data={**form["fields"], "user_code": code})
        )

    wrong = await enter("BCDF-GHJK")
    assert wrong.status_code == 400 and 'aria-invalid="true"' in wrong.text
    page = await enter(await start())
    page = await b.login(page)  # the organization's login flow, then back to the device page
    for decision in ("allow", "deny"):
        assert page.status_code == 200 and 'value="allow"' in page.text, page.text
        done = await b.client.post(
            forms(page.text)[0]["action"], data={**hidden(page.text), "decision": decision}
        )
        assert done.status_code == 200
        if decision == "allow":
            page = await enter(await start())  # signed in now: straight to the question
    seen.check(*DEVICE_PAGES)


# ---- self-service pages ---------------------------------------------------------------------

SELF_SERVICE_PAGES = (
    "account/macros.html",
    "register/form.html",
    "register/sent.html",
    "register/verified.html",
    "register/invalid.html",
    "register/closed.html",
    "recovery/request.html",
    "recovery/sent.html",
    "recovery/reset.html",
    "recovery/done.html",
    "recovery/invalid.html",
    "recovery/closed.html",
)


async def self_service(h: Harness, handle: str, **changes: Any) -> None:
    from identra.observability import audit as audit_log
    from identra.selfservice import settings as ss_settings
    from identra.storage.repositories import orgs

    async with h.services.sessions.begin() as session:
        org = await orgs.by_handle(session, handle)
        assert org is not None
        await ss_settings.write(session, org, changes, audit_log.SYSTEM)


async def test_registration_and_recovery_pages(h: Harness, seen: Seen, mail: MailServer) -> None:
    await self_service(h, "root", registration=True)
    b = audited(h, seen)
    page = await b.client.get("/register")
    form = forms(page.text)[0]
    refused = await b.client.post(form["action"], data={**form["fields"], "username": "x"})
    assert refused.status_code >= 400 and 'aria-invalid="true"' in refused.text, refused.text
    data = {
        **form["fields"],
        "username": "newcomer",
        "email": "newcomer@example.com",
        "password": STRONG,
    }
    sent = await b.follow(await b.client.post(form["action"], data=data))
    assert sent.status_code == 200 and "Check your email" in sent.text, sent.text
    link = (await mail.wait_for("newcomer@example.com")).link()
    verified = await b.client.get(link.removeprefix(h.settings.issuer))
    assert verified.status_code == 200 and "newcomer" in verified.text, verified.text
    again = await b.client.get(link.removeprefix(h.settings.issuer))
    assert again.status_code >= 400

    page = await b.client.get("/recover")
    form = forms(page.text)[0]
    empty = await b.client.post(form["action"], data={**form["fields"], "identifier": ""})
    assert empty.status_code >= 400
    data = {**form["fields"], "identifier": "alice"}
    sent = await b.follow(await b.client.post(form["action"], data=data))
    assert sent.status_code == 200, sent.text
    link = (await mail.wait_for("alice@example.com")).link()
    reset = await b.client.get(link.removeprefix(h.settings.issuer))
    form = forms(reset.text)[0]
    mismatch = {**form["fields"], "password": STRONG, "confirm": STRONG + "x"}
    refused = await b.client.post(form["action"], data=mismatch)
    assert refused.status_code == 400 and 'aria-invalid="true"' in refused.text, refused.text
    done = await b.client.post(
        form["action"], data={**form["fields"], "password": STRONG, "confirm": STRONG}
    )
    assert done.status_code == 200 and "Password changed" in done.text, done.text
    invalid = await b.client.get("/recover/reset?token=not-a-token")
    assert invalid.status_code >= 400

    await h.create_org("closed")
    await self_service(h, "closed", registration=False, recovery=False)
    assert (await b.client.get("/o/closed/register")).status_code >= 400
    assert (await b.client.get("/o/closed/recover")).status_code >= 400
    seen.check(*SELF_SERVICE_PAGES)


ACCOUNT_PAGES = (
    "account/layout.html",
    "account/profile.html",
    "account/password.html",
    "account/security.html",
    "account/sessions.html",
    "account/apps.html",
    "account/linked.html",
    "account/enroll.html",
    "account/email_verified.html",
    "account/email_invalid.html",
    "account/signed_out.html",
    "login/options/totp-enroll.html",
    "login/options/passkey-enroll.html",
    "login/options/totp.html",
)

SECOND_FACTOR = """\
flow "Password and a code"
start login

step login
  options password
  next second

step second
  options totp
  next done

allow done
"""


async def test_my_account_pages(h: Harness, seen: Seen, mail: MailServer) -> None:
    app = await make_app(h)
    b = audited(h, seen)
    # A consent, so that "Connected apps" lists something.
    await b.code_flow(auth_params(app, pkce_pair()[1]))
    page = await b.follow(await b.client.get("/account"))
    assert page.status_code == 200 and "Signed in as" in page.text, page.text
    csrf = hidden(page.text)["csrf"]
    refused = await b.client.post("/account/profile", data={"csrf": csrf, "locale": "!!"})
    assert refused.status_code >= 400 and 'aria-invalid="true"' in refused.text, refused.text
    await b.client.post("/account/email", data={"csrf": csrf, "email": "alice2@example.com"})
    link = (await mail.wait_for("alice2@example.com")).link()
    changed = await b.client.get(link.removeprefix(h.settings.issuer))
    assert changed.status_code == 200, changed.text
    assert (await b.client.get("/account/email/verify?token=nope")).status_code >= 400
    for section in ("password", "security", "sessions", "apps", "linked"):
        page = await b.client.get(f"/account/{section}")
        assert page.status_code == 200, (section, page.text)
    for option in ("passkey", "backup-code", "totp"):
        page = await b.client.post(
            "/account/security/enroll", data={"csrf": csrf, "option": option}
        )
        assert page.status_code == 200 and 'value="cancel"' in page.text, page.text
    secret = re.search(r'id="totp-secret"[^>]*>([^<]+)<', page.text)
    assert secret, page.text
    action = form_with(page, "option", "totp")["action"]
    code = pyotp.TOTP(secret.group(1).replace(" ", "")).at(h.services.clock.timestamp())
    enrolled = await b.client.post(action, data={"csrf": csrf, "option": "totp", "code": code})
    assert enrolled.status_code == 200 and "was added" in enrolled.text, enrolled.text
    # The authenticator app in a login step.
    await apply_flow(h, SECOND_FACTOR, app.client_id)
    page = await b.authorize(auth_params(app, pkce_pair()[1], prompt="login"))
    page = await password(b, page, None if "Signing in as" in page.text else "alice", PASSWORD)
    assert 'id="totp-code"' in page.text, page.text
    out = await b.client.post("/account/logout", data={"csrf": csrf})
    assert out.status_code == 200 and "You have signed out." in out.text, out.text
    seen.check(*ACCOUNT_PAGES)


def test_the_walks_cover_every_page_template() -> None:
    covered = {
        *LOGIN_PAGES,
        *PROTOCOL_PAGES,
        *DEVICE_PAGES,
        *SELF_SERVICE_PAGES,
        *ACCOUNT_PAGES,
    }
    every = {str(p.relative_to(TEMPLATES)) for p in page_templates()}
    assert every - covered == set(), "add a walk that renders these pages"
    assert covered - every == set()


# ---- Chromium: a small screen and the keyboard ------------------------------------------------

PHONE_SCREEN = {"width": 360, "height": 740}


async def no_horizontal_scroll(page: Page) -> None:
    widths = await page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{page.url}: {widths[0]}px wide on a {widths[1]}px screen"


@pytest.fixture(scope="module")
def site() -> Iterator[ClientSite]:
    with ClientSite() as value:
        yield value


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClockedLiveServer]:
    with ClockedLiveServer(tmp_path_factory.mktemp("e2e-a11y"), Clock()) as live:
        yield live


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["en-US", "de-DE", "fr-FR"])
async def test_phone_screen_keyboard_only_login(
    server: ClockedLiveServer, site: ClientSite, locale: str
) -> None:
    username = "kb-" + secrets.token_hex(3)
    async with seeding(server) as seed:
        await seed.user(username)
        app = await seed.app(redirect_uris=[site.base + "/cb"])
    _verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(8)
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "scope": "openid profile email",
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    async with chromium() as browser:
        context = await browser.new_context(viewport=PHONE_SCREEN, locale=locale)
        page = await context.new_page()
        mark = len(site.hits)
        await page.goto(f"{server.base_url}/oauth2/authorize?{urlencode(params)}")
        lang = locale[:2]
        assert await page.evaluate("document.documentElement.lang") == lang
        await no_horizontal_scroll(page)
        # A wrong password first: the error page must fit too.
        assert await page.evaluate("document.activeElement.id") == "username"
        await page.keyboard.type(username)
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.id") == "password"
        await page.keyboard.type("not-the-password")
        await page.keyboard.press("Enter")
        await page.wait_for_selector("[role=alert]")
        await no_horizontal_scroll(page)
        # Keyboard only: the username keeps its value; Tab to the password, type, Enter.
        for _ in range(5):
            if await page.evaluate("document.activeElement.id") == "password":
                break
            await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.id") == "password"
        await page.keyboard.type(PASSWORD)
        await page.keyboard.press("Enter")
        await page.wait_for_selector("button[value=allow]")
        assert await page.evaluate("document.documentElement.lang") == lang
        await no_horizontal_scroll(page)
        # Consent: Tab reaches "Allow" first; Enter.
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.value") == "allow"
        await page.keyboard.press("Enter")
        _method, callback, _body = await site.wait(app.redirect_uri, mark)
        assert query(callback)["state"] == state and "code" in query(callback)
        await context.close()


@pytest.mark.browser
async def test_other_pages_fit_a_phone_screen(server: ClockedLiveServer, site: ClientSite) -> None:
    async with seeding(server) as seed:
        app = await seed.app(redirect_uris=[site.base + "/cb"])
    paths = [
        "/device",
        "/recover",
        "/oauth2/authorize?client_id=nobody&response_type=code",
        f"/oauth2/authorize?{urlencode(auth_params(app, pkce_pair()[1]))}",
        "/oauth2/logout",
    ]
    async with chromium() as browser:
        for locale in ("de-DE", "fr-FR"):
            context = await browser.new_context(viewport=PHONE_SCREEN, locale=locale)
            page = await context.new_page()
            for path in paths:
                await page.goto(server.base_url + path)
                assert await page.evaluate("document.documentElement.lang") == locale[:2]
                await no_horizontal_scroll(page)
                problems = audit(await page.content(), lang=locale[:2])
                assert problems == [], (path, problems)
            # The check can fail: something wider than the screen is found.
            await page.evaluate(
                "document.body.append(Object.assign(document.createElement('div'),"
                " {style: 'width: 500px; height: 1px'}))"
            )
            with pytest.raises(AssertionError, match="px wide on a"):
                await no_horizontal_scroll(page)
            await context.close()
