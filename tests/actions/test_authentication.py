"""Authentication actions as login options (``action:<name>``): the service succeeds, fails,
or sends the browser to its own page and back; the login finishes with a real token."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.actions.service import Answer, ExtService, Received
from tests.actions.support import action_audits, claims_of, create_action
from tests.authenticators.mfa.flows import alert, form_for
from tests.protocol.oidc.support import (
    Browser,
    auth_params,
    make_app,
    make_user,
    pkce_pair,
    query,
)
from tests.support import ADMIN, Harness


def flow(*options: str, second: tuple[str, ...] = ()) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [
        {
            "id": "login",
            "type": "step",
            "options": list(options),
            "next": "two" if second else "done",
        }
    ]
    if second:
        nodes.append({"id": "two", "type": "step", "options": list(second), "next": "done"})
    nodes.append({"id": "done", "type": "allow"})
    return {"schema": "identra.flow/1", "name": "With an action", "start": "login", "nodes": nodes}


async def apply(h: Harness, client_id: str, document: dict[str, Any]) -> None:
    resp = await h.client.put(
        f"/api/v1/orgs/root/flows/apps/{client_id}", json=document, headers=ADMIN
    )
    assert resp.status_code in (200, 201), resp.text


class PinService:
    """The service: first call redirects to its PIN page; the page (simulated by the test)
    marks the flow verified; the second call answers SUCCESS with the username."""

    def __init__(self, username: str = "alice") -> None:
        self.username = username
        self.verified: dict[str, str] = {}
        self.page = "http://127.0.0.1:9/pin"

    def __call__(self, req: Received) -> Answer:
        body = req.json
        flow_id = body["flowId"]
        if flow_id in self.verified:
            name = self.verified.pop(flow_id)
            if name == "wrong":
                return Answer(
                    200,
                    {
                        "actionStatus": "FAILED",
                        "failureReason": "wrong_pin",
                        "failureDescription": "The PIN was not correct.",
                    },
                )
            return Answer(
                200,
                {
                    "actionStatus": "SUCCESS",
                    "data": {
                        "user": {
                            "claims": [{"uri": "http://wso2.org/claims/username", "value": name}]
                        }
                    },
                },
            )
        url = f"{self.page}?flowId={flow_id}&return={body['event']['returnUrl']}"
        return Answer(
            200, {"actionStatus": "INCOMPLETE", "operations": [{"op": "redirect", "url": url}]}
        )


async def start(h: Harness, app: Any) -> tuple[Browser, httpx.Response, str]:
    browser = Browser(h.client, h.settings.issuer)
    verifier, challenge = pkce_pair()
    page = await browser.authorize(auth_params(app, challenge))
    assert page.status_code == 200, page.text
    return browser, page, verifier


async def choose(browser: Browser, page: httpx.Response, option: str) -> httpx.Response:
    form = form_for(page, option)
    return await browser.client.post(form["action"], data={**form["fields"], "action": "start"})


async def token(h: Harness, app: Any, location: str, verifier: str) -> dict[str, Any]:
    code = query(location)["code"]
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
    return claims_of(resp.json()["access_token"])


async def test_a_redirect_round_trip_signs_the_user_in(h: Harness) -> None:
    user_id = await make_user(h, username="alice")
    app = await make_app(h, settings={"skip_consent": True})
    service = PinService()
    with ExtService(service) as svc:
        action = await create_action(
            h, name="pin", type="authentication", endpoint=svc.url, config={"label": "Use a PIN"}
        )
        await apply(h, app.client_id, flow("password", "action:pin"))
        browser, page, verifier = await start(h, app)
        assert "Use a PIN" in page.text
        away = await choose(browser, page, "action:pin")
        assert away.status_code in (302, 303), away.text
        target = away.headers["location"]
        assert target.startswith(service.page)
        params = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
        assert params["return"].endswith("/callback")
        # The person enters the right PIN at the service; the service sends them back.
        service.verified[params["flowId"]] = "alice"
        back = await browser.follow(await h.client.get(params["return"] + "?outcome=done"))
        assert back.status_code in (302, 303), back.text
        claims = await token(h, app, back.headers["location"], verifier)
        assert claims["sub"] == user_id and claims["amr"] == ["ext"]
        first, second = svc.requests[0].json, svc.requests[1].json
        assert first["actionType"] == "AUTHENTICATION" and first["flowId"] == second["flowId"]
        assert first["allowedOperations"] == [{"op": "redirect"}]
        assert first["event"]["application"]["id"] == app.client_id
        assert second["event"]["request"]["additionalParams"] == {"outcome": ["done"]}
        assert len(svc.requests) == 2
    audits = await action_audits(h, action["id"])
    assert [a.outcome for a in audits] == ["success", "success"]


async def test_a_failed_answer_keeps_the_user_out_with_the_reason(h: Harness) -> None:
    await make_user(h, username="alice")
    app = await make_app(h, settings={"skip_consent": True})
    service = PinService()
    with ExtService(service) as svc:
        await create_action(h, name="pin", type="authentication", endpoint=svc.url)
        await apply(h, app.client_id, flow("password", "action:pin"))
        browser, page, _verifier = await start(h, app)
        away = await choose(browser, page, "action:pin")
        params = {k: v[0] for k, v in parse_qs(urlsplit(away.headers["location"]).query).items()}
        service.verified[params["flowId"]] = "wrong"
        back = await browser.follow(await h.client.get(params["return"]))
        assert back.status_code == 401
        assert alert(back) == "The PIN was not correct."
        # A second return without a new redirect is refused.
        again = await browser.follow(await h.client.get(params["return"]))
        assert again.status_code == 400 and "No sign-in of this kind" in alert(again)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (None, "not available right now"),
        (Answer(500, b"oops"), "not available right now"),
        (
            Answer(200, {"actionStatus": "SUCCESS", "data": {"user": {"id": "nobody"}}}),
            "could not be found",
        ),
        (
            Answer(
                200,
                {
                    "actionStatus": "INCOMPLETE",
                    "operations": [{"op": "redirect", "url": "javascript:alert(1)"}],
                },
            ),
            "not available right now",
        ),
    ],
)
async def test_faults_never_let_anyone_in(h: Harness, answer: Answer | None, message: str) -> None:
    await make_user(h, username="alice")
    app = await make_app(h, settings={"skip_consent": True})
    with ExtService(lambda _r: answer or Answer()) as svc:
        url = ExtService.down() if answer is None else svc.url
        # fail_open is not honoured by authentication: a fault is never a success.
        await create_action(
            h, name="pin", type="authentication", endpoint=url, failure_policy="fail_open"
        )
        await apply(h, app.client_id, flow("password", "action:pin"))
        browser, page, _verifier = await start(h, app)
        resp = await browser.follow(await choose(browser, page, "action:pin"))
        assert resp.status_code in (401, 503), resp.text
        assert message in alert(resp), alert(resp)
        assert "location" not in resp.headers


async def test_a_second_factor_action_confirms_the_identified_user(h: Harness) -> None:
    user_id = await make_user(h, username="alice")
    app = await make_app(h, settings={"skip_consent": True})

    def confirm(req: Received) -> Answer:
        assert req.json["event"]["user"]["id"] == user_id
        assert req.json["event"]["authenticatedSteps"] == [{"index": 1, "name": "password"}]
        return Answer(200, {"actionStatus": "SUCCESS", "data": {"amr": ["otp"]}})

    with ExtService(confirm) as svc:
        await create_action(
            h,
            name="push",
            type="authentication",
            endpoint=svc.url,
            config={"mode": "second_factor", "label": "Approve on your phone"},
        )
        await apply(h, app.client_id, flow("password", second=("action:push",)))
        browser, page, verifier = await start(h, app)
        step_two = await browser.login(page)
        assert "Approve on your phone" in step_two.text
        done = await browser.follow(await choose(browser, step_two, "action:push"))
        assert done.status_code in (302, 303), done.text
        claims = await token(h, app, done.headers["location"], verifier)
        assert claims["sub"] == user_id and set(claims["amr"]) >= {"pwd", "otp", "mfa"}
        assert len(svc.requests) == 1


async def test_an_unknown_or_disabled_action_is_not_offered(h: Harness) -> None:
    await make_user(h, username="alice")
    app = await make_app(h, settings={"skip_consent": True})
    # A flow cannot name an action that does not exist (docs/flows.md)...
    refused = await h.client.put(
        f"/api/v1/orgs/root/flows/apps/{app.client_id}",
        json=flow("password", "action:missing"),
        headers=ADMIN,
    )
    assert refused.status_code == 422, refused.text
    assert "no active authentication action named 'missing'" in refused.text
    # ...but one disabled after the flow was applied is simply not offered.
    action = await create_action(
        h, name="pin", type="authentication", endpoint="http://127.0.0.1:9/pin"
    )
    await apply(h, app.client_id, flow("password", "action:pin"))
    resp = await h.client.patch(
        f"/api/v1/orgs/root/actions/{action['id']}", json={"enabled": False}, headers=ADMIN
    )
    assert resp.status_code == 200, resp.text
    _browser, page, _verifier = await start(h, app)
    assert 'value="action:pin"' not in page.text
    assert 'name="password"' in page.text
