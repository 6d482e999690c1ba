"""An organization's user stores, in ``position`` order, and the users they hold.

Usernames may carry their store, as WSO2 Identity Server writes them: ``PARTNERS/alice`` is
``alice`` of the store ``PARTNERS``; a bare name is looked for in every enabled store in
order (and created in ``PRIMARY``). A user of a directory store (LDAP) also has a local row
that mirrors it (same username, the directory's attributes, no password hash): it gives the
user a stable id, group and role membership, sessions, and a place in SCIM listings. The row
is made or refreshed whenever the user logs in or is looked up, and for every entry by
:meth:`UserStores.sync`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.clock import Clock
from identra.crypto.secretbox import SecretBox
from identra.observability import audit
from identra.storage.models import Organization, User, UserEmail, UserPhone, UserStore
from identra.userstores.base import StoreError, StoreUser, UserStoreBackend
from identra.userstores.database import DatabaseStore
from identra.userstores.ldap import LdapConfig, LdapStore, pool_for

log = logging.getLogger(__name__)
PRIMARY = "PRIMARY"
DIRECTORY_KINDS = ("ldap",)


def secret_context(store: UserStore) -> str:
    """The AEAD context the bind password is sealed with: it cannot move to another row."""
    return f"userstore:{store.id}"


def ldap_backend(store: UserStore, box: SecretBox) -> LdapStore:
    config = LdapConfig.model_validate(store.config)
    password = (
        box.decrypt(store.secret_encrypted, secret_context(store))
        if store.secret_encrypted
        else None
    )
    pool = pool_for(store.id, store.version, config, password)
    return LdapStore(store.identifier, store.read_only, config, pool)


@dataclass
class SyncReport:
    created: int = 0
    updated: int = 0
    skipped: int = 0


class UserStores:
    def __init__(
        self,
        session: AsyncSession,
        org: Organization,
        box: SecretBox,
        clock: Clock,
        rows: list[UserStore],
    ) -> None:
        self.session = session
        self.org = org
        self.box = box
        self.clock = clock
        self.rows = rows

    @classmethod
    async def load(
        cls, session: AsyncSession, org: Organization, box: SecretBox, clock: Clock
    ) -> UserStores:
        rows = list(
            await session.scalars(
                select(UserStore)
                .where(UserStore.org_id == org.id)
                .order_by(UserStore.position, UserStore.identifier)
            )
        )
        return cls(session, org, box, clock, rows)

    @property
    def identifiers(self) -> dict[str, str]:
        return {row.id: row.identifier for row in self.rows}

    def by_identifier(self, identifier: str) -> UserStore | None:
        for row in self.rows:
            if row.identifier.lower() == identifier.lower():
                return row
        return None

    def by_id(self, store_id: str) -> UserStore | None:
        return next((row for row in self.rows if row.id == store_id), None)

    def split(self, username: str) -> tuple[UserStore | None, str]:
        """``STORE/name`` -> (that store, ``name``); anything else -> (None, unchanged)."""
        prefix, sep, rest = username.partition("/")
        if sep and rest:
            store = self.by_identifier(prefix)
            if store is not None:
                return store, rest
        return None, username

    def backend(self, store: UserStore) -> UserStoreBackend:
        if store.kind == "ldap":
            return ldap_backend(store, self.box)
        return DatabaseStore(self.session, store, self.clock)

    def is_directory(self, store: UserStore) -> bool:
        return store.kind in DIRECTORY_KINDS

    def _candidates(self, username: str) -> tuple[list[UserStore], str]:
        store, name = self.split(username)
        if store is not None:
            return ([store] if store.enabled else []), name
        return [row for row in self.rows if row.enabled], name

    async def authenticate(self, username: str, password: str) -> User | None:
        """The user whose password this is, trying the stores in order; None if no store says
        yes. ``StoreError`` when a store could not answer and no other store said yes."""
        stores, name = self._candidates(username)
        failure: StoreError | None = None
        for store in stores:
            if not self.is_directory(store):
                database = DatabaseStore(self.session, store, self.clock)
                row = await database.row(name)
                if row is None:
                    continue
                return row if await database.verify(row, password) else None
            try:
                found = await self.backend(store).authenticate(name, password)
            except StoreError as exc:
                log.warning("user store %s unavailable: %s", store.identifier, exc)
                failure = exc
                continue
            if found is not None:
                row = await self.mirror(store, found)
                if row is not None and row.status == "active":
                    row.last_login_at = self.clock.now()
                    return row
                return None
        if failure is not None:
            raise failure
        return None

    async def lookup(self, username: str) -> User | None:
        stores, name = self._candidates(username)
        for store in stores:
            if not self.is_directory(store):
                row = await DatabaseStore(self.session, store, self.clock).row(name)
                if row is not None:
                    return row
                continue
            found = await self.backend(store).lookup(name)
            if found is not None:
                return await self.mirror(store, found)
        return None

    async def mirror(self, store: UserStore, found: StoreUser) -> User | None:
        """Create or refresh the local row of a directory user; None if the name is taken by
        a user of another store (usernames are unique within an organization)."""
        normalized = found.username.lower()
        rows = list(
            await self.session.scalars(
                select(User).where(
                    User.org_id == self.org.id, User.username_normalized == normalized
                )
            )
        )
        row = next((r for r in rows if r.user_store_id == store.id), None)
        if row is None and rows:
            log.warning(
                "directory user %s of %s hidden by a user of another store",
                found.username,
                store.identifier,
            )
            return None
        directory = {k: v for k, v in found.attributes.items() if isinstance(v, str)}
        if row is None:
            row = User(
                org_id=self.org.id,
                user_store_id=store.id,
                username=found.username,
                username_normalized=normalized,
                status="active",
                claims={"directory": directory},
            )
            self._copy(row, found)
            self.session.add(row)
            await self.session.flush()
            audit.record(
                self.session,
                org_id=self.org.id,
                action="user.provision",
                actor=audit.SYSTEM,
                target_type="user",
                target_id=row.id,
                details={"username": row.username, "user_store": store.identifier},
            )
            return row
        if self._copy(row, found) or (row.claims or {}).get("directory") != directory:
            row.claims = {**(row.claims or {}), "directory": directory}
            row.version += 1
            await self.session.flush()
        return row

    @staticmethod
    def _copy(row: User, found: StoreUser) -> bool:
        changed = False
        for name in ("display_name", "given_name", "family_name"):
            value: Any = getattr(found, name)
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        if [e.value for e in row.emails] != found.emails:
            row.emails = [
                UserEmail(
                    org_id=row.org_id,
                    value=v,
                    value_normalized=v.lower(),
                    primary=i == 0,
                    position=i,
                )
                for i, v in enumerate(found.emails)
            ]
            changed = True
        if [p.value for p in row.phone_numbers] != found.phone_numbers:
            row.phone_numbers = [
                UserPhone(org_id=row.org_id, value=v[:32], primary=i == 0, position=i)
                for i, v in enumerate(found.phone_numbers)
            ]
            changed = True
        return changed

    async def sync(self, store: UserStore) -> SyncReport:
        """Mirror every entry of a directory store (new and changed users)."""
        report = SyncReport()
        if not self.is_directory(store):
            return report
        for found in await self.backend(store).list():
            existing = await self.session.scalar(
                select(User.id).where(
                    User.org_id == self.org.id,
                    User.user_store_id == store.id,
                    User.username_normalized == found.username.lower(),
                )
            )
            row = await self.mirror(store, found)
            if row is None:
                report.skipped += 1
            elif existing is None:
                report.created += 1
            else:
                report.updated += 1
        return report
