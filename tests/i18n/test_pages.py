"""The hosted pages in the user's language over HTTP: ``ui_locales`` of the login request,
then ``Accept-Language``, then English; ``<html lang>``, Content-Language and the messages
made in Python (a refused password, the lockout with its minutes, the device page)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from identra.clock import FrozenClock
from tests.flows.support import password
from tests.protocol.extras_helpers import DEVICE_CODE
from tests.protocol.oidc.support import (
    PASSWORD,
    App,
    Browser,
    auth_params,
    forms,
    make_app,
    make_user,
    pkce_pair,
)
from tests.support import Harness, harness


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(tmp_path, clock=FrozenClock()) as h:
        await make_user(h, username="alice")
        yield h


@pytest.fixture
async def app(h: Harness) -> App:
    return await make_app(h)


def browser(h: Harness, accept_language: str | None = None) -> Browser:
    headers = {"accept-language": accept_language} if accept_language else {}
    client = httpx.AsyncClient(
        transport=h.client._transport, base_url=h.settings.issuer, headers=headers
    )
    return Browser(client, h.settings.issuer)


def lang(page: httpx.Response) -> str:
    found = re.search(r'<html lang="([^"]*)">', page.text)
    assert found, page.text
    return found.group(1)


def alert(page: httpx.Response) -> str:
    found = re.search(r'role="alert"[^>]*>([^<]*)<', page.text)
    assert found, page.text
    return found.group(1).strip()


async def login_page(b: Browser, app: App, **extra: str) -> httpx.Response:
    page = await b.authorize(auth_params(app, pkce_pair()[1], **extra))
    assert page.status_code == 200 and 'name="password"' in page.text, page.text
    return page


def well_formed(page: httpx.Response, locale: str) -> None:
    assert lang(page) == locale
    assert page.headers["content-language"] == locale
    assert page.headers["vary"] == "Accept-Language"
    assert page.headers["content-length"] == str(len(page.content))


async def test_ui_locales_de_renders_the_login_page_in_german(h: Harness, app: App) -> None:
    b = browser(h)
    page = await login_page(b, app, ui_locales="de")
    well_formed(page, "de")
    assert "<title>Anmelden</title>" in page.text
    assert '<label for="password">Passwort</label>' in page.text
    assert ">Anmelden</button>" in page.text and "Sign in" not in page.text
    # A message made by the password option, in German; field names stay as they are.
    refused = await password(b, page, "alice", "wrong-password")
    assert refused.status_code == 401
    well_formed(refused, "de")
    assert alert(refused) == "Benutzername oder Passwort ist nicht korrekt."
    assert 'name="username"' in refused.text and 'value="login"' in refused.text


async def test_accept_language_renders_french(h: Harness, app: App) -> None:
    b = browser(h, "fr-CA,fr;q=0.9")
    page = await login_page(b, app)
    well_formed(page, "fr")
    assert "<title>Se connecter</title>" in page.text
    assert "Nom d&#39;utilisateur</label>" in page.text  # escaped like any text
    # The consent page too, with the scope descriptions.
    consent = await b.login(page)
    assert consent.status_code == 200 and 'name="decision"' in consent.text, consent.text
    well_formed(consent, "fr")
    assert "Lire votre adresse e-mail" in consent.text
    assert ">Autoriser</button>" in consent.text and 'value="allow"' in consent.text


@pytest.mark.parametrize(
    ("ui_locales", "accept", "expected", "title"),
    [
        ("tlh", "it-IT,it;q=0.9", "en", "Sign in"),  # nothing shipped: English
        (None, None, "en", "Sign in"),
        ("fr", "de", "fr", "Se connecter"),  # ui_locales first
        ("it de-AT", "fr", "de", "Anmelden"),  # its first shipped match
        ("it", "de-CH;q=0.8, en;q=0.5", "de", "Anmelden"),  # then Accept-Language
    ],
)
async def test_locale_choice(
    h: Harness, app: App, ui_locales: str | None, accept: str | None, expected: str, title: str
) -> None:
    extra = {"ui_locales": ui_locales} if ui_locales else {}
    page = await login_page(browser(h, accept), app, **extra)
    well_formed(page, expected)
    assert f"<title>{title}</title>" in page.text


async def test_lockout_minutes_are_translated(h: Harness, app: App) -> None:
    b = browser(h)
    page = await login_page(b, app, ui_locales="de")
    for _ in range(5):
        page = await password(b, page, "alice", "wrong-password")
    assert page.status_code == 429, page.text
    assert re.fullmatch(
        r"Zu viele fehlgeschlagene Versuche\. Versuchen Sie es in \d+ Minute\(n\) erneut\.",
        alert(page),
    ), alert(page)
    # The right password is refused the same way while locked, still in German.
    page = await password(b, page, "alice", PASSWORD)
    assert page.status_code == 429 and alert(page).startswith("Zu viele")


async def test_error_pages_follow_accept_language(h: Harness) -> None:
    page = await browser(h, "de").client.get("/o/no-such-org/login/abc")
    assert page.status_code == 404
    well_formed(page, "de")
    assert "Unbekannte Organisation." in page.text
    assert "Fehlercode: <code>invalid_request</code>" in page.text
    expired = await browser(h, "fr").client.get("/login/unknown-flow")
    assert expired.status_code == 400
    assert "Cette page de connexion a expiré." in expired.text


async def test_device_page_in_french(h: Harness) -> None:
    await make_app(h, type="native", grant_types=[DEVICE_CODE])
    b = browser(h, "fr")
    page = await b.client.get("/device")
    assert page.status_code == 200
    well_formed(page, "fr")
    assert "<h1>Connecter un appareil</h1>" in page.text
    form = forms(page.text)[0]
    refused = await b.client.post(form["action"], data={**form["fields"], "user_code": ""})
    assert refused.status_code == 400
    assert alert(refused) == "Saisissez le code affiché sur votre appareil."
    unknown = await b.client.post(form["action"], data={**form["fields"], "user_code": "BCDF-GHJK"})
    assert alert(unknown).startswith("Ce code n&#39;est pas valable")


async def test_the_consent_page_follows_ui_locales(h: Harness, app: App) -> None:
    b = browser(h)
    page = await login_page(b, app, ui_locales="fr")
    consent = await password(b, page, "alice", PASSWORD)
    assert consent.status_code == 200 and 'name="decision"' in consent.text, consent.text
    well_formed(consent, "fr")
