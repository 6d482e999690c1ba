"""email-otp through its interface: real database, real SMTP server, frozen clock."""

from __future__ import annotations

import pytest

from identra.authenticators.email_otp.plugin import EmailOtpOption, create
from identra.authenticators.interface import AuthenticatorDeps, NotEnabled, Passed, Prompt
from identra.notify import Senders
from tests.authenticators.otp.conftest import Env

OPTION = "email-otp"
ALICE = "alice@example.com"


def option(env: Env) -> EmailOtpOption:
    return create(env.deps)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def send(env: Env, opt: EmailOtpOption, **ctx: object) -> Prompt:
    outcome = await opt.submit(env.ctx(OPTION, **ctx), {"action": "send"})  # type: ignore[arg-type]
    assert isinstance(outcome, Prompt)
    return outcome


async def verify(env: Env, opt: EmailOtpOption, code: str, **ctx: object) -> object:
    return await opt.submit(env.ctx(OPTION, **ctx), {"action": "verify", "code": code})  # type: ignore[arg-type]


def test_not_enabled_without_an_email_sender(env: Env) -> None:
    with pytest.raises(NotEnabled):
        create(AuthenticatorDeps(env.h.services, None))
    with pytest.raises(NotEnabled):
        create(AuthenticatorDeps(env.h.services, Senders(email=None)))


async def test_second_factor_send_and_verify(env: Env) -> None:
    opt = option(env)
    assert opt.first_factor
    assert await opt.available(env.ctx(OPTION))
    start = await opt.prompt(env.ctx(OPTION))
    assert start.template == "email-otp"
    assert start.values == {"phase": "start", "destination": "a•••@example.com"}
    assert not start.engaged

    sent = await send(env, opt)
    assert sent.engaged and sent.status == 200 and sent.error is None
    assert sent.values["phase"] == "verify"
    assert sent.values["notice"] == "We sent a code to a•••@example.com. It expires in 5 minutes."
    message = await env.mail.wait_for(ALICE)
    code = message.code()
    assert message.subject == "Your sign-in code for Test <App>"
    assert "Test &lt;App&gt;" in (message.html or "")
    # Only a digest is kept in the flow state and the cache.
    assert code not in repr(env.scratch)
    memory = getattr(env.h.services.cache, "_data", None)  # the in-process backend
    if memory is not None:
        assert code not in repr(memory)

    # The waiting page is what the step shows again.
    again = await opt.prompt(env.ctx(OPTION))
    assert again.engaged and again.values["phase"] == "verify"

    outcome = await verify(env, opt, f"{code[:3]} {code[3:]}")  # spaces are forgiven
    assert outcome == Passed(env.user_id, ("otp",))
    assert "cid" not in env.scratch[OPTION]


async def test_wrong_code_then_right_code(env: Env) -> None:
    opt = option(env)
    await send(env, opt)
    code = (await env.mail.wait_for(ALICE)).code()
    bad = await verify(env, opt, wrong(code))
    assert isinstance(bad, Prompt) and bad.status == 401 and bad.engaged
    assert bad.error == "That code is not correct. 4 more tries before it stops working."
    assert await verify(env, opt, code) == Passed(env.user_id, ("otp",))


async def test_replayed_code_fails(env: Env) -> None:
    opt = option(env)
    await send(env, opt)
    code = (await env.mail.wait_for(ALICE)).code()
    cid = env.scratch[OPTION]["cid"]
    assert isinstance(await verify(env, opt, code), Passed)
    # The same flow state replayed (a second tab, a double submit): the code is spent.
    env.scratch[OPTION]["cid"] = cid
    replay = await verify(env, opt, code)
    assert isinstance(replay, Prompt) and replay.status == 400
    assert replay.error == "This code has already been used. Send a new code."


async def test_expired_code(env: Env) -> None:
    opt = option(env)
    await send(env, opt)
    code = (await env.mail.wait_for(ALICE)).code()
    env.clock.advance(299)
    prompt = await opt.prompt(env.ctx(OPTION))
    assert prompt.values["phase"] == "verify"
    env.clock.advance(1)
    late = await verify(env, opt, code)
    assert isinstance(late, Prompt) and late.status == 400
    assert late.error == "This code has expired. Send a new code."
    # Once expired, the step offers to send a new one.
    assert (await opt.prompt(env.ctx(OPTION))).values["phase"] == "start"


