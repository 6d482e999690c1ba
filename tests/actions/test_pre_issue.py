"""The pre-issue access token action, end to end: a real HTTP service on loopback changes real
access tokens issued by the token endpoint; faults give the configured policy."""

from __future__ import annotations

import time
from typing import Any

import pytest

from identra.actions import signing
from tests.actions.service import Answer, ExtService, Received
from tests.actions.support import action_audits, claims_of, create_action
from tests.protocol.oidc.support import (
    PASSWORD,
    Browser,
    auth_params,
    make_app,
    make_user,
    pkce_pair,
)
from tests.support import ADMIN, Harness

ROPC = ["authorization_code", "refresh_token", "password"]


def success(*operations: dict[str, Any]) -> Answer:
    return Answer(200, {"actionStatus": "SUCCESS", "operations": list(operations)})


ENRICH = success(
    {"op": "add", "path": "/accessToken/claims/-", "value": {"name": "tier", "value": "gold"}},
    {"op": "add", "path": "/accessToken/scopes/-", "value": "orders:read"},
    {"op": "add", "path": "/accessToken/claims/aud/-", "value": "https://api.example.com"},
    {"op": "replace", "path": "/accessToken/claims/expires_in", "value": 300},
)


async def m2m(h: Harness) -> Any:
    return await make_app(h, type="m2m", scopes=["reports:read"])


async def cc_token(h: Harness, app: Any, **form: str) -> Any:
    return await h.client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials", **form},
        auth=(app.client_id, app.client_secret),
    )


async def test_a_service_adds_a_claim_scope_audience_and_shortens_the_token(h: Harness) -> None:
    app = await m2m(h)
    with ExtService(lambda _r: ENRICH) as svc:
        action = await create_action(h, endpoint=svc.url)
        resp = await cc_token(h, app)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        claims = claims_of(body["access_token"])
        assert claims["tier"] == "gold"
        assert claims["scope"] == "reports:read orders:read"
        assert body["scope"] == "reports:read orders:read"
        assert claims["aud"] == [app.client_id, "https://api.example.com"]
        assert claims["exp"] - claims["iat"] == 300 and body["expires_in"] == 300
        # The request followed WSO2's contract and carried no credential.
        [sent] = svc.requests
        payload = sent.json
        assert payload["actionType"] == "PRE_ISSUE_ACCESS_TOKEN"
        assert payload["event"]["request"]["clientId"] == app.client_id
        assert payload["event"]["request"]["grantType"] == "client_credentials"
        token = payload["event"]["accessToken"]
        names = {c["name"]: c["value"] for c in token["claims"]}
        assert names["sub"] == app.client_id and names["aut"] == "APPLICATION"
        assert names["expires_in"] == 3600 and token["scopes"] == ["reports:read"]
        assert {o["op"] for o in payload["allowedOperations"]} == {"add", "remove", "replace"}
        assert "user" not in payload["event"]
        assert app.client_secret not in sent.body.decode()
        assert "authorization" not in payload["event"]["request"]["additionalHeaders"]
        assert "webhook-signature" not in sent.headers  # not signed unless asked
    [record] = await action_audits(h, action["id"])
    assert record.outcome == "success"
    assert record.details["result"] == "applied" and record.details["operations"] == 4
    assert record.details["latency_ms"] >= 0 and record.details["http_status"] == 200


async def test_user_tokens_carry_the_user_and_rules_select_the_calls(h: Harness) -> None:
    user_id = await make_user(h, username="pat")
    web = await make_app(h, grant_types=ROPC)
    machine = await m2m(h)
    rule = {
        "condition": "OR",
        "rules": [
            {
                "condition": "AND",
                "expressions": [
                    {"field": "grantType", "operator": "equals", "value": "password"},
                    {"field": "userStore", "operator": "equals", "value": "PRIMARY"},
                ],
            }
        ],
    }
    answer = success(
        {
            "op": "add",
            "path": "/accessToken/claims/-",
            "value": {"name": "groups", "value": ["a", "b"]},
        }
    )
    with ExtService(lambda _r: answer) as svc:
        await create_action(h, endpoint=svc.url, rule=rule)
        resp = await h.client.post(
            "/oauth2/token",
            data={"grant_type": "password", "username": "pat", "password": PASSWORD},
            auth=(web.client_id, web.client_secret or ""),
        )
        assert resp.status_code == 200, resp.text
        assert claims_of(resp.json()["access_token"])["groups"] == ["a", "b"]
        event = svc.requests[0].json["event"]
        assert event["user"]["id"] == user_id
        assert event["userStore"]["name"] == "PRIMARY"
        names = {c["name"]: c["value"] for c in event["accessToken"]["claims"]}
        assert names["aut"] == "APPLICATION_USER" and names["sub"] == user_id
        assert "password" not in event["request"]["additionalParams"]
        assert PASSWORD not in svc.requests[0].body.decode()
        # The rule does not match a client's own token: no call, an unchanged token.
        other = await cc_token(h, machine)
        assert other.status_code == 200 and "groups" not in claims_of(other.json()["access_token"])
        assert len(svc.requests) == 1


