"""SCIM ``ResourceStore``s for Users, Groups and Roles of one organization.

Reads come from ``identra.storage.repositories.scim_users``/``scim_groups``; writes go through
the administrative services (``identra.admin.users``, ``groups``, ``roles``), so every SCIM
change records the same audit events as the management API and the CLI. Users of a
read-write directory (LDAP) store are written to the directory first, then to their local
row; users of a read-only store cannot be created or changed (``mutability``).

A write computes what changed between the stored document and the new one and touches only
that; a PATCH or PUT that changes nothing leaves the version (ETag) as it was, and records no
audit event (so no webhook event either).

A password set, or a profile attribute changed, first goes through the organization's
pre-update password and pre-update profile actions (``identra.actions.users``), before
anything is written (directory included): a refusal is a 400 ``invalidValue`` with the
service's words, no usable answer under ``fail_closed`` a 503.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identra import errors as domain
from identra.actions import users as user_actions
from identra.actions.runtime import UserInfo
from identra.admin import groups as group_admin
from identra.admin import roles as role_admin
from identra.admin import users as user_admin
from identra.clock import Clock
from identra.crypto.secretbox import SecretBox
from identra.observability import audit
from identra.protocols.scim import errors
from identra.protocols.scim.filter import AttrPath
from identra.protocols.scim.schemas import ENTERPRISE_USER, ResourceType
from identra.protocols.scim.service import ListQuery, Page
from identra.services import Services
from identra.storage.models import Group, Organization, Role, RoleAssignment, User
from identra.storage.repositories.scim_groups import GroupReader, RoleReader
from identra.storage.repositories.scim_users import SCIM_KEY, UserReader
from identra.storage.types import new_id
from identra.userstores.base import ReadOnlyStore, StoreError, StoreUser
from identra.userstores.registry import PRIMARY, UserStores

LIMITS = {
    "userName": 255,
    "displayName": 255,
    "givenName": 255,
    "familyName": 255,
    "locale": 35,
    "externalId": 255,
    "email": 320,
    "phone": 32,
    "type": 32,
    "groupName": 255,
    "roleDescription": 1000,
}
COLUMN_ATTRS = {
    "id", "externalId", "userName", "displayName", "locale", "active", "password", "emails",
    "phoneNumbers", "groups", "roles", "meta", "schemas", "name",
}  # fmt: skip


@asynccontextmanager
async def domain_errors(create: bool = False) -> AsyncIterator[None]:
    """Administrative errors as SCIM errors."""
    try:
        yield
    except domain.NotFound as exc:
        raise errors.NotFound(f"{exc} not found") from exc
    except domain.Conflict as exc:
        raise errors.Uniqueness(str(exc)) from exc
    except domain.InvalidInput as exc:
        raise errors.InvalidValue(exc.detail) from exc
    except domain.PreconditionFailed as exc:
        raise errors.PreconditionFailed(str(exc)) from exc
    except ReadOnlyStore as exc:
        raise errors.Mutability(str(exc)) from exc
    except StoreError as exc:
        raise errors.ScimError(f"the user store is unavailable: {exc}") from exc


def _limit(value: Any, key: str, where: str) -> Any:
    if isinstance(value, str) and len(value) > LIMITS[key]:
        raise errors.InvalidValue(f"{where} is longer than {LIMITS[key]} characters")
    return value


def _contacts(items: Any, key: str, where: str) -> list[dict[str, Any]]:
    out = []
    for item in items or []:
        value = item.get("value")
        if not isinstance(value, str) or not value.strip():
            raise errors.InvalidValue(f"{where}.value is required")
        out.append(
            {
                "value": _limit(value, key, f"{where}.value"),
                "type": _limit(item.get("type"), "type", f"{where}.type"),
                "primary": bool(item.get("primary", False)),
            }
        )
    return out


def user_fields(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A SCIM User document as the columns (and ``claims["scim"]``) that store it."""
    name = dict(doc.get("name") or {})
    extra: dict[str, Any] = {}
    rest_of_name = {k: v for k, v in name.items() if k not in ("givenName", "familyName")}
    if rest_of_name:
        extra["name"] = rest_of_name
    for key, value in doc.items():
        if key in COLUMN_ATTRS:
            continue
        extra[key] = value
    return {
        "display_name": _limit(doc.get("displayName"), "displayName", "displayName"),
        "given_name": _limit(name.get("givenName"), "givenName", "name.givenName"),
        "family_name": _limit(name.get("familyName"), "familyName", "name.familyName"),
        "locale": _limit(doc.get("locale"), "locale", "locale"),
        "external_id": _limit(doc.get("externalId"), "externalId", "externalId"),
        "emails": _contacts(doc.get("emails"), "email", "emails"),
        "phone_numbers": _contacts(doc.get("phoneNumbers"), "phone", "phoneNumbers"),
        "scim": extra,
    }


