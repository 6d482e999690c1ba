"""LDAP and Active Directory user stores (``ldap3``).

- Read-only or read-write (``user_stores.read_only``); writes add, modify and delete entries
  under ``users_dn`` and set passwords with the RFC 3062 Password Modify operation, so the
  server hashes them by its own policy.
- Attribute mapping (``attributes``): which LDAP attribute holds the username (``uid``; AD:
  ``sAMAccountName``), display name (``cn``), mail, given name, surname and phone number.
- A connection pool per store (bound as ``bind_dn``); a broken pooled connection is replaced
  and the operation retried once. Every call has ``timeout`` seconds (connect and receive);
  an unreachable directory raises ``StoreError`` and authentication fails closed.
- ``ldaps://`` URLs or ``start_tls``; certificates are verified (``ca_file`` for a private
  CA) unless ``verify_tls`` is false.
- The bind password is stored encrypted with the master key (``user_stores.secret_encrypted``,
  bound to the store id) and never returned.
- Login finds the entry with a filter built from escaped values, then binds as its DN; an
  empty password is refused before any bind (LDAP treats it as an anonymous bind).
"""

from __future__ import annotations

import asyncio
import logging
import math
import ssl
from collections.abc import Callable
from typing import Any, TypeVar

from ldap3 import (
    MODIFY_REPLACE,
    NONE,
    SUBTREE,
    SYNC,
    Connection,
    Server,
    Tls,
)
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn
from pydantic import BaseModel, ConfigDict, Field, field_validator

from identra.userstores.base import ReadOnlyStore, StoreError, StoreUser

log = logging.getLogger(__name__)
T = TypeVar("T")

SUCCESS = 0
NO_SUCH_OBJECT = 32
INVALID_CREDENTIALS = 49
ALREADY_EXISTS = 68


