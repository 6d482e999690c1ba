"""Passkeys through the authenticator interface with real storage, the real ``webauthn``
verifier and a software authenticator that signs with real P-256 keys (``softkey``)."""

from __future__ import annotations

import json

import pytest

from identra.authenticators.interface import Authenticator, Enrolled, Enroller, Passed, Prompt
from identra.authenticators.passkey.ceremony import RelyingParty
from identra.authenticators.passkey.plugin import PasskeyOption, create
from tests.authenticators.mfa.conftest import Env
from tests.authenticators.mfa.softkey import SoftAuthenticator, b64u

ORIGIN = "http://localhost:8000"  # the test settings' issuer


def device() -> SoftAuthenticator:
    return SoftAuthenticator(ORIGIN, "localhost")


async def enroll(
    env: Env, option: PasskeyOption, key: SoftAuthenticator, user_id: str | None = None
) -> str:
    uid: str | bool = user_id or True
    page = await option.enroll_prompt(env.ctx("passkey", user_id=uid))
    assert page.template == "passkey-enroll" and page.error is None, page.error
    done = await option.enroll_submit(
        env.ctx("passkey", user_id=uid),
        {"credential": key.register(page.values["options"]), "name": " My   laptop "},
    )
    assert isinstance(done, Enrolled), done
    return done.credential_id


async def login_options(env: Env, option: PasskeyOption, user_id: str | bool | None) -> str:
    page = await option.prompt(env.ctx("passkey", user_id=user_id))
    assert page.template == "passkey" and page.values["script"] is True
    return str(page.values["options"])


def test_relying_party_is_the_issuer() -> None:
    rp = RelyingParty.for_issuer("https://id.example.com:8443/o/acme", "Acme")
    assert (rp.id, rp.origin, rp.name) == ("id.example.com", "https://id.example.com:8443", "Acme")


async def test_plugin_implements_both_interfaces(env: Env) -> None:
    option = create(env.deps)
    assert isinstance(option, Authenticator) and isinstance(option, Enroller)
    assert option.name == "passkey" and option.kind == "passkey" and option.first_factor
    assert option.script_url == "http://localhost:8000/static/passkey.js"


async def test_registration_options_ask_for_a_discoverable_verified_credential(env: Env) -> None:
    option = create(env.deps)
    page = await option.enroll_prompt(env.ctx("passkey"))
    options = json.loads(page.values["options"])
    assert options["rp"] == {"id": "localhost", "name": "localhost"}
    assert options["user"]["id"] == b64u(env.user_id.encode())
    assert options["user"]["name"] == "alice"
    assert options["user"]["displayName"] == "Alice Liddell"
    selection = options["authenticatorSelection"]
    assert selection["residentKey"] == "required"
    assert selection["userVerification"] == "required"
    assert options["attestation"] == "none"
    assert {p["alg"] for p in options["pubKeyCredParams"]} == {-7, -8, -257}
    assert options["excludeCredentials"] == []
    # The challenge is 32 random bytes, kept in the flow state (it is not a secret).
    assert len(options["challenge"]) == 43
    assert env.scratch["passkey"]["enroll"]["challenge"] == options["challenge"]


async def test_enroll_then_sign_in_without_a_username(env: Env) -> None:
    option = create(env.deps)
    key = device()
    credential_id = await enroll(env, option, key)
    rows = await env.credentials("passkey")
    assert [r.id for r in rows] == [credential_id]
    assert rows[0].lookup == b64u(key.credential_id)
    assert rows[0].name == "My laptop"
    assert rows[0].data["transports"] == ["internal"]
    assert rows[0].data["sign_count"] == 0
    assert len(await env.audit("credential.enrolled")) == 1

    # Discoverable: nobody identified yet, no allowCredentials, the user handle says who.
    assert await option.available(env.ctx("passkey", user_id=False))
    options = await login_options(env, option, False)
    assert json.loads(options)["allowCredentials"] == []
    assert json.loads(options)["userVerification"] == "required"
    outcome = await option.submit(
        env.ctx("passkey", user_id=False), {"credential": key.assertion(options)}
    )
    assert outcome == Passed(env.user_id, ("hwk", "user", "mfa"))
    rows = await env.credentials("passkey")
    assert rows[0].data["sign_count"] == 1


