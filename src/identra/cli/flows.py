"""``identra flows``: show, validate, apply and remove login flows (text form or JSON)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from identra.admin import flows as service
from identra.authenticators.registry import Authenticators
from identra.cli import lookup
from identra.cli.flows_generate import generate as generate_command
from identra.cli.runtime import JSON_OPTION, ORG_OPTION, Work, emit_json, fail, run, table
from identra.flows import text
from identra.flows.document import FlowInvalid, dump
from identra.flows.schema import json_schema

app = typer.Typer(
    no_args_is_help=True,
    help="Manage login flows. Files are the text form (see docs/flows.md) or JSON; "
    "'-' reads standard input.",
)

app.command("generate")(generate_command)

APP_OPTION = typer.Option(
    None, "--app", metavar="CLIENT_ID", help="the application's flow (default: the org default)"
)
FILE_ARGUMENT = typer.Argument(metavar="FILE", help="a flow in the text form or JSON, or -")


def _read(path: str) -> Any:
    """The raw JSON document of a file in either form; exits with the problems if unreadable."""
    try:
        content = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}")
    if content.lstrip().startswith("{"):
        try:
            return json.loads(content)
        except json.JSONDecodeError as exc:
            fail(f"{path} is not valid JSON: {exc}")
        except (ValueError, RecursionError) as exc:  # a number too long, nesting too deep
            fail(f"{path} is not JSON that Identra can read: {exc}")
    try:
        return text.parse_text(content)
    except FlowInvalid as invalid:
        _problems(path, invalid.problems)


def _problems(path: str, problems: list[tuple[str, str]]) -> None:
    for where, message in problems:
        typer.echo(f"{path}: {where}: {message}" if where else f"{path}: {message}", err=True)
    raise typer.Exit(1)


async def _catalog(w: Work, org_handle: str) -> tuple[Any, service.OptionCatalog]:
    where = await lookup.org(w.session, org_handle)
    known = Authenticators.for_services(w.services).catalog()
    return where, await service.catalog(w.session, where, known)


@app.command("validate")
def validate(
    path: Annotated[str, FILE_ARGUMENT],
    org: str = ORG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Check a flow against the schema, its graph, and this server's authenticators and the
    organization's identity providers. Prints the canonical text (or JSON) when valid."""
    raw = _read(path)

    async def work(w: Work) -> Any:
        _, options = await _catalog(w, org)
        try:
            return service.check(raw, options)
        except service.FlowRejected as rejected:
            return rejected

    result = run(work)
    if isinstance(result, service.FlowRejected):
        _problems(path, result.problems)
    if as_json:
        emit_json(dump(result))
    else:
        typer.echo(text.render(result), nl=False)


@app.command("apply")
def apply(
    path: Annotated[str, FILE_ARGUMENT],
    org: str = ORG_OPTION,
    client_id: str | None = APP_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Store the flow as the new revision of the application's (or the org default) flow.
    Logins already in progress finish on the revision they started with."""
    raw = _read(path)

    async def work(w: Work) -> Any:
        where, options = await _catalog(w, org)
        try:
            return await service.apply(w.session, where, client_id, raw, options, w.actor)
        except service.FlowRejected as rejected:
            return rejected

    result = run(work)
    if isinstance(result, service.FlowRejected):
        _problems(path, result.problems)
    record: service.FlowRecord = result
    if as_json:
        emit_json(_record_json(record))
        return
    target = f"application {client_id}" if client_id else f"organization {org} (default)"
    typer.echo(f"applied flow {record.document.name!r} to {target}: revision {record.revision}")


@app.command("show")
def show(
    org: str = ORG_OPTION,
    client_id: str | None = APP_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Print the flow in use (the text form; --json for the JSON document)."""

    async def work(w: Work) -> service.FlowRecord:
        where = await lookup.org(w.session, org)
        return await service.current(w.session, where, client_id)

    record = run(work)
    if as_json:
        emit_json(_record_json(record))
    else:
        typer.echo(text.render(record.document), nl=False)


@app.command("history")
def history(
    org: str = ORG_OPTION,
    client_id: str | None = APP_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """List the stored revisions, newest first."""

    async def work(w: Work) -> list[dict[str, Any]]:
        where = await lookup.org(w.session, org)
        return await service.history(w.session, where, client_id)

    rows = run(work)
    if as_json:
        emit_json(rows)
        return
    table(
        ["revision", "active", "name", "created_by", "created_at"],
        [
            [
                r["revision"],
                "yes" if r["active"] else "no",
                r["name"],
                r["created_by"],
                r["created_at"],
            ]
            for r in rows
        ],
    )


@app.command("remove")
def remove(org: str = ORG_OPTION, client_id: str | None = APP_OPTION) -> None:
    """Stop using the application's flow (it falls back to the org default) or the org
    default (it falls back to the built-in password flow)."""

    async def work(w: Work) -> int:
        where = await lookup.org(w.session, org)
        return await service.remove(w.session, where, client_id, w.actor)

    count = run(work)
    typer.echo("removed" if count else "nothing to remove: the flow was already inherited")


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of flow documents."""
    emit_json(json_schema())


def _record_json(record: service.FlowRecord) -> dict[str, Any]:
    return {
        "org": record.org,
        "client_id": record.client_id,
        "ref": record.ref,
        "revision": record.revision,
        "inherited": record.inherited,
        "document": dump(record.document),
        "text": text.render(record.document),
    }