class AttributeMap(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = "uid"
    display_name: str = "cn"
    email: str = "mail"
    given_name: str = "givenName"
    family_name: str = "sn"
    phone: str = "telephoneNumber"


class LdapConfig(BaseModel):
    """``user_stores.config`` of an LDAP store (the bind password is kept apart, encrypted)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="ldap://host[:port] or ldaps://host[:port]")
    start_tls: bool = False
    verify_tls: bool = True
    ca_file: str | None = None
    bind_dn: str | None = None
    users_dn: str
    user_object_classes: list[str] = Field(
        default_factory=lambda: ["top", "person", "organizationalPerson", "inetOrgPerson"]
    )
    user_filter: str | None = Field(None, description="an extra LDAP filter users must match")
    attributes: AttributeMap = Field(default_factory=AttributeMap)
    pool_size: int = Field(4, ge=1, le=32)
    timeout: float = Field(5.0, ge=0.5, le=60)
    page_size: int = Field(500, ge=1, le=5000)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("ldap://", "ldaps://")) or len(value) > 500:
            raise ValueError("url must be an ldap:// or ldaps:// URL")
        return value

    @field_validator("user_filter")
    @classmethod
    def _filter(cls, value: str | None) -> str | None:
        if value is not None and not (value.startswith("(") and value.endswith(")")):
            raise ValueError("user_filter must be a parenthesised LDAP filter")
        return value


class InvalidCredentials(Exception):
    """A bind was refused for its credentials (LDAP result 49)."""


class LdapPool:
    """Bound connections shared by the requests of one event loop."""

    def __init__(self, config: LdapConfig, bind_password: str | None) -> None:
        self.config = config
        self.bind_password = bind_password
        self._idle: list[Connection] = []
        self._slots = asyncio.Semaphore(config.pool_size)
        self._server = self._make_server()
        self.opened = 0

    def _make_server(self) -> Server:
        tls = None
        if self.config.url.startswith("ldaps://") or self.config.start_tls:
            tls = Tls(
                validate=ssl.CERT_REQUIRED if self.config.verify_tls else ssl.CERT_NONE,
                ca_certs_file=self.config.ca_file,
                version=ssl.PROTOCOL_TLS_CLIENT,
            )
        return Server(
            self.config.url,
            use_ssl=self.config.url.startswith("ldaps://"),
            tls=tls,
            connect_timeout=self.config.timeout,
            get_info=NONE,
        )

    def connect(self, user: str | None, password: str | None) -> Connection:
        """Open, secure and bind a connection (blocking: run in a worker thread)."""
        conn = Connection(
            self._server,
            user=user,
            password=password,
            client_strategy=SYNC,
            receive_timeout=math.ceil(self.config.timeout),  # ldap3 wants whole seconds
            raise_exceptions=False,
            auto_bind=False,
        )
        try:
            conn.open()
            if self.config.start_tls and not conn.start_tls():
                raise StoreError("StartTLS failed")
            if not conn.bind():
                code = conn.result.get("result") if conn.result else None
                if code == INVALID_CREDENTIALS:
                    raise InvalidCredentials
                raise StoreError(f"LDAP bind failed ({code})")
        except LDAPException as exc:
            _close(conn)
            raise StoreError(f"LDAP server unreachable: {type(exc).__name__}") from exc
        except BaseException:
            _close(conn)
            raise
        return conn

    async def run(self, work: Callable[[Connection], T]) -> T:
        async with self._slots:
            for attempt in (1, 2):
                conn = self._idle.pop() if self._idle else None
                try:
                    if conn is None:
                        conn = await asyncio.to_thread(
                            self.connect, self.config.bind_dn, self.bind_password
                        )
                        self.opened += 1
                    result = await asyncio.to_thread(work, conn)
                except InvalidCredentials as exc:
                    raise StoreError("the store's bind credentials are refused") from exc
                except (LDAPException, StoreError, OSError) as exc:
                    if conn is not None:
                        _close(conn)
                    if attempt == 2:
                        if isinstance(exc, StoreError):
                            raise
                        raise StoreError(f"LDAP operation failed: {type(exc).__name__}") from exc
                    continue
                self._idle.append(conn)
                return result
        raise StoreError("unreachable")  # pragma: no cover

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            _close(conn)


def _close(conn: Connection) -> None:
    try:
        conn.unbind()
    except (LDAPException, OSError):
        pass
    sock = getattr(conn, "socket", None)
    if sock is not None:
        try:
            sock.close()
        except OSError:
            pass


_pools: dict[tuple[str, int, int], LdapPool] = {}


def pool_for(store_id: str, version: int, config: LdapConfig, password: str | None) -> LdapPool:
    """One pool per store version and event loop (a changed store gets fresh connections)."""
    loop = asyncio.get_running_loop()
    key = (store_id, version, id(loop))
    pool = _pools.get(key)
    if pool is None:
        for other in [k for k in _pools if k[0] == store_id and k != key]:
            stale = _pools.pop(other)
            for conn in stale._idle:
                _close(conn)
        pool = LdapPool(config, password)
        _pools[key] = pool
    return pool


def close_all() -> None:
    """Close every pooled connection (at shutdown, and between tests)."""
    while _pools:
        _, pool = _pools.popitem()
        idle, pool._idle = pool._idle, []
        for conn in idle:
            _close(conn)


def _first(attrs: dict[str, Any], name: str) -> str | None:
    for key, value in attrs.items():
        if key.lower() == name.lower():
            if isinstance(value, list):
                return str(value[0]) if value else None
            return str(value) if value not in (None, "") else None
    return None


def _all(attrs: dict[str, Any], name: str) -> list[str]:
    for key, value in attrs.items():
        if key.lower() == name.lower():
            if isinstance(value, list):
                return [str(v) for v in value]
            return [str(value)] if value not in (None, "") else []
    return []


class LdapStore:
    def __init__(
        self,
        identifier: str,
        read_only: bool,
        config: LdapConfig,
        pool: LdapPool,
    ) -> None:
        self.identifier = identifier
        self.read_only = read_only
        self.config = config
        self.pool = pool
        self.map = config.attributes

    # -- helpers --

    def _filter(self, username: str | None = None) -> str:
        parts = [f"(objectClass={escape_filter_chars(self.config.user_object_classes[-1])})"]
        if self.config.user_filter:
            parts.append(self.config.user_filter)
        if username is not None:
            parts.append(f"({self.map.username}={escape_filter_chars(username)})")
        return "(&" + "".join(parts) + ")"

    @property
    def _attribute_names(self) -> list[str]:
        m = self.map
        return [
            m.username,
            m.display_name,
            m.email,
            m.given_name,
            m.family_name,
            m.phone,
            "entryUUID",
        ]

    def _to_user(self, dn: str, attrs: dict[str, Any]) -> StoreUser | None:
        username = _first(attrs, self.map.username)
        if not username:
            return None
        uuid = _first(attrs, "entryUUID")
        return StoreUser(
            username=username,
            key=dn,
            display_name=_first(attrs, self.map.display_name),
            given_name=_first(attrs, self.map.given_name),
            family_name=_first(attrs, self.map.family_name),
            emails=_all(attrs, self.map.email),
            phone_numbers=_all(attrs, self.map.phone),
            attributes={"dn": dn, **({"entryUUID": uuid} if uuid else {})},
        )

    def _search(self, conn: Connection, username: str | None, limit: int) -> list[StoreUser]:
        if username is None:
            entries = conn.extend.standard.paged_search(
                self.config.users_dn,
                self._filter(),
                search_scope=SUBTREE,
                attributes=self._attribute_names,
                paged_size=self.config.page_size,
                generator=False,
            )
        else:
            conn.search(
                self.config.users_dn,
                self._filter(username),
                search_scope=SUBTREE,
                attributes=self._attribute_names,
                size_limit=2,
            )
            entries = conn.response or []
        out = []
        for entry in entries or []:
            if entry.get("type") != "searchResEntry":
                continue
            user = self._to_user(str(entry["dn"]), dict(entry.get("attributes") or {}))
            if user is not None:
                out.append(user)
            if len(out) >= limit:
                break
        return out

    async def _find(self, username: str) -> StoreUser | None:
        found = await self.pool.run(lambda conn: self._search(conn, username, 2))
        if len(found) != 1:
            return None  # none, or ambiguous: never guess which entry is meant
        return found[0]

    # -- the Protocol --

    async def authenticate(self, username: str, password: str) -> StoreUser | None:
        if not password or not username:
            return None
        user = await self._find(username)
        if user is None:
            return None

        def bind() -> bool:
            try:
                conn = self.pool.connect(user.key, password)
            except InvalidCredentials:
                return False
            _close(conn)
            return True

        return user if await asyncio.to_thread(bind) else None

    async def lookup(self, username: str) -> StoreUser | None:
        return await self._find(username)

    async def list(self, limit: int = 100_000) -> list[StoreUser]:
        return await self.pool.run(lambda conn: self._search(conn, None, limit))

    def _entry_attributes(self, user: StoreUser) -> dict[str, Any]:
        m = self.map
        attrs: dict[str, Any] = {
            m.username: user.username,
            m.display_name: user.display_name or user.username,
            m.family_name: user.family_name or user.username,
        }
        if user.given_name:
            attrs[m.given_name] = user.given_name
        if user.emails:
            attrs[m.email] = user.emails
        if user.phone_numbers:
            attrs[m.phone] = user.phone_numbers
        return attrs

    def _check_writable(self) -> None:
        if self.read_only:
            raise ReadOnlyStore(f"user store {self.identifier} is read-only")

    @staticmethod
    def _raise_for(conn: Connection, what: str) -> None:
        code = conn.result.get("result") if conn.result else None
        if code == ALREADY_EXISTS:
            raise FileExistsError(what)
        if code == NO_SUCH_OBJECT:
            raise LookupError(what)
        raise StoreError(f"LDAP {what} failed ({code}: {conn.result.get('description')})")

    async def create(self, user: StoreUser, password: str | None) -> StoreUser:
        self._check_writable()
        dn = f"{self.map.username}={escape_rdn(user.username)},{self.config.users_dn}"
        attrs = self._entry_attributes(user)

        def add(conn: Connection) -> None:
            added = conn.add(dn, self.config.user_object_classes, attrs)  # type: ignore[no-untyped-call]
            if not added:
                self._raise_for(conn, "add")
            if password and not conn.extend.standard.modify_password(dn, new_password=password):
                conn.delete(dn)  # type: ignore[no-untyped-call]
                self._raise_for(conn, "password change")

        await self.pool.run(add)
        created = await self._find(user.username)
        if created is None:
            raise StoreError("the new entry cannot be read back")
        return created

    async def update(
        self, username: str, changes: dict[str, Any], password: str | None = None
    ) -> StoreUser:
        self._check_writable()
        current = await self._find(username)
        if current is None:
            raise LookupError(username)
        m = self.map
        mods: dict[str, Any] = {}
        names = {
            "display_name": m.display_name,
            "given_name": m.given_name,
            "family_name": m.family_name,
        }
        for field_name, attr in names.items():
            if field_name in changes:
                value = changes[field_name]
                if value is None and field_name in ("display_name", "family_name"):
                    value = username  # cn and sn are required by inetOrgPerson
                mods[attr] = [(MODIFY_REPLACE, [value] if value else [])]
        if "emails" in changes:
            mods[m.email] = [(MODIFY_REPLACE, list(changes["emails"]))]
        if "phone_numbers" in changes:
            mods[m.phone] = [(MODIFY_REPLACE, list(changes["phone_numbers"]))]
        dn = current.key

        def modify(conn: Connection) -> None:
            if mods and not conn.modify(dn, mods):  # type: ignore[no-untyped-call]
                self._raise_for(conn, "modify")
            if password and not conn.extend.standard.modify_password(dn, new_password=password):
                self._raise_for(conn, "password change")

        await self.pool.run(modify)
        updated = await self._find(username)
        if updated is None:
            raise StoreError("the entry cannot be read back")
        return updated

    async def delete(self, username: str) -> None:
        self._check_writable()
        current = await self._find(username)
        if current is None:
            return
        dn = current.key

        def remove(conn: Connection) -> None:
            if not conn.delete(dn):  # type: ignore[no-untyped-call]
                self._raise_for(conn, "delete")

        await self.pool.run(remove)

    async def close(self) -> None:
        await self.pool.close()
