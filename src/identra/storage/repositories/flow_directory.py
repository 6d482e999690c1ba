"""What login flows ask about users (``identra.flows.ports.Directory``), and the audit sink
for step outcomes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.flows.ports import UserFacts
from identra.observability import audit
from identra.storage.models import (
    Credential,
    Group,
    GroupMember,
    Role,
    RoleAssignment,
    User,
    UserStore,
)
from identra.storage.repositories.user_claims import standard_claims
from identra.storage.repositories.users_auth import SqlPasswordUserStore


class SqlFlowDirectory:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], users: SqlPasswordUserStore
    ) -> None:
        self._sessions = sessions
        self._users = users

    async def find(self, org_id: str, username: str) -> str | None:
        account = await self._users.find(org_id, username)
        return account.user_id if account is not None else None

    async def facts(self, org_id: str, user_id: str) -> UserFacts | None:
        async with self._sessions() as db:
            found = (
                await db.execute(
                    select(User, UserStore.identifier)
                    .join(UserStore, UserStore.id == User.user_store_id)
                    .where(User.org_id == org_id, User.id == user_id)
                )
            ).one_or_none()
            if found is None:
                return None
            user, store = found
            groups = set(
                await db.scalars(
                    select(Group.name)
                    .join(GroupMember, GroupMember.group_id == Group.id)
                    .where(Group.org_id == org_id, GroupMember.user_id == user_id)
                )
            )
            group_ids = select(GroupMember.group_id).where(GroupMember.user_id == user_id)
            roles = set(
                await db.scalars(
                    select(Role.name)
                    .join(RoleAssignment, RoleAssignment.role_id == Role.id)
                    .where(
                        Role.org_id == org_id,
                        (RoleAssignment.user_id == user_id)
                        | RoleAssignment.group_id.in_(group_ids),
                    )
                )
            )
            kinds = set(
                await db.scalars(
                    select(Credential.kind)
                    .where(Credential.org_id == org_id, Credential.user_id == user_id)
                    .distinct()
                )
            )
        if any(p.verified for p in user.phone_numbers):
            kinds.add("phone")
        if any(e.verified for e in user.emails):
            kinds.add("email")
        claims: dict[str, Any] = {**(user.claims or {}), **standard_claims(user)}
        return UserFacts(
            user_id=user.id,
            username=user.username,
            status=user.status,
            store=store,
            roles=frozenset(roles),
            groups=frozenset(groups),
            claims=claims,
            enrolled=frozenset(kinds),
        )

    async def lock(self, org_id: str, user_id: str, until: int | None, reason: str) -> None:
        values: dict[str, Any] = (
            {"locked_until": datetime.fromtimestamp(until, UTC)}
            if until is not None
            else {"status": "locked"}
        )
        async with self._sessions.begin() as db:
            await db.execute(
                update(User).where(User.org_id == org_id, User.id == user_id).values(**values)
            )
            audit.record(
                db,
                org_id=org_id,
                action="user.lock",
                actor=audit.Actor("system", "login-flow"),
                target_type="user",
                target_id=user_id,
                details={"reason": reason, "until": until},
            )


class SqlStepAudit:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def step(
        self,
        org_id: str,
        user_id: str | None,
        ip: str | None,
        outcome: str,
        details: dict[str, Any],
    ) -> None:
        async with self._sessions.begin() as db:
            audit.record(
                db,
                org_id=org_id,
                action="login.step",
                actor=audit.Actor("user", user_id, ip),
                target_type="user" if user_id else None,
                target_id=user_id,
                outcome=outcome,
                details=details,
            )
