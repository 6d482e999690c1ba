"""RFC 6749 §4.1.1-§4.1.2 and OIDC Core 1.0 §3.1.2: the authorization endpoint.

1. Validate the request: the client and redirect URI checks, then :data:`CHECKS` in order.
   Errors found before the client and its redirect URI are trusted end on an error page;
   later ones go back to the client (§4.1.2.1) through the requested response mode.
2. Decide: is a login needed (no SSO session, ``prompt=login``, ``max_age`` exceeded, another
   user named by ``id_token_hint``, an essential ``acr`` not met)? Is consent needed? With
   ``prompt=none`` either need is an error (``login_required``, ``consent_required``, §3.1.2.6).
3. Hand the login to the flow engine through an :class:`~identra.protocols.interaction.Interaction`
   and resume when it comes back; consent is asked on the consent page, which resumes too.
4. Issue a single-use code (§4.1.2) and answer with ``code``, ``state`` and ``iss`` (RFC 9207)
   in the query, the fragment or an auto-submitted form (OAuth 2.0 Form Post Response Mode).

This module is framework-free: the web layer renders :class:`ErrorPage` and :class:`FormPost`,
and sets the SSO session cookie when an :class:`Outcome` carries one.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from identra.flows.interface import FlowEngine, LoginAborted, LoginRequest, LoginResult
from identra.protocols.http import ProtocolRequest
from identra.protocols.interaction import Interaction, InteractionStore
from identra.protocols.oauth2.checks import client as client_check
from identra.protocols.oauth2.checks import hints, prompt, redirect_uri, response, scope
from identra.protocols.oauth2.checks import pkce as pkce_check
from identra.protocols.oauth2.checks.base import Draft, NoRedirect
from identra.protocols.oauth2.checks.dpop_jkt import check_dpop_jkt
from identra.protocols.oauth2.checks.unsupported import check_unsupported
from identra.protocols.oauth2.errors import (
    AccessDenied,
    InvalidRequest,
    InvalidRequestUri,
    OAuth2Error,
)
from identra.protocols.oauth2.models import Client, Tenant
from identra.protocols.oauth2.params import single
from identra.protocols.oauth2.storage import ClientStore
from identra.protocols.oidc.claims import essential_acr
from identra.protocols.oidc.codes import CodeRecord, CodeStore
from identra.protocols.oidc.consent import ConsentNeed, describe, missing
from identra.protocols.oidc.errors import (
    ConsentRequired,
    LoginRequired,
    RequestUriNotSupported,
)
from identra.protocols.oidc.id_token import IssuedTokenVerifier
from identra.protocols.oidc.prompts import login_reason
from identra.protocols.oidc.response_modes import (
    ErrorPage,
    FormPost,
    Redirect,
    deliver,
    error_page,
    error_params,
)
from identra.protocols.oidc.session import SessionManager, SsoSession
from identra.protocols.oidc.storage import ClientSettingsStore, ConsentStore, UserDirectory
from identra.protocols.oidc.subjects import Subjects

RESUME_PATH = "/oauth2/authorize/resume/"
CONSENT_PATH = "/oauth2/consent/"
KIND = "oidc.authorize"


def resume_url(issuer: str, interaction_id: str) -> str:
    return f"{issuer}{RESUME_PATH}{interaction_id}"


def consent_url(issuer: str, interaction_id: str) -> str:
    return f"{issuer}{CONSENT_PATH}{interaction_id}"


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Outcome:
    result: Redirect | FormPost | ErrorPage
    session_cookie: str | None = None  # a new SSO session cookie value to set


@dataclass(frozen=True)
class ConsentView:
    interaction_id: str
    csrf: str
    client_name: str
    user_label: str
    scopes: list[tuple[str, str]]  # (scope, description)
    claims: list[str]
    locales: tuple[str, ...] = ()  # the request's ui_locales, for the page's language


# --------------------------------------------------------------------------- wiring


class PushedRequests(Protocol):
    """RFC 9126 pushed authorization requests, when that feature is installed."""

    async def take(self, request_uri: str, client: Client) -> dict[str, list[str]] | None:
        """The pushed parameters for ``request_uri`` (single use), or None if unknown/expired."""
        ...

    def required(self, client: Client) -> bool:
        """Whether the client must use pushed requests (RFC 9126 §6)."""
        ...


@dataclass(frozen=True)
class AuthorizeServices:
    clients: ClientStore
    client_settings: ClientSettingsStore
    interactions: InteractionStore
    flows: FlowEngine
    sessions: SessionManager
    consents: ConsentStore
    users: UserDirectory
    codes: CodeStore
    verifier: IssuedTokenVerifier
    now: Callable[[], int]
    code_ttl: int
    pushed: PushedRequests | None = None
    # Called when a login replaces the session of another user (back-channel logout).
    on_session_end: Callable[[SsoSession], Awaitable[None]] | None = None


@dataclass(frozen=True)
class Browser:
    binding: str  # digest of the browser-binding cookie
    session_cookie: str | None = None
    fresh: bool = False  # the binding cookie was created by this request
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class AuthorizationRequest:
    """A validated authorization request, as stored in the interaction."""

    client_id: str
    application_id: str
    redirect_uri: str
    redirect_uri_sent: bool
    response_type: str
    response_mode: str
    scopes: list[str]
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    prompt: list[str] = field(default_factory=list)
    max_age: int | None = None
    acr_values: list[str] = field(default_factory=list)
    login_hint: str | None = None
    hint_subject: str | None = None
    ui_locales: list[str] = field(default_factory=list)
    claims: dict[str, dict[str, Any]] = field(default_factory=dict)
    dpop_jkt: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuthorizationRequest:
        return cls(**data)


Check = Callable[[Draft], None]

# Run in this order once the client and its redirect URI are trusted (before that:
# client.check_client and redirect_uri.check_redirect_uri, whose errors end on a page).
CHECKS: tuple[Check, ...] = (
    response.check_response_mode,  # first: later errors travel the way the client asked
    check_unsupported,
    response.check_response_type,
    hints.check_state_and_nonce,
    scope.check_scope,
    pkce_check.check_pkce,
    prompt.check_prompt,
    prompt.check_max_age,
    hints.check_display,
    hints.check_login_context,
    hints.check_id_token_hint,
    check_dpop_jkt,
)


# --------------------------------------------------------------------------- the endpoint


class AuthorizationEndpoint:
    def __init__(self, services: AuthorizeServices) -> None:
        self.s = services

    # ---- entry: GET or POST /authorize

    async def authorize(
        self, request: ProtocolRequest, tenant: Tenant, browser: Browser
    ) -> Outcome:
        if request.method not in ("GET", "POST"):
            return Outcome(error_page(InvalidRequest("use GET or POST")))
        # OIDC Core §3.1.2.1: POST uses form serialization; parameters are not mixed.
        params = request.query if request.method == "GET" else request.form
        now = self.s.now()
        draft = Draft(tenant=tenant, params=params, now=now, verifier=self.s.verifier)
        try:
            await client_check.check_client(draft, self.s.clients)
            draft.params = await self._pushed(draft)
            redirect_uri.check_redirect_uri(draft)
        except NoRedirect as exc:
            return Outcome(error_page(exc.error))
        assert draft.redirect_uri is not None
        try:
            for check in CHECKS:
                check(draft)
        except OAuth2Error as error:
            state = draft.state if draft.state is not None else _safe_state(params)
            return Outcome(
                self._error(draft.redirect_uri, draft.response_mode, error, state, tenant)
            )
        client = draft.need_client()
        req = AuthorizationRequest(
            client_id=client.client_id,
            application_id=client.id,
            redirect_uri=draft.redirect_uri,
            redirect_uri_sent=draft.redirect_uri_sent,
            response_type=draft.response_type,
            response_mode=draft.response_mode,
            scopes=draft.scopes,
            state=draft.state,
            nonce=draft.nonce,
            code_challenge=draft.code_challenge,
            prompt=draft.prompt,
            max_age=draft.max_age,
            acr_values=draft.acr_values,
            login_hint=draft.login_hint,
            hint_subject=draft.hint_subject,
            ui_locales=draft.ui_locales,
            claims=draft.claims,
            dpop_jkt=draft.dpop_jkt,
        )
        interaction = Interaction(
            id=self.s.interactions.new_id(),
            kind=KIND,
            org_id=tenant.org_id,
            client_id=client.client_id,
            browser=browser.binding,
            created_at=now,
            expires_at=now + self.s.interactions.ttl,
            request=req.to_json(),
        )
        if browser.fresh and request.method == "POST":
            # A cross-site POST carries no SameSite=Lax cookies: look at the session on a
            # same-browser GET instead of concluding that nobody is logged in.
            await self.s.interactions.save(interaction, now)
            return Outcome(Redirect(resume_url(tenant.issuer, interaction.id)))
        session = await self.s.sessions.load(browser.session_cookie, tenant.org_id, now)
        return await self._proceed(interaction, req, client, tenant, browser, session, None)

    async def _pushed(self, draft: Draft) -> dict[str, list[str]]:
        """RFC 9126 §4: replace the parameters by the pushed ones when ``request_uri`` is used."""
        client = draft.need_client()
        try:
            request_uri = single(draft.params, "request_uri")
        except OAuth2Error as error:
            raise NoRedirect(error) from None
        if request_uri is None:
            if self.s.pushed is not None and self.s.pushed.required(client):
                raise NoRedirect(
                    InvalidRequest("this client must use pushed authorization requests")
                )
            return draft.params
        if self.s.pushed is None:
            raise NoRedirect(RequestUriNotSupported("request_uri is not supported"))
        pushed = await self.s.pushed.take(request_uri, client)
        if pushed is None:
            raise NoRedirect(InvalidRequestUri("request_uri is invalid or expired"))
        pushed = dict(pushed)
        pushed["client_id"] = [client.client_id]
        return pushed

    def _error(
        self, redirect: str, mode: str, error: OAuth2Error, state: str | None, tenant: Tenant
    ) -> Redirect | FormPost:
        return deliver(redirect, mode, error_params(error, state, tenant.issuer))

    def _error_to_client(
        self, req: AuthorizationRequest, error: OAuth2Error, tenant: Tenant
    ) -> Redirect | FormPost:
        return self._error(req.redirect_uri, req.response_mode, error, req.state, tenant)

    # ---- coming back from the login flow

    async def resume(self, interaction_id: str, tenant: Tenant, browser: Browser) -> Outcome:
        now = self.s.now()
        interaction = await self._bound_interaction(interaction_id, tenant, browser, now)
        if isinstance(interaction, ErrorPage):
            return Outcome(interaction)
        req = AuthorizationRequest.from_json(interaction.request)
        client = await self._client(req, tenant)
        if client is None:
            await self.s.interactions.delete(interaction.id)
            return Outcome(error_page(InvalidRequest("the client is no longer available")))
        session = await self.s.sessions.load(browser.session_cookie, tenant.org_id, now)
        new_cookie: str | None = None
        if interaction.login_started and interaction.login is None:
            outcome = await self.s.flows.result(interaction.id)
            if outcome is None:
                # Back here without finishing: send the browser to the flow again.
                hinted = await self._hinted_user(req, client, session.user_id if session else None)
                return Outcome(
                    Redirect(
                        await self._start_login(
                            interaction, req, client, tenant, browser, True, hinted
                        )
                    )
                )
            if isinstance(outcome, LoginAborted):
                await self.s.interactions.delete(interaction.id)
                return Outcome(self._error_to_client(req, AccessDenied(outcome.reason), tenant))
            if req.hint_subject is not None and outcome.user_id != await self._hinted_user(
                req, client, outcome.user_id
            ):
                await self.s.interactions.delete(interaction.id)
                error = LoginRequired("the user who logged in is not the one in id_token_hint")
                return Outcome(self._error_to_client(req, error, tenant))
            new_cookie, session = await self._login(tenant, session, outcome, browser, now)
            interaction.login = outcome
            interaction.login_started = False
            await self.s.interactions.save(interaction, now)
        return await self._proceed(interaction, req, client, tenant, browser, session, new_cookie)

    async def _bound_interaction(
        self, interaction_id: str, tenant: Tenant, browser: Browser, now: int
    ) -> Interaction | ErrorPage:
        interaction = await self.s.interactions.get(interaction_id, now)
        if interaction is None or interaction.kind != KIND or interaction.org_id != tenant.org_id:
            return ErrorPage(
                "invalid_request",
                "This sign-in request has expired or is unknown. Go back to the application and "
                "start again.",
            )
        if not hmac.compare_digest(interaction.browser, browser.binding):
            return ErrorPage(
                "invalid_request",
                "This sign-in request was started in another browser. Go back to the application "
                "and start again.",
            )
        return interaction

    async def _client(self, req: AuthorizationRequest, tenant: Tenant) -> Client | None:
        client = await self.s.clients.by_client_id(req.client_id)
        if client is None or not client.enabled or client.org_id != tenant.org_id:
            return None
        return client

    async def _login(
        self,
        tenant: Tenant,
        current: SsoSession | None,
        login: LoginResult,
        browser: Browser,
        now: int,
    ) -> tuple[str, SsoSession]:
        """Session fixation defence: a login always yields a new cookie value. The same user
        keeps the session (and its ``sid``); another user replaces it."""
        if current is not None and current.user_id == login.user_id:
            return await self.s.sessions.reauthenticate(current, login, now), current
        if current is not None:
            await self.s.sessions.end(current, now)
            if self.s.on_session_end is not None:
                await self.s.on_session_end(current)
        return await self.s.sessions.create(
            tenant.org_id, login, now, browser.ip, browser.user_agent
        )

    # ---- the decision

    async def _proceed(
        self,
        interaction: Interaction,
        req: AuthorizationRequest,
        client: Client,
        tenant: Tenant,
        browser: Browser,
        session: SsoSession | None,
        new_cookie: str | None,
    ) -> Outcome:
        now = self.s.now()
        logged_in_here = interaction.login is not None
        if session is not None and not logged_in_here:
            user = await self.s.users.profile(tenant.org_id, session.user_id)
            if user is None or not user.active:
                session = None
        wanted_acr = essential_acr(req.claims)
        # The hint's sub is in the client's subject space: which local user does it name?
        hinted = await self._hinted_user(req, client, session.user_id if session else None)
        reason = login_reason(
            prompt=req.prompt,
            max_age=req.max_age,
            hint_subject=hinted or req.hint_subject,
            wanted_acr=wanted_acr,
            session=session,
            logged_in_here=logged_in_here,
            now=now,
        )
        if reason is not None:
            if "none" in req.prompt:
                await self.s.interactions.delete(interaction.id)
                return Outcome(
                    self._error_to_client(req, LoginRequired(reason), tenant), new_cookie
                )
            url = await self._start_login(interaction, req, client, tenant, browser, True, hinted)
            return Outcome(Redirect(url), new_cookie)
        assert session is not None
        if wanted_acr is not None and session.acr not in wanted_acr:
            await self.s.interactions.delete(interaction.id)
            denied = AccessDenied("the required authentication context could not be met")
            return Outcome(self._error_to_client(req, denied, tenant), new_cookie)

        need = await self._consent_need(req, client, session, interaction)
        if need is not None:
            if "none" in req.prompt:
                await self.s.interactions.delete(interaction.id)
                error = ConsentRequired("the user has not consented to this request")
                return Outcome(self._error_to_client(req, error, tenant), new_cookie)
            await self.s.interactions.save(interaction, now)
            return Outcome(Redirect(consent_url(tenant.issuer, interaction.id)), new_cookie)

        return Outcome(
            await self._issue_code(interaction, req, client, tenant, browser, session, new_cookie),
            new_cookie,
        )

    async def _start_login(
        self,
        interaction: Interaction,
        req: AuthorizationRequest,
        client: Client,
        tenant: Tenant,
        browser: Browser,
        force: bool,
        expected_user_id: str | None,
    ) -> str:
        wanted = essential_acr(req.claims)
        login = LoginRequest(
            interaction_id=interaction.id,
            org_id=tenant.org_id,
            issuer=tenant.issuer,
            client_id=client.client_id,
            client_name=client.name,
            return_to=resume_url(tenant.issuer, interaction.id),
            browser=browser.binding,
            login_hint=req.login_hint,
            acr_values=tuple(wanted or req.acr_values),
            ui_locales=tuple(req.ui_locales),
            expected_user_id=expected_user_id,
            force=force,
        )
        interaction.login_started = True
        interaction.login = None
        await self.s.interactions.save(interaction, self.s.now())
        return await self.s.flows.start(login)

    async def _hinted_user(
        self, req: AuthorizationRequest, client: Client, candidate: str | None
    ) -> str | None:
        """The local id of the user id_token_hint names (None: no hint, or nobody known)."""
        if req.hint_subject is None:
            return None
        settings = await self.s.client_settings.settings(client.id)
        subjects = Subjects(self.s.sessions.digest)
        return hints.hinted_user(req.hint_subject, candidate, settings, subjects)

    async def _consent_need(
        self,
        req: AuthorizationRequest,
        client: Client,
        session: SsoSession,
        interaction: Interaction,
    ) -> ConsentNeed | None:
        if interaction.consent_given is not None:
            return None
        settings = await self.s.client_settings.settings(client.id)
        if settings.skip_consent and "consent" not in req.prompt:
            return None
        if "consent" in req.prompt:
            return missing(req.scopes, req.claims, set(), set())
        scopes, claims = await self.s.consents.granted(session.user_id, client.id)
        need = missing(req.scopes, req.claims, scopes, claims)
        return None if need.empty else need

    async def _issue_code(
        self,
        interaction: Interaction,
        req: AuthorizationRequest,
        client: Client,
        tenant: Tenant,
        browser: Browser,
        session: SsoSession,
        new_cookie: str | None,
    ) -> Redirect | FormPost:
        now = self.s.now()
        record = CodeRecord(
            org_id=tenant.org_id,
            client_id=client.client_id,
            application_id=client.id,
            redirect_uri=req.redirect_uri,
            redirect_uri_sent=req.redirect_uri_sent,
            user_id=session.user_id,
            scopes=req.scopes,
            issued_at=now,
            expires_at=now + self.s.code_ttl,
            auth_time=session.auth_time,
            session_id=session.id,
            nonce=req.nonce,
            code_challenge=req.code_challenge,
            acr=session.acr,
            amr=list(session.amr),
            claims=req.claims,
            dpop_jkt=req.dpop_jkt,
        )
        code = await self.s.codes.issue(record, self.s.code_ttl)
        cookie = new_cookie or browser.session_cookie
        if cookie is not None:
            await self.s.sessions.add_client(cookie, session, client.client_id, now)
        await self.s.interactions.delete(interaction.id)
        params = {"code": code}
        if req.state is not None:
            params["state"] = req.state
        params["iss"] = tenant.issuer  # RFC 9207 §2
        return deliver(req.redirect_uri, req.response_mode, params)

    # ---- the consent page

    async def consent_view(
        self, interaction_id: str, tenant: Tenant, browser: Browser
    ) -> ConsentView | ErrorPage:
        now = self.s.now()
        interaction = await self._bound_interaction(interaction_id, tenant, browser, now)
        if isinstance(interaction, ErrorPage):
            return interaction
        req = AuthorizationRequest.from_json(interaction.request)
        client = await self._client(req, tenant)
        session = await self.s.sessions.load(browser.session_cookie, tenant.org_id, now)
        if client is None or session is None:
            return ErrorPage("invalid_request", "Your session has ended. Start again.")
        user = await self.s.users.profile(tenant.org_id, session.user_id)
        label = str((user.claims.get("preferred_username") if user else None) or "")
        need = missing(req.scopes, req.claims, set(), set())
        return ConsentView(
            interaction_id=interaction.id,
            csrf=interaction.csrf,
            client_name=client.name,
            user_label=label,
            scopes=[(s, describe(s)) for s in need.scopes],
            claims=need.claims,
            locales=tuple(req.ui_locales),
        )

    async def consent_decision(
        self, interaction_id: str, tenant: Tenant, browser: Browser, approve: bool, csrf: str
    ) -> Outcome:
        now = self.s.now()
        interaction = await self._bound_interaction(interaction_id, tenant, browser, now)
        if isinstance(interaction, ErrorPage):
            return Outcome(interaction)
        if not hmac.compare_digest(interaction.csrf.encode(), csrf.encode()):
            return Outcome(ErrorPage("invalid_request", "The form expired. Please try again.", 403))
        req = AuthorizationRequest.from_json(interaction.request)
        client = await self._client(req, tenant)
        session = await self.s.sessions.load(browser.session_cookie, tenant.org_id, now)
        if client is None or session is None:
            return Outcome(ErrorPage("invalid_request", "Your session has ended. Start again."))
        if not approve:
            await self.s.interactions.delete(interaction.id)
            error = AccessDenied("the user denied the request")
            return Outcome(self._error_to_client(req, error, tenant))
        need = missing(req.scopes, req.claims, set(), set())
        await self.s.consents.grant(
            tenant.org_id, session.user_id, client.id, need.scopes, need.claims
        )
        interaction.consent_given = need.scopes
        return await self._proceed(interaction, req, client, tenant, browser, session, None)


def _safe_state(params: dict[str, list[str]]) -> str | None:
    values = params.get("state")
    if values and len(values) == 1 and len(values[0]) <= 2048:
        return values[0]
    return None
