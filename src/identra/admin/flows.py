"""Login flows of an organization: its default and per-application flows, as revisions.

Applying a flow validates it completely (shape, graph, and against the authenticators this
server offers, the organization's enabled identity providers (``idp:<name>``) and its enabled
authentication actions (``action:<name>``)) and stores a new revision; earlier
revisions stay for the record and for logins in progress that pinned them. Removing an
application's flow makes it use the organization default again; removing the default makes the
organization use the built-in password flow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from identra.actions.model import AUTHENTICATION
from identra.errors import InvalidInput, NotFound
from identra.flows.builtin import BUILTIN_REF, builtin
from identra.flows.document import FlowDocument, FlowInvalid, dump, parse
from identra.observability import audit
from identra.storage.models import Action, Application, Flow, IdentityProvider, Organization
from identra.storage.repositories.flows import active_row

DEFAULT_SLOT = "org-default"
ACTION_PREFIX = "action:"


class FlowRejected(InvalidInput):
    """The flow is not valid; ``problems`` lists every ``(path, message)``."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        detail = "; ".join(f"{p}: {m}" if p else m for p, m in problems)
        super().__init__(f"the flow is not valid: {detail}", problems[0][0] if problems else None)


@dataclass(frozen=True)
class OptionCatalog:
    """The options a flow may name: the server's authenticators (by option name or prefix,
    with whether each can identify a user), the organization's enabled identity providers
    (``idp:<name>``) and its enabled authentication actions (``action:<name>``)."""

    authenticators: dict[str, bool]  # name or "prefix:" -> first factor
    idps: frozenset[str]
    # action name -> first factor (a ``config.mode: second_factor`` action is not one)
    actions: Mapping[str, bool] = field(default_factory=dict)

    def _lookup(self, option: str) -> bool | None:
        if option in self.authenticators:
            return self.authenticators[option]
        head, sep, rest = option.partition(":")
        if sep and f"{head}:" in self.authenticators:
            if head == "idp" and rest not in self.idps:
                return None
            if head == "action":
                return self.actions.get(rest)
            return self.authenticators[f"{head}:"]
        return None

    def unknown(self, option: str) -> str | None:
        """Why ``option`` is refused, where a more precise message than the parser's helps."""
        if option.startswith(ACTION_PREFIX) and "action:" in self.authenticators:
            return f"no active authentication action named {option[len(ACTION_PREFIX) :]!r}"
        return None

    def known(self, option: str) -> bool:
        return self._lookup(option) is not None

    def first_factor(self, option: str) -> bool:
        return bool(self._lookup(option))


@dataclass(frozen=True)
class FlowRecord:
    org: str
    client_id: str | None  # None: the organization default
    ref: str
    revision: int
    document: FlowDocument
    inherited: bool  # the application has no flow of its own: this is the default's


async def catalog(
    session: AsyncSession, org: Organization, authenticators: dict[str, bool]
) -> OptionCatalog:
    names = await session.scalars(
        select(IdentityProvider.name).where(
            IdentityProvider.org_id == org.id, IdentityProvider.enabled.is_(True)
        )
    )
    actions = {a.name: action_first_factor(a) for a in await authentication_actions(session, org)}
    return OptionCatalog(authenticators, frozenset(names), actions)


def action_first_factor(action: Action) -> bool:
    """Can the authentication action identify a user on its own (not ``second_factor``)?"""
    return (action.config or {}).get("mode") != "second_factor"


async def authentication_actions(session: AsyncSession, org: Organization) -> list[Action]:
    """The organization's enabled authentication actions (``action:<name>``), by name."""
    rows = await session.scalars(
        select(Action)
        .where(Action.org_id == org.id, Action.type == AUTHENTICATION, Action.enabled.is_(True))
        .order_by(Action.name)
    )
    return list(rows)


def _explained(problems: list[tuple[str, str]], options: OptionCatalog) -> list[tuple[str, str]]:
    """The parser's problems, with a precise message for an unknown ``action:<name>``."""
    out = []
    for path, message in problems:
        prefix = "no enabled authenticator offers "
        if message.startswith(prefix):
            option = message[len(prefix) :].strip("'\"")
            message = options.unknown(option) or message
        out.append((path, message))
    return out


