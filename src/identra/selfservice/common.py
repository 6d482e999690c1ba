"""What the self-service operations share: their dependencies, results, input checks and the
per-IP rate limits."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from identra.notify import EmailSender
from identra.selfservice import settings as org_settings
from identra.selfservice.links import LinkStore
from identra.selfservice.mail import Outbox
from identra.selfservice.policy import PasswordPolicy
from identra.services import Services
from identra.storage.models import Organization

Errors = dict[str, list[str]]  # field name ("" for the whole form) -> messages


@dataclass(frozen=True)
class SessionRow:
    """One of the user's SSO sessions (``user_sessions``)."""

    id: str
    created_at: int
    expires_at: int
    ip: str | None
    user_agent: str | None
    amr: tuple[str, ...]


class SessionEnder(Protocol):
    async def active(self, org_id: str, user_id: str) -> list[SessionRow]:
        """The user's sessions that have not ended, newest first."""
        ...

    async def end_all(self, org_id: str, user_id: str, keep: str | None = None) -> int:
        """End the user's SSO sessions except ``keep`` (a ``sid``); how many were ended."""
        ...

    async def end_one(self, org_id: str, user_id: str, sid: str) -> bool:
        """End one of the user's sessions; False if it is not theirs or already over."""
        ...


@dataclass
class Deps:
    services: Services
    links: LinkStore
    email: EmailSender | None
    sessions: SessionEnder


@dataclass(frozen=True)
class Refused:
    """The input was not accepted; nothing changed. Messages by field, shown on the page."""

    errors: Errors
    status: int = 400

    @classmethod
    def form(cls, message: str, status: int = 400) -> Refused:
        return cls({"": [message]}, status)


@dataclass(frozen=True)
class Done:
    """The change was made; ``outbox`` goes out after the response, ``values`` feed the page."""

    outbox: Outbox | None = None
    values: dict[str, str] = field(default_factory=dict)
    later: Callable[[], Awaitable[None]] | None = None


Result = Done | Refused


def policy_of(org: Organization) -> PasswordPolicy:
    return PasswordPolicy.from_settings(org_settings.read(org).password_policy)


async def org_policy(deps: Deps, org_id: str) -> PasswordPolicy:
    async with deps.services.sessions() as session:
        org = await load_org(session, org_id)
    return policy_of(org) if org is not None else PasswordPolicy()


async def allow(deps: Deps, key: str, limit: int, window: int) -> bool:
    count = await deps.services.cache.incr(f"ss-rl:{key}", ttl=window)
    return count <= limit


# ---- input checks ------------------------------------------------------------------------

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{2,63}$")
LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")
MAX_NAME = 100


def clean_text(value: str) -> str:
    """Trimmed, NFC, no control characters (a name or a typed value)."""
    value = unicodedata.normalize("NFC", value.strip())
    return "".join(c for c in value if unicodedata.category(c)[0] != "C")


def check_username(value: str) -> str | None:
    if not value:
        return "Enter a username."
    if not USERNAME.match(value):
        return (
            "Use 3 to 64 characters for the username: letters, digits and . _ @ + - "
            "(starting with a letter or digit)."
        )
    return None


def check_email(value: str) -> str | None:
    if not value:
        return "Enter your email address."
    local, at, domain = value.rpartition("@")
    bad = any(c.isspace() or c in '<>,;"\\()[]' or ord(c) < 32 for c in value)
    if (
        not at
        or not local
        or "@" in local
        or "." not in domain.strip(".")
        or domain.startswith(".")
        or domain.endswith(".")
        or ".." in value
        or bad
        or len(value) > 254
    ):
        return "Enter a valid email address, such as name@example.com."
    return None


def check_name(value: str, label: str) -> str | None:
    if len(value) > MAX_NAME:
        return f"The {label} is too long: use at most {MAX_NAME} characters."
    return None


def check_locale(value: str) -> str | None:
    if value and not LOCALE.match(value):
        return "Enter a language tag such as en, en-GB or pt-BR, or leave it empty."
    return None


def add(errors: Errors, name: str, message: str | None) -> None:
    if message:
        errors.setdefault(name, []).append(message)


async def load_org(session: AsyncSession, org_id: str) -> Organization | None:
    return await session.get(Organization, org_id)
