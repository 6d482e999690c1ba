"""An organization's branding (``/api/v1/orgs/{org}/branding``) and the hosted pages that wear
it: strict values, escaped output, the logo's origin in the page's policy, and the preview."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest

from identra.branding.theme import FONTS, ThemeInvalid, parse
from identra.management.routers.branding import Font
from tests.api.helpers import assert_problem, bearer, ok
from tests.support import ADMIN, Harness, harness

LOGO = "https://cdn.example.com/acme/logo.png"
THEME = {
    "display_name": "Acme <Corp>",
    "logo_url": LOGO,
    "primary_color": "#AA3300",
    "background_color": "#fafafa",
    "radius_px": 0,
    "font": "serif",
}
URL = "/api/v1/orgs/acme/branding"


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(tmp_path) as value:
        await value.create_org("acme")
        yield value


async def _page(h: Harness, org: str = "acme") -> httpx.Response:
    """A hosted page of the organization: the device code entry page."""
    prefix = "" if org == "root" else f"/o/{org}"
    resp = await h.client.get(f"{prefix}/device")
    assert resp.status_code == 200, resp.text
    return resp


async def test_a_theme_is_stored_and_worn_by_the_organizations_pages(h: Harness) -> None:
    before = await ok(await h.client.get(URL, headers=ADMIN))
    assert set(before.values()) == {None}
    saved = await ok(await h.client.put(URL, json=THEME, headers=ADMIN))
    assert saved["primary_color"] == "#aa3300" and saved["radius_px"] == 0
    assert await ok(await h.client.get(URL, headers=ADMIN)) == saved

    page = await _page(h)
    assert "--identra-primary: #aa3300;" in page.text
    assert "--identra-bg: #fafafa;" in page.text
    assert "--identra-radius: 0px;" in page.text
    assert f"--identra-font: {FONTS['serif']};" in page.text  # quotes intact inside <style>
    assert f'<img class="brand-logo" src="{LOGO}" alt="Acme &lt;Corp&gt;">' in page.text
    assert "Acme <Corp>" not in page.text  # the name is text, never markup
    policy = page.headers["content-security-policy"]
    assert "img-src 'self' data: https://cdn.example.com;" in policy
    # The root organization keeps the default look.
    root = await _page(h, "root")
    assert "#aa3300" not in root.text and 'class="brand-logo"' not in root.text
    assert "cdn.example.com" not in root.headers["content-security-policy"]


async def test_a_change_shows_at_once_and_delete_restores_the_default(h: Harness) -> None:
    await ok(await h.client.put(URL, json=THEME, headers=ADMIN))
    assert "#aa3300" in (await _page(h)).text
    await ok(await h.client.put(URL, json={"primary_color": "#005500"}, headers=ADMIN))
    page = await _page(h)
    assert "--identra-primary: #005500;" in page.text and 'class="brand-logo"' not in page.text
    assert (await h.client.delete(URL, headers=ADMIN)).status_code == 204
    assert "#005500" not in (await _page(h)).text
    assert (await h.client.delete(URL, headers=ADMIN)).status_code == 204  # idempotent
    events = await ok(
        await h.client.get("/api/v1/orgs/acme/audit-events?action=branding.update", headers=ADMIN)
    )
    assert len(events["items"]) == 2


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"primary_color": "red"}, "primary_color"),
        ({"primary_color": "#12345g"}, "primary_color"),
        ({"text_color": "#fff;}body{x"}, "text_color"),
        ({"logo_url": "javascript:alert(1)"}, "logo_url"),
        ({"logo_url": "http://cdn.example.com/logo.png"}, "logo_url"),
        ({"logo_url": "https://user:pw@cdn.example.com/logo.png"}, "logo_url"),
        ({"logo_url": 'https://cdn.example.com/a"onerror=x.png'}, "logo_url"),
        ({"logo_url": "data:image/svg+xml;base64,PHN2Zz4="}, "logo_url"),
        ({"display_name": ""}, "display_name"),
        ({"display_name": "x" * 101}, "display_name"),
        ({"display_name": "two\nlines"}, "display_name"),
        ({"radius_px": 25}, "radius_px"),
        ({"radius_px": "4"}, "radius_px"),
        ({"radius_px": True}, "radius_px"),
        ({"font": "comic"}, "font"),
        ({"sparkles": True}, "sparkles"),
    ],
)
async def test_bad_values_are_refused_and_change_nothing(
    h: Harness, body: dict[str, Any], pointer: str
) -> None:
    await ok(await h.client.put(URL, json=THEME, headers=ADMIN))
    problem = assert_problem(await h.client.put(URL, json=body, headers=ADMIN), 422)
    assert pointer in str(problem), problem
    assert (await ok(await h.client.get(URL, headers=ADMIN)))["primary_color"] == "#aa3300"


async def test_not_json_and_wrong_shapes_are_4xx(h: Harness) -> None:
    for content, kind in (
        ("{", "application/json"),
        ("[]", "application/json"),
        ("x", "text/plain"),
    ):
        resp = await h.client.put(URL, content=content, headers={**ADMIN, "content-type": kind})
        assert 400 <= resp.status_code < 500, resp.text


async def test_permissions_and_other_organizations(h: Harness) -> None:
    reader = await h.m2m_token("acme", ["orgs:read"])
    assert (await h.client.get(URL, headers=bearer(reader))).status_code == 200
    refused = await h.client.put(URL, json=THEME, headers=bearer(reader))
    assert_problem(refused, 403)
    await h.create_org("globex")
    outsider = await h.m2m_token("globex", ["orgs:read", "orgs:write"])
    assert_problem(await h.client.put(URL, json=THEME, headers=bearer(outsider)), 404)
    assert_problem(await h.client.get(URL, headers=bearer(outsider)), 404)


async def test_the_designer_preview_wears_the_theme(h: Harness) -> None:
    data_logo = "data:image/png;base64,iVBORw0KGgo="
    await ok(await h.client.put(URL, json={**THEME, "logo_url": data_logo}, headers=ADMIN))
    flow = {
        "schema": "identra.flow/1",
        "name": "Preview",
        "start": "login",
        "nodes": [
            {"id": "login", "type": "step", "options": ["password"], "next": "done"},
            {"id": "done", "type": "allow"},
        ],
    }
    preview = await ok(
        await h.client.post(
            "/api/v1/orgs/acme/flows/preview", json={"flow": flow, "node": "login"}, headers=ADMIN
        )
    )
    assert f'src="{data_logo}"' in preview["html"] and "Acme &lt;Corp&gt;" in preview["html"]
    css = await h.client.get("/api/v1/orgs/acme/flows/preview.css")
    assert css.status_code == 200 and "--identra-primary: #aa3300;" in css.text
    plain = await h.client.get("/api/v1/orgs/root/flows/preview.css")
    assert "#aa3300" not in plain.text


def test_the_api_and_the_theme_agree_on_fonts() -> None:
    assert set(get_args(Font)) == set(FONTS)


def test_parse_refuses_what_the_api_would() -> None:
    assert parse({"primary_color": "#ABCDEF"}).primary_color == "#abcdef"
    for bad in ([], {"primary_color": 1}, {"logo_url": 5}, {"x": 1}):
        with pytest.raises(ThemeInvalid):
            parse(bad)
