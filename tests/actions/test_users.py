"""Pre-update password, pre-update profile and pre-registration actions on the real
self-service pages, with real HTTP services on loopback."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from identra.actions import users as user_actions
from identra.crypto.passwords import verify_password
from tests.actions.service import Answer, ExtService, Received
from tests.actions.support import action_audits, create_action, mount
from tests.mailserver import MailServer
from tests.protocol.oidc.support import PASSWORD
from tests.selfservice.support import (
    STRONG,
    STRONG2,
    csrf_of,
    history_count,
    make_user,
    new_org,
    org_id,
    text,
    user_by_name,
    user_count,
    visitor,
)
from tests.support import ADMIN, Harness, harness

pytestmark = pytest.mark.asyncio(loop_scope="module")

BREACHED = {STRONG}  # the breach list: this password is known to attackers
REASON = "This password appeared in a data breach. Choose another one."


def sha256_b64(value: str) -> str:
    return base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()


def breach_check(req: Received) -> Answer:
    """Like samples/actions/python/pre_update_password.py: compare hashes, never passwords."""
    credential = req.json["event"]["user"]["updatingCredential"]
    assert credential["format"] == "HASH" and credential["additionalData"]["algorithm"] == "SHA256"
    if credential["value"] in {sha256_b64(p) for p in BREACHED}:
        return Answer(
            200,
            {
                "actionStatus": "FAILED",
                "failureReason": "password_breached",
                "failureDescription": REASON,
            },
        )
    return Answer(200, {"actionStatus": "SUCCESS"})


@pytest.fixture(scope="module")
def mail() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def h(tmp_path_factory: pytest.TempPathFactory, mail: MailServer) -> AsyncIterator[Harness]:
    async with harness(
        tmp_path_factory.mktemp("actions-users"), smtp=mail.smtp_settings()
    ) as value:
        mount(value.app)
        yield value


async def signed_in(h: Harness, username: str, **org: Any) -> tuple[str, str, str, Any]:
    handle, prefix = await new_org(h, **org)
    user_id = await make_user(h, handle, username)
    v = visitor(h)
    page = await v.sign_in(prefix, username, PASSWORD)
    assert f"Signed in as {username}" in text(page), text(page)
    return handle, prefix, user_id, v


async def change_password(v: Any, prefix: str, new: str) -> Any:
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


async def password_hash(h: Harness, handle: str, username: str) -> str:
    user = await user_by_name(h, handle, username)
    assert user is not None and user.password_hash
    return user.password_hash


async def test_a_breached_password_is_refused_with_the_services_reason(h: Harness) -> None:
    handle, prefix, user_id, v = await signed_in(h, "pw-breach")
    with ExtService(breach_check) as svc:
        action = await create_action(h, handle, type="preUpdatePassword", endpoint=svc.url)
        before = await password_hash(h, handle, "pw-breach")
        refused = await change_password(v, prefix, STRONG)
        assert refused.status_code == 400
        assert REASON in text(refused), text(refused)
        assert await password_hash(h, handle, "pw-breach") == before
        assert await history_count(h, user_id) == 0
        # The service got a hash, never the password.
        sent = svc.requests[0]
        assert STRONG not in sent.body.decode()
        event = sent.json["event"]
        assert sent.json["actionType"] == "PRE_UPDATE_PASSWORD"
        assert event["user"]["id"] == user_id and event["userStore"]["name"] == "PRIMARY"
        assert (event["initiatorType"], event["action"]) == ("USER", "UPDATE")
        # Another password passes.
        done = await change_password(v, prefix, STRONG2)
        assert done.status_code == 200 and "Your password was changed" in text(done)
        assert verify_password(await password_hash(h, handle, "pw-breach"), STRONG2).ok
    audits = await action_audits(h, action["id"])
    assert [a.outcome for a in audits] == ["failure", "success"]
    assert audits[0].details["failure_reason"] == "password_breached"


async def test_the_reset_page_asks_the_service_too(h: Harness, mail: MailServer) -> None:
    handle, prefix = await new_org(h)
    await make_user(h, handle, "pw-reset")
    with ExtService(breach_check) as svc:
        await create_action(h, handle, type="preUpdatePassword", endpoint=svc.url)
        v = visitor(h)
        page = await v.get(f"{prefix}/recover")
        await v.post(f"{prefix}/recover", {"csrf": csrf_of(page.text), "identifier": "pw-reset"})
        message = await mail.wait_for("pw-reset@example.com")
        link = message.link().removeprefix(h.settings.issuer)
        page = await v.get(link)
        form = {"csrf": csrf_of(page.text), "token": link.split("token=")[1]}
        refused = await v.post(
            f"{prefix}/recover/reset", {**form, "password": STRONG, "confirm": STRONG}
        )
        assert refused.status_code == 400 and REASON in text(refused), text(refused)
        assert verify_password(await password_hash(h, handle, "pw-reset"), PASSWORD).ok
        assert svc.requests[0].json["event"]["action"] == "RESET"
        # The link still works for a better password.
        done = await v.post(
            f"{prefix}/recover/reset", {**form, "password": STRONG2, "confirm": STRONG2}
        )
        assert done.status_code == 200, text(done)
        assert verify_password(await password_hash(h, handle, "pw-reset"), STRONG2).ok


@pytest.mark.parametrize("policy", ["fail_closed", "fail_open"])
async def test_a_service_that_is_down_gives_the_policy(h: Harness, policy: str) -> None:
    handle, prefix, _user_id, v = await signed_in(h, f"pw-down-{policy[5:]}")
    action = await create_action(
        h, handle, type="preUpdatePassword", endpoint=ExtService.down(), failure_policy=policy
    )
    before = await password_hash(h, handle, f"pw-down-{policy[5:]}")
    resp = await change_password(v, prefix, STRONG2)
    after = await password_hash(h, handle, f"pw-down-{policy[5:]}")
    if policy == "fail_closed":
        assert resp.status_code == 400
        assert "cannot be checked right now" in text(resp), text(resp)
        assert after == before
    else:
        assert resp.status_code == 200 and after != before
    [record] = await action_audits(h, action["id"])
    assert record.outcome == "error" and record.details["fault"] == "unreachable"


async def test_plain_text_sharing_and_rules_on_the_flow(h: Harness) -> None:
    handle, prefix, _user_id, v = await signed_in(h, "pw-plain")

    def strength(req: Received) -> Answer:
        value = req.json["event"]["user"]["updatingCredential"]["value"]
        if "lantern" in value:
            return Answer(
                200,
                {
                    "actionStatus": "FAILED",
                    "failureReason": "weak",
                    "failureDescription": "Passwords may not mention lanterns.",
                },
            )
        return Answer(200, {"actionStatus": "SUCCESS"})

    only_resets = {
        "condition": "OR",
        "rules": [
            {
                "condition": "AND",
                "expressions": [
                    {"field": "flow", "operator": "equals", "value": "userInitiatedPasswordReset"}
                ],
            }
        ],
    }
    with ExtService(strength) as svc:
        action = await create_action(
            h,
            handle,
            type="preUpdatePassword",
            endpoint=svc.url,
            config={"password_sharing": "PLAIN_TEXT"},
            rule=only_resets,
        )
        # The rule selects resets only: a change in My Account is not sent.
        assert (await change_password(v, prefix, STRONG)).status_code == 200
        assert svc.requests == []
        resp = await h.client.patch(
            f"/api/v1/orgs/{handle}/actions/{action['id']}", json={"rule": None}, headers=ADMIN
        )
        assert resp.status_code == 200, resp.text
        page = await v.get(f"{prefix}/account/password")
        refused = await v.post(
            f"{prefix}/account/password",
            {
                "csrf": csrf_of(page.text),
                "current_password": STRONG,
                "new_password": "blue-lantern-harbour-9",
                "confirm_password": "blue-lantern-harbour-9",
            },
        )
        assert refused.status_code == 400
        assert "Passwords may not mention lanterns." in text(refused)
        assert svc.requests[0].json["event"]["user"]["updatingCredential"]["format"] == (
            "PLAIN_TEXT"
        )


async def test_a_profile_change_can_be_refused(h: Harness) -> None:
    handle, prefix, user_id, v = await signed_in(h, "prof-user")

    def no_admins(req: Received) -> Answer:
        for claim in req.json["event"]["request"]["claims"]:
            if "admin" in str(claim["value"]).lower():
                return Answer(
                    200,
                    {
                        "actionStatus": "FAILED",
                        "failureReason": "invalidValue",
                        "failureDescription": "Names may not contain the word admin.",
                    },
                )
        return Answer(200, {"actionStatus": "SUCCESS"})

    with ExtService(no_admins) as svc:
        await create_action(
            h,
            handle,
            type="preUpdateProfile",
            endpoint=svc.url,
            config={"attributes": ["http://wso2.org/claims/lastname"]},
        )
        page = await v.get(f"{prefix}/account")
        csrf = csrf_of(page.text)
        refused = await v.post(
            f"{prefix}/account/profile",
            {"csrf": csrf, "given_name": "Admin", "family_name": "Liddell", "locale": "en-GB"},
        )
        assert refused.status_code == 400
        assert "Names may not contain the word admin." in text(refused), text(refused)
        user = await user_by_name(h, handle, "prof-user")
        assert user is not None and user.given_name == "Alice"
        event = svc.requests[0].json["event"]
        assert event["request"]["claims"] == [
            {"uri": "http://wso2.org/claims/givenname", "value": "Admin"}
        ]
        shared = {c["uri"]: c for c in event["user"]["claims"]}
        assert shared["http://wso2.org/claims/lastname"]["value"] == "Liddell"
        assert shared["http://wso2.org/claims/givenname"] == {
            "uri": "http://wso2.org/claims/givenname",
            "value": "Alice",
            "updatingValue": "Admin",
        }
        ok = await v.post(
            f"{prefix}/account/profile",
            {"csrf": csrf, "given_name": "Alicia", "family_name": "Liddell", "locale": "en-GB"},
        )
        assert ok.status_code == 200 and "Your profile was saved." in text(ok)
        user = await user_by_name(h, handle, "prof-user")
        assert user is not None and user.given_name == "Alicia"
        assert user_id == user.id


def registration_fields(csrf: str, **overrides: str) -> dict[str, str]:
    data = {
        "csrf": csrf,
        "username": "newcomer",
        "email": "newcomer@example.fr",
        "password": STRONG,
        "given_name": "nora",
        "family_name": "Newcomer",
    }
    data.update(overrides)
    return data


def gatekeeper(req: Received) -> Answer:
    """Refuse throwaway addresses; capitalise the given name, set the locale from the
    address's country, and add a nickname."""
    claims = req.json["event"]["user"]["claims"]
    by_uri = {c["uri"]: (i, c["value"]) for i, c in enumerate(claims)}
    email = by_uri["http://wso2.org/claims/emailaddress"][1]
    if email.endswith("@mailinator.com"):
        return Answer(
            200,
            {
                "actionStatus": "FAILED",
                "failureReason": "invalid_email",
                "failureDescription": "Use a permanent email address, not a throwaway one.",
            },
        )
    index, given = by_uri["http://wso2.org/claims/givenname"]
    operations: list[dict[str, Any]] = [
        {"op": "replace", "path": f"/user/claims/{index}", "value": given.title()},
        {
            "op": "add",
            "path": "/user/claims/-",
            "value": {"uri": "http://wso2.org/claims/nickname", "value": "Nono"},
        },
    ]
    if email.endswith(".fr"):
        operations.append(
            {
                "op": "add",
                "path": "/user/claims/-",
                "value": {"uri": "http://wso2.org/claims/locality", "value": "fr-FR"},
            }
        )
    return Answer(200, {"actionStatus": "SUCCESS", "operations": operations})


