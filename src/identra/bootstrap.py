"""First start: the root organization, its PRIMARY user store, the administrator and keys.

Idempotent: every later start finds what exists and changes nothing.
"""

from __future__ import annotations

import logging
import secrets
import sys
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from identra import permissions
from identra.crypto.passwords import hash_password
from identra.observability import audit
from identra.services import Services
from identra.storage.models import Organization, Role, RoleAssignment, User, UserStore

log = logging.getLogger(__name__)
ROOT_HANDLE = "root"
# ID tokens default to RS256 (OIDC Core §3.1.3.7), so an RS256 key always exists.
ID_TOKEN_ALG = "RS256"


@dataclass(frozen=True)
class BootstrapResult:
    root_org_id: str
    created_admin: bool
    generated_password: str | None


async def prepare(services: Services) -> BootstrapResult:
    """Everything a fresh or upgraded database needs before use, by the server or the CLI:
    migrations (when ``IDENTRA_MIGRATE_ON_START``), the bootstrap, and the signing keys."""
    from identra.storage.migrate import upgrade_async

    settings = services.settings
    if settings.migrate_on_start:
        await upgrade_async(settings.effective_database_url)
    result = await bootstrap(services)
    await services.keyring.ensure(sorted({settings.signing_alg, ID_TOKEN_ALG}))
    return result


async def bootstrap(services: Services) -> BootstrapResult:
    try:
        return await _bootstrap(services)
    except IntegrityError:
        # Another process (a second worker or node) bootstrapped at the same moment; the unique
        # root handle made our attempt fail as a whole, and theirs is the one that counts.
        async with services.sessions() as session:
            root = await session.scalar(
                select(Organization).where(Organization.parent_id.is_(None))
            )
        if root is None:
            raise
        return BootstrapResult(root.id, False, None)


async def _bootstrap(services: Services) -> BootstrapResult:
    settings = services.settings
    async with services.sessions.begin() as session:
        root = await session.scalar(select(Organization).where(Organization.parent_id.is_(None)))
        if root is not None:
            return BootstrapResult(root.id, False, None)
        root = Organization(handle=ROOT_HANDLE, name="Root organization", path="")
        session.add(root)
        await session.flush()
        root.path = f"/{root.id}/"
        store = UserStore(org_id=root.id, identifier="PRIMARY", kind="database", position=0)
        role = Role(
            org_id=root.id,
            name=permissions.ADMINISTRATOR_ROLE,
            description="Full management access to this organization and its descendants",
            permissions=list(permissions.ALL),
        )
        session.add_all([store, role])
        await session.flush()
        given = settings.bootstrap_admin_password
        password = given.get_secret_value() if given else secrets.token_urlsafe(18)
        username = settings.bootstrap_admin_username
        admin = User(
            org_id=root.id,
            user_store_id=store.id,
            username=username,
            username_normalized=username.lower(),
            display_name="Administrator",
            password_hash=hash_password(password),
            password_changed_at=services.clock.now(),
        )
        session.add(admin)
        await session.flush()
        session.add(RoleAssignment(org_id=root.id, role_id=role.id, user_id=admin.id))
        audit.record(
            session,
            org_id=root.id,
            action="bootstrap",
            actor=audit.SYSTEM,
            target_type="organization",
            target_id=root.id,
            details={"admin_username": username},
        )
    generated = None if given else password
    if generated:
        # Printed once, to the terminal only; it is not logged.
        print(
            f"\nIdentra bootstrap administrator created.\n  username: {username}\n"
            f"  password: {generated}\nStore it now; it is not shown again.\n",
            file=sys.stderr,
        )
    log.info("bootstrap complete", extra={"fields": {"org_id": root.id}})
    return BootstrapResult(root.id, True, generated)
