"""What every administration command shares: settings, a prepared database, errors, output.

A command builds the same services the server builds, migrates and bootstraps the database
when it is new (so ``identra apps create`` works before the server ever ran), runs its work in
one transaction, and prints only after that transaction committed.

Exit codes: 0 success; 1 a domain or runtime error (one line on stderr, no traceback); 2 a usage
or configuration error.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError

from identra.errors import Conflict, IdentraError, InvalidInput, NotFound, PreconditionFailed
from identra.observability.audit import Actor
from identra.settings import Settings, load_settings, unknown_env_vars

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

JSON_OPTION = typer.Option(False, "--json", help="machine-readable output on stdout")
ORG_OPTION = typer.Option("root", "--org", metavar="HANDLE", help="organization handle")


class CliError(Exception):
    """A domain error found by the command itself; printed as one line, exit status 1."""


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    unknown = unknown_env_vars()
    if unknown:
        typer.echo(f"error: unknown settings: {', '.join(unknown)}", err=True)
        raise typer.Exit(2)
    try:
        return load_settings()
    except ValidationError as exc:
        typer.echo("error: invalid configuration:", err=True)
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            typer.echo(f"  IDENTRA_{loc.upper()}: {err['msg']}", err=True)
        raise typer.Exit(2) from exc


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers) and no LOGNAME/USER
        return f"uid:{os.getuid()}"


def cli_actor() -> Actor:
    """Who the audit log names for a change made from the command line."""
    return Actor("cli", os_user())


@dataclass(frozen=True)
class Work:
    """What a command's work receives: the node services, one open transaction, the actor."""

    services: Any  # identra.services.Services (imported lazily: it pulls in the engines)
    session: Any  # sqlalchemy AsyncSession, committed when the work returns
    actor: Actor


def validated(model: type[M], options: dict[str, str], **values: Any) -> M:
    """Check command input with the management API's own request model.

    The same rules apply whichever door a change comes through; a failure is a domain error
    (exit 1) naming the option (``options`` maps field names to option names). The offending
    value is never echoed: it may be a password.
    """
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first["loc"] if not isinstance(p, int)]
        where = options.get(loc[0], ".".join(loc)) if loc else "input"
        fail(f"invalid {where}: {_plain(first['msg'])}")


def _plain(msg: str) -> str:
    # "Value error, x is not valid" -> "x is not valid"
    return msg.split(", ", 1)[1] if msg.startswith("Value error, ") else msg


def _domain_message(exc: IdentraError) -> str:
    if isinstance(exc, NotFound):
        what = str(exc) or "resource"
        return what if " " in what else f"{what} not found"
    if isinstance(exc, InvalidInput):
        return exc.detail
    return str(exc) or exc.__class__.__name__


async def prepare(services: Any) -> None:
    """The server's database preparation without a node's background jobs: migrate, bootstrap
    (a generated administrator password is printed once, on stderr), make sure keys exist."""
    from identra.bootstrap import prepare as prepare_database

    await prepare_database(services)


SETTLE_SECONDS = 5.0


async def _settle() -> None:
    """Let work spawned after a commit finish (configuration-change notices to the nodes)."""
    current = asyncio.current_task()
    pending = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    if pending:
        await asyncio.wait(pending, timeout=SETTLE_SECONDS)


async def _execute(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    from identra.services import build_services

    services = build_services(settings)
    try:
        await prepare(services)
        result = await work(services)
        await _settle()
        return result
    finally:
        await services.close()


def run_services(work: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``work(services)`` against the configured, prepared database; map errors to exits."""
    from cryptography.exceptions import InvalidTag
    from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

    from identra.crypto.secretbox import MasterKeyError

    settings = settings_or_exit()
    try:
        return asyncio.run(_execute(settings, work))
    except CliError as exc:
        fail(str(exc))
    except (NotFound, Conflict, InvalidInput, PreconditionFailed) as exc:
        fail(_domain_message(exc))
    except MasterKeyError as exc:
        fail(f"master key: {exc}", 2)
    except InvalidTag:
        fail(
            "the master key does not decrypt this database's secrets (wrong IDENTRA_MASTER_KEY?)", 2
        )
    except (OperationalError, ProgrammingError) as exc:
        first = str(exc.orig or exc).strip().splitlines()[0]
        hint = "" if settings.migrate_on_start else " (run `identra migrate`?)"
        fail(f"database error: {first}{hint}")
    except DBAPIError as exc:
        first = str(exc.orig or exc).strip().splitlines()[0]
        fail(f"database error: {first}")
    except OSError as exc:  # asyncpg/redis connection refused, unreadable data dir...
        fail(f"cannot reach a required service: {exc}")


def run(work: Callable[[Work], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction; it commits when the work returns and rolls back if not."""

    async def in_transaction(services: Any) -> T:
        async with services.sessions.begin() as session:
            return await work(Work(services, session, cli_actor()))

    return run_services(in_transaction)


# ---- output -------------------------------------------------------------------------------


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Aligned columns; an empty cell is shown as ``-``."""
    cells = [[("-" if v is None or v == "" else str(v)) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(value))
    typer.echo("  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in cells:
        typer.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
