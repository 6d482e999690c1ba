"""The flows resource: text form and JSON in, both forms out, revisions, bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.api.helpers import assert_problem, bearer, db_snapshot, ok, pointers
from tests.support import ADMIN, Harness, harness

BASE = "/api/v1/orgs/root/flows"
TEXT = """\
flow "Password then maybe more"
start login

step login
  options password
  next check

condition check
  if network in ["10.0.0.0/8"]
  then done
  else deny-outside

deny deny-outside
  message "Only from the office network."

allow done
"""


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(tmp_path) as h:
        yield h


async def _app(h: Harness) -> str:
    body = await ok(
        await h.client.post(
            "/api/v1/orgs/root/applications",
            json={"name": "portal", "type": "web", "redirect_uris": ["https://portal.example/cb"]},
            headers=ADMIN,
        ),
        201,
    )
    return str(body["client_id"])


PLAIN = {**ADMIN, "content-type": "text/plain; charset=utf-8"}


async def test_default_is_builtin_until_one_is_applied(h: Harness) -> None:
    body = await ok(await h.client.get(f"{BASE}/default", headers=ADMIN))
    assert body["ref"] == "builtin" and body["revision"] == 0
    assert body["document"]["nodes"][0]["options"] == ["password"]
    assert body["text"].startswith('flow "Password"')


async def test_put_text_then_read_both_forms_and_history(h: Harness) -> None:
    first = await ok(await h.client.put(f"{BASE}/default", content=TEXT, headers=PLAIN))
    assert first["revision"] == 1 and first["text"] == TEXT and not first["inherited"]
    second = await ok(await h.client.put(f"{BASE}/default", json=first["document"], headers=ADMIN))
    assert second["revision"] == 2 and second["document"] == first["document"]
    got = await ok(await h.client.get(f"{BASE}/default", headers=ADMIN))
    assert got["revision"] == 2 and got["text"] == TEXT
    history = await ok(await h.client.get(f"{BASE}/default/history", headers=ADMIN))
    assert [(r["revision"], r["active"]) for r in history] == [(2, True), (1, False)]


async def test_an_application_inherits_the_default_until_it_has_its_own(h: Harness) -> None:
    client_id = await _app(h)
    await ok(await h.client.put(f"{BASE}/default", content=TEXT, headers=PLAIN))
    inherited = await ok(await h.client.get(f"{BASE}/apps/{client_id}", headers=ADMIN))
    assert inherited["inherited"] is True and inherited["text"] == TEXT
    own = TEXT.replace("Only from the office network.", "Office only.")
    mine = await ok(await h.client.put(f"{BASE}/apps/{client_id}", content=own, headers=PLAIN))
    assert mine["inherited"] is False and mine["revision"] == 1
    resp = await h.client.delete(f"{BASE}/apps/{client_id}", headers=ADMIN)
    assert resp.status_code == 204
    again = await ok(await h.client.get(f"{BASE}/apps/{client_id}", headers=ADMIN))
    assert again["inherited"] is True and again["text"] == TEXT


async def test_invalid_flows_list_every_problem_and_change_nothing(h: Harness) -> None:
    before = await db_snapshot(h)
    broken = TEXT.replace("options password", "options sms-magic").replace(
        "else deny-outside", "else nowhere"
    )
    resp = await h.client.put(f"{BASE}/default", content=broken, headers=PLAIN)
    body = assert_problem(resp, 422)
    assert "nodes.check" in pointers(resp)
    assert any("nowhere" in e["detail"] for e in body["errors"])
    unreadable = 'flow "x"\nstart a\n\nstep a\n  options password\n  nxt done\n'
    resp = await h.client.put(f"{BASE}/default", content=unreadable, headers=PLAIN)
    assert_problem(resp, 422)
    assert pointers(resp) == {"line 6"}
    resp = await h.client.put(
        f"{BASE}/default",
        json={"schema": "identra.flow/1", "name": "x", "start": "a", "nodes": []},
        headers=ADMIN,
    )
    assert_problem(resp, 422)
    assert "nodes" in pointers(resp)
    resp = await h.client.put(
        f"{BASE}/default",
        content=b"{not json",
        headers={**ADMIN, "content-type": "application/json"},
    )
    assert_problem(resp, 400)
    resp = await h.client.put(
        f"{BASE}/default", content=b"<flow/>", headers={**ADMIN, "content-type": "application/xml"}
    )
    assert_problem(resp, 415)
    resp = await h.client.put(
        f"{BASE}/default", content=b"\xff\xfe", headers={**ADMIN, "content-type": "text/plain"}
    )
    assert_problem(resp, 400)
    huge = "x" * (300 * 1024)
    resp = await h.client.put(f"{BASE}/default", content=huge, headers=PLAIN)
    assert resp.status_code in (413, 400)
    resp = await h.client.put(f"{BASE}/apps/no-such-client", content=TEXT, headers=PLAIN)
    assert_problem(resp, 404)
    assert await db_snapshot(h) == before


async def test_idp_options_must_name_an_enabled_provider_of_the_org(h: Harness) -> None:
    flow = TEXT.replace("options password", "options password, idp:corp")
    resp = await h.client.post(f"{BASE}/validate", content=flow, headers=PLAIN)
    body = assert_problem(resp, 422)
    assert any("no enabled identity provider named 'corp'" in e["detail"] for e in body["errors"])
    await ok(
        await h.client.post(
            "/api/v1/orgs/root/identity-providers",
            json={
                "name": "corp",
                "kind": "oidc",
                "config": {"issuer": "https://login.corp.example", "client_id": "identra"},
                "client_secret": "s3cret-value",
            },
            headers=ADMIN,
        ),
        201,
    )
    valid = await ok(await h.client.post(f"{BASE}/validate", content=flow, headers=PLAIN))
    assert valid["text"] == flow


async def test_permissions_and_schema(h: Harness) -> None:
    reader = bearer(await h.m2m_token("root", ["flows:read"]))
    assert (await h.client.get(f"{BASE}/default", headers=reader)).status_code == 200
    schema = await ok(await h.client.get(f"{BASE}/schema", headers=reader))
    assert schema["properties"]["schema"] == {"const": "identra.flow/1"}
    resp = await h.client.put(
        f"{BASE}/default", content=TEXT, headers={**reader, "content-type": "text/plain"}
    )
    assert_problem(resp, 403)
