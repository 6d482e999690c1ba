"""TOTP: the RFC algorithm against the RFC vectors and pyotp, then enrollment and sign-in
through the authenticator interface with real storage and cache."""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest

from identra.authenticators.interface import Authenticator, Enrolled, Enroller, Passed, Prompt
from identra.authenticators.totp import otp
from identra.authenticators.totp.plugin import TotpOption, create
from tests.authenticators.mfa.conftest import Env

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


# -- the algorithm ---------------------------------------------------------------------------


def test_hotp_matches_rfc4226_appendix_d() -> None:
    expected = [
        "755224",
        "287082",
        "359152",
        "969429",
        "338314",
        "254676",
        "287922",
        "162583",
        "399871",
        "520489",
    ]
    assert [otp.hotp(RFC_SECRET, i) for i in range(10)] == expected


@pytest.mark.parametrize(
    ("at", "code"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_totp_matches_rfc6238_sha1_vectors(at: int, code: str) -> None:
    assert otp.hotp(RFC_SECRET, otp.time_step(at), digits=8) == code


def test_codes_agree_with_pyotp_over_many_steps() -> None:
    secret = otp.new_secret()
    reference = pyotp.TOTP(secret)
    for at in range(1_900_000_000, 1_900_000_000 + 30 * 200, 30):
        assert otp.hotp(secret, otp.time_step(at)) == reference.at(at)


def test_secret_is_20_random_bytes_in_base32() -> None:
    secret = otp.new_secret()
    assert len(base64.b32decode(secret + "=" * (-len(secret) % 8))) == 20
    assert secret != otp.new_secret()


def test_window_is_one_step_either_side() -> None:
    secret = otp.new_secret()
    now = 1_900_000_015
    step = otp.time_step(now)
    for delta in (-1, 0, 1):
        assert otp.matching_step(secret, otp.hotp(secret, step + delta), now) == step + delta
    for delta in (-3, -2, 2, 3):
        assert otp.matching_step(secret, otp.hotp(secret, step + delta), now) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("123456", "123456"),
        (" 123 456 ", "123456"),
        ("123-456", "123456"),
        ("12345", None),
        ("1234567", None),
        ("12345a", None),
        ("١٢٣٤٥٦", None),
        ("", None),
    ],
)
def test_code_input_is_read_tolerantly(raw: str, expected: str | None) -> None:
    assert otp.normalize_code(raw) == expected


def test_provisioning_uri_is_read_back_by_pyotp() -> None:
    secret = otp.new_secret()
    uri = otp.provisioning_uri(secret, "Acme & Co", "alice@example.com")
    parsed = pyotp.parse_uri(uri)
    assert isinstance(parsed, pyotp.TOTP)
    assert parsed.secret == secret
    assert parsed.issuer == "Acme & Co"
    assert parsed.name == "alice@example.com"
    assert parsed.digits == 6 and parsed.interval == 30
    query = parse_qs(urlsplit(uri).query)
    assert query["algorithm"] == ["SHA1"]
    assert unquote(urlsplit(uri).path) == "/Acme & Co:alice@example.com"
    assert urlsplit(uri).path == "/Acme%20%26%20Co:alice%40example.com"


# -- through the interface -------------------------------------------------------------------


async def enroll(env: Env, option: TotpOption, user_id: str | None = None) -> str:
    """Enroll alice (or ``user_id``); returns the Base32 secret the app would hold."""
    uid: str | bool = user_id or True
    page = await option.enroll_prompt(env.ctx("totp", user_id=uid))
    assert page.template == "totp-enroll" and page.error is None
    secret = page.values["secret"].replace(" ", "")
    done = await option.enroll_submit(
        env.ctx("totp", user_id=uid), {"code": pyotp.TOTP(secret).at(env.clock.timestamp())}
    )
    assert isinstance(done, Enrolled)
    return str(secret)


async def test_plugin_implements_both_interfaces(env: Env) -> None:
    option = create(env.deps)
    assert isinstance(option, Authenticator) and isinstance(option, Enroller)
    assert option.name == "totp" and option.kind == "totp" and not option.first_factor


async def test_enrollment_shows_qr_and_key_and_keeps_secret_sealed(env: Env) -> None:
    option = create(env.deps)
    page = await option.enroll_prompt(env.ctx("totp"))
    secret = page.values["secret"].replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert page.values["qr"].startswith("data:image/svg+xml")
    assert page.values["account"] == "alice"
    # The pending secret is in the flow state only sealed.
    assert secret not in str(env.scratch["totp"])
    # Showing the page again keeps the same secret (the user may have scanned it already).
    again = await option.enroll_prompt(env.ctx("totp"))
    assert again.values["secret"].replace(" ", "") == secret
    assert not await option.enrolled(env.org_id, env.user_id)


