"""``identra users``: create, list and delete users of an organization."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from sqlalchemy import select

from identra.admin import users as service
from identra.cli import lookup, users_import
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
from identra.management.schemas.users import UserCreate, UserOut
from identra.storage.models import User

app = typer.Typer(no_args_is_help=True, help="Manage users.")
app.command("import")(users_import.import_users)
app.command("export")(users_import.export_users)


def _out(user: User, store: str) -> UserOut:
    fields = {name: getattr(user, name) for name in UserOut.model_fields if hasattr(user, name)}
    return UserOut.model_validate(
        {**fields, "user_store": store, "has_password": user.password_hash is not None}
    )


def _read_password_stdin() -> str:
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise typer.BadParameter("no password on standard input", param_hint="--password-stdin")
    return password


@app.command("create")
def create(
    username: Annotated[
        str, typer.Argument(metavar="USERNAME", help="login name, unique in the organization")
    ],
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            metavar="P",
            help="initial password (visible to other local users in the process list: "
            "prefer --password-stdin)",
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
    email: Annotated[
        list[str] | None,
        typer.Option("--email", metavar="E", help="email address (repeatable; first is primary)"),
    ] = None,
    phone: Annotated[
        list[str] | None,
        typer.Option(
            "--phone", metavar="+E164", help="phone number (repeatable; first is primary)"
        ),
    ] = None,
    display_name: Annotated[str | None, typer.Option("--display-name", metavar="N")] = None,
    user_store: Annotated[
        str, typer.Option("--user-store", metavar="STORE", help="user store identifier")
    ] = "PRIMARY",
    org: str = ORG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a user. The password is never echoed or logged."""
    if password is not None and password_stdin:
        raise typer.BadParameter("use either --password or --password-stdin, not both")
    if password_stdin:
        password = _read_password_stdin()
    body = validated(
        UserCreate,
        {
            "username": "USERNAME",
            "password": "password",
            "emails": "--email",
            "phone_numbers": "--phone",
            "display_name": "--display-name",
            "user_store": "--user-store",
        },
        username=username,
        password=password,
        user_store=user_store,
        display_name=display_name,
        emails=[{"value": e, "primary": i == 0} for i, e in enumerate(email or [])],
        phone_numbers=[{"value": p, "primary": i == 0} for i, p in enumerate(phone or [])],
    )

    async def work(w: Work) -> UserOut:
        where = await lookup.org(w.session, org)
        data = body.model_dump()
        data["emails"] = [service.ContactPoint(**e) for e in data["emails"]]
        data["phone_numbers"] = [service.ContactPoint(**p) for p in data["phone_numbers"]]
        user, store = await service.create(
            w.session, where, service.NewUser(**data), w.actor, w.services.clock
        )
        return _out(user, store)

    created = run(work)
    if as_json:
        emit_json(dump(created))
    else:
        typer.echo(f"created user {created.username} (id {created.id}) in organization {org}")


@app.command("list")
def list_users(
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000, metavar="N")] = 100,
    username: Annotated[
        str | None, typer.Option("--username", metavar="U", help="only this username")
    ] = None,
    org: str = ORG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """List users in creation order."""

    async def work(w: Work) -> list[UserOut]:
        where = await lookup.org(w.session, org)
        query = select(User).where(User.org_id == where.id)
        if username is not None:
            query = query.where(User.username_normalized == username.lower())
        query = query.order_by(User.created_at, User.id).limit(limit)
        rows = (await w.session.scalars(query)).all()
        names = await service.store_names(w.session, where)
        return [_out(u, names.get(u.user_store_id, "")) for u in rows]

    users = run(work)
    if as_json:
        emit_json([dump(u) for u in users])
        return
    rows: list[list[Any]] = [
        [
            u.username,
            u.id,
            u.status,
            u.user_store,
            next((e.value for e in u.emails if e.primary), u.emails[0].value if u.emails else ""),
            u.display_name,
        ]
        for u in users
    ]
    table(["username", "id", "status", "store", "email", "display name"], rows)


@app.command("delete")
def delete(
    user: Annotated[str, typer.Argument(metavar="USERNAME_OR_ID")],
    org: str = ORG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Delete a user."""

    async def work(w: Work) -> dict[str, Any]:
        where = await lookup.org(w.session, org)
        found = await lookup.user(w.session, where, user)
        result = {"id": found.id, "username": found.username, "deleted": True}
        await service.delete(w.session, where, found, w.actor)
        return result

    result = run(work)
    if as_json:
        emit_json(result)
    else:
        typer.echo(f"deleted user {result['username']} (id {result['id']})")
