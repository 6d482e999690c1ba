"""``identra actions``: an action made on the command line changes real tokens; credentials
come from standard input, never from arguments; bad input is one line on stderr."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from identra.actions import signing
from identra.cli import actions as actions_cli
from tests.actions.service import Answer, ExtService
from tests.actions.support import claims_of
from tests.cli.conftest import clear_identra_env, client_token, env_for, served
from tests.support import ADMIN, make_settings

ADD_CLAIM = Answer(
    200,
    {
        "actionStatus": "SUCCESS",
        "operations": [
            {"op": "add", "path": "/accessToken/claims/-", "value": {"name": "cli", "value": True}}
        ],
    },
)


class Runner:
    def __init__(self) -> None:
        root = typer.Typer()
        root.add_typer(actions_cli.app, name="actions")

        @root.callback()
        def _main() -> None:
            pass

        self.app = root
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, code: int = 0) -> Any:
        result = self.runner.invoke(self.app, ["actions", *args], input=input)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
        return result


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Runner, Any]:
    settings = make_settings(tmp_path)
    clear_identra_env(monkeypatch)
    for key, value in env_for(settings).items():
        monkeypatch.setenv(key, value)
    return Runner(), settings


async def _m2m_token(settings: Any) -> dict[str, Any]:
    async with served(settings) as client:
        app = await client.post(
            "/api/v1/orgs/root/applications",
            json={"name": "svc", "type": "m2m", "scopes": ["x"]},
            headers=ADMIN,
        )
        body = app.json()
        token = await client_token(client, body["client_id"], body["client_secret"])
        assert token.status_code == 200, token.text
        return {"app": body, "claims": claims_of(token.json()["access_token"])}


async def _token_again(settings: Any, app: dict[str, Any]) -> dict[str, Any]:
    async with served(settings) as client:
        token = await client_token(client, app["client_id"], app["client_secret"])
        return claims_of(token.json()["access_token"])


def test_create_use_update_delete(run: tuple[Runner, Any]) -> None:
    cli, settings = run
    with ExtService(lambda _r: ADD_CLAIM) as svc:
        created = cli(
            "create", "tiers", "--type", "preIssueAccessToken", "--endpoint", svc.url,
            "--auth", "api_key", "--auth-header", "X-Key", "--signed", "--json",
            input="k3y-from-stdin\n",
        )  # fmt: skip
        row = json.loads(created.stdout)
        secret = row["signing_secret"]
        assert row["authentication"] == {"type": "api_key", "header": "x-key"}
        assert "k3y-from-stdin" not in created.stdout

        first = asyncio.run(_m2m_token(settings))
        assert first["claims"]["cli"] is True
        sent = svc.requests[0]
        assert sent.headers["x-key"] == "k3y-from-stdin"
        assert signing.verify(secret, sent.headers, sent.body, int(time.time()))

        listed = cli("list")
        assert "tiers" in listed.stdout and "preIssueAccessToken" in listed.stdout
        shown = json.loads(cli("show", "tiers").stdout)
        assert shown["signed"] is True and "k3y" not in json.dumps(shown)

        assert "updated action tiers" in cli("update", "tiers", "--disable").stdout
        assert "cli" not in asyncio.run(_token_again(settings, first["app"]))
        cli("update", "tiers", "--enable", "--fail-open", "--timeout-ms", "500")
        assert json.loads(cli("show", "tiers").stdout)["failure_policy"] == "fail_open"
        rotated = cli("rotate-secret", "tiers")
        assert rotated.stdout.startswith("signing_secret: whsec_")
        cli("delete", "tiers")
        assert json.loads(cli("list", "--json").stdout) == []


def test_bad_input_is_one_line(run: tuple[Runner, Any]) -> None:
    cli, _settings = run
    for args, message in (
        (("create", "x", "--type", "preIssueAccessToken", "--endpoint", "http://e.com/"), "https"),
        (
            ("create", "x", "--type", "preIssueAccessToken", "--endpoint", "https://e.com/",
             "--rule", "{nope"),
            "not valid JSON",
        ),
        (
            ("create", "x", "--type", "preIssueAccessToken", "--endpoint", "https://e.com/",
             "--auth", "basic"),
            "--auth-username",
        ),
        (("update", "missing", "--disable"), "not found"),
        (("update", "missing"), "nothing to change"),
    ):  # fmt: skip
        result = cli(*args, code=1)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], result.stderr
        assert "Traceback" not in result.stderr


def test_webhooks_on_the_command_line(run: tuple[Runner, Any]) -> None:
    cli, _settings = run
    created = json.loads(
        cli(
            "webhook", "create", "--url", "https://hooks.example.com/identra",
            "--event", "user.created", "--event", "login.failed", "--json",
        ).stdout
    )  # fmt: skip
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["login.failed", "user.created"]
    listed = json.loads(cli("webhook", "list", "--json").stdout)
    assert [w["id"] for w in listed] == [created["id"]] and "secret" not in listed[0]
    bad = cli("webhook", "create", "--url", "https://h.example.com", "--event", "x.y", code=1)
    assert "unknown event type" in bad.stderr
    cli("webhook", "delete", created["id"])
    assert json.loads(cli("webhook", "list", "--json").stdout) == []
