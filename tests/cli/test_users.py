"""``identra users``: create, list, delete; bad input is a one-line error with exit status 1."""

from __future__ import annotations

import asyncio

from identra.cli.runtime import os_user
from tests.cli.conftest import Cli, audit_events, served

PASSWORD = "Tr0ub4dor&3-horse"


def test_create_list_delete(cli: Cli) -> None:
    created = cli.json(
        "users",
        "create",
        "alice",
        "--password-stdin",
        "--email",
        "alice@example.com",
        "--email",
        "a.smith@example.org",
        "--phone",
        "+14155550100",
        "--display-name",
        "Alice Smith",
        input=PASSWORD + "\n",
    )
    assert created["username"] == "alice"
    assert created["has_password"] is True
    assert created["user_store"] == "PRIMARY"
    assert [(e["value"], e["primary"]) for e in created["emails"]] == [
        ("alice@example.com", True),
        ("a.smith@example.org", False),
    ]
    assert created["phone_numbers"][0]["value"] == "+14155550100"

    listing = cli.json("users", "list")
    assert [u["username"] for u in listing] == ["admin", "alice"]
    assert cli.json("users", "list", "--username", "ALICE")[0]["id"] == created["id"]
    assert len(cli.json("users", "list", "--limit", "1")) == 1

    table = cli("users", "list").stdout
    assert table.splitlines()[0].split()[:2] == ["USERNAME", "ID"]
    assert "alice@example.com" in table

    deleted = cli.json("users", "delete", "alice")
    assert deleted == {"id": created["id"], "username": "alice", "deleted": True}
    assert [u["username"] for u in cli.json("users", "list")] == ["admin"]


def test_delete_by_id_and_human_output(cli: Cli) -> None:
    out = cli("users", "create", "bob").stdout
    assert out.startswith("created user bob (id ")
    user_id = cli.json("users", "list", "--username", "bob")[0]["id"]
    assert "deleted user bob" in cli("users", "delete", user_id).stdout
    assert "no user 'bob'" in cli.fail("users", "delete", "bob")


def test_password_is_never_echoed_and_audit_names_the_cli(cli: Cli) -> None:
    result = cli("users", "create", "carol", "--password", PASSWORD, "--json")
    assert PASSWORD not in result.stdout + result.stderr
    stdin = cli("users", "create", "dave", "--password-stdin", input=PASSWORD + "\n")
    assert PASSWORD not in stdin.stdout + stdin.stderr
    assert cli.settings is not None
    events = asyncio.run(audit_events(cli.settings))
    creates = [e for e in events if e.action == "user.create"]
    assert [e.details["username"] for e in creates] == ["carol", "dave"]
    assert {(e.actor_type, e.actor_id) for e in creates} == {("cli", os_user())}
    assert all(PASSWORD not in str(e.details) for e in events)


def test_created_user_is_seen_by_the_server(cli: Cli) -> None:
    cli("users", "create", "erin", "--password", PASSWORD)
    assert cli.settings is not None
    settings = cli.settings

    async def check() -> None:
        async with served(settings) as client:
            resp = await client.get("/api/v1/orgs/root/users", auth=("erin", PASSWORD))
            # erin has no management role: authenticated, but forbidden. The password worked.
            assert resp.status_code == 403, resp.text

    asyncio.run(check())


def test_duplicate_username(cli: Cli) -> None:
    cli("users", "create", "frank")
    err = cli.fail("users", "create", "Frank")
    assert err == "error: the username Frank is taken\n"


def test_bad_input(cli: Cli) -> None:
    assert "invalid --email" in cli.fail("users", "create", "g", "--email", "not-an-email")
    assert "invalid --phone" in cli.fail("users", "create", "g", "--phone", "0155501")
    assert "invalid password" in cli.fail("users", "create", "g", "--password", "short")
    assert "invalid USERNAME" in cli.fail("users", "create", "has/slash")
    assert "user store NOPE does not exist" in cli.fail(
        "users", "create", "g", "--user-store", "NOPE"
    )
    assert "organization 'nope' does not exist" in cli.fail("users", "list", "--org", "nope")
    assert "organization 'nope' does not exist" in cli.fail("users", "create", "g", "--org", "nope")
    # The short password must not be echoed back in the error.
    assert "short" not in cli.fail("users", "create", "g", "--password", "short").split(":", 1)[1]
    assert cli.json("users", "list", "--username", "g") == []


def test_usage_errors_exit_2(cli: Cli) -> None:
    both = cli("users", "create", "h", "--password", PASSWORD, "--password-stdin", code=2)
    assert "either --password or --password-stdin" in both.stderr
    empty = cli("users", "create", "h", "--password-stdin", input="", code=2)
    assert "no password on standard input" in empty.stderr
    cli("users", "list", "--limit", "0", code=2)
    cli("users", "create", code=2)
    cli("users", "frobnicate", code=2)


def test_in_a_sub_organization(cli: Cli) -> None:
    cli("orgs", "create", "--name", "Acme")
    cli("users", "create", "ivan", "--org", "acme")
    assert [u["username"] for u in cli.json("users", "list", "--org", "acme")] == ["ivan"]
    assert "ivan" not in [u["username"] for u in cli.json("users", "list")]
    assert "no user 'ivan' in organization 'root'" in cli.fail("users", "delete", "ivan")
