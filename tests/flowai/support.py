"""What the flowai tests that need a server share: the generate route mounted (until the
management API lists it), an organization with the showcase's building blocks."""

from __future__ import annotations

from fastapi import FastAPI

from identra.admin import users as users_admin
from identra.admin import userstores
from identra.clock import Clock
from identra.observability import audit
from identra.storage.models import IdentityProvider, Role, RoleAssignment
from identra.storage.repositories import orgs
from tests.protocol.oidc.support import create_user, password_hash
from tests.support import Harness


def mount(app: FastAPI) -> None:
    """Include the generate router unless identra.management.api already lists it."""
    from identra.management import api
    from identra.management.routers import flows_generate

    if flows_generate.router not in api.ROUTERS:
        app.include_router(flows_generate.router, prefix="/api/v1")


async def building_blocks(h: Harness, org: str = "root") -> dict[str, str]:
    """A Google identity provider, the manager role (held by "boss"), a PARTNERS user store
    (with "pat"), and "alice": the users' ids by name."""
    ids = {name: await create_user(h.services.sessions, org, name) for name in ("alice", "boss")}
    async with h.services.sessions.begin() as session:
        where = await orgs.by_handle(session, org)
        assert where is not None
        session.add(
            IdentityProvider(
                org_id=where.id,
                name="google",
                kind="google",
                enabled=True,
                config={"issuer": "https://accounts.google.example", "client_id": "x"},
            )
        )
        role = Role(org_id=where.id, name="manager", audience="organization", permissions=[])
        session.add(role)
        await session.flush()
        session.add(RoleAssignment(org_id=where.id, role_id=role.id, user_id=ids["boss"]))
        await userstores.create(session, where, userstores.NewUserStore("PARTNERS"), audit.SYSTEM)
        partner, _ = await users_admin.create(
            session,
            where,
            users_admin.NewUser(
                "pat",
                user_store="PARTNERS",
                phone_numbers=[users_admin.ContactPoint("+15551234567", primary=True)],
            ),
            audit.SYSTEM,
            Clock(),
        )
        partner.password_hash = password_hash()
        ids["pat"] = partner.id
    return ids
