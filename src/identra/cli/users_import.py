"""``identra users import FILE``: bulk-load users from CSV, JSON or SCIM NDJSON.

Formats (by extension, or ``--format``):

- **CSV** with a header row. Columns: ``username`` (required), ``email``, ``given_name``,
  ``family_name``, ``display_name``, ``phone``, ``external_id``, ``locale``, ``status``,
  ``password_hash`` (bcrypt ``$2b$``, PBKDF2 in the Django or passlib formats, argon2), or
  ``password`` (plain text, hashed with argon2id here: slow, for small files).
- **JSON**: an array of objects with the same keys.
- **SCIM NDJSON**: one RFC 7643 User resource per line (``userName``, ``name``, ``emails``,
  ``phoneNumbers``, ``active``, ``externalId``, ``locale``, the enterprise extension...), checked
  against the organization's schemas; a hash may be given as ``passwordHash``.

Rows go in batches, one transaction and one audit event (``user.import``) per batch. Imported
hashes are verified as they are at login, and replaced with argon2id on the first success.

Resumable: after every committed batch the number of rows done is written to a state file
(``FILE.import-state.json``); running the same command again continues after it. A row whose
username exists already is skipped (so a batch replayed after a crash is harmless), and a row
that cannot be imported is written with its line number and reason to the rejects file
(``FILE.rejects.jsonl``); the others go on.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from identra.cli.runtime import JSON_OPTION, ORG_OPTION, emit_json, fail, run_services

FORMATS = ("csv", "json", "ndjson")
CSV_FIELDS = (
    "username", "email", "given_name", "family_name", "display_name", "phone", "external_id",
    "locale", "status", "password_hash", "password",
)  # fmt: skip
STATUSES = ("active", "locked", "disabled", "unverified")
LIMITS = {
    "username": 255, "given_name": 255, "family_name": 255, "display_name": 255,
    "external_id": 255, "locale": 35, "email": 320, "phone": 32, "password_hash": 512,
}  # fmt: skip


class Rejected(Exception):
    """A row that cannot be imported; the message is the reason."""


@dataclass
class Row:
    line: int
    username: str
    store: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    display_name: str | None = None
    external_id: str | None = None
    locale: str | None = None
    status: str = "active"
    password_hash: str | None = None
    password: str | None = None
    emails: list[dict[str, Any]] = field(default_factory=list)
    phones: list[dict[str, Any]] = field(default_factory=list)
    scim: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    total: int = 0
    imported: int = 0
    skipped_existing: int = 0
    rejected: int = 0
    resumed_from: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "imported": self.imported,
            "skipped_existing": self.skipped_existing,
            "rejected": self.rejected,
            "resumed_from": self.resumed_from,
            "seconds": round(self.seconds, 2),
            "rows_per_second": round(self.imported / self.seconds, 1) if self.seconds else None,
        }


def detect_format(path: Path, given: str | None) -> str:
    if given:
        if given not in FORMATS:
            fail(f"--format must be one of {', '.join(FORMATS)}", 2)
        return given
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".ndjson", ".jsonl"):
        return "ndjson"
    if suffix == ".json":
        return "json"
    fail("cannot tell the format from the file name: pass --format csv|json|ndjson", 2)


def _text(value: Any, key: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Rejected(f"{key} must be text")
    value = value.strip()
    if len(value) > LIMITS.get(key, 1000):
        raise Rejected(f"{key} is longer than {LIMITS[key]} characters")
    return value or None


def _check_hash(value: str | None) -> str | None:
    from identra.crypto.passwords import is_supported_hash

    if value is None:
        return None
    if not is_supported_hash(value):
        raise Rejected("password_hash is not a supported hash (argon2, bcrypt, PBKDF2-SHA256)")
    return value


def row_from_flat(line: int, data: Any) -> Row:
    """A CSV or JSON record."""
    if not isinstance(data, dict):
        raise Rejected("a record must be an object")
    unknown = sorted(set(data) - set(CSV_FIELDS))
    if unknown:
        raise Rejected(f"unknown field {unknown[0]}")
    username = _text(data.get("username"), "username")
    if not username:
        raise Rejected("username is required")
    status = _text(data.get("status"), "status") or "active"
    if status not in STATUSES:
        raise Rejected(f"status must be one of {', '.join(STATUSES)}")
    email = _text(data.get("email"), "email")
    if email is not None and ("@" not in email or any(c.isspace() for c in email)):
        raise Rejected("email is not an email address")
    phone = _text(data.get("phone"), "phone")
    password_hash = _check_hash(_text(data.get("password_hash"), "password_hash"))
    password = data.get("password") or None
    if password is not None and password_hash is not None:
        raise Rejected("give password_hash or password, not both")
    return Row(
        line=line,
        username=username,
        given_name=_text(data.get("given_name"), "given_name"),
        family_name=_text(data.get("family_name"), "family_name"),
        display_name=_text(data.get("display_name"), "display_name"),
        external_id=_text(data.get("external_id"), "external_id"),
        locale=_text(data.get("locale"), "locale"),
        status=status,
        password_hash=password_hash,
        password=str(password) if password is not None else None,
        emails=[{"value": email, "primary": True}] if email else [],
        phones=[{"value": phone, "primary": True}] if phone else [],
    )


def row_from_scim(line: int, data: Any, rtype: Any) -> Row:
    from identra.protocols.scim.errors import ScimError
    from identra.protocols.scim.resources import check_required, parse_resource, strip_read_only

    if not isinstance(data, dict):
        raise Rejected("a line must hold one SCIM User object")
    data = dict(data)
    password_hash = data.pop("passwordHash", None)
    data.setdefault("schemas", [rtype.schema.id])
    try:
        doc = strip_read_only(parse_resource(data, rtype), rtype)
        check_required(doc, rtype)
    except ScimError as exc:
        raise Rejected(f"{exc.scim_type or 'invalid'}: {exc.detail}") from exc
    name = doc.get("name") or {}
    extra = {
        k: v
        for k, v in doc.items()
        if k
        not in ("schemas", "id", "externalId", "userName", "displayName", "locale", "active",
                "password", "emails", "phoneNumbers", "groups", "roles", "meta", "name")
    }  # fmt: skip
    rest_of_name = {k: v for k, v in name.items() if k not in ("givenName", "familyName")}
    if rest_of_name:
        extra["name"] = rest_of_name

    def contacts(items: Any, key: str) -> list[dict[str, Any]]:
        return [
            {
                "value": _text(i["value"], key),
                "type": _text(i.get("type"), key),
                "primary": bool(i.get("primary")),
            }
            for i in items or []
            if i.get("value")
        ]  # fmt: skip

    return Row(
        line=line,
        username=_text(doc["userName"], "username") or "",
        given_name=_text(name.get("givenName"), "given_name"),
        family_name=_text(name.get("familyName"), "family_name"),
        display_name=_text(doc.get("displayName"), "display_name"),
        external_id=_text(doc.get("externalId"), "external_id"),
        locale=_text(doc.get("locale"), "locale"),
        status="active" if doc.get("active", True) else "disabled",
        password_hash=_check_hash(_text(password_hash, "password_hash")),
        password=doc.get("password"),
        emails=contacts(doc.get("emails"), "email"),
        phones=contacts(doc.get("phoneNumbers"), "phone"),
        scim=extra,
    )


def records(path: Path, fmt: str) -> Iterator[tuple[int, Any]]:
    """(line number, raw record); a line that does not parse yields an exception record."""
    if fmt == "csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or "username" not in reader.fieldnames:
                fail("the CSV file needs a header row with a username column")
            for record in reader:
                if None in record:
                    yield reader.line_num, Rejected("the row has more cells than the header")
                    continue
                yield reader.line_num, {k: v for k, v in record.items() if v not in (None, "")}
    elif fmt == "ndjson":
        with path.open(encoding="utf-8") as handle:
            for number, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    yield number, json.loads(text)
                except ValueError:
                    yield number, Rejected("the line is not valid JSON")
    else:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            fail("the file is not valid JSON")
        if not isinstance(data, list):
            fail("a JSON import file holds an array of user objects")
        for number, item in enumerate(data, start=1):
            yield number, item


def count_records(path: Path, fmt: str) -> int:
    if fmt == "json":
        return sum(1 for _ in records(path, fmt))
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return max(0, lines - 1) if fmt == "csv" else lines


def _state_path(path: Path, given: Path | None) -> Path:
    return given or path.with_name(path.name + ".import-state.json")


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    with path.open("rb") as handle:
        head = handle.read(65536)
    return hashlib.sha256(f"{stat.st_size}:".encode() + head).hexdigest()


def _rows_done(path: Path, fingerprint: str) -> int:
    """Rows already imported from this same file (0 for another file or no state)."""
    if not path.exists():
        return 0
    try:
        state = json.loads(path.read_text())
    except ValueError:
        return 0
    return int(state.get("rows_done", 0)) if state.get("fingerprint") == fingerprint else 0


def _write_state(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


async def import_rows(
    services: Any,
    path: Path,
    fmt: str,
    *,
    org_handle: str,
    user_store: str,
    batch_size: int,
    state_file: Path,
    rejects_file: Path,
    restart: bool,
    progress: Progress | None,
) -> Report:
    """The import itself (also used by the benchmark)."""
    from sqlalchemy import select, text

    from identra.cli.lookup import org as find_org
    from identra.clock import Clock
    from identra.crypto.passwords import hash_password
    from identra.observability import audit
    from identra.storage.models import User, UserEmail, UserPhone
    from identra.storage.repositories.scim_schemas import org_catalog
    from identra.storage.types import new_id
    from identra.userstores.registry import UserStores

    clock: Clock = services.clock
    fingerprint = _fingerprint(path)
    done = 0 if restart else _rows_done(state_file, fingerprint)
    report = Report(resumed_from=done)
    async with services.sessions() as session:
        org = await find_org(session, org_handle)
        registry = await UserStores.load(session, org, services.box, clock)
        rtype = org_catalog(org).user
        stores = {row.identifier: row for row in registry.rows}
        org_id = org.id
    default_store = stores.get(user_store)
    if default_store is None:
        fail(f"user store {user_store!r} does not exist in {org_handle!r}")
    actor = audit.Actor("cli", _os_user())
    started = time.perf_counter()
    total = count_records(path, fmt)
    report.total = total
    task = None
    if progress is not None:
        progress.start()  # only now: a usage error above prints nothing but its message
        task = progress.add_task("importing", total=total, completed=done)
    rejects = rejects_file.open("a" if done else "w", encoding="utf-8")

    def reject(line: int, username: str | None, reason: str) -> None:
        report.rejected += 1
        rejects.write(json.dumps({"line": line, "username": username, "reason": reason}) + "\n")

    async def flush(batch: list[Row], position: int) -> None:
        if batch:
            wanted = {r.username.lower() for r in batch}
            async with services.sessions.begin() as session:
                if session.get_bind().dialect.name == "postgresql":
                    # The table grows by orders of magnitude during an import: a plan cached
                    # while it was small would scan it whole for every batch.
                    await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
                existing = set(
                    await session.scalars(
                        select(User.username_normalized).where(
                            User.org_id == org_id, User.username_normalized.in_(wanted)
                        )
                    )
                )
                users, emails, phones = [], [], []
                seen: set[str] = set()
                now = clock.now()
                for row in batch:
                    normalized = row.username.lower()
                    if normalized in existing:
                        report.skipped_existing += 1
                        continue
                    if normalized in seen:
                        reject(row.line, row.username, "the username appears twice in the file")
                        continue
                    store = default_store
                    if row.store is not None:
                        store = stores[row.store]
                    assert store is not None
                    seen.add(normalized)
                    user_id = new_id()
                    password_hash = row.password_hash or (
                        hash_password(row.password) if row.password else None
                    )
                    users.append(
                        {
                            "id": user_id, "org_id": org_id, "user_store_id": store.id,
                            "username": row.username, "username_normalized": normalized,
                            "external_id": row.external_id, "status": row.status,
                            "display_name": row.display_name, "given_name": row.given_name,
                            "family_name": row.family_name, "locale": row.locale,
                            "password_hash": password_hash,
                            "password_changed_at": now if password_hash else None,
                            "failed_logins": 0, "claims": {"scim": row.scim} if row.scim else {},
                            "created_at": now, "updated_at": now, "version": 1,
                        }
                    )  # fmt: skip
                    for i, e in enumerate(row.emails):
                        emails.append(
                            {
                                "id": new_id(), "user_id": user_id, "org_id": org_id,
                                "value": e["value"], "value_normalized": e["value"].lower(),
                                "type": e.get("type"), "primary": bool(e.get("primary")),
                                "verified": False, "position": i,
                            }
                        )  # fmt: skip
                    for i, p in enumerate(row.phones):
                        phones.append(
                            {
                                "id": new_id(), "user_id": user_id, "org_id": org_id,
                                "value": p["value"], "type": p.get("type"),
                                "primary": bool(p.get("primary")), "verified": False,
                                "position": i,
                            }
                        )  # fmt: skip
                if users:
                    await _insert(session, User.__table__, users)
                    if emails:
                        await _insert(session, UserEmail.__table__, emails)
                    if phones:
                        await _insert(session, UserPhone.__table__, phones)
                    audit.record(
                        session,
                        org_id=org_id,
                        action="user.import",
                        actor=actor,
                        target_type="organization",
                        target_id=org_id,
                        details={
                            "count": len(users),
                            "file": path.name,
                            "first_line": batch[0].line,
                            "last_line": batch[-1].line,
                        },
                    )
                report.imported += len(users)
        _write_state(state_file, {"fingerprint": fingerprint, "rows_done": position})
        rejects.flush()

    batch: list[Row] = []
    position = 0
    try:
        for line, raw in records(path, fmt):
            position += 1
            if position <= done:
                continue
            try:
                if isinstance(raw, Rejected):
                    raise raw
                row = (
                    row_from_scim(line, raw, rtype) if fmt == "ndjson" else row_from_flat(line, raw)
                )
                store_part, sep, rest = row.username.partition("/")
                if sep and rest and store_part in stores:
                    row.store, row.username = store_part, rest
                target = stores[row.store] if row.store else default_store
                assert target is not None
                if target.read_only or not target.enabled or target.kind != "database":
                    raise Rejected(f"user store {target.identifier} does not accept imported users")
                batch.append(row)
            except Rejected as exc:
                username = (
                    raw.get("username") or raw.get("userName") if isinstance(raw, dict) else None
                )
                reject(line, username if isinstance(username, str) else None, str(exc))
            if len(batch) >= batch_size:
                await flush(batch, position)
                batch = []
                if progress is not None and task is not None:
                    progress.update(task, completed=position)
        await flush(batch, position)
        if progress is not None and task is not None:
            progress.update(task, completed=position)
    finally:
        rejects.close()
        if progress is not None:
            progress.stop()
    report.seconds = time.perf_counter() - started
    return report


async def _insert(session: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert many rows: PostgreSQL ``COPY`` (about ten times faster), else ``executemany``."""
    from sqlalchemy import insert

    if session.get_bind().dialect.name != "postgresql":
        await session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    json_columns = {c.name for c in table.columns if c.type.__class__.__name__ in ("JSON", "JSONB")}
    records = [
        tuple(json.dumps(r[c]) if c in json_columns else r[c] for c in columns) for r in rows
    ]
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(table.name, records=records, columns=columns)


