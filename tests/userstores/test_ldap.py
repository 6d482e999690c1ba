"""LDAP user stores against a real OpenLDAP (slapd): login, prefixes, mirroring, SCIM,
read-only and read-write modes, StartTLS/LDAPS, the encrypted bind password, failures."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import select

from identra.observability.audit import SYSTEM
from identra.storage.models import AuditEvent, Organization, User, UserStore
from identra.userstores import config as store_config
from identra.userstores.base import StoreError
from identra.userstores.ldap import close_all
from identra.userstores.registry import UserStores, ldap_backend
from tests.support import ADMIN, Harness, free_port
from tests.userstores.conftest import Directory, ldap_config

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
JSON = {**ADMIN, "content-type": "application/scim+json"}


async def add_store(
    h: Harness,
    directory: Directory,
    identifier: str = "CORP",
    *,
    read_only: bool = True,
    bind_password: str | None = None,
    **overrides: Any,
) -> UserStore:
    async with h.services.sessions.begin() as session:
        org = await session.scalar(select(Organization).where(Organization.handle == "root"))
        assert org is not None
        return await store_config.create_ldap_store(
            session,
            org,
            identifier=identifier,
            config=ldap_config(directory, **overrides),
            bind_password=bind_password or directory.slapd.admin_password,
            box=h.services.box,
            actor=SYSTEM,
            read_only=read_only,
        )


@pytest.fixture
async def stores(h: Harness) -> AsyncIterator[Any]:
    async def load() -> tuple[Any, UserStores]:
        session = h.services.sessions()
        await session.begin()
        org = await session.scalar(select(Organization).where(Organization.handle == "root"))
        assert org is not None
        return session, await UserStores.load(session, org, h.services.box, h.services.clock)

    opened: list[Any] = []

    async def finish() -> None:
        while opened:
            session = opened.pop()
            await session.commit()
            await session.close()

    async def factory() -> UserStores:
        await finish()  # one open transaction at a time (SQLite has one writer)
        session, registry = await load()
        opened.append(session)
        return registry

    factory.finish = finish  # type: ignore[attr-defined]
    yield factory
    await finish()
    close_all()


async def test_login_lookup_and_mirroring(h: Harness, directory: Directory, stores: Any) -> None:
    directory.add_user("alice", "alice-pass", mail="alice@corp.example", givenName="Alice")
    store = await add_store(h, directory)
    registry = await stores()
    assert [s.identifier for s in registry.rows] == ["PRIMARY", "CORP"]

    user = await registry.authenticate("alice", "alice-pass")
    assert user is not None and user.user_store_id == store.id
    assert user.given_name == "Alice" and [e.value for e in user.emails] == ["alice@corp.example"]
    assert await registry.authenticate("alice", "wrong") is None
    assert await registry.authenticate("alice", "") is None  # never an anonymous bind
    assert await registry.authenticate("nobody", "x") is None
    prefixed = await registry.authenticate("CORP/alice", "alice-pass")
    assert prefixed is not None and prefixed.id == user.id
    assert await registry.authenticate("PRIMARY/alice", "alice-pass") is None
    # The database store still comes first for its own users.
    assert (await registry.authenticate("admin", "correct-horse-battery-staple")) is not None
    found = await registry.lookup("CORP/alice")
    assert found is not None and found.id == user.id
    # Injection attempts are escaped, not interpreted.
    assert await registry.authenticate("*", "alice-pass") is None
    assert await registry.lookup("alice)(uid=*") is None


async def test_scim_sees_directory_users_and_read_only_refuses(
    h: Harness, directory: Directory, stores: Any
) -> None:
    directory.add_user("bob", "bob-pass", mail="bob@corp.example")
    directory.add_user("carol", "carol-pass")
    store = await add_store(h, directory)
    registry = await stores()
    report = await registry.sync(store)
    assert (report.created, report.updated) == (2, 0)
    await registry.session.commit()

    found = await h.client.get(
        "/scim2/Users", params={"filter": 'userName eq "CORP/bob"'}, headers=ADMIN
    )
    assert found.json()["totalResults"] == 1
    assert found.json()["Resources"][0]["userName"] == "CORP/bob"
    listed = await h.client.get(
        "/scim2/Users", params={"filter": 'userName sw "c"', "sortBy": "userName"}, headers=ADMIN
    )
    assert [u["userName"] for u in listed.json()["Resources"]] == ["CORP/carol"]
    refused = await h.client.post(
        "/scim2/Users", json={"schemas": [USER], "userName": "CORP/dave"}, headers=JSON
    )
    assert refused.status_code == 400 and refused.json()["scimType"] == "mutability"
    bob_id = found.json()["Resources"][0]["id"]
    change = await h.client.patch(
        f"/scim2/Users/{bob_id}",
        json={
            "schemas": [PATCH],
            "Operations": [{"op": "replace", "path": "displayName", "value": "B"}],
        },
        headers=JSON,
    )
    assert change.status_code == 400 and change.json()["scimType"] == "mutability"
    assert directory.entry("dave") is None


async def test_read_write_store_through_scim(h: Harness, directory: Directory, stores: Any) -> None:
    await add_store(h, directory, "CORPRW", read_only=False)
    created = await h.client.post(
        "/scim2/Users",
        json={
            "schemas": [USER],
            "userName": "CORPRW/erin",
            "name": {"givenName": "Erin", "familyName": "Smith"},
            "emails": [{"value": "erin@corp.example", "primary": True}],
            "password": "erin-Pass-1",
        },
        headers=JSON,
    )
    assert created.status_code == 201, created.text
    assert created.json()["userName"] == "CORPRW/erin"
    entry = directory.entry("erin")
    assert entry is not None and entry["sn"] == ["Smith"] and entry["mail"] == ["erin@corp.example"]
    assert entry["userPassword"][0].startswith(b"{SSHA}")  # hashed by the directory
    async with h.services.sessions() as session:
        row = await session.get(User, created.json()["id"])
        assert row is not None and row.password_hash is None  # the directory holds it
    registry = await stores()
    assert (await registry.authenticate("CORPRW/erin", "erin-Pass-1")) is not None
    await stores.finish()

    patched = await h.client.patch(
        f"/scim2/Users/{created.json()['id']}",
        json={"schemas": [PATCH], "Operations": [
            {"op": "replace", "path": "displayName", "value": "Erin S."},
            {"op": "replace", "path": "password", "value": "erin-Pass-2"},
        ]},
        headers=JSON,
    )  # fmt: skip
    assert patched.status_code == 200, patched.text
    assert directory.entry("erin")["cn"] == ["Erin S."]  # type: ignore[index]
    registry = await stores()
    assert await registry.authenticate("CORPRW/erin", "erin-Pass-1") is None
    assert await registry.authenticate("CORPRW/erin", "erin-Pass-2") is not None
    await stores.finish()

    duplicate = await h.client.post(
        "/scim2/Users", json={"schemas": [USER], "userName": "CORPRW/erin"}, headers=JSON
    )
    assert duplicate.status_code == 409 and duplicate.json()["scimType"] == "uniqueness"
    gone = await h.client.delete(f"/scim2/Users/{created.json()['id']}", headers=ADMIN)
    assert gone.status_code == 204
    assert directory.entry("erin") is None


@pytest.mark.parametrize("mode", ["starttls", "ldaps"])
async def test_tls(h: Harness, directory: Directory, stores: Any, mode: str) -> None:
    directory.add_user("tls", "tls-pass")
    if mode == "starttls":
        overrides: dict[str, Any] = {"start_tls": True, "ca_file": directory.slapd.ca_file}
        url = directory.slapd.url.replace("127.0.0.1", "localhost")
    else:
        overrides = {"ca_file": directory.slapd.ca_file}
        url = directory.slapd.ldaps_url
    await add_store(h, directory, "SECURE", url=url, **overrides)
    registry = await stores()
    assert (await registry.authenticate("SECURE/tls", "tls-pass")) is not None
    # Without the private CA the certificate does not verify: fail closed.
    untrusted = {k: v for k, v in overrides.items() if k != "ca_file"}
    await stores.finish()
    await add_store(h, directory, "UNTRUSTED", url=url, **untrusted)
    registry = await stores()
    with pytest.raises(StoreError):
        await registry.authenticate("UNTRUSTED/tls", "tls-pass")


async def test_unreachable_and_bad_bind_fail_closed(
    h: Harness, directory: Directory, stores: Any
) -> None:
    await add_store(h, directory, "DOWN", url=f"ldap://127.0.0.1:{free_port()}", timeout=1)
    await add_store(h, directory, "BADBIND", bind_password="wrong")
    registry = await stores()
    started = time.monotonic()
    with pytest.raises(StoreError):
        await registry.authenticate("DOWN/x", "y")
    assert time.monotonic() - started < 10
    with pytest.raises(StoreError):
        await registry.lookup("BADBIND/x")
    # A store that cannot answer does not stop the others.
    assert (await registry.authenticate("admin", "correct-horse-battery-staple")) is not None


async def test_bind_password_is_encrypted_and_pool_reused(
    h: Harness, directory: Directory, stores: Any
) -> None:
    directory.add_user("pool", "pool-pass")
    store = await add_store(h, directory)
    assert store.secret_encrypted and directory.slapd.admin_password not in store.secret_encrypted
    assert directory.slapd.admin_password not in str(store.config)
    with pytest.raises(InvalidTag):
        h.services.box.decrypt(store.secret_encrypted, "userstore:another-store")
    async with h.services.sessions() as session:
        events = list(
            await session.scalars(select(AuditEvent).where(AuditEvent.target_id == store.id))
        )
        assert events and directory.slapd.admin_password not in str([e.details for e in events])
    backend = ldap_backend(store, h.services.box)
    for _ in range(5):
        assert (await backend.lookup("pool")) is not None
    assert backend.pool.opened == 1
    listed = await backend.list()
    assert [u.username for u in listed] == ["pool"]


async def test_config_is_validated(h: Harness, directory: Directory) -> None:
    from identra.errors import InvalidInput

    for bad in ({"url": "http://x"}, {"pool_size": 0}, {"user_filter": "uid=x"}, {"nope": 1}):
        with pytest.raises(InvalidInput):
            await add_store(h, directory, "BAD", **bad)