class ScimUsers:
    def __init__(
        self,
        session: AsyncSession,
        org: Organization,
        rtype: ResourceType,
        base_url: str,
        stores: UserStores,
        actor: audit.Actor,
        clock: Clock,
        box: SecretBox,
        services: Services | None = None,
        self_service: bool = False,
    ) -> None:
        self.session = session
        self.org = org
        self.rtype = rtype
        self.stores = stores
        self.actor = actor
        self.clock = clock
        self.box = box
        self.services = services  # for the organization's actions; None: no actions run
        self.self_service = self_service  # the request is for /Me (actions: initiator USER)
        self.reader = UserReader(session, org, rtype, base_url, stores.identifiers)

    async def _check_actions(
        self,
        user_id: str,
        *,
        password: str | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        new_user: UserInfo | None = None,
    ) -> None:
        """Raise the SCIM error for a refusal of the pre-update password/profile actions."""
        if self.services is None:
            return
        refusal = await user_actions.check_admin_change(
            self.services,
            self.org.id,
            user_id,
            self.actor,
            password=password,
            before=before,
            after=after,
            new_user=new_user,
            self_service=self.self_service,
        )
        if refusal is None:
            return
        if refusal.unavailable:
            raise errors.ServiceUnavailable(refusal.message, headers={"retry-after": "60"})
        raise errors.InvalidValue(refusal.message)

    async def get(
        self,
        resource_id: str,
        *,
        for_update: bool = False,
        attributes: Sequence[AttrPath] = (),
        excluded: Sequence[AttrPath] = (),
    ) -> dict[str, Any]:
        return await self.reader.get(
            resource_id, for_update=for_update, attributes=attributes, excluded=excluded
        )

    async def search(self, query: ListQuery) -> Page:
        return await self.reader.search(query)

    def _split(self, user_name: str) -> tuple[str, str]:
        store, name = self.stores.split(user_name)
        identifier = store.identifier if store is not None else PRIMARY
        if not name.strip():
            raise errors.InvalidValue("userName is empty")
        _limit(name, "userName", "userName")
        return identifier, name

    async def create(self, resource: dict[str, Any]) -> dict[str, Any]:
        identifier, name = self._split(str(resource["userName"]))
        fields = user_fields(resource)
        password = resource.get("password")
        store = self.stores.by_identifier(identifier)
        user_id = new_id()
        async with domain_errors(create=True):
            directory = store is not None and self.stores.is_directory(store)
            if store is not None and directory:
                if store.read_only or not store.enabled:
                    raise errors.Mutability(f"user store {identifier} is read-only")
                taken = await self.session.scalar(
                    select(User.id).where(
                        User.org_id == self.org.id, User.username_normalized == name.lower()
                    )
                )
                if taken is not None:
                    raise errors.Uniqueness(f"the username {name} is taken")
            if password:
                target = (
                    store
                    if store is not None and directory
                    else await user_admin.check_new(
                        self.session,
                        self.org,
                        user_admin.NewUser(username=name, user_store=identifier),
                    )
                )
                await self._check_actions(
                    user_id,
                    password=str(password),
                    new_user=UserInfo(user_id, name, target.id, target.identifier),
                )
            if store is not None and directory:
                try:
                    await self.stores.backend(store).create(
                        StoreUser(
                            username=name,
                            display_name=fields["display_name"],
                            given_name=fields["given_name"],
                            family_name=fields["family_name"],
                            emails=[e["value"] for e in fields["emails"]],
                            phone_numbers=[p["value"] for p in fields["phone_numbers"]],
                        ),
                        password,
                    )
                except FileExistsError as exc:
                    raise errors.Uniqueness(f"{name} exists in {identifier}") from exc
                password = None  # the directory holds it
            user, _ = await user_admin.create(
                self.session,
                self.org,
                user_admin.NewUser(
                    username=name,
                    password=password,
                    user_store=identifier,
                    status="active" if resource.get("active", True) else "disabled",
                    display_name=fields["display_name"],
                    given_name=fields["given_name"],
                    family_name=fields["family_name"],
                    locale=fields["locale"],
                    external_id=fields["external_id"],
                    emails=[user_admin.ContactPoint(**e) for e in fields["emails"]],
                    phone_numbers=[user_admin.ContactPoint(**p) for p in fields["phone_numbers"]],
                    claims={SCIM_KEY: fields["scim"]} if fields["scim"] else {},
                    id=user_id,
                ),
                self.actor,
                self.clock,
            )
        return await self.reader.get(user.id)

    async def replace(
        self, resource_id: str, old: dict[str, Any], new: dict[str, Any]
    ) -> dict[str, Any]:
        user = await self.reader.row(resource_id)
        store = self.stores.by_id(user.user_store_id)
        before, after = user_fields(old), user_fields(new)
        changes: dict[str, Any] = {}
        for key in ("display_name", "given_name", "family_name", "locale", "external_id"):
            if before[key] != after[key]:
                changes[key] = after[key]
        for key in ("emails", "phone_numbers"):
            if before[key] != after[key]:
                changes[key] = after[key]
        if before["scim"] != after["scim"]:
            claims = dict(user.claims or {})
            if after["scim"]:
                claims[SCIM_KEY] = after["scim"]
            else:
                claims.pop(SCIM_KEY, None)
            changes["claims"] = claims
        if "active" in new and new.get("active") != old.get("active"):
            if new["active"]:
                changes["status"] = "active"
            elif user.status == "active":
                changes["status"] = "disabled"
        password = new.get("password")
        rename: str | None = None
        if new.get("userName") != old.get("userName"):
            identifier, name = self._split(str(new["userName"]))
            current = store.identifier if store is not None else PRIMARY
            if identifier != current:
                raise errors.Mutability("a user cannot move to another user store")
            if name != user.username:
                rename = name
        if password or rename is not None or set(changes) & set(user_admin.PROFILE_FIELDS):
            before = user_admin.profile_of(user)
            after = {k: changes.get(k, v) for k, v in before.items()}
            if rename is not None:
                after["username"] = rename
            await self._check_actions(
                user.id, password=str(password) if password else None, before=before, after=after
            )
        directory = store is not None and self.stores.is_directory(store)
        if directory and (
            rename or set(changes) - {"status", "claims", "locale", "external_id"} or password
        ):
            assert store is not None
            if store.read_only:
                raise errors.Mutability(f"user store {store.identifier} is read-only")
            if rename:
                raise errors.Mutability("directory users cannot be renamed")
            store_changes = {
                k: v
                for k, v in changes.items()
                if k in ("display_name", "given_name", "family_name")
            }
            if "emails" in changes:
                store_changes["emails"] = [e["value"] for e in changes["emails"]]
            if "phone_numbers" in changes:
                store_changes["phone_numbers"] = [p["value"] for p in changes["phone_numbers"]]
            async with domain_errors():
                await self.stores.backend(store).update(user.username, store_changes, password)
            password = None
        if password:
            changes["password"] = password
        async with domain_errors():
            if rename is not None:
                await self._rename(user, rename)
            if changes:
                await user_admin.update(
                    self.session, self.org, user, changes, self.actor, self.clock
                )
        return await self.reader.get(resource_id)

    async def _rename(self, user: User, name: str) -> None:
        normalized = name.lower()
        if normalized != user.username_normalized:
            taken = await self.session.scalar(
                select(User.id).where(
                    User.org_id == self.org.id, User.username_normalized == normalized
                )
            )
            if taken is not None:
                raise errors.Uniqueness(f"the username {name} is taken")
        user.username = name
        user.username_normalized = normalized
        user.version += 1
        try:
            async with self.session.begin_nested():
                await self.session.flush()
        except Exception as exc:  # a concurrent writer took the name first
            raise errors.Uniqueness(f"the username {name} is taken") from exc
        audit.record(
            self.session,
            org_id=self.org.id,
            action="user.update",
            actor=self.actor,
            target_type="user",
            target_id=user.id,
            details={"fields": ["username"], "username": name},
        )

    async def delete(self, resource_id: str, old: dict[str, Any]) -> None:
        user = await self.reader.row(resource_id)
        store = self.stores.by_id(user.user_store_id)
        if store is not None and self.stores.is_directory(store):
            if store.read_only:
                raise errors.Mutability(f"user store {store.identifier} is read-only")
            async with domain_errors():
                await self.stores.backend(store).delete(user.username)
        async with domain_errors():
            await user_admin.delete(self.session, self.org, user, self.actor)