def _os_user() -> str:
    from identra.cli.runtime import os_user

    return os_user()


def import_users(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", exists=True, dir_okay=False, readable=True)
    ],
    fmt: Annotated[str | None, typer.Option("--format", help="csv, json or ndjson (SCIM)")] = None,
    user_store: Annotated[
        str, typer.Option("--user-store", metavar="STORE", help="store for unprefixed usernames")
    ] = "PRIMARY",
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=10000)] = 1000,
    state: Annotated[Path | None, typer.Option("--state", help="resume state file")] = None,
    rejects: Annotated[
        Path | None, typer.Option("--rejects", help="rejected rows (JSON lines)")
    ] = None,
    restart: Annotated[bool, typer.Option("--restart", help="ignore the saved position")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bar")] = False,
    org: str = ORG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Import users from CSV, JSON or SCIM NDJSON (resumable; rejected rows are reported)."""
    kind = detect_format(file, fmt)
    state_file = _state_path(file, state)
    rejects_file = rejects or file.with_name(file.name + ".rejects.jsonl")

    async def work(services: Any) -> Report:
        progress = None if (quiet or as_json) else Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(),
        )  # fmt: skip
        return await import_rows(
            services, file, kind, org_handle=org, user_store=user_store,
            batch_size=batch_size, state_file=state_file, rejects_file=rejects_file,
            restart=restart, progress=progress,
        )  # fmt: skip

    report = run_services(work)
    if as_json:
        emit_json({**report.as_dict(), "rejects_file": str(rejects_file)})
        return
    typer.echo(
        f"imported {report.imported} user(s), skipped {report.skipped_existing} existing, "
        f"rejected {report.rejected} (see {rejects_file}) in {report.seconds:.1f}s"
    )


async def export_rows(
    services: Any,
    path: Path,
    *,
    org_handle: str,
    with_hashes: bool,
    page_size: int,
    progress: Progress | None,
) -> int:
    """Write every user of the organization as one SCIM User document per line."""
    from sqlalchemy import func, select

    from identra.cli.lookup import org as find_org
    from identra.storage.models import User
    from identra.storage.repositories import orgs
    from identra.storage.repositories.scim_schemas import org_catalog
    from identra.storage.repositories.scim_users import UserReader
    from identra.userstores.registry import UserStores

    written = 0
    async with services.sessions() as session:
        org = await find_org(session, org_handle)
        total = await session.scalar(select(func.count(User.id)).where(User.org_id == org.id))
        stores = await UserStores.load(session, org, services.box, services.clock)
        base_url = orgs.issuer_for(services.settings.issuer, org) + "/scim2"
        reader = UserReader(session, org, org_catalog(org).user, base_url, stores.identifiers)
        task = None
        if progress is not None:
            progress.start()
            task = progress.add_task("exporting", total=total or 0)
        last = ""
        try:
            with path.open("w", encoding="utf-8") as handle:
                while True:
                    rows = list(
                        await session.scalars(
                            select(User)
                            .where(User.org_id == org.id, User.id > last)
                            .order_by(User.id)
                            .limit(page_size)
                        )
                    )
                    if not rows:
                        break
                    for user, doc in zip(rows, await reader.documents(rows), strict=True):
                        doc.pop("meta", None)
                        if with_hashes and user.password_hash:
                            doc["passwordHash"] = user.password_hash
                        handle.write(json.dumps(doc, separators=(",", ":")) + "\n")
                    written += len(rows)
                    last = rows[-1].id
                    session.expunge_all()
                    if progress is not None and task is not None:
                        progress.update(task, completed=written)
        finally:
            if progress is not None:
                progress.stop()
    return written


def export_users(
    file: Annotated[Path, typer.Argument(metavar="FILE", dir_okay=False)],
    with_hashes: Annotated[
        bool,
        typer.Option(
            "--with-password-hashes",
            help="include password hashes (passwordHash), for moving users to another server; "
            "the file is then as sensitive as the database",
        ),
    ] = False,
    page_size: Annotated[int, typer.Option("--page-size", min=1, max=10000)] = 1000,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bar")] = False,
    org: str = ORG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Export users as SCIM NDJSON (one User per line), readable by ``users import``."""

    async def work(services: Any) -> int:
        progress = None if (quiet or as_json) else Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(),
        )  # fmt: skip
        return await export_rows(
            services, file, org_handle=org, with_hashes=with_hashes, page_size=page_size,
            progress=progress,
        )  # fmt: skip

    count = run_services(work)
    if with_hashes:
        os.chmod(file, 0o600)
    if as_json:
        emit_json({"exported": count, "file": str(file)})
    else:
        typer.echo(f"exported {count} user(s) to {file}")
