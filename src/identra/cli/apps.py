"""``identra apps``: create, list and delete applications (OAuth clients)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer
from sqlalchemy import select

from identra.admin import apps as service
from identra.cli import lookup
from identra.cli.runtime import (
    JSON_OPTION,
    ORG_OPTION,
    Work,
    dump,
    emit_json,
    run,
    table,
    validated,
)
from identra.management.schemas.apps import AppCreate, AppCreated, AppOut
from identra.storage.models import Application

app = typer.Typer(no_args_is_help=True, help="Manage applications (OAuth clients).")


class AppType(StrEnum):
    web = "web"
    spa = "spa"
    native = "native"
    m2m = "m2m"


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", metavar="N", help="unique in the organization")],
    app_type: Annotated[
        AppType,
        typer.Option(
            "--type",
            case_sensitive=False,
            help="web (confidential, code flow), spa and native (public, PKCE), "
            "m2m (client credentials)",
        ),
    ],
    redirect_uri: Annotated[
        list[str] | None,
        typer.Option("--redirect-uri", metavar="U", help="redirect URI (repeatable)"),
    ] = None,
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            metavar="S",
            help="allowed scope (repeatable); management permissions such as users:read "
            "let an m2m app call the management API",
        ),
    ] = None,
    audience: Annotated[
        list[str] | None,
        typer.Option("--audience", metavar="A", help="access-token audience (repeatable)"),
    ] = None,
    description: Annotated[str, typer.Option("--description", metavar="D")] = "",
    org: str = ORG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Create an application; prints its client_id and, once, its client_secret."""
    body = validated(
        AppCreate,
        {
            "name": "--name",
            "type": "--type",
            "redirect_uris": "--redirect-uri",
            "scopes": "--scope",
            "audiences": "--audience",
            "description": "--description",
        },
        name=name,
        type=app_type.value,
        description=description,
        redirect_uris=redirect_uri or [],
        scopes=scope or [],
        audiences=audience or [],
    )

    async def work(w: Work) -> AppCreated:
        where = await lookup.org(w.session, org)
        created, secret = await service.create(
            w.session, where, body.to_new_app(), w.actor, w.services.box
        )
        return AppCreated(**AppOut.model_validate(created).model_dump(), client_secret=secret)

    created = run(work)
    if as_json:
        emit_json(dump(created))
        return
    typer.echo(f"created {created.type} application {created.name} (id {created.id})")
    typer.echo(f"client_id:     {created.client_id}")
    if created.client_secret:
        typer.echo(f"client_secret: {created.client_secret}")
        typer.echo("Store the client secret now; it is not shown again.", err=True)
    else:
        typer.echo("client_secret: (none: public client, uses PKCE)")


@app.command("list")
def list_apps(org: str = ORG_OPTION, as_json: bool = JSON_OPTION) -> None:
    """List applications in creation order (client secrets are never shown)."""

    async def work(w: Work) -> list[AppOut]:
        where = await lookup.org(w.session, org)
        rows = (
            await w.session.scalars(
                select(Application)
                .where(Application.org_id == where.id)
                .order_by(Application.created_at, Application.id)
            )
        ).all()
        return [AppOut.model_validate(a) for a in rows]

    apps = run(work)
    if as_json:
        emit_json([dump(a) for a in apps])
        return
    rows: list[list[Any]] = [
        [a.name, a.type, a.client_id, a.id, " ".join(a.scopes), "yes" if a.enabled else "no"]
        for a in apps
    ]
    table(["name", "type", "client_id", "id", "scopes", "enabled"], rows)


@app.command("delete")
def delete(
    target: Annotated[str, typer.Argument(metavar="NAME_OR_ID", help="name, id or client_id")],
    org: str = ORG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Delete an application; its client_id stops working at once."""

    async def work(w: Work) -> dict[str, Any]:
        where = await lookup.org(w.session, org)
        found = await lookup.app(w.session, where, target)
        result = {"id": found.id, "name": found.name, "client_id": found.client_id}
        await service.delete(w.session, where, found, w.actor)
        return {**result, "deleted": True}

    result = run(work)
    if as_json:
        emit_json(result)
    else:
        typer.echo(f"deleted application {result['name']} (id {result['id']})")