async def test_authorization_code_tokens_are_changed_too(h: Harness) -> None:
    await make_user(h, username="alice")
    app = await make_app(h)
    answer = success(
        {"op": "add", "path": "/accessToken/claims/-", "value": {"name": "plan", "value": "pro"}}
    )
    with ExtService(lambda _r: answer) as svc:
        await create_action(h, endpoint=svc.url)
        verifier, challenge = pkce_pair()
        browser = Browser(h.client, h.settings.issuer)
        code = (await browser.code_flow(auth_params(app, challenge)))["code"]
        resp = await h.client.post(
            "/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": app.redirect_uri,
                "code_verifier": verifier,
            },
            auth=(app.client_id, app.client_secret or ""),
        )
        assert resp.status_code == 200, resp.text
        assert claims_of(resp.json()["access_token"])["plan"] == "pro"
        sent = svc.requests[0].json["event"]["request"]
        assert sent["grantType"] == "authorization_code"
        assert "code" not in sent["additionalParams"]
        assert "code_verifier" not in sent["additionalParams"]


async def test_requests_are_authenticated_and_signed(h: Harness) -> None:
    app = await m2m(h)
    with ExtService(lambda _r: success()) as svc:
        action = await create_action(
            h,
            endpoint=svc.url,
            authentication={"type": "api_key", "header": "X-Api-Key", "value": "k3y-value"},
            signed=True,
        )
        secret = action["signing_secret"]
        assert secret.startswith("whsec_") and action["signed"] is True
        assert action["authentication"] == {"type": "api_key", "header": "x-api-key"}
        assert (await cc_token(h, app)).status_code == 200
        [sent] = svc.requests
        assert sent.headers["x-api-key"] == "k3y-value"
        assert signing.verify(secret, sent.headers, sent.body, int(time.time()))
        assert sent.headers["webhook-id"] == sent.json["requestId"]
        assert not signing.verify(secret, sent.headers, sent.body + b" ", int(time.time()))
        # Basic and bearer.
        await h.client.patch(
            f"/api/v1/orgs/root/actions/{action['id']}",
            json={"authentication": {"type": "basic", "username": "idn", "password": "pw"}},
            headers=ADMIN,
        )
        assert (await cc_token(h, app)).status_code == 200
        assert svc.requests[1].headers["authorization"] == "Basic aWRuOnB3"
        await h.client.patch(
            f"/api/v1/orgs/root/actions/{action['id']}",
            json={"authentication": {"type": "bearer", "token": "tok-1"}},
            headers=ADMIN,
        )
        assert (await cc_token(h, app)).status_code == 200
        assert svc.requests[2].headers["authorization"] == "Bearer tok-1"
    listed = (await h.client.get("/api/v1/orgs/root/actions", headers=ADMIN)).json()
    shown = str(listed)
    assert "tok-1" not in shown and "k3y-value" not in shown and secret not in shown


async def test_failed_refuses_the_token_with_the_services_reason(h: Harness) -> None:
    app = await m2m(h)
    refusal = Answer(
        200,
        {
            "actionStatus": "FAILED",
            "failureReason": "invalid_scope",
            "failureDescription": "Reports are closed on Sundays.",
        },
    )
    with ExtService(lambda _r: refusal) as svc:
        action = await create_action(h, endpoint=svc.url, failure_policy="fail_open")
        resp = await cc_token(h, app)
    # A deliberate refusal is not a fault: fail_open does not override it.
    assert resp.status_code == 400
    assert resp.json() == {
        "error": "invalid_scope",
        "error_description": "Reports are closed on Sundays.",
    }
    [record] = await action_audits(h, action["id"])
    assert record.outcome == "failure" and record.details["failure_reason"] == "invalid_scope"


