"""The password policy rules, one by one, and the shipped common-password list."""

from __future__ import annotations

import pytest

from identra.crypto.passwords import hash_password
from identra.selfservice import settings as ss_settings
from identra.selfservice.policy import (
    MAX_LENGTH,
    PasswordPolicy,
    check,
    common_passwords,
    is_common,
    reused,
)
from identra.storage.models import Organization

POLICY = PasswordPolicy()


def rules(password: str, *identifiers: str, policy: PasswordPolicy = POLICY) -> list[str]:
    return [v.rule for v in check(policy, password, identifiers)]


def test_the_list_is_large_and_holds_the_classics() -> None:
    words = common_passwords()
    assert len(words) > 5000
    for classic in ("123456", "password", "qwerty123", "iloveyou", "trustno1", "1qaz2wsx3edc"):
        assert classic in words
    # Long entries matter most: short ones already fail the length rule.
    for long_one in ("passwordpassword", "123456789012", "qwertyuiop123", "iloveyou2024"):
        assert long_one in words
    assert all(w == w.strip().casefold() for w in words)


def test_common_check_is_case_insensitive() -> None:
    assert is_common("PassWord123") and is_common("QWERTYUIOP")
    assert rules("PasswordPassword") == ["common"]
    assert rules("QwertyUiop123") == ["common"]


def test_length_limits_and_messages() -> None:
    found = check(POLICY, "short-pass")
    assert [v.rule for v in found] == ["too_short"]
    assert "at least 12 characters" in found[0].message
    assert rules("x" * (MAX_LENGTH + 1)) == ["too_long"]
    assert rules("y" * MAX_LENGTH + "") == []  # 1024 characters of one kind are allowed
    assert rules("") == ["empty"]
    assert rules("seven-amber-foxes") == []


def test_several_rules_are_reported_together() -> None:
    assert rules("password", "password") == ["too_short", "common", "personal"]


def test_not_the_username_or_email() -> None:
    assert rules("Alice.Wonderland", "alice.wonderland") == ["personal"]
    assert rules("bob.builder@example.com", "bob", "BOB.builder@example.com") == ["personal"]
    # The local part of the email address counts too.
    assert rules("charlie-the-unicorn", "c1", "charlie-the-unicorn@example.org") == ["personal"]
    assert rules("charlie-the-unicorn-2", "c1", "charlie-the-unicorn@example.org") == []


def test_configured_minimum() -> None:
    relaxed = PasswordPolicy(min_length=8)
    assert rules("kettle-9x", policy=relaxed) == []
    # Common passwords still fail when the minimum length lets them through.
    assert rules("baseball1", policy=relaxed) == ["common"]
    off = PasswordPolicy(min_length=8, block_common=False)
    assert rules("baseball1", policy=off) == []


async def test_history_matches_any_recent_hash() -> None:
    hashes = [hash_password("first-password-one"), hash_password("second-password-two")]
    found = await reused(POLICY, "second-password-two", hashes)
    assert found is not None and found.rule == "reused"
    assert "last 5 passwords" in found.message
    assert await reused(POLICY, "a-brand-new-password", hashes) is None
    # Only the last N count.
    assert await reused(PasswordPolicy(history=1), "second-password-two", hashes) is None
    assert await reused(PasswordPolicy(history=0), "first-password-one", hashes) is None


def test_org_settings_defaults_and_bad_values() -> None:
    org = Organization(handle="x", name="X", path="/", settings={})
    got = ss_settings.read(org)
    assert got.registration is False and got.recovery is True
    assert got.password_policy.min_length == 12
    org.settings = {"self_service": {"registration": "maybe"}}
    assert ss_settings.read(org).registration is False  # unreadable: the defaults
    org.settings = {"self_service": {"password_policy": {"min_length": 16, "history": 3}}}
    policy = PasswordPolicy.from_settings(ss_settings.read(org).password_policy)
    assert (policy.min_length, policy.history, policy.max_length) == (16, 3, MAX_LENGTH)


@pytest.mark.parametrize(
    "changes",
    [
        {"password_policy": {"min_length": 4}},
        {"password_policy": {"min_length": 2000}},
        {"password_policy": {"history": -1}},
        {"registration": "yes please"},
        {"unknown": True},
    ],
)
async def test_writing_bad_settings_is_refused(changes: dict[str, object]) -> None:
    from identra.errors import InvalidInput
    from identra.observability import audit

    class FakeSession:
        added: list[object] = []

        def add(self, item: object) -> None:
            self.added.append(item)

        async def flush(self) -> None:
            pass

    org = Organization(handle="x", name="X", path="/", settings={"other": 1}, version=1)
    with pytest.raises(InvalidInput):
        await ss_settings.write(FakeSession(), org, changes, audit.SYSTEM)  # type: ignore[arg-type]
    assert org.settings == {"other": 1}