async def test_five_wrong_tries_void_the_code(env: Env) -> None:
    opt = option(env)
    await send(env, opt)
    code = (await env.mail.wait_for(ALICE)).code()
    for left in (4, 3, 2, 1):
        bad = await verify(env, opt, wrong(code))
        assert isinstance(bad, Prompt) and bad.status == 401
        assert f"{left} more {'try' if left == 1 else 'tries'}" in (bad.error or "")
    fifth = await verify(env, opt, wrong(code))
    assert isinstance(fifth, Prompt) and fifth.status == 429
    assert fifth.error == "Too many incorrect codes: this code no longer works. Send a new code."
    right = await verify(env, opt, code)
    assert isinstance(right, Prompt) and right.status == 429
    assert "no longer works" in (right.error or "")


async def test_resend_is_throttled_and_voids_the_earlier_code(env: Env) -> None:
    opt = option(env)
    await send(env, opt)
    first = (await env.mail.wait_for(ALICE)).code()
    env.clock.advance(10)
    too_soon = await opt.submit(env.ctx(OPTION), {"action": "resend"})
    assert isinstance(too_soon, Prompt) and too_soon.status == 429 and too_soon.engaged
    assert too_soon.error == "Wait 20 seconds before asking for another code."
    assert len(env.mail.sent_to(ALICE)) == 1
    # The throttle is per user, not per flow: a second flow waits too.
    env.new_flow()
    other = await send(env, opt)
    assert other.status == 429 and other.values["phase"] == "start"

    env.clock.advance(20)
    again = await opt.submit(env.ctx(OPTION), {"action": "resend"})
    assert isinstance(again, Prompt) and again.status == 200
    second = (await env.mail.wait_for(ALICE, count=2)).code()
    if first != second:
        old = await verify(env, opt, first)
        assert isinstance(old, Prompt) and old.status == 401
    assert await verify(env, opt, second) == Passed(env.user_id, ("otp",))


async def test_hourly_cap(env: Env) -> None:
    opt = option(env)
    for _ in range(10):
        assert (await send(env, opt)).status == 200
        env.clock.advance(31)
    capped = await send(env, opt)
    assert capped.status == 429
    assert capped.error == "Too many codes were sent to you. Try again later or try another way."
    await env.mail.wait_for(ALICE, count=10)
    assert len(env.mail.sent_to(ALICE)) == 10


async def test_input_errors_change_nothing(env: Env) -> None:
    opt = option(env)
    early = await verify(env, opt, "123456")
    assert isinstance(early, Prompt) and early.status == 400
    assert early.error == "Ask for a code first."
    await send(env, opt)
    code = (await env.mail.wait_for(ALICE)).code()
    malformed = "The code is the 6 digits in the message we sent you."
    fullwidth = "\uff11\uff12\uff13\uff14\uff15\uff16"  # isdigit() but not ASCII
    for raw, message in [
        ("", "Enter the code we sent you."),
        ("12345", malformed),
        (fullwidth, malformed),
        ("12345x", malformed),
        ("1" * 70, malformed),
    ]:
        outcome = await verify(env, opt, raw)
        assert isinstance(outcome, Prompt) and outcome.status == 400 and outcome.error == message
    odd = await opt.submit(env.ctx(OPTION), {"action": "dance"})
    assert isinstance(odd, Prompt) and odd.status == 400
    # None of these spent a try.
    for _ in range(4):
        await verify(env, opt, wrong(code))
    assert await verify(env, opt, code) == Passed(env.user_id, ("otp",))


async def test_no_verified_email(env: Env) -> None:
    opt = option(env)
    await env.set_email_verified(env.user_id, False)
    assert not await opt.available(env.ctx(OPTION))
    refused = await send(env, opt)
    assert refused.status == 400
    assert refused.error == (
        "This account has no verified email address to send a code to. Try another way."
    )
    assert env.mail.messages == []


async def test_send_failure_is_a_clear_503(env: Env) -> None:
    from identra.notify import SmtpEmailSender
    from identra.settings import SmtpSettings
    from tests.support import free_port

    dead = SmtpSettings(**env.mail.smtp_settings(port=free_port(), timeout=2))
    opt = create(AuthenticatorDeps(env.h.services, Senders(email=SmtpEmailSender(dead))))
    failed = await send(env, opt)
    assert failed.status == 503 and not failed.engaged
    assert failed.error == (
        "We could not send the code right now. Try again in a few minutes, or try another way."
    )
    assert "cid" not in env.scratch[OPTION]


async def test_link_callback_is_refused(env: Env) -> None:
    outcome = await option(env).callback(env.ctx(OPTION), {"token": "x"})
    assert isinstance(outcome, Prompt) and outcome.status == 400


# -- first factor: identifying the user without telling who has an account -------------------