async def test_a_failure_reason_that_is_not_an_error_code_becomes_access_denied(
    h: Harness,
) -> None:
    app = await m2m(h)
    refusal = Answer(200, {"actionStatus": "FAILED", "failureReason": "Not Today!"})
    with ExtService(lambda _r: refusal) as svc:
        await create_action(h, endpoint=svc.url)
        resp = await cc_token(h, app)
    assert resp.status_code == 400 and resp.json()["error"] == "access_denied"


def _slow(_r: Received) -> Answer:
    return Answer(200, {"actionStatus": "SUCCESS"}, delay=3.0)


FAULTS: dict[str, Any] = {
    "unreachable": None,
    "timeout": _slow,
    "http_status": lambda _r: Answer(500, b"<html>oops</html>"),
    "service_error": lambda _r: Answer(
        500, {"actionStatus": "ERROR", "errorMessage": "db down", "errorDescription": "x"}
    ),
    "invalid_json": lambda _r: Answer(200, b"{not json"),
    "invalid_response": lambda _r: Answer(200, {"actionStatus": "MAYBE"}),
    "disallowed_operation": lambda _r: success(
        {"op": "replace", "path": "/accessToken/claims/sub", "value": "admin"}
    ),
    "too_large": lambda _r: Answer(200, huge=5_000_000),
}


@pytest.mark.parametrize("policy", ["fail_closed", "fail_open"])
@pytest.mark.parametrize("fault", list(FAULTS))
async def test_faults_give_the_configured_policy(h: Harness, fault: str, policy: str) -> None:
    app = await m2m(h)
    handler = FAULTS[fault]
    with ExtService(handler) as svc:
        url = ExtService.down() if handler is None else svc.url
        action = await create_action(h, endpoint=url, timeout_ms=500, failure_policy=policy)
        started = time.monotonic()
        resp = await cc_token(h, app)
        elapsed = time.monotonic() - started
    assert elapsed < 2.5, f"the token request took {elapsed:.1f} s"
    if policy == "fail_closed":
        assert resp.status_code == 500, resp.text
        body = resp.json()
        assert body["error"] == "server_error"
        assert "extension service" in body["error_description"]
        assert fault.replace("_", " ") in body["error_description"]
        assert "db down" not in body["error_description"]  # the service's error stays inside
    else:
        assert resp.status_code == 200, resp.text
        claims = claims_of(resp.json()["access_token"])
        assert claims["sub"] == app.client_id  # issued as if there were no action
    [record] = await action_audits(h, action["id"])
    assert record.outcome == "error"
    assert record.details["fault"] == fault
    assert record.details["result"] == ("unavailable" if policy == "fail_closed" else "skipped")
    assert record.details["latency_ms"] < 2500


async def test_one_bad_operation_applies_none_of_the_answer(h: Harness) -> None:
    app = await m2m(h)
    answer = success(
        {"op": "add", "path": "/accessToken/claims/-", "value": {"name": "tier", "value": "gold"}},
        {"op": "remove", "path": "/accessToken/claims/aud/0"},  # would leave no audience
    )
    with ExtService(lambda _r: answer) as svc:
        await create_action(h, endpoint=svc.url, failure_policy="fail_open")
        resp = await cc_token(h, app)
    assert resp.status_code == 200
    assert "tier" not in claims_of(resp.json()["access_token"])


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "path": "/accessToken/claims/iss", "value": "https://evil"},
        {"op": "remove", "path": "/accessToken/claims/sub"},
        {"op": "add", "path": "/accessToken/claims/-", "value": {"name": "org_id", "value": "x"}},
        {"op": "add", "path": "/accessToken/claims/-", "value": {"name": "sub", "value": "x"}},
        {"op": "replace", "path": "/accessToken/claims/client_id", "value": "other"},
        {"op": "replace", "path": "/accessToken/claims/expires_in", "value": 10**9},
        {"op": "replace", "path": "/refreshToken/claims/expires_in", "value": 10},
        {"op": "add", "path": "/accessToken/scopes/-", "value": "two words"},
        {"op": "add", "path": "/accessToken/claims/-", "value": {"name": "x", "value": {"a": 1}}},
        {"op": "move", "path": "/accessToken/scopes/0", "from": "/accessToken/scopes/1"},
        {"op": "remove", "path": "/accessToken/scopes/7"},
    ],
)
async def test_disallowed_operations_never_reach_the_token(
    h: Harness, operation: dict[str, Any]
) -> None:
    app = await m2m(h)
    with ExtService(lambda _r: success(operation)) as svc:
        await create_action(h, endpoint=svc.url)
        resp = await cc_token(h, app)
    assert resp.status_code == 500 and resp.json()["error"] == "server_error"
    assert "disallowed operation" in resp.json()["error_description"]


