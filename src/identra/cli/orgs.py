"""``identra orgs``: create and list organizations."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

import typer
from sqlalchemy import select

from identra.admin import orgs as service
from identra.cli import lookup
from identra.cli.runtime import JSON_OPTION, Work, dump, emit_json, fail, run, table, validated
from identra.management.schemas.orgs import OrgCreate, OrgOut
from identra.storage.models import Organization

app = typer.Typer(no_args_is_help=True, help="Manage organizations.")


def derive_handle(name: str) -> str:
    """``"Acme Corp."`` -> ``"acme-corp"``: ASCII letters and digits joined by single hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:64].rstrip("-")


def _out(org: Organization, parents: dict[str, str]) -> OrgOut:
    return OrgOut(
        id=org.id,
        created_at=org.created_at,
        updated_at=org.updated_at,
        version=org.version,
        handle=org.handle,
        name=org.name,
        status=org.status,
        parent=parents.get(org.parent_id) if org.parent_id else None,
    )


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", metavar="N", help="display name")],
    handle: Annotated[
        str | None,
        typer.Option(
            "--handle",
            metavar="H",
            help="URL name (/o/HANDLE); derived from the name when absent",
        ),
    ] = None,
    parent: Annotated[
        str, typer.Option("--parent", metavar="P", help="parent organization's handle")
    ] = "root",
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a sub-organization with its own PRIMARY user store and administrator role."""
    if handle is None:
        handle = derive_handle(name)
        if not service.HANDLE.match(handle) or handle in service.RESERVED:
            fail(f"cannot derive a usable handle from {name!r} (got {handle!r}); pass --handle")
    body = validated(OrgCreate, {"handle": "--handle", "name": "--name"}, handle=handle, name=name)

    async def work(w: Work) -> OrgOut:
        above = await lookup.org(w.session, parent)
        child = await service.create(w.session, above, body.handle, body.name, w.actor)
        return _out(child, {above.id: above.handle})

    created = run(work)
    if as_json:
        emit_json(dump(created))
    else:
        typer.echo(
            f"created organization {created.handle} ({created.name}, id {created.id}) "
            f"under {created.parent}"
        )


@app.command("list")
def list_orgs(as_json: bool = JSON_OPTION) -> None:
    """List every organization, parents before their children."""

    async def work(w: Work) -> list[OrgOut]:
        rows = list((await w.session.scalars(select(Organization))).all())
        by_path = sorted(rows, key=lambda o: o.path)  # a materialised path: depth-first
        handles = {o.id: o.handle for o in rows}
        return [_out(o, handles) for o in by_path]

    orgs = run(work)
    if as_json:
        emit_json([dump(o) for o in orgs])
        return
    rows: list[list[Any]] = [[o.handle, o.name, o.parent, o.status, o.id] for o in orgs]
    table(["handle", "name", "parent", "status", "id"], rows)