async def test_a_registration_is_refused_or_enriched(h: Harness) -> None:
    handle, prefix = await new_org(h, registration=True)
    with ExtService(gatekeeper) as svc:
        action = await create_action(h, handle, type="preRegistration", endpoint=svc.url)
        v = visitor(h)
        page = await v.get(f"{prefix}/register")
        before = await user_count(h, handle)
        refused = await v.post(
            f"{prefix}/register",
            registration_fields(csrf_of(page.text), email="nora@mailinator.com"),
        )
        assert refused.status_code == 400
        assert "Use a permanent email address, not a throwaway one." in text(refused)
        assert await user_count(h, handle) == before

        page = await v.get(f"{prefix}/register")
        resp = await v.post(f"{prefix}/register", registration_fields(csrf_of(page.text)))
        assert resp.status_code == 303, text(resp)
        user = await user_by_name(h, handle, "newcomer")
        assert user is not None
        assert (user.given_name, user.locale) == ("Nora", "fr-FR")
        assert user.claims.get("nickname") == "Nono"
        sent = svc.requests[-1].json
        assert sent["actionType"] == "PRE_REGISTRATION"
        assert sent["event"]["action"] == "REGISTER"
        assert STRONG not in svc.requests[-1].body.decode()
    audits = await action_audits(h, action["id"])
    assert [a.outcome for a in audits] == ["failure", "success"]