async def test_after_an_identifier_step_the_users_passkeys_are_listed(env: Env) -> None:
    option = create(env.deps)
    key, other = device(), device()
    await enroll(env, option, key)
    await enroll(env, option, other)
    options = json.loads(await login_options(env, option, True))
    assert {c["id"] for c in options["allowCredentials"]} == {
        b64u(key.credential_id),
        b64u(other.credential_id),
    }
    assert options["allowCredentials"][0]["transports"] == ["internal"]
    outcome = await option.submit(
        env.ctx("passkey"),
        {"credential": key.assertion(json.dumps(options), send_user_handle=False)},
    )
    assert isinstance(outcome, Passed) and outcome.user_id == env.user_id
    # Exclusion list on a further enrollment.
    page = await option.enroll_prompt(env.ctx("passkey"))
    excluded = {c["id"] for c in json.loads(page.values["options"])["excludeCredentials"]}
    assert excluded == {b64u(key.credential_id), b64u(other.credential_id)}


async def test_a_user_without_passkeys_is_not_offered_the_option(env: Env) -> None:
    option = create(env.deps)
    assert not await option.available(env.ctx("passkey"))
    assert not await option.enrolled(env.org_id, env.user_id)
    # An unknown name at an identifier step looks the same.
    unknown = env.ctx("passkey", user_id=False)
    unknown.identified, unknown.username = True, "nobody"
    assert not await option.available(unknown)


async def test_synced_passkeys_are_software_keys_in_amr(env: Env) -> None:
    option = create(env.deps)
    key = device()
    key.synced = True
    await enroll(env, option, key)
    rows = await env.credentials("passkey")
    assert rows[0].data["device_type"] == "multi_device" and rows[0].data["backed_up"] is True
    options = await login_options(env, option, False)
    outcome = await option.submit(
        env.ctx("passkey", user_id=False), {"credential": key.assertion(options)}
    )
    assert outcome == Passed(env.user_id, ("swk", "user", "mfa"))


async def test_a_challenge_is_single_use(env: Env) -> None:
    option = create(env.deps)
    key = device()
    await enroll(env, option, key)
    options = await login_options(env, option, False)
    response = key.assertion(options)
    ctx = env.ctx("passkey", user_id=False)
    assert isinstance(await option.submit(ctx, {"credential": response}), Passed)
    replay = await option.submit(env.ctx("passkey", user_id=False), {"credential": response})
    assert isinstance(replay, Prompt) and replay.status == 400 and replay.error
    # The refusal came with a fresh challenge; the old response does not match it either.
    fresh = json.loads(replay.values["options"])["challenge"]
    assert fresh != json.loads(options)["challenge"]
    again = await option.submit(env.ctx("passkey", user_id=False), {"credential": response})
    assert isinstance(again, Prompt) and again.status == 401


async def test_a_challenge_from_another_flow_state_is_refused(env: Env) -> None:
    """Two instances sharing the cache: a challenge is consumed once, whichever node sees it."""
    first, second = create(env.deps), create(env.deps)
    key = device()
    await enroll(env, first, key)
    options = await login_options(env, first, False)
    response = key.assertion(options)
    saved = dict(env.scratch["passkey"])  # both requests carry the same flow state
    a = await first.submit(env.ctx("passkey", user_id=False), {"credential": response})
    env.scratch["passkey"].clear()
    env.scratch["passkey"].update(saved)
    b = await second.submit(env.ctx("passkey", user_id=False), {"credential": response})
    assert isinstance(a, Passed) and isinstance(b, Prompt) and b.status == 400


async def test_an_expired_challenge_is_refused(env: Env) -> None:
    option = create(env.deps)
    key = device()
    await enroll(env, option, key)
    options = await login_options(env, option, False)
    env.clock.advance(301)
    late = await option.submit(
        env.ctx("passkey", user_id=False), {"credential": key.assertion(options)}
    )
    assert isinstance(late, Prompt) and late.status == 400
    assert late.error is not None and "expired" in late.error


