"""``identra``: serve, migrate, check, and administration commands for scripts."""

from __future__ import annotations

import json
import os
import sys

import typer

from identra.cli import actions, apps, flows, keys, orgs, users
from identra.cli.runtime import settings_or_exit
from identra.selfservice import cli as selfservice_cli

__all__ = ["app", "main", "settings_or_exit"]

app = typer.Typer(
    no_args_is_help=True,
    # A traceback must never print local variables: they may hold passwords and secrets.
    pretty_exceptions_show_locals=False,
    help="Identra identity server. Administration commands work directly on the configured "
    "database (the same IDENTRA_* settings as the server) and prepare it when it is new.",
)
app.add_typer(users.app, name="users")
app.add_typer(apps.app, name="apps")
app.add_typer(orgs.app, name="orgs")
app.add_typer(keys.app, name="keys")
app.add_typer(flows.app, name="flows")
app.add_typer(actions.app, name="actions")
app.add_typer(selfservice_cli.app, name="self-service")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port to listen on"),
    workers: int = typer.Option(1, min=1, help="worker processes"),
) -> None:
    """Run the server (migrates and bootstraps on first start)."""
    import uvicorn

    from identra.observability.logging import configure

    settings = settings_or_exit()
    configure(settings.log_level, settings.log_json)
    if workers > 1:
        # Prepare the database once here, so that the workers (each builds its own app) find
        # it migrated and bootstrapped, and the generated admin password is printed once.
        from identra.cli.runtime import run_services

        async def nothing_more(_services: object) -> None:
            return None

        run_services(nothing_more)
        os.environ.setdefault("IDENTRA_DATA_DIR", str(settings.data_dir))
        uvicorn.run(
            "identra.asgi:app",
            host=host,
            port=port,
            workers=workers,
            # A worker imports and builds the whole app before it can answer the supervisor's
            # ping; on a busy small machine that takes longer than uvicorn's 5 s default.
            timeout_worker_healthcheck=60,
            log_config=None,
            proxy_headers=True,
            server_header=False,
        )
        return
    from identra.app import create_app

    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_config=None,
        proxy_headers=True,
        server_header=False,
    )


@app.command()
def migrate() -> None:
    """Apply database migrations up to the newest revision."""
    from identra.storage.migrate import upgrade

    settings = settings_or_exit()
    upgrade(settings.effective_database_url)
    typer.echo("database is up to date")


@app.command()
def check(as_json: bool = typer.Option(False, "--json", help="machine-readable output")) -> None:
    """Validate the configuration and print the effective settings, secrets masked."""
    settings = settings_or_exit()
    data = json.loads(settings.model_dump_json())
    data["database_url"] = _mask_url(settings.effective_database_url)
    if settings.redis_url:
        data["redis_url"] = _mask_url(settings.redis_url)
    data["master_key"] = (
        "set" if settings.master_key else f"file {settings.data_dir / 'master.key'}"
    )
    data["bootstrap_admin_password"] = "set" if settings.bootstrap_admin_password else "generated"
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str))
        return
    for key, value in data.items():
        typer.echo(f"{key} = {value}")


def _mask_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not an SQLAlchemy URL (redis): mask anything between : and @
        if "@" in url and "://" in url:
            scheme, rest = url.split("://", 1)
            creds, host = rest.rsplit("@", 1)
            return f"{scheme}://{creds.split(':')[0]}:***@{host}"
        return url


def main() -> None:  # pragma: no cover - console entry point alias
    app(prog_name="identra")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