async def test_changes_take_effect_at_once(h: Harness) -> None:
    app = await m2m(h)
    answer = success(
        {"op": "add", "path": "/accessToken/claims/-", "value": {"name": "v", "value": 1}}
    )
    with ExtService(lambda _r: answer) as svc:
        action = await create_action(h, endpoint=svc.url)
        assert claims_of((await cc_token(h, app)).json()["access_token"])["v"] == 1
        resp = await h.client.patch(
            f"/api/v1/orgs/root/actions/{action['id']}", json={"enabled": False}, headers=ADMIN
        )
        assert resp.status_code == 200, resp.text
        assert "v" not in claims_of((await cc_token(h, app)).json()["access_token"])
        await h.client.patch(
            f"/api/v1/orgs/root/actions/{action['id']}", json={"enabled": True}, headers=ADMIN
        )
        assert claims_of((await cc_token(h, app)).json()["access_token"])["v"] == 1
        await h.client.delete(f"/api/v1/orgs/root/actions/{action['id']}", headers=ADMIN)
        assert "v" not in claims_of((await cc_token(h, app)).json()["access_token"])
        assert len(svc.requests) == 2


async def test_actions_chain_in_creation_order(h: Harness) -> None:
    app = await m2m(h)
    first = success(
        {"op": "add", "path": "/accessToken/claims/-", "value": {"name": "step", "value": "one"}}
    )
    second = success({"op": "replace", "path": "/accessToken/claims/step", "value": "two"})
    with ExtService(lambda _r: first) as one, ExtService(lambda _r: second) as two:
        await create_action(h, name="first", endpoint=one.url)
        await create_action(h, name="second", endpoint=two.url)
        resp = await cc_token(h, app)
        assert claims_of(resp.json()["access_token"])["step"] == "two"
        # The second service saw the first one's claim, and may change or remove it.
        seen = {c["name"] for c in two.requests[0].json["event"]["accessToken"]["claims"]}
        assert "step" in seen
        paths = two.requests[0].json["allowedOperations"][1]["paths"]
        assert "/accessToken/claims/step" in paths


async def test_a_parent_organizations_action_applies_to_its_children(h: Harness) -> None:
    await h.create_org("acme")
    await h.create_org("acme-eu", parent="acme")
    app = await make_app(h, "acme-eu", type="m2m", scopes=["x"])
    answer = success(
        {"op": "add", "path": "/accessToken/claims/-", "value": {"name": "via", "value": "acme"}}
    )
    with ExtService(lambda _r: answer) as svc:
        await create_action(h, "acme", endpoint=svc.url)
        resp = await h.client.post(
            "/o/acme-eu/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(app.client_id, app.client_secret or ""),
        )
        assert resp.status_code == 200, resp.text
        assert claims_of(resp.json()["access_token"])["via"] == "acme"
        org = svc.requests[0].json["event"]["organization"]
        assert org["orgHandle"] == "acme-eu" and org["depth"] == 2
        # A sibling organization's tokens are not sent to acme's service.
        await h.create_org("globex")
        other = await make_app(h, "globex", type="m2m", scopes=["x"])
        resp = await h.client.post(
            "/o/globex/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(other.client_id, other.client_secret or ""),
        )
        assert "via" not in claims_of(resp.json()["access_token"])
        assert len(svc.requests) == 1
