"""Wiring: the objects behind the interactive OAuth/OIDC endpoints and the hosted pages,
built once per application from its services and kept on ``app.state``."""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from identra.authenticators.password.authenticator import PasswordAuthenticator, Verified
from identra.authenticators.password.plugin import PasswordOption
from identra.authenticators.registry import Authenticators
from identra.flows.engine import FlowRunner
from identra.flows.ports import ActiveSession
from identra.protocols.interaction import InteractionStore
from identra.protocols.oauth2.endpoints.authorize import (
    AuthorizationEndpoint,
    AuthorizeServices,
    PushedRequests,
)
from identra.protocols.oauth2.extras import TokenExtras
from identra.protocols.oauth2.inspection import TokenInspector
from identra.protocols.oidc.backchannel import BackchannelNotifier
from identra.protocols.oidc.codes import CodeStore
from identra.protocols.oidc.end_session import (
    EndSessionEndpoint,
    EndSessionServices,
    SessionTerminator,
)
from identra.protocols.oidc.id_token import IssuedTokenVerifier
from identra.protocols.oidc.session import SessionManager, SsoSession
from identra.services import Services
from identra.storage.models import Organization
from identra.storage.repositories import orgs
from identra.storage.repositories.client_settings import SqlClientSettingsStore
from identra.storage.repositories.consents import SqlConsentStore
from identra.storage.repositories.flow_directory import SqlFlowDirectory, SqlStepAudit
from identra.storage.repositories.flows import SqlFlowSource
from identra.storage.repositories.grants import SqlGrantStore
from identra.storage.repositories.issued_tokens import SqlIssuedTokens
from identra.storage.repositories.sessions import SqlSessionRecords
from identra.storage.repositories.user_claims import SqlUserDirectory
from identra.storage.repositories.users_auth import SqlPasswordUserStore
from identra.web.login.cookies import CookiePolicy

EXTRAS_MODULE = "identra.web.oauth_extras"


def extras_module() -> Any | None:
    """``identra.web.oauth_extras`` when that feature module is installed."""
    if importlib.util.find_spec(EXTRAS_MODULE) is None:
        return None
    return importlib.import_module(EXTRAS_MODULE)


class PasswordGrantCheck:
    """The password grant's view of the login page's password check (same lockout, limits)."""

    def __init__(self, authenticator: PasswordAuthenticator) -> None:
        self._authenticator = authenticator

    async def verify(
        self, org_id: str, username: str, password: str, client_ip: str | None
    ) -> str | None:
        outcome = await self._authenticator.verify(org_id, username, password, client_ip)
        return outcome.user_id if isinstance(outcome, Verified) else None


@dataclass
class InteractiveRuntime:
    services: Services
    cookies: CookiePolicy
    client_settings: SqlClientSettingsStore
    users: SqlUserDirectory
    consents: SqlConsentStore
    grants: SqlGrantStore
    sessions: SessionManager
    interactions: InteractionStore
    codes: CodeStore
    flow: FlowRunner
    flow_source: SqlFlowSource
    authenticators: Authenticators
    verifier: IssuedTokenVerifier
    inspector: TokenInspector
    token_extras: TokenExtras | None
    terminator: SessionTerminator
    authorize: AuthorizationEndpoint
    end_session: EndSessionEndpoint
    passwords: PasswordGrantCheck


