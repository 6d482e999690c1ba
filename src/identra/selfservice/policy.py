"""The password policy every user-chosen password goes through (registration, recovery,
password change in My Account).

Rules, after NIST SP 800-63B §5.1.1.2 and the OWASP Authentication Cheat Sheet:

- at least ``min_length`` characters (12 by default; per organization, 8 to 128), at most
  1024 (a longer one could only slow the server down);
- not one of the common breached passwords shipped in ``data/common-passwords.txt``
  (compared case-insensitively);
- not the user's username, email address or the local part of it (case-insensitively);
- not one of the user's last ``history`` passwords (the current one included), checked
  against the argon2id hashes kept in ``password_history``.

No composition rules (one digit, one symbol...): they make passwords harder to remember without
making them much harder to guess. Each broken rule has its own message, shown all at once.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

from identra.crypto.passwords import verify_password
from identra.selfservice.settings import PolicySettings

MAX_LENGTH = 1024


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 12
    max_length: int = MAX_LENGTH
    history: int = 5
    block_common: bool = True

    @classmethod
    def from_settings(cls, settings: PolicySettings) -> PasswordPolicy:
        return cls(
            min_length=settings.min_length,
            history=settings.history,
            block_common=settings.block_common,
        )

    def describe(self) -> str:
        """One sentence for the forms, next to the password field."""
        return (
            f"Use at least {self.min_length} characters. A long phrase of unrelated words is "
            "easy to remember and hard to guess."
        )


@dataclass(frozen=True)
class Violation:
    rule: str  # empty | too_short | too_long | common | personal | reused
    message: str


@functools.cache
def common_passwords() -> frozenset[str]:
    text = (
        resources.files("identra.selfservice")
        .joinpath("data/common-passwords.txt")
        .read_text(encoding="utf-8")
    )
    return frozenset(
        line.strip().casefold()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def is_common(password: str) -> bool:
    return password.casefold() in common_passwords()


def _personal(password: str, identifiers: Iterable[str]) -> bool:
    folded = password.casefold()
    for value in identifiers:
        value = value.strip().casefold()
        if not value:
            continue
        candidates = {value}
        local, at, _domain = value.partition("@")
        if at and len(local) >= 3:
            candidates.add(local)
        if folded in candidates:
            return True
    return False


def check(
    policy: PasswordPolicy, password: str, identifiers: Iterable[str] = ()
) -> list[Violation]:
    """The rules that need no stored hashes; an empty list when the password passes them."""
    if not password:
        return [Violation("empty", "Enter a password.")]
    out = []
    if len(password) < policy.min_length:
        out.append(
            Violation(
                "too_short",
                f"The password is too short: use at least {policy.min_length} characters.",
            )
        )
    if len(password) > policy.max_length:
        out.append(
            Violation(
                "too_long",
                f"The password is too long: use at most {policy.max_length} characters.",
            )
        )
    if policy.block_common and is_common(password):
        out.append(
            Violation(
                "common",
                "This password is on the list of the most common passwords, which attackers "
                "try first. Choose another.",
            )
        )
    if _personal(password, identifiers):
        out.append(
            Violation("personal", "Do not use your username or email address as your password.")
        )
    return out


async def reused(policy: PasswordPolicy, password: str, hashes: Sequence[str]) -> Violation | None:
    """Whether ``password`` matches one of ``hashes`` (the last passwords, newest first).

    Each comparison is an argon2id verification, run in worker threads."""
    if policy.history <= 0 or not hashes:
        return None
    recent = list(dict.fromkeys(hashes))[: policy.history]
    results = await asyncio.gather(
        *(asyncio.to_thread(verify_password, stored, password) for stored in recent)
    )
    if any(result.ok for result in results):
        return Violation(
            "reused",
            f"You have used this password recently. Choose one that is not one of your last "
            f"{policy.history} passwords.",
        )
    return None
