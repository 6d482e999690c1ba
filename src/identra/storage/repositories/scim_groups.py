"""Reading groups and roles as SCIM documents, with filters compiled by ``scim_sql``.

Group: ``displayName`` is ``groups.name``, ``members`` are ``group_members`` (users only).
Role (``urn:ietf:params:scim:schemas:extension:2.0:Role``): ``displayName`` is ``roles.name``,
``permissions`` the role's management permissions, ``users``/``groups`` its assignments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.protocols.scim.errors import NotFound
from identra.protocols.scim.filter import AttrPath
from identra.protocols.scim.resources import wants
from identra.protocols.scim.schemas import GROUP, ROLE, ResourceType
from identra.protocols.scim.service import ListQuery, Page
from identra.storage.models import Group, GroupMember, Organization, Role, RoleAssignment, User
from identra.storage.repositories.scim_sql import Child, Column, Compiler, Json, SqlMap
from identra.storage.repositories.scim_users import (
    PRIMARY_STORE,
    decode_cursor,
    encode_cursor,
    iso,
    scim_username,
    weak_etag,
)

ROLE_AUDIENCE = "organization"


def _meta(kind: str, row: Group | Role, location: str) -> dict[str, Any]:
    return {
        "resourceType": kind,
        "created": iso(row.created_at),
        "lastModified": iso(row.updated_at),
        "location": location,
        "version": weak_etag(row.version),
    }


class _Reader:
    kind = ""
    model: Any = None

    def __init__(
        self,
        session: AsyncSession,
        org: Organization,
        rtype: ResourceType,
        base_url: str,
        stores: dict[str, str],
    ) -> None:
        self.session = session
        self.org = org
        self.rtype = rtype
        self.base_url = base_url
        self.stores = stores

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def location(self, row_id: str) -> str:
        return f"{self.base_url}/{self.kind}s/{row_id}"

    def scope(self) -> list[Any]:
        return [self.model.org_id == self.org.id]

    def sql_map(self) -> SqlMap:
        raise NotImplementedError

    async def documents(
        self, rows: Sequence[Any], attributes: Sequence[AttrPath], excluded: Sequence[AttrPath]
    ) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def row(self, row_id: str, for_update: bool = False) -> Any:
        stmt = select(self.model).where(self.model.id == row_id, *self.scope())
        if for_update:
            stmt = stmt.with_for_update()
        found = await self.session.scalar(stmt)
        if found is None:
            raise NotFound(f"no {self.kind.lower()} {row_id}")
        return found

    async def get(
        self,
        row_id: str,
        *,
        for_update: bool = False,
        attributes: Sequence[AttrPath] = (),
        excluded: Sequence[AttrPath] = (),
    ) -> dict[str, Any]:
        found = await self.row(row_id, for_update)
        return (await self.documents([found], attributes, excluded))[0]

    async def search(self, query: ListQuery) -> Page:
        compiler = Compiler(self.sql_map(), self.dialect)
        conditions = self.scope()
        if query.filter is not None:
            conditions.append(compiler.where(query.filter))
        total = await self.session.scalar(select(func.count(self.model.id)).where(*conditions)) or 0
        if query.count == 0:
            return Page(total, [])
        order: list[Any] = []
        if query.sort_by is not None:
            expr = compiler.order(query.sort_by)
            order.append(expr.desc() if query.descending else expr.asc())
        order.append(self.model.id)
        stmt = select(self.model).where(*conditions)
        next_cursor = None
        if query.cursor is not None:
            if query.sort_by is not None:
                from identra.protocols.scim.errors import InvalidValue

                raise InvalidValue(f"cursor pagination of {self.kind}s is in id order only")
            if query.cursor:
                _, last_id = decode_cursor(query.cursor)
                stmt = stmt.where(self.model.id > last_id)
            rows = list(
                (await self.session.scalars(stmt.order_by(*order).limit(query.count + 1))).all()
            )
            if len(rows) > query.count:
                rows = rows[: query.count]
                next_cursor = encode_cursor(None, rows[-1].id)
        else:
            stmt = stmt.order_by(*order).offset(query.start_index - 1).limit(query.count)
            rows = list((await self.session.scalars(stmt)).all())
        return Page(
            total, await self.documents(rows, query.attributes, query.excluded), next_cursor
        )


class GroupReader(_Reader):
    kind = "Group"
    model = Group

    def sql_map(self) -> SqlMap:
        return SqlMap(
            columns={
                "id": Column(Group.id),
                "externalId": Column(Group.external_id),
                "displayName": Column(Group.name),
                "members": Child(
                    Group.id,
                    GroupMember.group_id,
                    {
                        "value": Column(GroupMember.user_id),
                        "type": Column(
                            GroupMember.user_id,
                            custom=lambda op, value: _user_type(op, value),
                        ),
                    },
                ),
                "meta.created": Column(Group.created_at),
                "meta.lastModified": Column(Group.updated_at),
            },
        )

    async def documents(
        self, rows: Sequence[Any], attributes: Sequence[AttrPath], excluded: Sequence[AttrPath]
    ) -> list[dict[str, Any]]:
        members: dict[str, list[dict[str, Any]]] = {}
        ids = [g.id for g in rows]
        if ids and wants(self.rtype, "members", attributes, excluded):
            result = await self.session.execute(
                select(GroupMember.group_id, User.id, User.username, User.user_store_id)
                .join(User, User.id == GroupMember.user_id)
                .where(GroupMember.group_id.in_(ids))
                .order_by(User.username_normalized)
            )
            for group_id, user_id, username, store_id in result:
                members.setdefault(group_id, []).append(
                    {
                        "value": user_id,
                        "$ref": f"{self.base_url}/Users/{user_id}",
                        "display": scim_username(
                            username, self.stores.get(store_id, PRIMARY_STORE)
                        ),
                        "type": "User",
                    }
                )
        out = []
        for group in rows:
            doc: dict[str, Any] = {"schemas": [GROUP], "id": group.id}
            if group.external_id:
                doc["externalId"] = group.external_id
            doc["displayName"] = group.name
            if members.get(group.id):
                doc["members"] = members[group.id]
            doc["meta"] = _meta("Group", group, self.location(group.id))
            out.append(doc)
        return out


def _user_type(op: str, value: Any) -> Any:
    from sqlalchemy import false, true

    if op == "pr":
        return true()
    matched = isinstance(value, str) and value.lower() == "user"
    return (true() if matched else false()) if op == "eq" else (false() if matched else true())


class RoleReader(_Reader):
    kind = "Role"
    model = Role

    def scope(self) -> list[Any]:
        return [Role.org_id == self.org.id, Role.audience == ROLE_AUDIENCE]

    def sql_map(self) -> SqlMap:
        return SqlMap(
            columns={
                "id": Column(Role.id),
                "displayName": Column(Role.name),
                "description": Column(Role.description),
                "permissions": Json(Role.permissions, (), scalars=True),
                "users": Child(
                    Role.id,
                    RoleAssignment.role_id,
                    {"value": Column(RoleAssignment.user_id)},
                    extra=(RoleAssignment.user_id.is_not(None),),
                ),
                "groups": Child(
                    Role.id,
                    RoleAssignment.role_id,
                    {"value": Column(RoleAssignment.group_id)},
                    extra=(RoleAssignment.group_id.is_not(None),),
                ),
                "meta.created": Column(Role.created_at),
                "meta.lastModified": Column(Role.updated_at),
            },
        )

    async def documents(
        self, rows: Sequence[Any], attributes: Sequence[AttrPath], excluded: Sequence[AttrPath]
    ) -> list[dict[str, Any]]:
        ids = [r.id for r in rows]
        users: dict[str, list[dict[str, Any]]] = {}
        groups: dict[str, list[dict[str, Any]]] = {}
        if ids and wants(self.rtype, "users", attributes, excluded):
            result = await self.session.execute(
                select(RoleAssignment.role_id, User.id, User.username, User.user_store_id)
                .join(User, User.id == RoleAssignment.user_id)
                .where(RoleAssignment.role_id.in_(ids))
                .order_by(User.username_normalized)
            )
            for role_id, user_id, username, store_id in result:
                users.setdefault(role_id, []).append(
                    {
                        "value": user_id,
                        "$ref": f"{self.base_url}/Users/{user_id}",
                        "display": scim_username(
                            username, self.stores.get(store_id, PRIMARY_STORE)
                        ),
                    }
                )
        if ids and wants(self.rtype, "groups", attributes, excluded):
            rows_g = await self.session.execute(
                select(RoleAssignment.role_id, Group.id, Group.name)
                .join(Group, Group.id == RoleAssignment.group_id)
                .where(RoleAssignment.role_id.in_(ids))
                .order_by(Group.name)
            )
            for role_id, group_id, name in rows_g:
                groups.setdefault(role_id, []).append(
                    {
                        "value": group_id,
                        "$ref": f"{self.base_url}/Groups/{group_id}",
                        "display": name,
                    }
                )
        out = []
        for role in rows:
            doc: dict[str, Any] = {"schemas": [ROLE], "id": role.id, "displayName": role.name}
            if role.description:
                doc["description"] = role.description
            if role.permissions:
                doc["permissions"] = [{"value": p} for p in role.permissions]
            if users.get(role.id):
                doc["users"] = users[role.id]
            if groups.get(role.id):
                doc["groups"] = groups[role.id]
            doc["meta"] = _meta("Role", role, self.location(role.id))
            out.append(doc)
        return out