def build(services: Services, clients: Any) -> InteractiveRuntime:
    settings = services.settings
    now = services.clock.timestamp
    cache = services.cache
    client_settings = SqlClientSettingsStore(services.sessions)
    services.events.on("client", client_settings.invalidate)
    users = SqlUserDirectory(services.sessions)
    consents = SqlConsentStore(services.sessions)
    grants = SqlGrantStore(services.sessions)
    sessions = SessionManager(cache, SqlSessionRecords(services.sessions), services.box.digest)
    interactions = InteractionStore(cache)
    codes = CodeStore(cache, services.box.digest)
    users_auth = SqlPasswordUserStore(services.sessions, services.box, services.clock)
    authenticators = Authenticators.for_services(services)
    password = authenticators.find("password")
    assert isinstance(password, PasswordOption)
    verifier = IssuedTokenVerifier(services.keyring)
    terminator = SessionTerminator(
        sessions, grants, client_settings, BackchannelNotifier(), services.keyring.signer, now
    )
    flow_source = SqlFlowSource(services.sessions)
    services.events.on("flow", flow_source.invalidate)  # a flow applied on any node
    flow = FlowRunner(
        cache,
        now,
        flow_source,
        authenticators,
        SqlFlowDirectory(services.sessions, users_auth),
        SessionControl(services, sessions, terminator),
        SqlStepAudit(services.sessions),
    )
    issued = SqlIssuedTokens(services.sessions)
    inspector = TokenInspector(services.keyring, issued, issued, cache, services.box)
    # The extras feature module (identra.web.oauth_extras) contributes what it owns.
    extras = extras_module()
    make_extras = getattr(extras, "token_extras", None) if extras is not None else None
    token_extras: TokenExtras | None = make_extras(services) if make_extras else None
    make_pushed = getattr(extras, "pushed_requests", None) if extras is not None else None
    pushed: PushedRequests | None = None
    if make_pushed is not None:
        pushed = make_pushed(services)
    elif token_extras is not None:
        pushed = token_extras.pushed_requests

    async def ended(session: SsoSession) -> None:
        # A login as another user replaced this session; its issuer is the organization's.
        await terminator.after_end(session, await _issuer_of(services, session.org_id))

    authorize = AuthorizationEndpoint(
        AuthorizeServices(
            clients=clients,
            client_settings=client_settings,
            interactions=interactions,
            flows=flow,
            sessions=sessions,
            consents=consents,
            users=users,
            codes=codes,
            verifier=verifier,
            now=now,
            code_ttl=settings.tokens.authorization_code_ttl,
            pushed=pushed,
            on_session_end=ended,
        )
    )
    end_session = EndSessionEndpoint(
        EndSessionServices(
            clients=clients,
            client_settings=client_settings,
            sessions=sessions,
            terminator=terminator,
            verifier=verifier,
            now=now,
        )
    )
    return InteractiveRuntime(
        services=services,
        cookies=CookiePolicy.for_issuer(settings.issuer),
        client_settings=client_settings,
        users=users,
        consents=consents,
        grants=grants,
        sessions=sessions,
        interactions=interactions,
        codes=codes,
        flow=flow,
        flow_source=flow_source,
        authenticators=authenticators,
        verifier=verifier,
        inspector=inspector,
        token_extras=token_extras,
        terminator=terminator,
        authorize=authorize,
        end_session=end_session,
        passwords=PasswordGrantCheck(password.verifier),
    )


class SessionControl:
    """The flow engine's view of a user's SSO sessions (for ``limit_sessions``)."""

    def __init__(
        self, services: Services, sessions: SessionManager, terminator: SessionTerminator
    ) -> None:
        self._services = services
        self._sessions = sessions
        self._terminator = terminator

    async def active(self, org_id: str, user_id: str, now: int) -> list[ActiveSession]:
        return await SqlSessionRecords(self._services.sessions).active(org_id, user_id, now)

    async def end(self, org_id: str, user_id: str, session_id: str, now: int) -> bool:
        if session_id not in {s.id for s in await self.active(org_id, user_id, now)}:
            return False
        live = await self._sessions.by_sid(session_id, now)
        if live is not None and live.user_id == user_id and live.org_id == org_id:
            await self._terminator.end(live, await _issuer_of(self._services, org_id))
        else:  # gone from the cache already: close the record
            await SqlSessionRecords(self._services.sessions).ended(org_id, session_id, now)
        return True


async def _issuer_of(services: Services, org_id: str) -> str:
    async with services.sessions() as session:
        org = await session.get(Organization, org_id)
    return (
        services.settings.issuer if org is None else orgs.issuer_for(services.settings.issuer, org)
    )


def for_app(app: Any) -> InteractiveRuntime:
    """The application's runtime, built on first use."""
    state = app.state
    current: InteractiveRuntime | None = getattr(state, "interactive", None)
    if current is None:
        current = build(state.services, state.client_store)
        state.interactive = current
    return current


def runtime(request: Request) -> InteractiveRuntime:
    return for_app(request.app)