def _member_ids(resource: Mapping[str, Any], key: str = "members") -> list[str]:
    out = []
    for member in resource.get(key) or []:
        kind = member.get("type")
        if key == "members" and isinstance(kind, str) and kind.lower() == "group":
            raise errors.InvalidValue("groups cannot be members of groups")
        value = member.get("value")
        if not isinstance(value, str) or not value:
            raise errors.InvalidValue(f"{key}.value is required")
        out.append(value)
    return list(dict.fromkeys(out))


class _ReadThrough:
    """Groups and roles: reads come straight from the resource's SQL reader."""

    reader_class: type[GroupReader] | type[RoleReader]

    def __init__(
        self,
        session: AsyncSession,
        org: Organization,
        rtype: ResourceType,
        base_url: str,
        stores: UserStores,
        actor: audit.Actor,
    ) -> None:
        self.session = session
        self.org = org
        self.actor = actor
        self.reader = self.reader_class(session, org, rtype, base_url, stores.identifiers)

    async def get(
        self,
        resource_id: str,
        *,
        for_update: bool = False,
        attributes: Sequence[AttrPath] = (),
        excluded: Sequence[AttrPath] = (),
    ) -> dict[str, Any]:
        return await self.reader.get(
            resource_id, for_update=for_update, attributes=attributes, excluded=excluded
        )

    async def search(self, query: ListQuery) -> Page:
        return await self.reader.search(query)


