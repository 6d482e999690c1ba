"""Backup codes: generation and tolerant reading, then enrollment (shown once, stored as
digests) and single use through the authenticator interface with real storage."""

from __future__ import annotations

import re

import pytest

from identra.authenticators.backup_codes import codes
from identra.authenticators.backup_codes.plugin import BackupCodeOption, create
from identra.authenticators.interface import Authenticator, Enrolled, Enroller, Passed, Prompt
from tests.authenticators.mfa.conftest import Env


def test_ten_distinct_codes_of_forty_bits() -> None:
    batch = codes.generate()
    assert len(batch) == 10 == len(set(batch))
    assert all(re.fullmatch(r"[0-9a-hjkmnp-tv-z]{8}", c) for c in batch)
    assert codes.formatted("abcd2345") == "abcd-2345"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abcd-2345", "abcd2345"),
        ("ABCD 2345", "abcd2345"),
        (" abcd2345 ", "abcd2345"),
        ("ab-cd-23-45", "abcd2345"),
        ("0o1l-i234", "00111234"),
        ("abcd\u20132345", "abcd2345"),
        ("abcd-234", None),
        ("abcd-23456", None),
        ("abcu-2345", None),
        ("", None),
        ("\uff41\uff42\uff43\uff44\uff12\uff13\uff14\uff15", None),
    ],
)
def test_typed_codes_are_read_tolerantly(raw: str, expected: str | None) -> None:
    assert codes.normalize(raw) == expected


async def enroll(env: Env, option: BackupCodeOption) -> list[str]:
    page = await option.enroll_prompt(env.ctx("backup-code"))
    assert page.template == "backup-codes-enroll" and page.error is None
    done = await option.enroll_submit(env.ctx("backup-code"), {"action": "enroll"})
    assert isinstance(done, Enrolled) and done.show is not None
    assert done.show.template == "backup-codes-show"
    shown = list(done.show.values["codes"])
    return shown


async def test_plugin_implements_both_interfaces(env: Env) -> None:
    option = create(env.deps)
    assert isinstance(option, Authenticator) and isinstance(option, Enroller)
    assert option.name == "backup-code" and option.kind == "backup_codes"
    assert not option.first_factor


async def test_codes_are_shown_once_and_stored_as_digests(env: Env) -> None:
    option = create(env.deps)
    shown = await enroll(env, option)
    assert len(shown) == 10 and all(re.fullmatch(r"[0-9a-z]{4}-[0-9a-z]{4}", c) for c in shown)
    rows = await env.credentials("backup_codes")
    assert len(rows) == 1
    stored = str(rows[0].data)
    for code in shown:
        assert code not in stored and code.replace("-", "") not in stored
    assert len(rows[0].data["codes"]) == 10 and rows[0].data["used"] == []
    assert rows[0].secret_encrypted is None
    assert env.scratch.get("backup-code") in ({}, None)  # nothing kept in the flow state
    assert await option.enrolled(env.org_id, env.user_id)
    prompt = await option.enroll_prompt(env.ctx("backup-code"))
    assert prompt.values["replacing"] is True


async def test_each_code_works_once(env: Env) -> None:
    option = create(env.deps)
    assert not await option.available(env.ctx("backup-code"))
    shown = await enroll(env, option)
    assert await option.available(env.ctx("backup-code"))
    typed = shown[3].upper().replace("-", " ")
    assert await option.submit(env.ctx("backup-code"), {"code": typed}) == Passed(
        env.user_id, ("otp",)
    )
    again = await option.submit(env.ctx("backup-code"), {"code": shown[3]})
    assert isinstance(again, Prompt) and again.status == 401
    other = await option.submit(env.ctx("backup-code"), {"code": shown[4]})
    assert isinstance(other, Passed)
    rows = await env.credentials("backup_codes")
    assert len(rows[0].data["used"]) == 2
    events = await env.audit("credential.backup_code_used")
    assert sorted(e.details["remaining"] for e in events) == [8, 9]


async def test_concurrent_use_of_one_code_on_two_nodes(env: Env) -> None:
    first, second = create(env.deps), create(env.deps)
    shown = await enroll(env, first)
    results = [
        await first.submit(env.ctx("backup-code"), {"code": shown[0]}),
        await second.submit(env.ctx("backup-code"), {"code": shown[0]}),
    ]
    assert sum(isinstance(r, Passed) for r in results) == 1


async def test_when_all_codes_are_spent_the_option_is_gone(env: Env) -> None:
    option = create(env.deps)
    shown = await enroll(env, option)
    for code in shown:
        assert isinstance(await option.submit(env.ctx("backup-code"), {"code": code}), Passed)
    assert not await option.available(env.ctx("backup-code"))
    assert not await option.enrolled(env.org_id, env.user_id)
    last = await option.submit(env.ctx("backup-code"), {"code": shown[0]})
    assert isinstance(last, Prompt) and last.status == 400


async def test_new_codes_replace_the_old_ones(env: Env) -> None:
    option = create(env.deps)
    old = await enroll(env, option)
    new = await enroll(env, option)
    assert not set(old) & set(new)
    assert len(await env.credentials("backup_codes")) == 1
    stale = await option.submit(env.ctx("backup-code"), {"code": old[0]})
    assert isinstance(stale, Prompt) and stale.status == 401
    assert isinstance(await option.submit(env.ctx("backup-code"), {"code": new[0]}), Passed)


async def test_codes_are_bound_to_their_user(env: Env) -> None:
    option = create(env.deps)
    shown = await enroll(env, option)
    bob = await env.user("bob")
    bob_ctx = env.ctx("backup-code", user_id=bob)
    assert await option.enroll_submit(bob_ctx, {}) is not None
    stolen = await option.submit(env.ctx("backup-code", user_id=bob), {"code": shown[0]})
    assert isinstance(stolen, Prompt) and stolen.status == 401
    assert isinstance(await option.submit(env.ctx("backup-code"), {"code": shown[0]}), Passed)


@pytest.mark.parametrize("form", [{}, {"code": " "}, {"code": "abc"}, {"code": "x" * 5000}])
async def test_bad_input_is_a_clear_400(env: Env, form: dict[str, str]) -> None:
    option = create(env.deps)
    await enroll(env, option)
    outcome = await option.submit(env.ctx("backup-code"), form)
    assert isinstance(outcome, Prompt) and outcome.status == 400 and outcome.error


async def test_wrong_codes_lock_the_option(env: Env) -> None:
    option = create(env.deps)
    shown = await enroll(env, option)
    statuses = [
        getattr(await option.submit(env.ctx("backup-code"), {"code": "zzzz-zzzz"}), "status", 0)
        for _ in range(5)
    ]
    assert statuses == [401, 401, 401, 401, 429]
    locked = await option.submit(env.ctx("backup-code"), {"code": shown[0]})
    assert isinstance(locked, Prompt) and locked.status == 429
    env.clock.advance(301)
    assert isinstance(await option.submit(env.ctx("backup-code"), {"code": shown[0]}), Passed)


async def test_second_factor_needs_an_identified_user(env: Env) -> None:
    option = create(env.deps)
    shown = await enroll(env, option)
    ctx = env.ctx("backup-code", user_id=False)
    assert not await option.available(ctx)
    outcome = await option.submit(ctx, {"code": shown[0]})
    assert isinstance(outcome, Prompt) and outcome.status == 400
    assert (await option.enroll_submit(ctx, {})).status == 400  # type: ignore[union-attr]