async def test_enrollment_needs_a_correct_first_code(env: Env) -> None:
    option = create(env.deps)
    page = await option.enroll_prompt(env.ctx("totp"))
    secret = page.values["secret"].replace(" ", "")
    now = env.clock.timestamp()
    wrong = await option.enroll_submit(env.ctx("totp"), {"code": pyotp.TOTP(secret).at(now - 300)})
    assert isinstance(wrong, Prompt) and wrong.status == 401 and wrong.error
    assert wrong.values["secret"].replace(" ", "") == secret  # same QR, try again
    empty = await option.enroll_submit(env.ctx("totp"), {"code": "  "})
    assert isinstance(empty, Prompt) and empty.status == 400
    assert await env.credentials("totp") == []
    done = await option.enroll_submit(env.ctx("totp"), {"code": pyotp.TOTP(secret).at(now)})
    assert isinstance(done, Enrolled)
    rows = await env.credentials("totp")
    assert [r.id for r in rows] == [done.credential_id]
    assert rows[0].secret_encrypted and secret not in rows[0].secret_encrypted
    assert "enroll" not in env.scratch["totp"]
    assert await option.enrolled(env.org_id, env.user_id)
    assert len(await env.audit("credential.enrolled")) == 1


async def test_an_abandoned_enrollment_expires(env: Env) -> None:
    option = create(env.deps)
    page = await option.enroll_prompt(env.ctx("totp"))
    secret = page.values["secret"].replace(" ", "")
    env.clock.advance(901)
    late = await option.enroll_submit(
        env.ctx("totp"), {"code": pyotp.TOTP(secret).at(env.clock.timestamp())}
    )
    assert isinstance(late, Prompt) and late.status == 400
    assert late.values["secret"].replace(" ", "") != secret
    assert await env.credentials("totp") == []


async def test_sign_in_with_a_code_from_pyotp(env: Env) -> None:
    option = create(env.deps)
    assert not await option.available(env.ctx("totp"))
    secret = await enroll(env, option)
    assert await option.available(env.ctx("totp"))
    assert not await option.available(env.ctx("totp", user_id=False))
    env.clock.advance(30)
    outcome = await option.submit(
        env.ctx("totp"), {"code": pyotp.TOTP(secret).at(env.clock.timestamp())}
    )
    assert outcome == Passed(env.user_id, ("otp",))
    rows = await env.credentials("totp")
    assert rows[0].data["last_step"] == env.clock.timestamp() // 30


async def test_the_enrollment_code_cannot_sign_in(env: Env) -> None:
    option = create(env.deps)
    page = await option.enroll_prompt(env.ctx("totp"))
    secret = page.values["secret"].replace(" ", "")
    code = pyotp.TOTP(secret).at(env.clock.timestamp())
    assert isinstance(await option.enroll_submit(env.ctx("totp"), {"code": code}), Enrolled)
    replay = await option.submit(env.ctx("totp"), {"code": code})
    assert isinstance(replay, Prompt) and replay.status == 401
    assert replay.error is not None and "already been used" in replay.error


async def test_a_code_is_never_accepted_twice(env: Env) -> None:
    option = create(env.deps)
    secret = await enroll(env, option)
    env.clock.advance(60)
    now = env.clock.timestamp()
    code = pyotp.TOTP(secret).at(now)
    assert isinstance(await option.submit(env.ctx("totp"), {"code": code}), Passed)
    again = await option.submit(env.ctx("totp"), {"code": code})
    assert isinstance(again, Prompt) and again.status == 401
    # Nor an older code still inside the window.
    older = await option.submit(env.ctx("totp"), {"code": pyotp.TOTP(secret).at(now - 30)})
    assert isinstance(older, Prompt) and older.status == 401
    # The next step's code is fine (within the window), and then not again.
    nxt = pyotp.TOTP(secret).at(now + 30)
    assert isinstance(await option.submit(env.ctx("totp"), {"code": nxt}), Passed)
    env.clock.advance(30)
    assert isinstance(await option.submit(env.ctx("totp"), {"code": nxt}), Prompt)


async def test_the_replay_guard_holds_across_two_option_instances(env: Env) -> None:
    """Two nodes (two instances, shared storage and cache) race with the same code."""
    first, second = create(env.deps), create(env.deps)
    secret = await enroll(env, first)
    env.clock.advance(60)
    code = pyotp.TOTP(secret).at(env.clock.timestamp())
    ctx_a, ctx_b = env.ctx("totp"), env.ctx("totp")
    results = [
        await first.submit(ctx_a, {"code": code}),
        await second.submit(ctx_b, {"code": code}),
    ]
    assert sum(isinstance(r, Passed) for r in results) == 1


