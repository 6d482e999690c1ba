"""``identra flows generate "TEXT"``: a plain-language description becomes a flow, locally.

Registered by ``identra.cli.flows`` as ``app.command("generate")(generate)``. The text form goes
to standard output (so ``identra flows generate "..." > f.flow`` then ``identra flows apply
f.flow`` works); the explanation, the assumptions, the other readings and the diff against the
application's current flow go to standard error. Questions, when the description cannot be
compiled as it stands, go to standard error with exit status 1. ``--json`` prints everything as
one JSON object on standard output (exit status 1 still marks questions).
"""

from __future__ import annotations

import textwrap
from typing import Annotated, Any

import typer

from identra.cli import lookup
from identra.cli.runtime import JSON_OPTION, ORG_OPTION, Work, emit_json, run

DESCRIPTION_ARGUMENT = typer.Argument(
    metavar="TEXT", help='what the flow should do, e.g. "password, then SMS for managers"'
)
APP_OPTION = typer.Option(
    None, "--app", metavar="CLIENT_ID", help="compare with this application's flow (default: org)"
)
ALTERNATIVE_OPTION = typer.Option(
    0, "--alternative", min=0, max=20, metavar="N", help="the N-th other reading (regenerate)"
)
ENGINE_OPTION = typer.Option(
    "auto",
    "--engine",
    metavar="auto|rules|llm",
    help="rules only, the LLM back end only, or rules with the LLM for unreadable wording",
)


def generate(
    description: Annotated[str, DESCRIPTION_ARGUMENT],
    org: str = ORG_OPTION,
    client_id: str | None = APP_OPTION,
    as_json: bool = JSON_OPTION,
    alternative: int = ALTERNATIVE_OPTION,
    engine: str = ENGINE_OPTION,
) -> None:
    """Compile a plain-language description into a flow (offline; nothing is stored)."""
    from identra.flowai import service

    async def work(w: Work) -> dict[str, Any]:
        where = await lookup.org(w.session, org)
        return await service.generate(
            w.session, w.services, where, client_id, description, alternative, engine
        )

    out = run(work)
    if as_json:
        emit_json(out)
        if out["status"] != "flow":
            raise typer.Exit(1)
        return
    if out["status"] != "flow":
        for question in out["questions"]:
            typer.echo(_wrap(f"question: {question['text']}"), err=True)
        for note in out["notes"]:
            typer.echo(_wrap(f"note: {note}"), err=True)
        raise typer.Exit(1)
    typer.echo(out["text"], nl=False)
    typer.echo("", err=True)
    typer.echo(_wrap(out["explanation"]), err=True)
    for assumption in out["assumptions"]:
        typer.echo(_wrap(f"assumed: {assumption}"), err=True)
    for note in out["notes"]:
        typer.echo(_wrap(f"note: {note}"), err=True)
    count = out["alternatives"]
    if count > 1:
        nxt = (alternative + 1) % count
        typer.echo(
            f"reading {alternative + 1} of {count}; --alternative {nxt} shows "
            f"{'another' if nxt else 'the first'}",
            err=True,
        )
    typer.echo(out["diff"] or "(the same as the current flow)\n", err=True, nl=False)


def _wrap(text: str) -> str:
    return textwrap.fill(text, width=100, subsequent_indent="  ")