async def identify_and_send(env: Env, opt: EmailOtpOption, identifier: str) -> Prompt:
    start = await opt.prompt(env.ctx(OPTION, user_id=None))
    assert start.values == {"phase": "start", "ask_identifier": True, "identifier": ""}
    outcome = await opt.submit(
        env.ctx(OPTION, user_id=None), {"action": "send", "identifier": identifier}
    )
    assert isinstance(outcome, Prompt)
    await opt.drain()
    return outcome


@pytest.mark.parametrize("identifier", ["alice", "ALICE@example.com"])
async def test_first_factor_by_username_or_verified_email(env: Env, identifier: str) -> None:
    opt = option(env)
    assert await opt.available(env.ctx(OPTION, user_id=None))
    sent = await identify_and_send(env, opt, identifier)
    assert sent.status == 200 and sent.engaged
    assert sent.values["notice"] == (
        f"If {identifier} has an account that can receive it, we sent a code to its verified "
        "email address. It expires in 5 minutes."
    )
    code = (await env.mail.wait_for(ALICE)).code()
    assert await verify(env, opt, code, user_id=None) == Passed(env.user_id, ("otp",))


async def answers_for(env: Env, identifier: str) -> list[tuple[int, str | None, dict[str, object]]]:
    """Every answer a visitor sees while trying an identifier, with the identifier blanked."""
    opt = option(env)
    env.new_flow()
    seen = []
    sent = await identify_and_send(env, opt, identifier)
    seen.append(sent)
    delivered = env.mail.sent_to(f"{identifier}@example.com")
    guess = wrong(delivered[-1].code()) if delivered else "000000"
    seen.append(await verify(env, opt, guess, user_id=None))
    seen.append(await opt.submit(env.ctx(OPTION, user_id=None), {"action": "resend"}))
    env.clock.advance(31)
    seen.append(await opt.submit(env.ctx(OPTION, user_id=None), {"action": "resend"}))
    await opt.drain()
    out = []
    for prompt in seen:
        assert isinstance(prompt, Prompt)
        values = {k: str(v).replace(identifier, "X") for k, v in prompt.values.items()}
        out.append((prompt.status, prompt.error, values))
    return out


async def test_unknown_and_unreachable_users_get_the_same_answers(env: Env) -> None:
    await env.user("bob")
    await env.set_email_verified(await env.user("carol"), False)
    await env.set_status(await env.user("dave"), "disabled")
    known = await answers_for(env, "bob")
    assert len(env.mail.sent_to("bob@example.com")) == 2
    for identifier in ["nobody", "nobody@example.com", "carol", "carol@example.com", "dave"]:
        assert await answers_for(env, identifier) == known, identifier
    for address in ["carol@example.com", "dave@example.com", "nobody@example.com"]:
        assert env.mail.sent_to(address) == []


async def test_decoy_codes_never_pass(env: Env) -> None:
    opt = option(env)
    await identify_and_send(env, opt, "nobody")
    for _ in range(4):
        outcome = await verify(env, opt, "123456", user_id=None)
        assert isinstance(outcome, Prompt) and outcome.status == 401
    last = await verify(env, opt, "123456", user_id=None)
    assert isinstance(last, Prompt) and last.status == 429


async def test_identifier_step_user_is_not_shown_the_address(env: Env) -> None:
    """After an identifier step the engine knows the user id, but nobody is authenticated."""
    opt = option(env)
    ctx = env.ctx(OPTION, user_id=env.user_id, username="alice", identified=True)
    start = await opt.prompt(ctx)
    assert "destination" not in start.values
    assert start.values["ask_identifier"] is False and start.values["identifier"] == "alice"
    sent = await opt.submit(ctx, {"action": "send"})
    assert isinstance(sent, Prompt) and "a•••@" not in str(sent.values)
    await opt.drain()
    code = (await env.mail.wait_for(ALICE)).code()
    assert await verify(
        env, opt, code, user_id=env.user_id, username="alice", identified=True
    ) == Passed(env.user_id, ("otp",))


async def test_missing_identifier(env: Env) -> None:
    opt = option(env)
    outcome = await opt.submit(env.ctx(OPTION, user_id=None), {"action": "send", "identifier": " "})
    assert isinstance(outcome, Prompt) and outcome.status == 400
    assert outcome.error == "Enter your email address or username."


async def test_user_disabled_after_the_code_was_sent(env: Env) -> None:
    opt = option(env)
    await send(env, opt)
    code = (await env.mail.wait_for(ALICE)).code()
    await env.set_status(env.user_id, "disabled")
    outcome = await verify(env, opt, code)
    assert isinstance(outcome, Prompt) and outcome.status == 400
