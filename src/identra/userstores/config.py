"""Creating and changing directory (LDAP) user stores: validated, encrypted, audited.

``identra.admin.userstores`` (the management API's service) creates database stores; these
functions add the LDAP kind. The bind password is sealed with the master key, bound to the
store's id, and never returned; the audit event records which fields changed, not values.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.admin.common import flush_or_conflict
from identra.admin.userstores import IDENTIFIER
from identra.crypto.secretbox import SecretBox
from identra.errors import Conflict, InvalidInput
from identra.observability import audit
from identra.storage.models import Organization, UserStore
from identra.userstores.ldap import LdapConfig
from identra.userstores.registry import secret_context


def check_ldap_config(config: dict[str, Any]) -> dict[str, Any]:
    try:
        parsed = LdapConfig.model_validate(config)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"config.{where}: {first['msg']}", f"config/{where}") from exc
    return parsed.model_dump(mode="json")


async def create_ldap_store(
    session: AsyncSession,
    org: Organization,
    *,
    identifier: str,
    config: dict[str, Any],
    bind_password: str | None,
    box: SecretBox,
    actor: audit.Actor,
    read_only: bool = True,
    position: int | None = None,
    description: str = "",
) -> UserStore:
    if not IDENTIFIER.match(identifier):
        raise InvalidInput(
            "identifier must be 1-32 upper-case letters, digits, '_' or '-'", "identifier"
        )
    checked = check_ldap_config(config)
    conflict = f"a user store {identifier} exists"
    taken = await session.scalar(
        select(UserStore.id).where(UserStore.org_id == org.id, UserStore.identifier == identifier)
    )
    if taken is not None:
        raise Conflict(conflict)
    if position is None:
        last = await session.scalar(
            select(func.max(UserStore.position)).where(UserStore.org_id == org.id)
        )
        position = 0 if last is None else last + 1
    store = UserStore(
        org_id=org.id,
        identifier=identifier,
        kind="ldap",
        description=description,
        position=position,
        read_only=read_only,
        enabled=True,
        config=checked,
    )
    session.add(store)
    await flush_or_conflict(session, conflict)
    if bind_password:
        store.secret_encrypted = box.encrypt(bind_password, secret_context(store))
    audit.record(
        session,
        org_id=org.id,
        action="userstore.create",
        actor=actor,
        target_type="userstore",
        target_id=store.id,
        details={"identifier": identifier, "kind": "ldap", "read_only": read_only},
    )
    await session.flush()
    return store


async def update_ldap_store(
    session: AsyncSession,
    org: Organization,
    store: UserStore,
    *,
    box: SecretBox,
    actor: audit.Actor,
    config: dict[str, Any] | None = None,
    bind_password: str | None = None,
    read_only: bool | None = None,
) -> UserStore:
    if store.kind != "ldap" or store.org_id != org.id:
        raise InvalidInput("not an LDAP user store of this organization")
    fields = []
    if config is not None:
        store.config = check_ldap_config(config)
        fields.append("config")
    if bind_password is not None:
        store.secret_encrypted = (
            box.encrypt(bind_password, secret_context(store)) if bind_password else None
        )
        fields.append("bind_password")
    if read_only is not None:
        store.read_only = read_only
        fields.append("read_only")
    if not fields:
        raise InvalidInput("the change is empty")
    store.version += 1  # a new version gets a new connection pool
    audit.record(
        session,
        org_id=org.id,
        action="userstore.update",
        actor=actor,
        target_type="userstore",
        target_id=store.id,
        details={"identifier": store.identifier, "fields": fields},
    )
    await session.flush()
    return store
