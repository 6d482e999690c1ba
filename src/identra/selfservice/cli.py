"""``identra self-service``: show and change an organization's self-service settings
(registration, recovery, password policy), kept in ``organizations.settings["self_service"]``.

Registered in ``identra.cli.main`` as ``app.add_typer(selfservice_cli.app, name="self-service")``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from identra.cli import lookup
from identra.cli.runtime import JSON_OPTION, Work, emit_json, run
from identra.selfservice import settings as ss_settings

app = typer.Typer(no_args_is_help=True, help="Self-registration, recovery and password policy.")


def _print(values: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(values)
        return
    policy = values["password_policy"]
    typer.echo(f"registration     {'on' if values['registration'] else 'off'}")
    typer.echo(f"recovery         {'on' if values['recovery'] else 'off'}")
    typer.echo(f"min length       {policy['min_length']}")
    typer.echo(f"history          {policy['history']}")
    typer.echo(f"common passwords {'refused' if policy['block_common'] else 'allowed'}")


@app.command("show")
def show(
    org: Annotated[str, typer.Argument(metavar="ORG", help="organization handle")],
    as_json: bool = JSON_OPTION,
) -> None:
    """Show the organization's self-service settings."""

    async def work(w: Work) -> dict[str, Any]:
        found = await lookup.org(w.session, org)
        return ss_settings.read(found).model_dump()

    _print(run(work), as_json)


@app.command("set")
def set_settings(
    org: Annotated[str, typer.Argument(metavar="ORG", help="organization handle")],
    registration: Annotated[
        bool | None,
        typer.Option("--registration/--no-registration", help="open /register to anyone"),
    ] = None,
    recovery: Annotated[
        bool | None,
        typer.Option("--recovery/--no-recovery", help="password reset by email at /recover"),
    ] = None,
    min_length: Annotated[
        int | None, typer.Option("--min-length", metavar="N", help="8 to 128 characters")
    ] = None,
    history: Annotated[
        int | None,
        typer.Option("--history", metavar="N", help="refuse the last N passwords (0 to 24)"),
    ] = None,
    block_common: Annotated[
        bool | None,
        typer.Option("--block-common/--allow-common", help="refuse common breached passwords"),
    ] = None,
    as_json: bool = JSON_OPTION,
) -> None:
    """Change some of the organization's self-service settings (audited)."""
    changes: dict[str, Any] = {}
    if registration is not None:
        changes["registration"] = registration
    if recovery is not None:
        changes["recovery"] = recovery
    policy = {
        name: value
        for name, value in (
            ("min_length", min_length),
            ("history", history),
            ("block_common", block_common),
        )
        if value is not None
    }
    if policy:
        changes["password_policy"] = policy

    async def work(w: Work) -> dict[str, Any]:
        found = await lookup.org(w.session, org)
        if not changes:
            return ss_settings.read(found).model_dump()
        return (await ss_settings.write(w.session, found, changes, w.actor)).model_dump()

    _print(run(work), as_json)
