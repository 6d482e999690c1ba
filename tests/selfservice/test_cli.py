"""``identra self-service show|set`` (the sub-command app of ``identra.selfservice.cli``)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from identra.selfservice.cli import app
from tests.cli.conftest import audit_events, clear_identra_env, env_for
from tests.support import make_settings


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[CliRunner, object]:
    settings = make_settings(tmp_path)
    clear_identra_env(monkeypatch)
    for key, value in env_for(settings).items():
        monkeypatch.setenv(key, value)
    return CliRunner(), settings


def test_show_and_set(runner: tuple[CliRunner, object]) -> None:
    cli, settings = runner
    shown = cli.invoke(app, ["show", "root", "--json"])
    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout) == {
        "registration": False,
        "recovery": True,
        "password_policy": {"min_length": 12, "history": 5, "block_common": True},
    }
    changed = cli.invoke(
        app, ["set", "root", "--registration", "--min-length", "14", "--history", "3"]
    )
    assert changed.exit_code == 0, changed.stderr
    assert "registration     on" in changed.stdout and "min length       14" in changed.stdout
    again = json.loads(cli.invoke(app, ["show", "root", "--json"]).stdout)
    assert again["registration"] is True and again["password_policy"]["history"] == 3
    events = [
        e
        for e in asyncio.run(audit_events(settings))  # type: ignore[arg-type]
        if e.action == "organization.self_service"
    ]
    assert len(events) == 1 and events[0].actor_type == "cli"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["set", "root", "--min-length", "4"], "min_length"),
        (["set", "root", "--history", "99"], "history"),
        (["set", "nowhere", "--registration"], "does not exist"),
        (["show", "nowhere"], "does not exist"),
    ],
)
def test_bad_values_change_nothing(
    runner: tuple[CliRunner, object], args: list[str], message: str
) -> None:
    cli, _settings = runner
    result = cli.invoke(app, args)
    assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.stderr
    shown = json.loads(cli.invoke(app, ["show", "root", "--json"]).stdout)
    assert shown["password_policy"]["min_length"] == 12