def check(raw: Any, options: OptionCatalog | None) -> FlowDocument:
    try:
        if options is None:
            return parse(raw)
        return parse(raw, known_option=options.known, first_factor=options.first_factor)
    except FlowInvalid as invalid:
        problems = invalid.problems if options is None else _explained(invalid.problems, options)
        raise FlowRejected(problems) from invalid


async def _application(session: AsyncSession, org: Organization, client_id: str) -> Application:
    found = await session.scalar(
        select(Application).where(Application.org_id == org.id, Application.client_id == client_id)
    )
    if found is None:
        raise NotFound("application")
    return found


async def current(session: AsyncSession, org: Organization, client_id: str | None) -> FlowRecord:
    row = None
    inherited = False
    if client_id is not None:
        application = await _application(session, org, client_id)
        row = await active_row(session, org.id, application.id)
    if row is None:
        inherited = client_id is not None
        row = await active_row(session, org.id, None)
    if row is None:
        flow = builtin()
        return FlowRecord(org.handle, client_id, BUILTIN_REF, 0, flow.document, True)
    return FlowRecord(org.handle, client_id, row.id, row.revision, parse(row.definition), inherited)


async def apply(
    session: AsyncSession,
    org: Organization,
    client_id: str | None,
    raw: Any,
    options: OptionCatalog,
    actor: audit.Actor,
) -> FlowRecord:
    document = check(raw, options)
    application = await _application(session, org, client_id) if client_id else None
    slot = application.id if application is not None else DEFAULT_SLOT
    last = await session.scalar(
        select(func.max(Flow.revision)).where(Flow.org_id == org.id, Flow.name == slot)
    )
    await session.execute(
        update(Flow).where(Flow.org_id == org.id, Flow.name == slot).values(active=False)
    )
    row = Flow(
        org_id=org.id,
        name=slot,
        revision=(last or 0) + 1,
        active=True,
        definition=dump(document),
        created_by=actor.id,
        application_id=application.id if application is not None else None,
    )
    session.add(row)
    await session.flush()
    audit.record(
        session,
        org_id=org.id,
        action="flow.apply",
        actor=actor,
        target_type="flow",
        target_id=row.id,
        details={"client_id": client_id, "revision": row.revision, "name": document.name},
    )
    return FlowRecord(org.handle, client_id, row.id, row.revision, document, False)


async def remove(
    session: AsyncSession, org: Organization, client_id: str | None, actor: audit.Actor
) -> int:
    """Deactivate the slot's flow; the number of revisions deactivated (0: nothing to do)."""
    application = await _application(session, org, client_id) if client_id else None
    slot = application.id if application is not None else DEFAULT_SLOT
    # Through the ORM (not a bulk UPDATE) so that the change is published to every node.
    rows = (
        await session.scalars(
            select(Flow).where(Flow.org_id == org.id, Flow.name == slot, Flow.active.is_(True))
        )
    ).all()
    for row in rows:
        row.active = False
    count = len(rows)
    if count:
        audit.record(
            session,
            org_id=org.id,
            action="flow.remove",
            actor=actor,
            target_type="flow",
            target_id=slot,
            details={"client_id": client_id},
        )
    return count


async def history(
    session: AsyncSession, org: Organization, client_id: str | None
) -> list[dict[str, Any]]:
    application = await _application(session, org, client_id) if client_id else None
    slot = application.id if application is not None else DEFAULT_SLOT
    rows = await session.scalars(
        select(Flow).where(Flow.org_id == org.id, Flow.name == slot).order_by(Flow.revision.desc())
    )
    return [
        {
            "ref": r.id,
            "revision": r.revision,
            "active": r.active,
            "name": (r.definition or {}).get("name"),
            "created_by": r.created_by,
            "created_at": r.created_at.isoformat() if r.created_at else None,
        }
        for r in rows
    ]