class ScimGroups(_ReadThrough):
    reader_class = GroupReader

    async def _members(self, group: Group, wanted: list[str], current: list[str]) -> None:
        added = [u for u in wanted if u not in set(current)]
        removed = [u for u in current if u not in set(wanted)]
        if not added and not removed:
            return
        if len(added) + len(removed) <= 50:
            for user_id in added:
                await group_admin.add_member(self.session, self.org, group, user_id, self.actor)
            for user_id in removed:
                await group_admin.remove_member(self.session, self.org, group, user_id, self.actor)
        else:
            await group_admin.set_members(self.session, self.org, group, wanted, self.actor)

    async def create(self, resource: dict[str, Any]) -> dict[str, Any]:
        members = _member_ids(resource)
        async with domain_errors(create=True):
            group = await group_admin.create(
                self.session,
                self.org,
                group_admin.NewGroup(
                    name=_limit(str(resource["displayName"]), "groupName", "displayName"),
                    external_id=_limit(resource.get("externalId"), "externalId", "externalId"),
                ),
                self.actor,
            )
            if members:
                await self._members(group, members, [])
        return await self.reader.get(group.id)

    async def replace(
        self, resource_id: str, old: dict[str, Any], new: dict[str, Any]
    ) -> dict[str, Any]:
        group = await self.reader.row(resource_id)
        changes: dict[str, Any] = {}
        if new.get("displayName") != old.get("displayName"):
            changes["name"] = _limit(str(new["displayName"]), "groupName", "displayName")
        if new.get("externalId") != old.get("externalId"):
            changes["external_id"] = _limit(new.get("externalId"), "externalId", "externalId")
        async with domain_errors():
            if changes:
                await group_admin.update(self.session, self.org, group, changes, self.actor)
            await self._members(group, _member_ids(new), _member_ids(old))
        return await self.reader.get(resource_id)

    async def delete(self, resource_id: str, old: dict[str, Any]) -> None:
        group = await self.reader.row(resource_id)
        async with domain_errors():
            await group_admin.delete(self.session, self.org, group, self.actor)