async def test_a_registration_action_may_not_change_the_username(h: Harness) -> None:
    handle, prefix = await new_org(h, registration=True)

    def rename(req: Received) -> Answer:
        return Answer(
            200,
            {
                "actionStatus": "SUCCESS",
                "operations": [{"op": "replace", "path": "/user/claims/0", "value": "root"}],
            },
        )

    with ExtService(rename) as svc:
        await create_action(h, handle, type="preRegistration", endpoint=svc.url)
        v = visitor(h)
        page = await v.get(f"{prefix}/register")
        resp = await v.post(
            f"{prefix}/register", registration_fields(csrf_of(page.text), username="renamed")
        )
        assert resp.status_code == 503
        assert "Creating an account is not possible right now" in text(resp)
        assert await user_by_name(h, handle, "renamed") is None
        assert await user_by_name(h, handle, "root") is None


PASSWORD_FAULTS: dict[str, Any] = {
    "unreachable": None,
    "timeout": lambda _r: Answer(200, {"actionStatus": "SUCCESS"}, delay=3.0),
    "http_status": lambda _r: Answer(502, b"bad gateway"),
    "invalid_json": lambda _r: Answer(200, b"<html>"),
    "disallowed_operation": lambda _r: Answer(
        200,
        {"actionStatus": "SUCCESS", "operations": [{"op": "replace", "path": "/user/id"}]},
    ),
    "too_large": lambda _r: Answer(200, huge=3_000_000),
}


@pytest.mark.parametrize("fault", list(PASSWORD_FAULTS))
async def test_password_action_faults_keep_the_password(h: Harness, fault: str) -> None:
    handle, _prefix = await new_org(h)
    user_id = await make_user(h, handle, "pw-fault")
    oid = await org_id(h, handle)
    handler = PASSWORD_FAULTS[fault]
    with ExtService(handler) as svc:
        url = ExtService.down() if handler is None else svc.url
        action = await create_action(
            h, handle, type="preUpdatePassword", endpoint=url, timeout_ms=500
        )
        started = time.monotonic()
        refusal = await user_actions.check_password(
            h.services, oid, user_id, STRONG2, flow="userInitiatedPasswordUpdate"
        )
        elapsed = time.monotonic() - started
    assert elapsed < 2.5, elapsed
    assert refusal is not None and refusal.unavailable
    assert "cannot be checked right now" in refusal.message
    [record] = await action_audits(h, action["id"])
    assert record.outcome == "error" and record.details["fault"] == fault
    assert verify_password(await password_hash(h, handle, "pw-fault"), PASSWORD).ok
