"""Reading users as SCIM documents: row -> resource, filtered/sorted/paged queries.

Where each User attribute lives:

| SCIM | storage |
|---|---|
| ``id``, ``externalId`` | ``users.id``, ``users.external_id`` |
| ``userName`` | ``users.username`` (compared on ``username_normalized``); ``STORE/``-prefixed |
|  | for users of a store other than ``PRIMARY`` |
| ``name.givenName``, ``name.familyName``, ``displayName``, ``locale`` | columns of ``users`` |
| ``active`` | ``users.status == "active"`` |
| ``emails``, ``phoneNumbers`` | ``user_emails``, ``user_phone_numbers`` |
| ``groups`` | ``group_members`` (read-only) |
| ``roles`` | role assignments, direct or through a group (read-only) |
| ``meta.created``/``lastModified``/``version`` | ``created_at``/``updated_at``/``version`` |
| everything else, extensions included | ``users.claims["scim"]`` (a JSON document) |
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, not_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from identra.protocols.scim.errors import InvalidValue, NotFound
from identra.protocols.scim.filter import AttrPath
from identra.protocols.scim.resources import wants
from identra.protocols.scim.schemas import USER, ResourceType
from identra.protocols.scim.service import ListQuery, Page
from identra.storage.models import (
    Group,
    GroupMember,
    Organization,
    Role,
    RoleAssignment,
    User,
    UserEmail,
    UserPhone,
)
from identra.storage.repositories.scim_sql import Child, Column, Compiler, SqlMap

SCIM_KEY = "scim"
PRIMARY_STORE = "PRIMARY"
COLUMN_NAMES = ("givenName", "familyName")


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def weak_etag(version: int) -> str:
    return f'W/"{version}"'


def scim_username(username: str, store: str) -> str:
    return username if store == PRIMARY_STORE else f"{store}/{username}"


def user_document(
    user: User,
    store: str,
    location: str,
    groups: Sequence[dict[str, Any]] | None = None,
    roles: Sequence[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    extra: Mapping[str, Any] = (user.claims or {}).get(SCIM_KEY) or {}
    doc: dict[str, Any] = {"schemas": [USER], "id": user.id}
    if user.external_id:
        doc["externalId"] = user.external_id
    doc["userName"] = scim_username(user.username, store)
    name = dict(extra.get("name") or {})
    if user.given_name:
        name["givenName"] = user.given_name
    if user.family_name:
        name["familyName"] = user.family_name
    if name:
        doc["name"] = name
    if user.display_name:
        doc["displayName"] = user.display_name
    if user.locale:
        doc["locale"] = user.locale
    doc["active"] = user.status == "active"
    for key, value in extra.items():
        if key not in ("name",) and not key.startswith("urn:"):
            doc[key] = value
    if user.emails:
        doc["emails"] = [_contact(e) for e in user.emails]
    if user.phone_numbers:
        doc["phoneNumbers"] = [_contact(p) for p in user.phone_numbers]
    if groups:
        doc["groups"] = list(groups)
    if roles:
        doc["roles"] = list(roles)
    for key, value in extra.items():
        if key.startswith("urn:") and value:
            doc[key] = value
            doc["schemas"].append(key)
    doc["meta"] = {
        "resourceType": "User",
        "created": iso(user.created_at),
        "lastModified": iso(user.updated_at),
        "location": location,
        "version": weak_etag(user.version),
    }
    return doc


def _contact(item: UserEmail | UserPhone) -> dict[str, Any]:
    out: dict[str, Any] = {"value": item.value}
    if item.type:
        out["type"] = item.type
    if item.primary:
        out["primary"] = True
    return out


class UserReader:
    """SCIM reads of one organization's users."""

    def __init__(
        self,
        session: AsyncSession,
        org: Organization,
        rtype: ResourceType,
        base_url: str,
        stores: Mapping[str, str],  # user store id -> identifier
    ) -> None:
        self.session = session
        self.org = org
        self.rtype = rtype
        self.base_url = base_url
        self.stores = dict(stores)
        self.store_ids = {ident.lower(): sid for sid, ident in stores.items()}

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def location(self, user_id: str) -> str:
        return f"{self.base_url}/Users/{user_id}"

    # -- the attribute map --

    def _username(self, op: str, value: Any) -> Any:
        col = User.username_normalized
        if op == "pr":
            return true()
        if value is None:
            return col.is_(None) if op == "eq" else col.is_not(None)
        text = str(value).lower()
        prefix, sep, rest = text.partition("/")
        if sep and op in ("eq", "ne") and prefix in self.store_ids:
            cond = and_(User.user_store_id == self.store_ids[prefix], col == rest)
            return cond if op == "eq" else not_(cond)
        return Compiler._compare(col, op, text)

    def sql_map(self) -> SqlMap:
        parent = User.id
        group_sort = None
        email_sort = (
            select(UserEmail.value_normalized)
            .where(UserEmail.user_id == User.id)
            .order_by(UserEmail.primary.desc(), UserEmail.position)
            .limit(1)
            .scalar_subquery()
        )
        phone_sort = (
            select(UserPhone.value)
            .where(UserPhone.user_id == User.id)
            .order_by(UserPhone.primary.desc(), UserPhone.position)
            .limit(1)
            .scalar_subquery()
        )
        member_of = Child(
            parent,
            GroupMember.user_id,
            {
                "value": Column(GroupMember.group_id),
                "display": Column(
                    select(Group.name).where(Group.id == GroupMember.group_id).scalar_subquery()
                ),
            },
            sort=group_sort,
        )
        return SqlMap(
            columns={
                "id": Column(User.id),
                "externalId": Column(User.external_id),
                "userName": Column(User.username_normalized, lowered=True, custom=self._username),
                "name.givenName": Column(User.given_name),
                "name.familyName": Column(User.family_name),
                "displayName": Column(User.display_name),
                "locale": Column(User.locale),
                "active": Column(
                    User.status == "active",
                    custom=lambda op, value: (
                        true()
                        if op == "pr"
                        else (
                            (User.status == "active") == bool(value)
                            if op == "eq"
                            else (User.status == "active") != bool(value)
                        )
                    ),
                ),
                "emails": Child(
                    parent,
                    UserEmail.user_id,
                    {
                        "value": Column(UserEmail.value_normalized, lowered=True),
                        "type": Column(UserEmail.type),
                        "primary": Column(UserEmail.primary),
                        "display": Column(UserEmail.value),
                    },
                    sort=email_sort,
                ),
                "phoneNumbers": Child(
                    parent,
                    UserPhone.user_id,
                    {
                        "value": Column(UserPhone.value),
                        "type": Column(UserPhone.type),
                        "primary": Column(UserPhone.primary),
                    },
                    sort=phone_sort,
                ),
                "groups": member_of,
                "meta.created": Column(User.created_at),
                "meta.lastModified": Column(User.updated_at),
                "meta.resourceType": Column(
                    User.id, custom=lambda op, value: _constant(op, value, "User")
                ),
            },
            json_column=User.claims,
            json_root=(SCIM_KEY,),
            core_schema=USER,
        )

    # -- reads --

    async def get(
        self,
        user_id: str,
        *,
        for_update: bool = False,
        attributes: Sequence[AttrPath] = (),
        excluded: Sequence[AttrPath] = (),
    ) -> dict[str, Any]:
        stmt = select(User).where(User.id == user_id, User.org_id == self.org.id)
        if for_update:
            stmt = stmt.with_for_update()
        user = await self.session.scalar(stmt)
        if user is None:
            raise NotFound(f"no user {user_id}")
        docs = await self.documents([user], attributes, excluded)
        return docs[0]

    async def row(self, user_id: str) -> User:
        user = await self.session.scalar(
            select(User).where(User.id == user_id, User.org_id == self.org.id)
        )
        if user is None:
            raise NotFound(f"no user {user_id}")
        return user

    async def documents(
        self,
        users: Sequence[User],
        attributes: Sequence[AttrPath] = (),
        excluded: Sequence[AttrPath] = (),
    ) -> list[dict[str, Any]]:
        ids = [u.id for u in users]
        groups: dict[str, list[dict[str, Any]]] = {}
        roles: dict[str, list[dict[str, Any]]] = {}
        if ids and wants(self.rtype, "groups", attributes, excluded):
            groups = await self._groups(ids)
        if ids and wants(self.rtype, "roles", attributes, excluded):
            roles = await self._roles(ids)
        return [
            user_document(
                u,
                self.stores.get(u.user_store_id, PRIMARY_STORE),
                self.location(u.id),
                groups.get(u.id),
                roles.get(u.id),
            )
            for u in users
        ]

    async def _groups(self, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        rows = await self.session.execute(
            select(GroupMember.user_id, Group.id, Group.name)
            .join(Group, Group.id == GroupMember.group_id)
            .where(GroupMember.user_id.in_(ids))
            .order_by(Group.name)
        )
        out: dict[str, list[dict[str, Any]]] = {}
        for user_id, group_id, name in rows:
            out.setdefault(user_id, []).append(
                {
                    "value": group_id,
                    "$ref": f"{self.base_url}/Groups/{group_id}",
                    "display": name,
                    "type": "direct",
                }
            )
        return out

    async def _roles(self, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        direct = await self.session.execute(
            select(RoleAssignment.user_id, Role.id, Role.name)
            .join(Role, Role.id == RoleAssignment.role_id)
            .where(RoleAssignment.user_id.in_(ids), Role.audience == "organization")
        )
        via_group = await self.session.execute(
            select(GroupMember.user_id, Role.id, Role.name)
            .join(RoleAssignment, RoleAssignment.group_id == GroupMember.group_id)
            .join(Role, Role.id == RoleAssignment.role_id)
            .where(GroupMember.user_id.in_(ids), Role.audience == "organization")
        )
        out: dict[str, list[dict[str, Any]]] = {}
        seen: set[tuple[str, str]] = set()
        for kind, rows in (("direct", direct), ("group", via_group)):
            for user_id, role_id, name in rows:
                if user_id is None or (user_id, role_id) in seen:
                    continue
                seen.add((user_id, role_id))
                out.setdefault(user_id, []).append(
                    {
                        "value": role_id,
                        "$ref": f"{self.base_url}/Roles/{role_id}",
                        "display": name,
                        "type": kind,
                    }
                )
        return out

    async def search(self, query: ListQuery) -> Page:
        compiler = Compiler(self.sql_map(), self.dialect)
        conditions: list[Any] = [User.org_id == self.org.id]
        if query.filter is not None:
            conditions.append(compiler.where(query.filter))
        total = await self.session.scalar(select(func.count(User.id)).where(*conditions)) or 0
        if query.count == 0:
            return Page(total, [])
        stmt = select(User).where(*conditions)
        order: list[Any] = []
        sort_expr = compiler.order(query.sort_by) if query.sort_by is not None else None
        if sort_expr is not None:
            order.append(sort_expr.desc() if query.descending else sort_expr.asc())
        order.append(User.id.desc() if query.descending and sort_expr is not None else User.id)
        next_cursor: str | None = None
        if query.cursor is not None:
            stmt = self._after_cursor(stmt, query, sort_expr)
            rows = list(
                (await self.session.scalars(stmt.order_by(*order).limit(query.count + 1))).all()
            )
            if len(rows) > query.count:
                rows = rows[: query.count]
                last = rows[-1]
                next_cursor = encode_cursor(
                    _sort_value(last, query.sort_by) if sort_expr is not None else None, last.id
                )
        else:
            stmt = stmt.order_by(*order).offset(query.start_index - 1).limit(query.count)
            rows = list((await self.session.scalars(stmt)).all())
        docs = await self.documents(rows, query.attributes, query.excluded)
        return Page(total, docs, next_cursor)

    def _after_cursor(self, stmt: Any, query: ListQuery, sort_expr: Any) -> Any:
        if not query.cursor:
            return stmt
        value, last_id = decode_cursor(query.cursor)
        if sort_expr is None:
            return stmt.where(User.id > last_id)
        if value is None:
            raise InvalidValue("the cursor does not fit this sort order")
        # "sort >= v and (sort > v or id > last)": the first term is an index range.
        if query.descending:
            return stmt.where(sort_expr <= value, or_(sort_expr < value, User.id < last_id))
        return stmt.where(sort_expr >= value, or_(sort_expr > value, User.id > last_id))


def _constant(op: str, value: Any, constant: str) -> Any:
    from sqlalchemy import false

    if op == "pr":
        return true()
    matched = isinstance(value, str) and value.lower() == constant.lower()
    if op == "eq":
        return true() if matched else false()
    if op == "ne":
        return false() if matched else true()
    return (
        true()
        if isinstance(value, str) and constant.lower().__contains__(value.lower())
        else false()
    )


def _sort_value(user: User, path: AttrPath | None) -> Any:
    """The sort key of the last row of a page, as the cursor carries it.

    Cursor pages may be sorted by ``userName`` or ``id`` (never null, indexed); other orders use
    ``startIndex``.
    """
    if path is None:
        return None
    key = path.attr if path.sub is None else f"{path.attr}.{path.sub}"
    if key == "userName":
        return user.username_normalized
    if key == "id":
        return user.id
    raise InvalidValue(f"cursor pagination can sort by userName or id, not {key}")


def encode_cursor(value: Any, last_id: str) -> str:
    raw = json.dumps([value, last_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, last_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidValue("the cursor is not valid") from exc
    if not isinstance(last_id, str) or not (value is None or isinstance(value, str)):
        raise InvalidValue("the cursor is not valid")
    return value, last_id