@pytest.mark.parametrize(
    ("knobs", "status"),
    [
        ({"origin": "http://evil.example"}, 401),
        ({"origin": "https://localhost:8000"}, 401),
        ({"rp_id": "example.com"}, 401),
        ({"uv": False}, 401),
        ({"bad_signature": True}, 401),
        ({"user_handle": b"someone-else"}, 401),
    ],
)
async def test_assertions_that_do_not_verify_are_refused(
    env: Env, knobs: dict[str, object], status: int
) -> None:
    option = create(env.deps)
    key = device()
    await enroll(env, option, key)
    options = await login_options(env, option, False)
    outcome = await option.submit(
        env.ctx("passkey", user_id=False),
        {"credential": key.assertion(options, **knobs)},  # type: ignore[arg-type]
    )
    assert isinstance(outcome, Prompt) and outcome.status == status and outcome.error
    rows = await env.credentials("passkey")
    assert rows[0].data["sign_count"] == 0


async def test_a_counter_going_backwards_is_refused_and_audited(env: Env) -> None:
    option = create(env.deps)
    key = device()
    await enroll(env, option, key)
    for _ in range(2):
        options = await login_options(env, option, False)
        assert isinstance(
            await option.submit(
                env.ctx("passkey", user_id=False),
                {"credential": key.assertion(options, counter_step=5)},
            ),
            Passed,
        )
    options = await login_options(env, option, False)
    cloned = key.assertion(options, counter_step=-3)  # a clone still at an older count
    outcome = await option.submit(env.ctx("passkey", user_id=False), {"credential": cloned})
    assert isinstance(outcome, Prompt) and outcome.status == 401
    events = await env.audit("credential.sign_count_mismatch")
    assert len(events) == 1 and events[0].outcome == "failure"
    assert events[0].details["stored"] == 10 and events[0].details["seen"] == 7


async def test_a_zero_counter_authenticator_keeps_working(env: Env) -> None:
    option = create(env.deps)
    key = device()
    await enroll(env, option, key)
    for _ in range(2):
        options = await login_options(env, option, False)
        response = key.assertion(options, counter_step=0)
        assert isinstance(
            await option.submit(env.ctx("passkey", user_id=False), {"credential": response}),
            Passed,
        )


async def test_another_users_passkey_after_an_identifier_step(env: Env) -> None:
    option = create(env.deps)
    bob = await env.user("bob")
    bobs_key = device()
    await enroll(env, option, bobs_key, bob)
    await enroll(env, option, device())
    options = await login_options(env, option, True)
    outcome = await option.submit(env.ctx("passkey"), {"credential": bobs_key.assertion(options)})
    assert isinstance(outcome, Prompt) and outcome.status == 401
    assert outcome.error is not None and "another account" in outcome.error


async def test_unknown_and_foreign_organization_passkeys(env: Env) -> None:
    option = create(env.deps)
    key = device()
    await enroll(env, option, key)
    stranger = device()
    stranger.user_handle = env.user_id.encode()
    options = await login_options(env, option, False)
    unknown = await option.submit(
        env.ctx("passkey", user_id=False), {"credential": stranger.assertion(options)}
    )
    assert isinstance(unknown, Prompt) and unknown.status == 401
    acme = (await env.h.create_org("acme"))["id"]
    ctx = env.ctx("passkey", user_id=False, org_id=acme)
    page = await option.prompt(ctx)
    foreign = await option.submit(
        env.ctx("passkey", user_id=False, org_id=acme),
        {"credential": key.assertion(str(page.values["options"]))},
    )
    assert isinstance(foreign, Prompt) and foreign.status == 401


async def test_a_disabled_user_cannot_sign_in_with_a_passkey(env: Env) -> None:
    option = create(env.deps)
    key = device()
    await enroll(env, option, key)
    from sqlalchemy import update

    from identra.storage.models import User

    async with env.h.services.sessions.begin() as session:
        await session.execute(update(User).where(User.id == env.user_id).values(status="disabled"))
    options = await login_options(env, option, False)
    outcome = await option.submit(
        env.ctx("passkey", user_id=False), {"credential": key.assertion(options)}
    )
    assert isinstance(outcome, Prompt) and outcome.status == 403


