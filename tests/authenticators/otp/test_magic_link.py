"""magic-link through its interface: real database, real SMTP server, frozen clock."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from identra.authenticators.interface import AuthenticatorDeps, NotEnabled, Passed, Prompt
from identra.authenticators.magic_link.plugin import MagicLinkOption, create
from identra.notify import Senders
from tests.authenticators.otp.conftest import Env

OPTION = "magic-link"
ALICE = "alice@example.com"


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


async def request_link(env: Env, opt: MagicLinkOption, identifier: str = "alice") -> Prompt:
    outcome = await opt.submit(
        env.ctx(OPTION, user_id=None), {"action": "send", "identifier": identifier}
    )
    assert isinstance(outcome, Prompt)
    await opt.drain()
    return outcome


def test_not_enabled_without_an_email_sender(env: Env) -> None:
    with pytest.raises(NotEnabled):
        create(AuthenticatorDeps(env.h.services, Senders()))


async def test_first_factor_link(env: Env) -> None:
    opt = create(env.deps)
    assert opt.first_factor
    sent = await request_link(env, opt)
    assert sent.engaged and sent.values["phase"] == "sent"
    assert sent.values["notice"] == (
        "If alice has an account that can receive it, we sent a link to its verified email "
        "address. It expires in 15 minutes."
    )
    message = await env.mail.wait_for(ALICE)
    link = message.link()
    ctx = env.ctx(OPTION, user_id=None)
    assert link.startswith(ctx.callback_url + "?token=")
    assert message.subject == "Your sign-in link for Test <App>"
    assert f'href="{link}"' in (message.html or "")
    token = token_of(link)
    assert len(token) >= 43 and token not in repr(env.scratch)

    assert await opt.callback(env.ctx(OPTION, user_id=None), {"token": token}) == Passed(
        env.user_id, ("otp",)
    )


async def test_replayed_link_fails(env: Env) -> None:
    opt = create(env.deps)
    await request_link(env, opt)
    token = token_of((await env.mail.wait_for(ALICE)).link())
    cid = env.scratch[OPTION]["cid"]
    assert isinstance(await opt.callback(env.ctx(OPTION, user_id=None), {"token": token}), Passed)
    env.scratch[OPTION]["cid"] = cid
    replay = await opt.callback(env.ctx(OPTION, user_id=None), {"token": token})
    assert isinstance(replay, Prompt) and replay.status == 400
    assert replay.error == "This sign-in link has already been used. Send a new link."


async def test_expired_link(env: Env) -> None:
    opt = create(env.deps)
    await request_link(env, opt)
    token = token_of((await env.mail.wait_for(ALICE)).link())
    env.clock.advance(15 * 60)
    late = await opt.callback(env.ctx(OPTION, user_id=None), {"token": token})
    assert isinstance(late, Prompt) and late.status == 400
    assert late.error == "This sign-in link has expired. Send a new link."


async def test_forged_and_missing_tokens(env: Env) -> None:
    opt = create(env.deps)
    before = await opt.callback(env.ctx(OPTION, user_id=None), {"token": "x" * 43})
    assert isinstance(before, Prompt) and before.status == 400
    await request_link(env, opt)
    token = token_of((await env.mail.wait_for(ALICE)).link())
    altered = token[:-1] + ("B" if token.endswith("A") else "A")
    for params in [{}, {"token": ""}, {"token": altered}, {"token": "y" * 5000}]:
        outcome = await opt.callback(env.ctx(OPTION, user_id=None), params)
        assert isinstance(outcome, Prompt) and outcome.status in (400, 429), params
    # Two forged tries so far (the empty ones were not tried): two more, then void.
    for _ in range(2):
        bad = await opt.callback(env.ctx(OPTION, user_id=None), {"token": "z" * 43})
        assert isinstance(bad, Prompt) and bad.status == 400
    void = await opt.callback(env.ctx(OPTION, user_id=None), {"token": "z" * 43})
    assert isinstance(void, Prompt) and void.status == 429
    assert void.error == "Too many invalid links were opened: send a new link."
    dead = await opt.callback(env.ctx(OPTION, user_id=None), {"token": token})
    assert isinstance(dead, Prompt) and dead.status == 429


async def test_new_link_replaces_the_old_one(env: Env) -> None:
    opt = create(env.deps)
    await request_link(env, opt)
    first = token_of((await env.mail.wait_for(ALICE)).link())
    env.clock.advance(30)
    resent = await opt.submit(env.ctx(OPTION, user_id=None), {"action": "resend"})
    assert isinstance(resent, Prompt) and resent.status == 200
    await opt.drain()
    second = token_of((await env.mail.wait_for(ALICE, count=2)).link())
    old = await opt.callback(env.ctx(OPTION, user_id=None), {"token": first})
    assert isinstance(old, Prompt) and old.status == 400
    assert await opt.callback(env.ctx(OPTION, user_id=None), {"token": second}) == Passed(
        env.user_id, ("otp",)
    )


async def test_unknown_user_gets_the_same_page_and_no_mail(env: Env) -> None:
    opt = create(env.deps)
    known = await request_link(env, opt, "alice")
    env.new_flow()
    unknown = await request_link(env, opt, "mallory")
    assert unknown.status == known.status and unknown.engaged == known.engaged
    assert unknown.values["notice"] == str(known.values["notice"]).replace("alice", "mallory")
    assert env.mail.sent_to("mallory@example.com") == []
    forged = await opt.callback(env.ctx(OPTION, user_id=None), {"token": "a" * 43})
    assert isinstance(forged, Prompt) and forged.status == 400


async def test_second_factor_shows_the_masked_address(env: Env) -> None:
    opt = create(env.deps)
    start = await opt.prompt(env.ctx(OPTION))
    assert start.values == {"phase": "start", "destination": "a•••@example.com"}
    sent = await opt.submit(env.ctx(OPTION), {"action": "send"})
    assert isinstance(sent, Prompt) and sent.status == 200
    assert sent.values["notice"] == (
        "We sent a link to a•••@example.com. It expires in 15 minutes."
    )
    token = token_of((await env.mail.wait_for(ALICE)).link())
    assert await opt.callback(env.ctx(OPTION), {"token": token}) == Passed(env.user_id, ("otp",))


async def test_submit_cannot_verify(env: Env) -> None:
    opt = create(env.deps)
    outcome = await opt.submit(env.ctx(OPTION), {"action": "verify", "code": "123456"})
    assert isinstance(outcome, Prompt) and outcome.status == 400
