"""What every command shares: first start on an empty data dir, configuration errors."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from identra.crypto.secretbox import generate_master_key
from tests.cli.conftest import Cli

Env = Callable[[dict[str, str]], Cli]


def test_first_command_on_an_empty_data_dir_prepares_everything(
    tmp_path: Path, bare_env: Env
) -> None:
    """No database, no key file, no configured admin password: like a fresh machine."""
    cli = bare_env({"IDENTRA_DATA_DIR": str(tmp_path / "var")})
    first = cli(
        "apps", "create", "--name", "svc", "--type", "m2m", "--scope", "users:read", "--json"
    )
    # stdout stays machine-readable; the one-time administrator password goes to stderr.
    assert json.loads(first.stdout)["client_secret"]
    found = re.search(r"password: (\S+)", first.stderr)
    assert found, first.stderr
    password = found.group(1)
    assert (tmp_path / "var" / "identra.db").exists()
    assert (tmp_path / "var" / "master.key").stat().st_mode & 0o077 == 0
    later = cli("users", "list", "--json")
    assert password not in later.stdout + later.stderr
    assert later.stderr == ""
    assert [u["username"] for u in json.loads(later.stdout)] == ["admin"]


def test_unknown_setting_exits_2(tmp_path: Path, bare_env: Env) -> None:
    cli = bare_env({"IDENTRA_DATA_DIR": str(tmp_path), "IDENTRA_DATABSE_URL": "x"})
    result = cli("users", "list", code=2)
    assert "unknown settings: IDENTRA_DATABSE_URL" in result.stderr


def test_invalid_setting_exits_2(tmp_path: Path, bare_env: Env) -> None:
    cli = bare_env({"IDENTRA_DATA_DIR": str(tmp_path), "IDENTRA_DATABASE_URL": "mysql://x/y"})
    result = cli("apps", "list", code=2)
    assert "IDENTRA_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_master_key_exits_2(tmp_path: Path, bare_env: Env) -> None:
    cli = bare_env({"IDENTRA_DATA_DIR": str(tmp_path), "IDENTRA_MASTER_KEY": "too-short"})
    result = cli("users", "list", code=2)
    assert result.stderr.startswith("error: master key: ")
    assert "too-short" not in result.stderr


def test_wrong_master_key_exits_2(tmp_path: Path, bare_env: Env) -> None:
    env = {"IDENTRA_DATA_DIR": str(tmp_path), "IDENTRA_MASTER_KEY": generate_master_key()}
    bare_env(env)("users", "list")
    other = bare_env({**env, "IDENTRA_MASTER_KEY": generate_master_key()})
    result = other("users", "list", code=2)
    assert "master key does not decrypt" in result.stderr


def test_unreachable_database_is_one_line_without_credentials(
    tmp_path: Path, bare_env: Env
) -> None:
    url = "postgresql+asyncpg://identra:hunter2-secret@127.0.0.1:1/identra"
    cli = bare_env({"IDENTRA_DATA_DIR": str(tmp_path), "IDENTRA_DATABASE_URL": url})
    err = cli.fail("users", "list")
    assert "hunter2" not in err


def test_help_lists_the_command_groups(cli: Cli) -> None:
    out = cli("--help").stdout
    for group in ("users", "apps", "orgs", "keys", "serve", "migrate", "check"):
        assert group in out
