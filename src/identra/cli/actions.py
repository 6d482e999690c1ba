"""``identra actions``: manage actions (service extensions) and event webhooks.

Credentials to an action's endpoint (a basic password, a bearer token, an API key value) are
never taken from the command line, where shell history and ``ps`` would keep them: they are
read from standard input (first line), or prompted for on a terminal. Signing secrets are
printed once, when generated.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import select

from identra.admin import actions as service
from identra.admin import webhooks as webhook_service
from identra.cli import lookup
from identra.cli.runtime import (
    JSON_OPTION,
    ORG_OPTION,
    Work,
    emit_json,
    fail,
    run,
    table,
    validated,
)
from identra.management.schemas.actions import ActionCreate
from identra.management.schemas.webhooks import WebhookCreate
from identra.storage.models import Action, Webhook

app = typer.Typer(
    no_args_is_help=True,
    help="Manage actions: HTTP services Identra calls before a token is issued, before a "
    "password or profile change, before a registration, or as a login option (see "
    "docs/actions.md).",
)
webhook_app = typer.Typer(no_args_is_help=True, help="Manage event webhooks.")
app.add_typer(webhook_app, name="webhook")


class ActionKind(StrEnum):
    preIssueAccessToken = "preIssueAccessToken"
    preUpdatePassword = "preUpdatePassword"
    preUpdateProfile = "preUpdateProfile"
    preRegistration = "preRegistration"
    authentication = "authentication"


class AuthKind(StrEnum):
    none = "none"
    basic = "basic"
    bearer = "bearer"
    api_key = "api_key"


NAME_ARGUMENT = typer.Argument(metavar="NAME", help="the action's name")


def _document(value: str | None, what: str) -> Any:
    """A JSON document given inline, as @FILE, or '-' for standard input; 'none' is null."""
    if value is None or value == "none":
        return None
    try:
        if value == "-":
            text = sys.stdin.read()
        elif value.startswith("@"):
            text = Path(value[1:]).read_text(encoding="utf-8")
        else:
            text = value
        return json.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read the {what}: {exc}")
    except (ValueError, RecursionError):
        fail(f"the {what} is not valid JSON")


def _secret(label: str) -> str:
    if sys.stdin.isatty():
        value: str = typer.prompt(label, hide_input=True)
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        fail(f"{label} is empty (give it on standard input)")
    return value


def _authentication(kind: AuthKind, username: str | None, header: str | None) -> dict[str, Any]:
    if kind is AuthKind.none:
        return {"type": "none"}
    if kind is AuthKind.basic:
        if not username:
            fail("--auth basic needs --auth-username")
        return {"type": "basic", "username": username, "password": _secret("password")}
    if kind is AuthKind.bearer:
        return {"type": "bearer", "token": _secret("bearer token")}
    if not header:
        fail("--auth api_key needs --auth-header")
    return {"type": "api_key", "header": header, "value": _secret("API key value")}


def _row(action: Action) -> dict[str, Any]:
    return {
        "id": action.id,
        "name": action.name,
        "type": action.type,
        "description": action.description,
        "endpoint": action.endpoint,
        "authentication": service.shown_auth(action),
        "timeout_ms": action.timeout_ms,
        "failure_policy": action.failure_policy,
        "rule": action.rule or None,
        "enabled": action.enabled,
        "config": service.public_config(action),
        "signed": action.signing_secret_encrypted is not None,
        "version": action.version,
    }


OPTIONS = {
    "name": "NAME",
    "type": "--type",
    "endpoint": "--endpoint",
    "description": "--description",
    "authentication": "--auth",
    "timeout_ms": "--timeout-ms",
    "rule": "--rule",
    "config": "--config",
}


@app.command("create")
def create(
    name: Annotated[str, NAME_ARGUMENT],
    kind: Annotated[ActionKind, typer.Option("--type", help="the extension point")],
    endpoint: Annotated[str, typer.Option("--endpoint", metavar="URL", help="https URL")],
    description: Annotated[str, typer.Option("--description", metavar="D")] = "",
    auth: Annotated[
        AuthKind, typer.Option("--auth", help="how Identra authenticates to the endpoint")
    ] = AuthKind.none,
    auth_username: Annotated[str | None, typer.Option("--auth-username", metavar="U")] = None,
    auth_header: Annotated[str | None, typer.Option("--auth-header", metavar="H")] = None,
    timeout_ms: Annotated[int, typer.Option("--timeout-ms", metavar="MS")] = 2000,
    fail_open: Annotated[
        bool, typer.Option("--fail-open", help="on a fault, go on as if there were no action")
    ] = False,
    rule: Annotated[
        str | None, typer.Option("--rule", metavar="JSON|@FILE|-", help="when it applies")
    ] = None,
    config: Annotated[str | None, typer.Option("--config", metavar="JSON|@FILE")] = None,
    signed: Annotated[
        bool, typer.Option("--signed", help="sign requests; prints the secret once")
    ] = False,
    disabled: Annotated[bool, typer.Option("--disabled", help="create it switched off")] = False,
    org: str = ORG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Create an action. Credentials are read from standard input (or prompted for)."""
    body = validated(
        ActionCreate,
        OPTIONS,
        name=name,
        type=kind.value,
        endpoint=endpoint,
        description=description,
        authentication=_authentication(auth, auth_username, auth_header),
        timeout_ms=timeout_ms,
        failure_policy="fail_open" if fail_open else "fail_closed",
        rule=_document(rule, "rule"),
        config=_document(config, "config") or {},
        enabled=not disabled,
        signed=signed,
    )

    async def work(w: Work) -> tuple[dict[str, Any], str | None]:
        where = await lookup.org(w.session, org)
        new = service.NewAction(
            name=body.name,
            type=body.type,
            endpoint=body.endpoint,
            description=body.description,
            authentication=body.authentication.model_dump(),
            timeout_ms=body.timeout_ms,
            failure_policy=body.failure_policy,
            rule=body.rule.model_dump() if body.rule is not None else None,
            enabled=body.enabled,
            config=body.config,
            signed=body.signed,
        )
        action, secret = await service.create(w.session, where, new, w.actor, w.services.box)
        return _row(action), secret

    row, secret = run(work)
    if as_json:
        emit_json({**row, "signing_secret": secret})
        return
    typer.echo(f"created {row['type']} action {row['name']} (id {row['id']})")
    if secret:
        typer.echo(f"signing_secret: {secret}")
        typer.echo("Store the signing secret now; it is not shown again.", err=True)


