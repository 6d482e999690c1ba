"""The 'flows generate' command function, run the way the CLI runs it (environment settings,
its own database preparation), and its output applied with 'identra flows apply'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from identra.cli.flows_generate import generate
from identra.cli.main import app as identra
from tests.cli.conftest import clear_identra_env, env_for
from tests.support import make_settings

SHOWCASE = Path(__file__).resolve().parents[2] / "examples" / "flows" / "managers-sms.flow"

# Until identra.cli.flows registers it, the command runs from its own small app.
flows = typer.Typer()
flows.command("generate")(generate)


@flows.command("noop", hidden=True)
def _noop() -> None:
    """Keeps 'generate' a subcommand, as under 'identra flows'."""


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    settings = make_settings(tmp_path)
    clear_identra_env(monkeypatch)
    for key, value in env_for(settings).items():
        monkeypatch.setenv(key, value)
    return CliRunner()


def test_the_text_form_goes_to_stdout_and_the_rest_to_stderr(runner: CliRunner) -> None:
    result = runner.invoke(flows, ["generate", "password, then TOTP; no other session"])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stdout.startswith('flow "Password then authenticator app"\n')
    assert "step totp\n  options totp\n" in result.stdout
    assert "Users sign in with a password. Then they confirm with an authenticator app code." in (
        result.stderr
    )
    assert "assumed: a user over the limit is refused" in result.stderr
    assert "reading 1 of 2; --alternative 1 shows another" in result.stderr
    assert "--- current (built-in)\n+++ generated\n" in result.stderr


def test_the_generated_flow_applies_with_flows_apply(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "generated.flow"
    result = runner.invoke(flows, ["generate", "passkey or password, then TOTP"])
    path.write_text(result.stdout, encoding="utf-8")
    applied = runner.invoke(identra, ["flows", "apply", str(path)])
    assert applied.exit_code == 0, applied.stderr
    assert "revision 1" in applied.stdout
    shown = runner.invoke(identra, ["flows", "show"])
    assert shown.stdout == result.stdout
    # Generating the same again: no change against the flow now in use.
    again = runner.invoke(flows, ["generate", "passkey or password, then TOTP"])
    assert "(the same as the current flow)" in again.stderr


def test_questions_go_to_stderr_with_status_1(runner: CliRunner) -> None:
    result = runner.invoke(flows, ["generate", "password then SMS"])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("question: 'SMS' means the sms-otp option")
    assert "no SMS provider is configured" in " ".join(result.stderr.split())


def test_json_and_alternatives(runner: CliRunner) -> None:
    result = runner.invoke(flows, ["generate", "password, at most 2 sessions", "--json"])
    assert result.exit_code == 0, result.stderr
    first = json.loads(result.stdout)
    assert first["status"] == "flow" and first["alternatives"] == 2
    assert first["document"]["nodes"][1]["on_exceed"] == "deny"
    result = runner.invoke(
        flows, ["generate", "password, at most 2 sessions", "--json", "--alternative", "1"]
    )
    second = json.loads(result.stdout)
    assert second["document"]["nodes"][1]["on_exceed"] == "choose"
    result = runner.invoke(
        flows, ["generate", "password, at most 2 sessions", "--alternative", "5"]
    )
    assert result.exit_code == 1 and "there is no alternative 5" in result.stderr
    asked = runner.invoke(flows, ["generate", "password then flurble", "--json"])
    assert asked.exit_code == 1 and json.loads(asked.stdout)["status"] == "question"


def test_an_unknown_application_or_organization_is_one_line(runner: CliRunner) -> None:
    result = runner.invoke(flows, ["generate", "password", "--app", "nope"])
    assert result.exit_code == 1 and result.stderr.strip() == "error: application not found"
    result = runner.invoke(flows, ["generate", "password", "--org", "nowhere"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: organization 'nowhere' does not exist"
    result = runner.invoke(flows, ["generate", "  "])
    assert result.exit_code == 1 and result.stderr.strip() == "error: the description is empty"
