"""The published JSON Schemas (docs/actions/*.schema.json) agree with what Identra sends and
accepts: real requests validate against the request schemas, the samples' answers to them
validate against the response schemas, and answers the runtime refuses are refused by them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest

from identra.actions import users as user_actions
from identra.actions import webhooks
from identra.actions.runtime import for_services
from identra.authenticators.action.plugin import ActionOption
from identra.authenticators.interface import AuthContext
from tests.actions.samples import Sample
from tests.actions.service import Answer, ExtService
from tests.actions.support import create_action
from tests.protocol.oidc.support import make_app, make_user
from tests.support import ADMIN, Harness

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "actions"
KINDS = {
    "preIssueAccessToken": "pre-issue-access-token",
    "preUpdatePassword": "pre-update-password",
    "preUpdateProfile": "pre-update-profile",
    "preRegistration": "pre-registration",
    "authentication": "authentication",
}
SAMPLE = {
    "preIssueAccessToken": "pre_issue_access_token",
    "preUpdatePassword": "pre_update_password",
    "preUpdateProfile": "pre_update_profile",
    "preRegistration": "pre_registration",
    "authentication": "authentication",
}


def validator(name: str) -> Any:
    return jsonschema_rs.Draft202012Validator(json.loads((SCHEMAS / name).read_text()))


def check(name: str, document: Any) -> None:
    errors = [str(e) for e in validator(name).iter_errors(document)]
    assert not errors, (name, errors, document)


def test_every_schema_is_a_valid_schema() -> None:
    names = sorted(p.name for p in SCHEMAS.glob("*.schema.json"))
    assert len(names) == 11
    for name in names:
        document = json.loads((SCHEMAS / name).read_text())
        assert document["$schema"].endswith("2020-12/schema")
        jsonschema_rs.Draft202012Validator(document)


async def _capture(h: Harness, kind: str) -> dict[str, Any]:
    """A real request of ``kind`` from Identra to a recording service."""
    with ExtService(lambda _r: Answer(200, {"actionStatus": "SUCCESS"})) as svc:
        await create_action(h, name=kind, type=kind, endpoint=svc.url)
        services = h.services
        org_id = (await h.client.get("/api/v1/orgs/root", headers=ADMIN)).json()["id"]
        user_id = await make_user(h, username=f"u-{kind.lower()}")
        if kind == "preIssueAccessToken":
            app = await make_app(h, type="m2m", scopes=["x"])
            await h.client.post(
                "/oauth2/token",
                data={"grant_type": "client_credentials", "scope": "x"},
                auth=(app.client_id, app.client_secret or ""),
            )
        elif kind == "preUpdatePassword":
            await user_actions.check_password(
                services, org_id, user_id, "new-pass-1234", flow="userInitiatedPasswordUpdate"
            )
        elif kind == "preUpdateProfile":
            await user_actions.check_profile(
                services, org_id, user_id, {"given_name": "Alice"}, {"given_name": "Ally"}
            )
        elif kind == "preRegistration":
            await user_actions.check_registration(
                services,
                org_id,
                {"username": "neo", "email": "neo@example.fr", "given_name": "neo"},
            )
        else:
            option = ActionOption(for_services(services))
            ctx = AuthContext(
                org_id=org_id,
                flow_id="flow-123",
                option=f"action:{kind}",
                issuer=h.settings.issuer,
                client_id="client-1",
                client_name="Client",
                now=0,
                user_id=user_id,
                passed=("password",),
            )
            await option.submit(ctx, {})
        assert svc.requests, kind
        request: dict[str, Any] = svc.requests[0].json
        return request


@pytest.mark.parametrize("kind", list(KINDS))
async def test_requests_and_the_samples_answers_follow_the_schemas(h: Harness, kind: str) -> None:
    request = await _capture(h, kind)
    check(f"{KINDS[kind]}.request.schema.json", request)
    # The Python sample's answer to that real request follows the response schema.
    with Sample("python", SAMPLE[kind]) as sample:
        async with httpx.AsyncClient() as client:
            answer = await client.post(sample.url + "/", json=request)
    assert answer.status_code == 200, answer.text
    check(f"{KINDS[kind]}.response.schema.json", answer.json())


REFUSED: list[tuple[str, dict[str, Any]]] = [
    ("pre-issue-access-token", {"actionStatus": "FAILED"}),
    ("pre-issue-access-token", {"actionStatus": "MAYBE"}),
    (
        "pre-issue-access-token",
        {
            "actionStatus": "SUCCESS",
            "operations": [{"op": "replace", "path": "/accessToken/claims/expires_in", "value": 0}],
        },
    ),
    (
        "pre-issue-access-token",
        {
            "actionStatus": "SUCCESS",
            "operations": [{"op": "move", "path": "/accessToken/scopes/0"}],
        },
    ),
    (
        "pre-issue-access-token",
        {
            "actionStatus": "SUCCESS",
            "operations": [
                {"op": "add", "path": "/accessToken/claims/-", "value": {"name": "x", "value": {}}}
            ],
        },
    ),
    ("pre-update-password", {"actionStatus": "SUCCESS", "operations": [{"op": "add"}]}),
    (
        "pre-registration",
        {"actionStatus": "SUCCESS", "operations": [{"op": "remove", "path": "/user/claims/0"}]},
    ),
    ("authentication", {"actionStatus": "INCOMPLETE", "operations": []}),
    (
        "authentication",
        {"actionStatus": "INCOMPLETE", "operations": [{"op": "redirect", "url": "javascript:x"}]},
    ),
]


@pytest.mark.parametrize(("kind", "answer"), REFUSED)
def test_answers_the_runtime_refuses_are_outside_the_schemas(
    kind: str, answer: dict[str, Any]
) -> None:
    assert not validator(f"{kind}.response.schema.json").is_valid(answer)


async def test_webhook_events_follow_the_schema(h: Harness) -> None:
    with ExtService(lambda _r: Answer(200, {})) as receiver:
        resp = await h.client.post(
            "/api/v1/orgs/root/webhooks", json={"url": receiver.url}, headers=ADMIN
        )
        assert resp.status_code == 201, resp.text
        created = await h.client.post(
            "/api/v1/orgs/root/users", json={"username": "schema-user"}, headers=ADMIN
        )
        await h.client.delete(f"/api/v1/orgs/root/users/{created.json()['id']}", headers=ADMIN)
        await webhooks.tick(h.services)
        assert len(receiver.requests) == 2
        for request in receiver.requests:
            check("webhook-event.schema.json", request.json)
