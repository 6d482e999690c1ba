"""What the password authenticator needs from storage (implemented in
``identra.storage.repositories.users_auth``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PasswordAccount:
    user_id: str
    status: str  # active | locked | disabled | unverified
    password_hash: str | None
    failed_logins: int
    locked_until: int | None  # epoch seconds
    directory: bool = False  # a user of a directory store (LDAP): the directory checks passwords


class DirectoryUnavailable(Exception):
    """A directory store could not answer (unreachable, timed out): the login fails closed."""


class PasswordUserStore(Protocol):
    async def find(self, org_id: str, username: str) -> PasswordAccount | None:
        """The user with this username (case-insensitive) in the first enabled user store that
        has it; ``STORE/name`` looks in that store only."""
        ...

    async def directory_login(self, org_id: str, username: str, password: str) -> str | None:
        """Ask the organization's directory stores (in order) to check the password; the local
        user id on success (the directory user's local row is created or refreshed), None when
        refused or when there is no directory store. Raises :class:`DirectoryUnavailable`."""
        ...

    async def record_failure(
        self,
        org_id: str,
        user_id: str,
        failed_logins: int,
        locked_until: int | None,
        ip: str | None,
    ) -> None: ...

    async def record_success(
        self, org_id: str, user_id: str, new_hash: str | None, now: int, ip: str | None
    ) -> None:
        """Reset the failure counter, note the login, store a rehashed password if given."""
        ...