async def test_expired_and_wrong_codes_are_refused(env: Env) -> None:
    option = create(env.deps)
    secret = await enroll(env, option)
    env.clock.advance(300)
    now = env.clock.timestamp()
    expired = await option.submit(env.ctx("totp"), {"code": pyotp.TOTP(secret).at(now - 90)})
    assert isinstance(expired, Prompt) and expired.status == 401
    future = await option.submit(env.ctx("totp"), {"code": pyotp.TOTP(secret).at(now + 90)})
    assert isinstance(future, Prompt) and future.status == 401
    other = pyotp.TOTP(pyotp.random_base32()).at(now)
    wrong = await option.submit(env.ctx("totp"), {"code": other})
    assert isinstance(wrong, Prompt) and wrong.status == 401


@pytest.mark.parametrize("form", [{}, {"code": ""}, {"code": "abc"}, {"code": "1" * 5000}])
async def test_bad_input_is_a_clear_400(env: Env, form: dict[str, str]) -> None:
    option = create(env.deps)
    await enroll(env, option)
    outcome = await option.submit(env.ctx("totp"), form)
    assert isinstance(outcome, Prompt) and outcome.status == 400 and outcome.error


async def test_second_factor_needs_an_identified_user(env: Env) -> None:
    option = create(env.deps)
    await enroll(env, option)
    outcome = await option.submit(env.ctx("totp", user_id=False), {"code": "123456"})
    assert isinstance(outcome, Prompt) and outcome.status == 400
    nobody = await option.submit(env.ctx("totp", user_id=await env.user("bob")), {"code": "123456"})
    assert isinstance(nobody, Prompt) and nobody.status == 400
    enroll_anon = await option.enroll_prompt(env.ctx("totp", user_id=False))
    assert enroll_anon.status == 400


async def test_wrong_codes_lock_the_option_for_a_while(env: Env) -> None:
    option = create(env.deps)
    secret = await enroll(env, option)
    env.clock.advance(60)
    totp = pyotp.TOTP(secret)
    wrong = str((int(totp.at(env.clock.timestamp())) + 1) % 1_000_000).zfill(6)
    statuses = [
        getattr(await option.submit(env.ctx("totp"), {"code": wrong}), "status", None)
        for _ in range(5)
    ]
    assert statuses == [401, 401, 401, 401, 429]
    # While locked even the right code is refused, without being checked.
    locked = await option.submit(env.ctx("totp"), {"code": totp.at(env.clock.timestamp())})
    assert isinstance(locked, Prompt) and locked.status == 429
    assert locked.error is not None and "5 minute" in locked.error
    env.clock.advance(301)
    ok = await option.submit(env.ctx("totp"), {"code": totp.at(env.clock.timestamp())})
    assert isinstance(ok, Passed)


async def test_the_lock_is_per_user(env: Env) -> None:
    option = create(env.deps)
    await enroll(env, option)
    bob = await env.user("bob")
    await enroll(env, option, bob)
    for _ in range(5):
        await option.submit(env.ctx("totp", user_id=bob), {"code": "000000"})
    assert await option.limiter.locked_for(env.org_id, bob, env.clock.timestamp())
    assert not await option.limiter.locked_for(env.org_id, env.user_id, env.clock.timestamp())


async def test_enrolling_again_replaces_the_secret(env: Env) -> None:
    option = create(env.deps)
    old = await enroll(env, option)
    env.clock.advance(60)
    new = await enroll(env, option)
    assert old != new
    assert len(await env.credentials("totp")) == 1
    env.clock.advance(60)
    stale = await option.submit(
        env.ctx("totp"), {"code": pyotp.TOTP(old).at(env.clock.timestamp())}
    )
    assert isinstance(stale, Prompt)
    fresh = await option.submit(
        env.ctx("totp"), {"code": pyotp.TOTP(new).at(env.clock.timestamp())}
    )
    assert isinstance(fresh, Passed)


async def test_a_credential_does_not_cross_organizations(env: Env) -> None:
    option = create(env.deps)
    secret = await enroll(env, option)
    other_org = (await env.h.create_org("acme"))["id"]
    ctx = env.ctx("totp", org_id=other_org)
    assert not await option.available(ctx)
    outcome = await option.submit(ctx, {"code": pyotp.TOTP(secret).at(env.clock.timestamp())})
    assert isinstance(outcome, Prompt)