GARBAGE = [
    "",
    "   ",
    "not json",
    "[]",
    "{}",
    '{"id": 1}',
    json.dumps({"id": "AA", "rawId": "AA", "type": "public-key", "response": {}}),
    json.dumps(
        {
            "id": "AA",
            "rawId": "!!",
            "type": "public-key",
            "response": {
                "clientDataJSON": "!!",
                "authenticatorData": "AA",
                "signature": "AA",
                "userHandle": "%%%",
            },
        }
    ),
    json.dumps(
        {
            "id": "AA",
            "rawId": "AA",
            "type": "nope",
            "response": {"clientDataJSON": "AA", "authenticatorData": "AA", "signature": "AA"},
        }
    ),
    "x" * 20000,
]


@pytest.mark.parametrize("raw", GARBAGE)
async def test_unreadable_assertions_are_clear_4xx(env: Env, raw: str) -> None:
    option = create(env.deps)
    await enroll(env, option, device())
    await login_options(env, option, False)
    outcome = await option.submit(env.ctx("passkey", user_id=False), {"credential": raw})
    assert isinstance(outcome, Prompt) and 400 <= outcome.status < 500 and outcome.error


async def test_garbage_in_a_valid_envelope_is_refused(env: Env) -> None:
    option = create(env.deps)
    key = device()
    await enroll(env, option, key)
    options = await login_options(env, option, False)
    body = json.loads(key.assertion(options))
    body["response"]["authenticatorData"] = b64u(b"\x00" * 5)
    body["response"]["clientDataJSON"] = b64u(b"{not json")
    outcome = await option.submit(
        env.ctx("passkey", user_id=False), {"credential": json.dumps(body)}
    )
    assert isinstance(outcome, Prompt) and outcome.status == 401


@pytest.mark.parametrize(
    "knobs",
    [
        {"origin": "http://evil.example"},
        {"rp_id": "example.com"},
        {"uv": False},
        {"challenge": b64u(b"x" * 32)},
    ],
)
async def test_registrations_that_do_not_verify_are_refused(
    env: Env, knobs: dict[str, object]
) -> None:
    option = create(env.deps)
    page = await option.enroll_prompt(env.ctx("passkey"))
    outcome = await option.enroll_submit(
        env.ctx("passkey"),
        {"credential": device().register(page.values["options"], **knobs), "name": "x"},  # type: ignore[arg-type]
    )
    assert isinstance(outcome, Prompt) and outcome.status == 400 and outcome.error
    assert outcome.values["name"] == "x"  # what the user typed is kept
    assert await env.credentials("passkey") == []


@pytest.mark.parametrize("raw", GARBAGE)
async def test_unreadable_registrations_are_clear_4xx(env: Env, raw: str) -> None:
    option = create(env.deps)
    await option.enroll_prompt(env.ctx("passkey"))
    outcome = await option.enroll_submit(env.ctx("passkey"), {"credential": raw})
    assert isinstance(outcome, Prompt) and 400 <= outcome.status < 500 and outcome.error
    assert await env.credentials("passkey") == []


async def test_a_registration_is_single_use_and_not_registered_twice(env: Env) -> None:
    option = create(env.deps)
    key = device()
    page = await option.enroll_prompt(env.ctx("passkey"))
    response = key.register(page.values["options"])
    assert isinstance(
        await option.enroll_submit(env.ctx("passkey"), {"credential": response}), Enrolled
    )
    replay = await option.enroll_submit(env.ctx("passkey"), {"credential": response})
    assert isinstance(replay, Prompt) and replay.status == 400
    # The same authenticator registering again under a fresh challenge: already known.
    again = await option.enroll_submit(
        env.ctx("passkey"), {"credential": key.register(replay.values["options"])}
    )
    assert isinstance(again, Prompt) and again.status == 409
    assert len(await env.credentials("passkey")) == 1


async def test_an_expired_registration_challenge_is_refused(env: Env) -> None:
    option = create(env.deps)
    page = await option.enroll_prompt(env.ctx("passkey"))
    env.clock.advance(301)
    late = await option.enroll_submit(
        env.ctx("passkey"), {"credential": device().register(page.values["options"])}
    )
    assert isinstance(late, Prompt) and late.status == 400
    assert await env.credentials("passkey") == []


async def test_enrollment_needs_an_identified_user(env: Env) -> None:
    option = create(env.deps)
    page = await option.enroll_prompt(env.ctx("passkey", user_id=False))
    assert page.status == 400 and page.error
    done = await option.enroll_submit(env.ctx("passkey", user_id=False), {"credential": "{}"})
    assert isinstance(done, Prompt) and done.status == 400
