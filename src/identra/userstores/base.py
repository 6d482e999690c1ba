"""What every user store kind implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from identra.errors import IdentraError


class StoreError(IdentraError):
    """A user store could not answer (unreachable, timed out, refused): fail closed."""


class ReadOnlyStore(IdentraError):
    """A write was sent to a read-only user store."""


@dataclass
class StoreUser:
    """A user as a store holds it; ``key`` identifies it inside the store (an LDAP DN)."""

    username: str
    key: str = ""
    display_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    emails: list[str] = field(default_factory=list)
    phone_numbers: list[str] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)


class UserStoreBackend(Protocol):
    identifier: str
    read_only: bool

    async def authenticate(self, username: str, password: str) -> StoreUser | None:
        """The user when the password is right; None when the user or password is wrong."""
        ...

    async def lookup(self, username: str) -> StoreUser | None: ...

    async def list(self, limit: int = 1000) -> list[StoreUser]: ...

    async def create(self, user: StoreUser, password: str | None) -> StoreUser: ...

    async def update(
        self, username: str, changes: dict[str, Any], password: str | None = None
    ) -> StoreUser: ...

    async def delete(self, username: str) -> None: ...

    async def close(self) -> None: ...