@app.command("list")
def list_actions(
    kind: Annotated[ActionKind | None, typer.Option("--type")] = None,
    org: str = ORG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """List actions in creation order (the order they run in)."""

    async def work(w: Work) -> list[dict[str, Any]]:
        where = await lookup.org(w.session, org)
        query = select(Action).where(Action.org_id == where.id)
        if kind is not None:
            query = query.where(Action.type == kind.value)
        rows = await w.session.scalars(query.order_by(Action.created_at, Action.id))
        return [_row(a) for a in rows]

    rows = run(work)
    if as_json:
        emit_json(rows)
        return
    table(
        ("name", "type", "enabled", "policy", "timeout", "endpoint"),
        [
            (
                r["name"],
                r["type"],
                "yes" if r["enabled"] else "no",
                r["failure_policy"],
                f"{r['timeout_ms']} ms",
                r["endpoint"],
            )
            for r in rows
        ],
    )


@app.command("show")
def show(name: Annotated[str, NAME_ARGUMENT], org: str = ORG_OPTION) -> None:
    """Show one action as JSON (credentials and secrets are never shown)."""

    async def work(w: Work) -> dict[str, Any]:
        where = await lookup.org(w.session, org)
        return _row(await service.by_name(w.session, where, name))

    emit_json(run(work))


@app.command("update")
def update(
    name: Annotated[str, NAME_ARGUMENT],
    endpoint: Annotated[str | None, typer.Option("--endpoint", metavar="URL")] = None,
    enable: Annotated[bool | None, typer.Option("--enable/--disable")] = None,
    fail_open: Annotated[bool | None, typer.Option("--fail-open/--fail-closed")] = None,
    timeout_ms: Annotated[int | None, typer.Option("--timeout-ms", metavar="MS")] = None,
    rule: Annotated[
        str | None, typer.Option("--rule", metavar="JSON|@FILE|-|none", help="none: always")
    ] = None,
    auth: Annotated[AuthKind | None, typer.Option("--auth")] = None,
    auth_username: Annotated[str | None, typer.Option("--auth-username", metavar="U")] = None,
    auth_header: Annotated[str | None, typer.Option("--auth-header", metavar="H")] = None,
    org: str = ORG_OPTION,
) -> None:
    """Change an action; the change applies on every node at once."""
    changes: dict[str, Any] = {}
    if endpoint is not None:
        changes["endpoint"] = endpoint
    if enable is not None:
        changes["enabled"] = enable
    if fail_open is not None:
        changes["failure_policy"] = "fail_open" if fail_open else "fail_closed"
    if timeout_ms is not None:
        changes["timeout_ms"] = timeout_ms
    if rule is not None:
        changes["rule"] = _document(rule, "rule")
    if auth is not None:
        changes["authentication"] = _authentication(auth, auth_username, auth_header)
    if not changes:
        fail("nothing to change")

    async def work(w: Work) -> dict[str, Any]:
        where = await lookup.org(w.session, org)
        action = await service.by_name(w.session, where, name)
        await service.update(w.session, where, action, changes, w.actor, w.services.box)
        return _row(action)

    row = run(work)
    typer.echo(f"updated action {row['name']} (version {row['version']})")


@app.command("rotate-secret")
def rotate_secret(name: Annotated[str, NAME_ARGUMENT], org: str = ORG_OPTION) -> None:
    """Generate a new signing secret (printed once); requests are signed with it at once."""

    async def work(w: Work) -> str:
        where = await lookup.org(w.session, org)
        action = await service.by_name(w.session, where, name)
        return await service.rotate_signing_secret(
            w.session, where, action, w.actor, w.services.box
        )

    typer.echo(f"signing_secret: {run(work)}")
    typer.echo("Store the signing secret now; it is not shown again.", err=True)


@app.command("delete")
def delete(name: Annotated[str, NAME_ARGUMENT], org: str = ORG_OPTION) -> None:
    """Delete an action."""

    async def work(w: Work) -> None:
        where = await lookup.org(w.session, org)
        action = await service.by_name(w.session, where, name)
        await service.delete(w.session, where, action, w.actor)

    run(work)
    typer.echo(f"deleted action {name}")


# ---- webhooks --------------------------------------------------------------------------


@webhook_app.command("create")
def webhook_create(
    url: Annotated[str, typer.Option("--url", metavar="URL", help="https URL")],
    event: Annotated[
        list[str] | None,
        typer.Option("--event", metavar="TYPE", help="event type (repeatable); default: all"),
    ] = None,
    description: Annotated[str, typer.Option("--description", metavar="D")] = "",
    org: str = ORG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a webhook; prints its signing secret once."""
    body = validated(
        WebhookCreate,
        {"url": "--url", "events": "--event", "description": "--description"},
        url=url,
        events=event or ["*"],
        description=description,
    )

    async def work(w: Work) -> tuple[Webhook, str]:
        where = await lookup.org(w.session, org)
        return await webhook_service.create(
            w.session,
            where,
            webhook_service.NewWebhook(**body.model_dump()),
            w.actor,
            w.services.box,
        )

    hook, secret = run(work)
    if as_json:
        emit_json({"id": hook.id, "url": hook.url, "events": hook.events, "secret": secret})
        return
    typer.echo(f"created webhook {hook.id} for {', '.join(hook.events)}")
    typer.echo(f"secret: {secret}")
    typer.echo("Store the secret now; it is not shown again.", err=True)


@webhook_app.command("list")
def webhook_list(org: str = ORG_OPTION, as_json: bool = JSON_OPTION) -> None:
    """List webhooks."""

    async def work(w: Work) -> list[dict[str, Any]]:
        where = await lookup.org(w.session, org)
        rows = await w.session.scalars(
            select(Webhook).where(Webhook.org_id == where.id).order_by(Webhook.created_at)
        )
        return [{"id": r.id, "url": r.url, "events": r.events, "enabled": r.enabled} for r in rows]

    rows = run(work)
    if as_json:
        emit_json(rows)
        return
    table(
        ("id", "enabled", "events", "url"),
        [(r["id"], "yes" if r["enabled"] else "no", ",".join(r["events"]), r["url"]) for r in rows],
    )


@webhook_app.command("delete")
def webhook_delete(
    webhook_id: Annotated[str, typer.Argument(metavar="ID")], org: str = ORG_OPTION
) -> None:
    """Delete a webhook and its undelivered messages."""

    async def work(w: Work) -> None:
        where = await lookup.org(w.session, org)
        hook = await webhook_service.get(w.session, where, webhook_id)
        await webhook_service.delete(w.session, where, hook, w.actor)

    run(work)
    typer.echo(f"deleted webhook {webhook_id}")
