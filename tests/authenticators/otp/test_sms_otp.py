"""sms-otp through its interface: real database, the local SMS gateway, frozen clock."""

from __future__ import annotations

import pytest

from identra.authenticators.interface import AuthenticatorDeps, NotEnabled, Passed, Prompt
from identra.authenticators.sms_otp.plugin import SmsOtpOption, create
from identra.notify import Senders
from tests.authenticators.otp.conftest import PHONE, Env

OPTION = "sms-otp"
AMR = ("sms", "otp")


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def send(env: Env, opt: SmsOtpOption, action: str = "send") -> Prompt:
    outcome = await opt.submit(env.ctx(OPTION), {"action": action})
    assert isinstance(outcome, Prompt)
    return outcome


async def verify(env: Env, opt: SmsOtpOption, code: str) -> object:
    return await opt.submit(env.ctx(OPTION), {"action": "verify", "code": code})


def test_not_enabled_without_an_sms_sender(env: Env) -> None:
    with pytest.raises(NotEnabled):
        create(AuthenticatorDeps(env.h.services, Senders(email=None, sms=None)))


async def test_send_and_verify(env: Env) -> None:
    opt = create(env.deps)
    assert not opt.first_factor
    assert await opt.available(env.ctx(OPTION))
    start = await opt.prompt(env.ctx(OPTION))
    assert start.values == {"phase": "start", "destination": "•••• 67"}
    sent = await send(env, opt)
    assert sent.engaged and sent.values["phase"] == "verify"
    assert sent.values["notice"] == "We sent a code to •••• 67. It expires in 5 minutes."
    sms = await env.sms.wait_for(PHONE)
    code = sms.code()
    assert sms.body == (
        f"{code} is your Test <App> code. It expires in 5 minutes. Do not share it."
        f"\n\n@localhost #{code}"
    )
    assert sms.sender == "Identra"
    assert code not in repr(env.scratch)
    assert await verify(env, opt, code) == Passed(env.user_id, AMR)


async def test_wrong_expired_replayed_and_voided_codes(env: Env) -> None:
    opt = create(env.deps)
    await send(env, opt)
    code = (await env.sms.wait_for(PHONE)).code()
    bad = await verify(env, opt, wrong(code))
    assert isinstance(bad, Prompt) and bad.status == 401
    env.clock.advance(300)
    late = await verify(env, opt, code)
    assert isinstance(late, Prompt) and late.error == "This code has expired. Send a new code."

    await send(env, opt, "resend")
    code = (await env.sms.wait_for(PHONE, count=2)).code()
    cid = env.scratch[OPTION]["cid"]
    assert await verify(env, opt, code) == Passed(env.user_id, AMR)
    env.scratch[OPTION]["cid"] = cid
    replay = await verify(env, opt, code)
    assert isinstance(replay, Prompt)
    assert replay.error == "This code has already been used. Send a new code."

    env.clock.advance(30)
    await send(env, opt)
    code = (await env.sms.wait_for(PHONE, count=3)).code()
    for _ in range(5):
        outcome = await verify(env, opt, wrong(code))
    assert isinstance(outcome, Prompt) and outcome.status == 429
    void = await verify(env, opt, code)
    assert isinstance(void, Prompt) and void.status == 429


async def test_resend_throttle(env: Env) -> None:
    opt = create(env.deps)
    await send(env, opt)
    env.clock.advance(29)
    early = await send(env, opt, "resend")
    assert early.status == 429 and early.error == "Wait 1 seconds before asking for another code."
    env.clock.advance(1)
    assert (await send(env, opt, "resend")).status == 200
    await env.sms.wait_for(PHONE, count=2)
    assert len(env.sms.sent_to(PHONE)) == 2


async def test_number_formats_and_absence(env: Env) -> None:
    opt = create(env.deps)
    await env.set_phone(env.user_id, "+1 (555) 123-4599")
    assert (await opt.prompt(env.ctx(OPTION))).values["destination"] == "•••• 99"
    await send(env, opt)
    assert (await env.sms.wait_for("+15551234599")).to == "+15551234599"
    await env.set_phone(env.user_id, "555 1234")  # not E.164: unusable
    assert not await opt.available(env.ctx(OPTION))
    env.clock.advance(31)
    env.new_flow()
    refused = await send(env, opt)
    assert refused.status == 400
    assert refused.error == "This account has no phone number to send a code to. Try another way."


async def test_gateway_refuses_the_number(env: Env) -> None:
    opt = create(env.deps)
    env.sms.invalid_numbers.add(PHONE)
    try:
        failed = await send(env, opt)
    finally:
        env.sms.invalid_numbers.discard(PHONE)
    assert failed.status == 503 and not failed.engaged
    assert failed.error == (
        "We could not send the code to •••• 67. Try another way, or ask your administrator "
        "to update your contact details."
    )


@pytest.mark.parametrize(("status", "error"), [(429, "rate_limited"), (503, "unavailable")])
async def test_gateway_failures_are_a_clear_503(env: Env, status: int, error: str) -> None:
    opt = create(env.deps)
    env.sms.fail_next(status, error, retry_after=5 if status == 429 else None)
    failed = await send(env, opt)
    assert failed.status == 503
    assert failed.error == (
        "We could not send the code right now. Try again in a few minutes, or try another way."
    )
    assert "cid" not in env.scratch[OPTION]
    assert env.sms.messages == []


async def test_second_factor_only(env: Env) -> None:
    opt = create(env.deps)
    nobody = env.ctx(OPTION, user_id=None)
    assert not await opt.available(nobody)
    refused = await opt.submit(nobody, {"action": "send"})
    assert isinstance(refused, Prompt) and refused.status == 400
    assert refused.error == "Sign in first, then ask for a code."
    assert env.sms.messages == []
