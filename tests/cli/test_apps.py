"""``identra apps``: an M2M app made on the command line gets tokens that call the API."""

from __future__ import annotations

import asyncio

import pytest

from tests.cli.conftest import Cli, client_token, served
from tests.support import REDIS_URL


def test_m2m_app_token_reads_users(cli: Cli) -> None:
    cli("users", "create", "alice")
    created = cli.json("apps", "create", "--name", "svc", "--type", "m2m", "--scope", "users:read")
    assert created["type"] == "m2m" and created["scopes"] == ["users:read"]
    assert created["client_id"] and created["client_secret"]
    assert created["grant_types"] == ["client_credentials"]
    assert cli.settings is not None
    settings = cli.settings

    async def check() -> None:
        async with served(settings) as client:
            token = await client_token(client, created["client_id"], created["client_secret"])
            assert token.status_code == 200, token.text
            assert token.json()["scope"] == "users:read"
            bearer = {"authorization": f"Bearer {token.json()['access_token']}"}
            users = await client.get("/api/v1/orgs/root/users", headers=bearer)
            assert users.status_code == 200, users.text
            assert {u["username"] for u in users.json()["items"]} == {"admin", "alice"}
            denied = await client.post(
                "/api/v1/orgs/root/users", json={"username": "x"}, headers=bearer
            )
            assert denied.status_code == 403

    asyncio.run(check())


def test_m2m_app_in_a_sub_organization(cli: Cli) -> None:
    cli("orgs", "create", "--name", "Acme", "--handle", "acme")
    cli("users", "create", "bob", "--org", "acme")
    created = cli.json(
        "apps", "create", "--name", "svc", "--type", "m2m", "--scope", "users:read",
        "--org", "acme",
    )  # fmt: skip
    assert cli.settings is not None
    settings = cli.settings

    async def check() -> None:
        async with served(settings) as client:
            token = await client_token(
                client, created["client_id"], created["client_secret"], org="acme"
            )
            assert token.status_code == 200, token.text
            bearer = {"authorization": f"Bearer {token.json()['access_token']}"}
            users = await client.get("/api/v1/orgs/acme/users", headers=bearer)
            assert [u["username"] for u in users.json()["items"]] == ["bob"]
            other = await client.get("/api/v1/orgs/root/users", headers=bearer)
            assert other.status_code == 404

    asyncio.run(check())


def test_human_output_prints_both_credentials(cli: Cli) -> None:
    result = cli("apps", "create", "--name", "svc", "--type", "M2M")
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines()[1:])
    assert lines["client_id"].strip() and lines["client_secret"].strip()
    assert "not shown again" in result.stderr
    secret = lines["client_secret"].strip()
    listing = cli("apps", "list")
    assert "svc" in listing.stdout and secret not in listing.stdout
    assert secret not in cli("apps", "list", "--json").stdout


def test_web_spa_native(cli: Cli) -> None:
    web = cli.json(
        "apps", "create", "--name", "portal", "--type", "web",
        "--redirect-uri", "https://portal.example.com/cb",
        "--redirect-uri", "http://localhost:3000/cb",
        "--scope", "openid", "--scope", "profile", "--audience", "https://api.example.com",
    )  # fmt: skip
    assert web["redirect_uris"] == ["https://portal.example.com/cb", "http://localhost:3000/cb"]
    assert web["token_endpoint_auth_method"] == "client_secret_basic" and web["client_secret"]
    assert web["audiences"] == ["https://api.example.com"]
    spa = cli.json(
        "apps", "create", "--name", "spa", "--type", "spa",
        "--redirect-uri", "https://spa.example.com/",
    )  # fmt: skip
    assert spa["client_secret"] is None and spa["token_endpoint_auth_method"] == "none"
    assert "(none: public client" in cli(
        "apps", "create", "--name", "cli-tool", "--type", "native",
        "--redirect-uri", "com.example.app:/callback",
    ).stdout  # fmt: skip
    names = [a["name"] for a in cli.json("apps", "list")]
    assert names == ["portal", "spa", "cli-tool"]


def test_delete_by_name_id_or_client_id(cli: Cli) -> None:
    one = cli.json("apps", "create", "--name", "one", "--type", "m2m")
    two = cli.json("apps", "create", "--name", "two", "--type", "m2m")
    three = cli.json("apps", "create", "--name", "three", "--type", "m2m")
    assert cli.json("apps", "delete", "one")["id"] == one["id"]
    assert "deleted application two" in cli("apps", "delete", two["id"]).stdout
    assert cli.json("apps", "delete", three["client_id"])["deleted"] is True
    assert cli.json("apps", "list") == []
    assert "no application 'one'" in cli.fail("apps", "delete", "one")


def test_deleted_app_gets_no_token(cli: Cli) -> None:
    created = cli.json("apps", "create", "--name", "svc", "--type", "m2m")
    cli("apps", "delete", "svc")
    assert cli.settings is not None
    settings = cli.settings

    async def check() -> None:
        async with served(settings) as client:
            token = await client_token(client, created["client_id"], created["client_secret"])
            assert token.status_code == 401

    asyncio.run(check())


@pytest.mark.skipif(not REDIS_URL, reason="other processes hear of changes through Redis")
def test_running_server_hears_of_a_deleted_app_at_once(cli: Cli) -> None:
    """The CLI's commit is announced on the pub/sub channel before the command exits."""
    created = cli.json("apps", "create", "--name", "svc", "--type", "m2m")
    assert cli.settings is not None
    settings = cli.settings

    async def check() -> None:
        async with served(settings) as client:
            token = await client_token(client, created["client_id"], created["client_secret"])
            assert token.status_code == 200  # the server now holds the client record
            await asyncio.sleep(0.2)  # its subscription is listening
            await asyncio.to_thread(cli, "apps", "delete", "svc")
            for _ in range(50):  # well under the 30 s expiry of cached client records
                token = await client_token(client, created["client_id"], created["client_secret"])
                if token.status_code == 401:
                    return
                await asyncio.sleep(0.1)
            raise AssertionError("the server still accepts the deleted application")

    asyncio.run(check())


def test_bad_input(cli: Cli) -> None:
    err = cli.fail(
        "apps", "create", "--name", "w", "--type", "web", "--redirect-uri", "http://example.com/cb"
    )
    assert "must use https" in err
    assert "without a fragment" in cli.fail(
        "apps", "create", "--name", "w", "--type", "web", "--redirect-uri", "https://x.test/#f"
    )
    assert "need at least one redirect URI" in cli.fail(
        "apps", "create", "--name", "w", "--type", "web"
    )
    assert "no redirect URIs" in cli.fail(
        "apps", "create", "--name", "m", "--type", "m2m", "--redirect-uri", "https://x.test/cb"
    )
    assert "invalid --scope" in cli.fail(
        "apps", "create", "--name", "m", "--type", "m2m", "--scope", 'bad"scope'
    )
    assert "organization 'nope' does not exist" in cli.fail(
        "apps", "create", "--name", "m", "--type", "m2m", "--org", "nope"
    )
    cli("apps", "create", "--name", "dup", "--type", "m2m")
    assert cli.fail("apps", "create", "--name", "dup", "--type", "m2m") == (
        "error: an application named dup exists\n"
    )
    assert [a["name"] for a in cli.json("apps", "list")] == ["dup"]


def test_usage_errors_exit_2(cli: Cli) -> None:
    bad_type = cli("apps", "create", "--name", "x", "--type", "saml2", code=2)
    assert "--type" in bad_type.stderr
    cli("apps", "create", "--type", "m2m", code=2)  # --name is required
    cli("apps", "delete", code=2)
