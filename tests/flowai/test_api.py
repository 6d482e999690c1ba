"""POST /api/v1/orgs/{org}/flows/generate: flows and questions, readings, the diff against the
application's flow, bad input, permissions, and that nothing is stored."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from identra import permissions
from identra.flows.text import parse_text
from tests.api.helpers import assert_problem, bearer, db_snapshot, ok
from tests.flowai.support import building_blocks, mount
from tests.smsgateway import SmsGateway
from tests.support import ADMIN, Harness, harness

URL = "/api/v1/orgs/root/flows/generate"
SHOWCASE = Path(__file__).resolve().parents[2] / "examples" / "flows" / "managers-sms.flow"
SAY = (
    "Password or Google then SMS if the user has manager role, from the Primary user store, "
    "and no other session"
)


@pytest.fixture(scope="module")
def sms() -> Iterator[SmsGateway]:
    with SmsGateway() as gateway:
        yield gateway


@pytest.fixture
async def h(tmp_path: Path, sms: SmsGateway) -> AsyncIterator[Harness]:
    async with harness(tmp_path, sms=sms.sms_settings()) as h:
        mount(h.app)
        await building_blocks(h)
        yield h


async def portal(h: Harness) -> str:
    body = await ok(
        await h.client.post(
            "/api/v1/orgs/root/applications",
            json={"name": "portal", "type": "web", "redirect_uris": ["https://portal.example/cb"]},
            headers=ADMIN,
        ),
        201,
    )
    return str(body["client_id"])


async def test_the_showcase_description_becomes_the_showcase_flow(h: Harness) -> None:
    before = await db_snapshot(h)
    body = await ok(await h.client.post(URL, json={"description": SAY}, headers=ADMIN))
    assert body["status"] == "flow" and body["engine"] == "rules"
    assert body["document"] == parse_text(SHOWCASE.read_text(encoding="utf-8"))
    assert body["text"] == SHOWCASE.read_text(encoding="utf-8")
    assert body["explanation"].startswith("Users sign in with a password or Google.")
    assert body["alternatives"] >= 2 and body["alternative"] == 0
    assert body["questions"] == []
    assert body["current"] == {
        "ref": "builtin",
        "revision": 0,
        "inherited": True,
        "name": "Password",
    }
    assert body["diff"].startswith("--- current (built-in)\n+++ generated\n")
    assert await db_snapshot(h) == before, "generating stores nothing"


async def test_alternatives_and_their_limit(h: Harness) -> None:
    first = await ok(await h.client.post(URL, json={"description": SAY}, headers=ADMIN))
    second = await ok(
        await h.client.post(URL, json={"description": SAY, "alternative": 1}, headers=ADMIN)
    )
    assert second["alternative"] == 1 and second["document"] != first["document"]
    count = first["alternatives"]
    resp = await h.client.post(URL, json={"description": SAY, "alternative": count}, headers=ADMIN)
    problem = assert_problem(resp, 422)
    assert f"this description has {count} readings" in problem["detail"]


async def test_a_question_is_an_answer_too(h: Harness) -> None:
    body = await ok(
        await h.client.post(URL, json={"description": "Okta or password"}, headers=ADMIN)
    )
    assert body["status"] == "question" and body["document"] is None and body["diff"] is None
    (question,) = body["questions"]
    assert "no enabled Okta identity provider" in question["text"]
    assert question["candidates"] == ["google"] and question["kind"] == "name"


async def test_the_diff_is_against_the_applications_flow(h: Harness) -> None:
    client_id = await portal(h)
    put = await h.client.put(
        f"/api/v1/orgs/root/flows/apps/{client_id}",
        content=SHOWCASE.read_text(encoding="utf-8"),
        headers={**ADMIN, "content-type": "text/plain"},
    )
    await ok(put)
    body = await ok(
        await h.client.post(
            URL,
            json={"description": "password or Google, then SMS", "client_id": client_id},
            headers=ADMIN,
        )
    )
    assert body["current"]["revision"] == 1 and body["current"]["inherited"] is False
    assert body["diff"].startswith("--- current (revision 1)\n+++ generated\n")
    assert "-condition primary-only\n" in body["diff"]
    # The same description as the current flow: an empty diff.
    same = await ok(
        await h.client.post(URL, json={"description": SAY, "client_id": client_id}, headers=ADMIN)
    )
    assert same["diff"] == ""
    # And the generated document is accepted as it is by the flows resource.
    await ok(
        await h.client.put(
            f"/api/v1/orgs/root/flows/apps/{client_id}", json=body["document"], headers=ADMIN
        )
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"description": ""},
        {"description": "x" * 2001},
        {"description": "password", "alternative": -1},
        {"description": "password", "alternative": "first"},
        {"description": "password", "engine": "gpt"},
        {"description": "password", "surprise": True},
        {"description": ["password"]},
        {"description": "password", "engine": "llm"},  # no LLM back end configured
    ],
)
async def test_bad_input_is_a_clear_422(h: Harness, body: dict[str, object]) -> None:
    before = await db_snapshot(h)
    assert_problem(await h.client.post(URL, json=body, headers=ADMIN), 422)
    assert await db_snapshot(h) == before


async def test_an_unknown_application_is_404(h: Harness) -> None:
    resp = await h.client.post(
        URL, json={"description": "password", "client_id": "nope"}, headers=ADMIN
    )
    assert_problem(resp, 404)


async def test_permissions(h: Harness) -> None:
    assert_problem(await h.client.post(URL, json={"description": "password"}), 401)
    weak = bearer(await h.m2m_token("root", ["users:read"]))
    assert_problem(await h.client.post(URL, json={"description": "password"}, headers=weak), 403)
    reader = bearer(await h.m2m_token("root", ["flows:read"]))
    await ok(await h.client.post(URL, json={"description": "password"}, headers=reader))
    assert "flows:read" in permissions.ALL


async def test_another_organizations_names_are_not_used(h: Harness) -> None:
    await h.create_org("globex")
    body = await ok(
        await h.client.post(
            "/api/v1/orgs/globex/flows/generate",
            json={"description": "password, then SMS for managers"},
            headers=ADMIN,
        )
    )
    # "manager" is a role of root, not of globex.
    assert body["status"] == "question"


async def test_random_bodies_never_cause_a_server_error(h: Harness) -> None:
    import random

    rng = random.Random(8)
    alphabet = "abcdefghijklmnopqrstuvwxyz ,;.:-/()'\"0123456789\u00e9\u2019\u202e\u0000\U0001f600"
    words = ["password", "SMS", "managers", "block", "PARTNERS", "no", "other", "session", "then"]
    before = await db_snapshot(h)
    for _ in range(60):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))
        if rng.random() < 0.6:
            text = " ".join(rng.choice([*words, text]) for _ in range(rng.randint(1, 12)))
        body: dict[str, object] = {"description": text}
        if rng.random() < 0.3:
            body["client_id"] = rng.choice(["", "x" * 300, text[:20] or "a", None])
        if rng.random() < 0.3:
            body["alternative"] = rng.choice([0, 1, 3, 20, 21, -5, 2**40, 1.5, "0", None])
        if rng.random() < 0.2:
            body["engine"] = rng.choice(["auto", "rules", "llm", "", 3])
        resp = await h.client.post(URL, json=body, headers=ADMIN)
        assert resp.status_code in (200, 404, 422), (body, resp.status_code, resp.text)
        if resp.status_code == 200:
            assert resp.json()["status"] in ("flow", "question")
    assert await db_snapshot(h) == before
