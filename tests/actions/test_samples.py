"""The sample services of samples/actions/, Python and Node, run as they are against Identra,
each with a signing secret it verifies: their effect on real tokens and real pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import pytest_asyncio

from tests.actions.samples import Sample
from tests.actions.support import claims_of, create_action, mount
from tests.authenticators.mfa.flows import form_for
from tests.mailserver import MailServer
from tests.protocol.oidc.support import (
    PASSWORD,
    Browser,
    auth_params,
    make_app,
    make_user,
    pkce_pair,
    query,
)
from tests.selfservice.support import (
    STRONG,
    STRONG2,
    csrf_of,
    new_org,
    text,
    user_by_name,
    visitor,
)
from tests.support import ADMIN, Harness, harness

pytestmark = pytest.mark.asyncio(loop_scope="module")
LANGS = [
    pytest.param("python", id="python"),
    pytest.param("node", id="node", marks=pytest.mark.node),
]


@pytest.fixture(scope="module")
def mail() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def h(tmp_path_factory: pytest.TempPathFactory, mail: MailServer) -> AsyncIterator[Harness]:
    folder = tmp_path_factory.mktemp("actions-samples")
    async with harness(folder, smtp=mail.smtp_settings()) as value:
        mount(value.app)
        yield value


async def signed_sample(
    h: Harness, org: str, kind: str, lang: str, name: str, **body: Any
) -> tuple[Sample, dict[str, Any]]:
    """Create the action (signed), then start the sample with its secret and point the action
    at it."""
    action = await create_action(
        h, org, name=name, type=kind, endpoint="https://placeholder.example.com/", signed=True,
        **body,
    )  # fmt: skip
    sample = Sample(lang, name.split("-")[0], "--secret", action["signing_secret"])
    sample.__enter__()
    resp = await h.client.patch(
        f"/api/v1/orgs/{org}/actions/{action['id']}", json={"endpoint": sample.url + "/"},
        headers=ADMIN,
    )  # fmt: skip
    assert resp.status_code == 200, resp.text
    return sample, action


@pytest.mark.parametrize("lang", LANGS)
async def test_pre_issue_access_token_sample(h: Harness, lang: str) -> None:
    handle, prefix = await new_org(h)
    app = await make_app(h, handle, type="m2m", scopes=["x"])
    sample, _action = await signed_sample(
        h, handle, "preIssueAccessToken", lang, "pre_issue_access_token"
    )
    try:
        resp = await h.client.post(
            f"{prefix}/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(app.client_id, app.client_secret or ""),
        )
    finally:
        sample.__exit__()
    assert resp.status_code == 200, resp.text
    claims = claims_of(resp.json()["access_token"])
    assert claims["tier"] == "standard"
    assert "https://orders.example.com" in claims["aud"]
    assert claims["exp"] - claims["iat"] == 600


async def _change_password(h: Harness, handle: str, prefix: str, new: str) -> httpx.Response:
    v = visitor(h)
    await v.sign_in(prefix, "sam", PASSWORD)
    page = await v.get(f"{prefix}/account/password")
    return await v.post(
        f"{prefix}/account/password",
        {
            "csrf": csrf_of(page.text),
            "current_password": PASSWORD,
            "new_password": new,
            "confirm_password": new,
        },
    )


@pytest.mark.parametrize("lang", LANGS)
async def test_pre_update_password_sample(h: Harness, lang: str) -> None:
    handle, prefix = await new_org(h)
    await make_user(h, handle, "sam")
    sample, _action = await signed_sample(
        h, handle, "preUpdatePassword", lang, "pre_update_password"
    )
    try:
        refused = await _change_password(h, handle, prefix, STRONG)  # in the sample's list
        accepted = await _change_password(h, handle, prefix, STRONG2)
    finally:
        sample.__exit__()
    assert refused.status_code == 400
    assert "This password appeared in a data breach." in text(refused)
    assert accepted.status_code == 200 and "Your password was changed" in text(accepted)


@pytest.mark.parametrize("lang", LANGS)
async def test_pre_update_profile_sample(h: Harness, lang: str) -> None:
    handle, prefix = await new_org(h)
    await make_user(h, handle, "sam")
    sample, _action = await signed_sample(h, handle, "preUpdateProfile", lang, "pre_update_profile")
    try:
        v = visitor(h)
        page = await v.sign_in(prefix, "sam", PASSWORD)
        csrf = csrf_of(page.text)
        form = {"csrf": csrf, "family_name": "Liddell", "locale": "en-GB"}
        refused = await v.post(f"{prefix}/account/profile", {**form, "given_name": "Site Admin"})
        accepted = await v.post(f"{prefix}/account/profile", {**form, "given_name": "Sam"})
    finally:
        sample.__exit__()
    assert refused.status_code == 400 and "Names may not contain links" in text(refused)
    assert accepted.status_code == 200, text(accepted)
    user = await user_by_name(h, handle, "sam")
    assert user is not None and user.given_name == "Sam"


@pytest.mark.parametrize("lang", LANGS)
async def test_pre_registration_sample(h: Harness, lang: str) -> None:
    handle, prefix = await new_org(h, registration=True)
    sample, _action = await signed_sample(h, handle, "preRegistration", lang, "pre_registration")
    try:
        v = visitor(h)
        fields = {
            "username": "newbie",
            "password": STRONG2,
            "given_name": "jeanne",
            "family_name": "d'arc",
        }
        page = await v.get(f"{prefix}/register")
        refused = await v.post(
            f"{prefix}/register",
            {"csrf": csrf_of(page.text), **fields, "email": "j@mailinator.com"},
        )
        page = await v.get(f"{prefix}/register")
        accepted = await v.post(
            f"{prefix}/register", {"csrf": csrf_of(page.text), **fields, "email": "j@example.fr"}
        )
    finally:
        sample.__exit__()
    assert refused.status_code == 400 and "throwaway" in text(refused)
    assert accepted.status_code == 303, text(accepted)
    user = await user_by_name(h, handle, "newbie")
    assert user is not None
    assert (user.given_name, user.locale) == ("Jeanne", "fr-FR")


@pytest.mark.parametrize("lang", LANGS)
async def test_authentication_sample_round_trip(h: Harness, lang: str) -> None:
    handle, prefix = await new_org(h)
    user_id = await make_user(h, handle, "alice")
    app = await make_app(h, handle, settings={"skip_consent": True})
    flow = {
        "schema": "identra.flow/1",
        "name": "PIN",
        "start": "login",
        "nodes": [
            {"id": "login", "type": "step", "options": ["action:authentication"], "next": "ok"},
            {"id": "ok", "type": "allow"},
        ],
    }
    sample, _action = await signed_sample(
        h, handle, "authentication", lang, "authentication", config={"label": "Use a PIN"}
    )
    try:
        # After the action exists: a flow may only name an existing authentication action.
        resp = await h.client.put(
            f"/api/v1/orgs/{handle}/flows/apps/{app.client_id}", json=flow, headers=ADMIN
        )
        assert resp.status_code in (200, 201), resp.text
        browser = Browser(h.client, h.settings.issuer)
        verifier, challenge = pkce_pair()
        page = await browser.authorize(
            auth_params(app, challenge), path=f"{prefix}/oauth2/authorize"
        )
        form = form_for(page, "action:authentication")
        away = await h.client.post(form["action"], data={**form["fields"], "action": "start"})
        assert away.status_code in (302, 303), away.text
        pin_url = away.headers["location"]
        assert pin_url.startswith(sample.url + "/pin")
        async with httpx.AsyncClient() as outside:  # the service's own page, over real HTTP
            pin_page = await outside.get(pin_url)
            assert 'for="pin"' in pin_page.text
            flow_id = parse_qs(urlsplit(pin_url).query)["flow"][0]
            wrong = await outside.post(
                sample.url + "/pin", data={"flow": flow_id, "username": "alice", "pin": "0000"}
            )
            assert "not correct" in wrong.text
            right = await outside.post(
                sample.url + "/pin", data={"flow": flow_id, "username": "alice", "pin": "1234"}
            )
        assert right.status_code == 303
        back = await browser.follow(await h.client.get(right.headers["location"]))
    finally:
        sample.__exit__()
    assert back.status_code in (302, 303), back.text
    code = query(back.headers["location"])["code"]
    token = await h.client.post(
        f"{prefix}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(app.client_id, app.client_secret or ""),
    )
    assert token.status_code == 200, token.text
    assert claims_of(token.json()["access_token"])["sub"] == user_id


@pytest.mark.parametrize("lang", LANGS)
async def test_samples_refuse_unsigned_requests(lang: str) -> None:
    with Sample(lang, "pre_update_profile", "--secret", "whsec_" + "A" * 44) as sample:
        async with httpx.AsyncClient() as client:
            resp = await client.post(sample.url + "/", json={"actionType": "PRE_UPDATE_PROFILE"})
    assert resp.status_code == 401 and resp.json()["actionStatus"] == "ERROR"