class ScimRoles(_ReadThrough):
    reader_class = RoleReader

    @staticmethod
    def _permissions(resource: Mapping[str, Any]) -> list[str]:
        out = []
        for item in resource.get("permissions") or []:
            value = item.get("value")
            if not isinstance(value, str):
                raise errors.InvalidValue("permissions.value is required")
            out.append(value)
        return out

    async def _assignments(
        self, role: Role, kind: str, wanted: list[str], current: list[str]
    ) -> None:
        for subject in [s for s in wanted if s not in set(current)]:
            if kind == "users":
                await role_admin.assign(self.session, self.org, role, self.actor, user_id=subject)
            else:
                await role_admin.assign(self.session, self.org, role, self.actor, group_id=subject)
        for subject in [s for s in current if s not in set(wanted)]:
            column = RoleAssignment.user_id if kind == "users" else RoleAssignment.group_id
            assignment = await self.session.scalar(
                select(RoleAssignment).where(RoleAssignment.role_id == role.id, column == subject)
            )
            if assignment is not None:
                await role_admin.unassign(self.session, self.org, role, assignment, self.actor)

    async def create(self, resource: dict[str, Any]) -> dict[str, Any]:
        async with domain_errors(create=True):
            role = await role_admin.create(
                self.session,
                self.org,
                role_admin.NewRole(
                    name=_limit(str(resource["displayName"]), "groupName", "displayName"),
                    description=_limit(
                        resource.get("description") or "", "roleDescription", "description"
                    ),
                    permissions=self._permissions(resource),
                ),
                self.actor,
            )
            await self._assignments(role, "users", _member_ids(resource, "users"), [])
            await self._assignments(role, "groups", _member_ids(resource, "groups"), [])
        return await self.reader.get(role.id)

    async def replace(
        self, resource_id: str, old: dict[str, Any], new: dict[str, Any]
    ) -> dict[str, Any]:
        role = await self.reader.row(resource_id)
        changes: dict[str, Any] = {}
        if new.get("displayName") != old.get("displayName"):
            changes["name"] = _limit(str(new["displayName"]), "groupName", "displayName")
        if (new.get("description") or "") != (old.get("description") or ""):
            changes["description"] = _limit(
                new.get("description") or "", "roleDescription", "description"
            )
        if self._permissions(new) != self._permissions(old):
            changes["permissions"] = self._permissions(new)
        async with domain_errors():
            if changes:
                await role_admin.update(self.session, self.org, role, changes, self.actor)
            for kind in ("users", "groups"):
                await self._assignments(role, kind, _member_ids(new, kind), _member_ids(old, kind))
        return await self.reader.get(resource_id)

    async def delete(self, resource_id: str, old: dict[str, Any]) -> None:
        role = await self.reader.row(resource_id)
        try:
            await role_admin.delete(self.session, self.org, role, self.actor)
        except domain.Conflict as exc:
            raise errors.Conflict(str(exc)) from exc


__all__ = ["ENTERPRISE_USER", "ScimGroups", "ScimRoles", "ScimUsers", "domain_errors"]
