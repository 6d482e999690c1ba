"""``identra users import``: CSV/JSON/SCIM NDJSON, foreign hashes, rejects, resuming."""

from __future__ import annotations

import asyncio
import base64
import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import bcrypt
from sqlalchemy import select

from identra.app import create_app
from identra.crypto.passwords import hash_password
from identra.storage.models import AuditEvent, Organization, User
from identra.userstores.registry import UserStores
from tests.cli.conftest import Cli, cli  # noqa: F401  (fixture)
from tests.support import running

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def django_pbkdf2(password: str, salt: str = "saltsalt", iterations: int = 1000) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode()}"


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    fields = sorted({k for r in rows for k in r})
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=["username", *[f for f in fields if f != "username"]]
        )
        writer.writeheader()
        writer.writerows(rows)


async def login(cli: Cli, username: str, password: str) -> User | None:  # noqa: F811
    assert cli.settings is not None
    app = create_app(cli.settings)
    async with running(app):
        services = app.state.services
        async with services.sessions.begin() as session:
            org = await session.scalar(select(Organization).where(Organization.handle == "root"))
            assert org is not None
            stores = await UserStores.load(session, org, services.box, services.clock)
            return await stores.authenticate(username, password)


async def rows_of(cli: Cli, model: Any, *where: Any) -> list[Any]:  # noqa: F811
    assert cli.settings is not None
    app = create_app(cli.settings)
    async with running(app), app.state.services.sessions() as session:
        return list(await session.scalars(select(model).where(*where)))


def test_csv_with_foreign_hashes_and_rejects(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    source = tmp_path / "users.csv"
    write_csv(
        source,
        [
            {"username": "bcrypt", "email": "b@example.com", "password_hash":
             bcrypt.hashpw(b"pw-bcrypt", bcrypt.gensalt(rounds=4)).decode()},
            {"username": "django", "given_name": "Dj", "password_hash": django_pbkdf2("pw-django")},
            {"username": "argon", "password_hash": hash_password("pw-argon")},
            {"username": "plain", "password": "pw-plain", "phone": "+15550100"},
            {"username": "badhash", "password_hash": "md5$abc"},
            {"username": "", "email": "nobody@example.com"},
            {"username": "bcrypt", "email": "again@example.com"},
            {"username": "admin"},
            {"username": "bademail", "email": "not an email"},
            {"username": "x" * 300},
            {"username": "weird", "status": "sleeping"},
        ],
    )  # fmt: skip
    report = cli.json("users", "import", str(source), "--batch-size", "20")
    assert report["imported"] == 4
    assert report["skipped_existing"] == 1  # admin
    assert report["rejected"] == 6
    rejects = [json.loads(line) for line in Path(report["rejects_file"]).read_text().splitlines()]
    reasons = {r["line"]: r["reason"] for r in rejects}
    assert "not a supported hash" in reasons[6]
    assert "username is required" in reasons[7]
    assert "twice" in reasons[8]
    assert "email" in reasons[10] and "longer than" in reasons[11] and "status" in reasons[12]
    assert all("pw-" not in r["reason"] for r in rejects)

    for username, password in (("bcrypt", "pw-bcrypt"), ("django", "pw-django"),
                               ("argon", "pw-argon"), ("plain", "pw-plain")):  # fmt: skip
        user = asyncio.run(login(cli, username, password))
        assert user is not None, username
    assert asyncio.run(login(cli, "bcrypt", "wrong")) is None
    # The imported bcrypt and PBKDF2 hashes were replaced with argon2id on first login.
    users = asyncio.run(rows_of(cli, User, User.username.in_(["bcrypt", "django"])))
    assert all(u.password_hash.startswith("$argon2id$") for u in users)
    events = asyncio.run(rows_of(cli, AuditEvent, AuditEvent.action == "user.import"))
    assert sum(e.details["count"] for e in events) == 4
    assert all("pw-" not in json.dumps(e.details) for e in events)


def test_scim_ndjson_and_resume(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    source = tmp_path / "users.ndjson"
    lines = [
        {"userName": f"user{i}", "name": {"givenName": f"U{i}"},
         "emails": [{"value": f"user{i}@example.com", "type": "work", "primary": True}],
         "passwordHash": django_pbkdf2(f"pw{i}"),
         "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
         ENTERPRISE: {"employeeNumber": str(i)}}
        for i in range(5)
    ]  # fmt: skip
    text = "\n".join(json.dumps(line) for line in lines)
    text += '\n{"userName": "bad", "shoeSize": 44}\n{not json}\n'
    source.write_text(text)
    # A previous run stopped after three rows: the state file says so, and they are skipped.
    from identra.cli.users_import import _fingerprint

    state = tmp_path / "users.ndjson.import-state.json"
    state.write_text(json.dumps({"fingerprint": _fingerprint(source), "rows_done": 3}))
    report = cli.json("users", "import", str(source), "--batch-size", "2")
    assert (report["resumed_from"], report["imported"], report["rejected"]) == (3, 2, 2)
    assert json.loads(state.read_text())["rows_done"] == 7
    again = cli.json("users", "import", str(source))
    assert again["imported"] == 0 and again["resumed_from"] == 7
    everything = cli.json("users", "import", str(source), "--restart")
    assert everything["imported"] == 3 and everything["skipped_existing"] == 2
    user = asyncio.run(login(cli, "user4", "pw4"))
    assert user is not None and user.given_name == "U4"
    assert user.claims["scim"][ENTERPRISE] == {"employeeNumber": "4"}
    assert [e.value for e in user.emails] == ["user4@example.com"]


def test_json_and_usage_errors(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    source = tmp_path / "users.json"
    source.write_text(json.dumps([{"username": "j1"}, {"username": "j2", "unknown": 1}]))
    report = cli.json("users", "import", str(source))
    assert (report["imported"], report["rejected"]) == (1, 1)
    odd = tmp_path / "users.txt"
    odd.write_text("x")
    assert "--format" in cli.fail("users", "import", str(odd), code=2)
    assert "PARTNERS" in cli.fail("users", "import", str(source), "--user-store", "PARTNERS")


def test_export_round_trip(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    source = tmp_path / "in.csv"
    write_csv(source, [{"username": f"e{i}", "email": f"e{i}@example.com",
                        "password_hash": django_pbkdf2(f"pw{i}")} for i in range(3)])  # fmt: skip
    assert cli.json("users", "import", str(source))["imported"] == 3
    plain = tmp_path / "out.ndjson"
    assert cli.json("users", "export", str(plain))["exported"] == 4  # and the administrator
    docs = [json.loads(line) for line in plain.read_text().splitlines()]
    assert {d["userName"] for d in docs} == {"admin", "e0", "e1", "e2"}
    assert all("passwordHash" not in d and "password" not in d for d in docs)
    full = tmp_path / "full.ndjson"
    cli.json("users", "export", str(full), "--with-password-hashes")
    assert oct(full.stat().st_mode & 0o777) == "0o600"
    # Another organization imports the export, hashes included, and the passwords work.
    cli("orgs", "create", "--name", "Copy", "--handle", "copy", code=None)
    report = cli.json("users", "import", str(full), "--org", "copy", "--restart")
    assert report["imported"] == 4 and report["rejected"] == 0
