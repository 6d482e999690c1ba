"""The flow-graph engine: runs a flow document as a resumable state machine.

It implements both sides of :mod:`identra.flows.interface`: :class:`FlowEngine` for protocols
(``start``/``result``) and :class:`FlowExecutor` for the hosted pages (``view``/``submit``/
``callback``). Each request loads the flow context (:mod:`identra.flows.state`) from the cache
backend, moves through non-interactive nodes (conditions, ``set``, terminal actions) until it
reaches a node that needs the user (identify, step, enroll, a session choice), and stores the
context again. Every request is bound to the browser that started the login and every form to
the flow's CSRF token (compared in constant time); a per-flow lock makes concurrent submits of
the same flow (a double-posted one-time code) run one after the other.

Every step outcome is written to the audit log (``login.step``).
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from identra.authenticators.interface import (
    AuthContext,
    Enrolled,
    Outcome,
    Passed,
    Prompt,
    Redirect,
)
from identra.authenticators.registry import Authenticators
from identra.cache.base import Cache
from identra.flows import conditions
from identra.flows.document import Node
from identra.flows.interface import (
    Challenge,
    Finished,
    FlowProblem,
    LoginAborted,
    LoginRequest,
    LoginResult,
    OptionView,
)
from identra.flows.ports import (
    Directory,
    FlowSource,
    SessionControl,
    StepAudit,
    StoredFlow,
    UserFacts,
)
from identra.flows.state import FlowState
from identra.i18n.message import N_

log = logging.getLogger(__name__)

_STATE = "flow:"
_RESULT = "flow-result:"
_LOCK = "flow-lock:"
LOGIN_PATH = "/login/"
ACR_PASSWORD = "urn:identra:acr:password"
ACR_MFA = "urn:identra:acr:mfa"
MAX_TRANSITIONS = 256  # a flow is acyclic; this bounds a corrupted context

MESSAGES = {
    "expired": N_("This sign-in page has expired. Go back to the application and start again."),
    "other_browser": (
        N_(
            "This sign-in page belongs to another browser. "
            "Go back to the application and start again."
        )
    ),
    "csrf": N_("This form has expired. Please try again."),
    "busy": N_("This sign-in is already being processed. Wait a moment and try again."),
    "timeout": N_("This step took too long. Go back to the application and start again."),
    "missing_username": N_("Enter your username."),
    "unknown_option": N_("Choose one of the ways to sign in shown on this page."),
    "none_available": (
        N_("There is no way to finish signing in with this account. Contact your administrator.")
    ),
    "other_user": N_("Sign in as the same user as in the earlier step."),
    "expected_user": N_("Sign in as the user the application asked for."),
    "not_identified": N_("This sign-in flow is misconfigured. Contact your administrator."),
    "session_gone": N_("That session has already ended."),
}


@dataclass
class Turn:
    """One request's work on a flow: its state, document, and who is asking."""

    state: FlowState
    flow: StoredFlow
    ip: str | None

    @property
    def node(self) -> Node:
        return self.flow.document.node(self.state.node)


class FlowRunner:
    def __init__(
        self,
        cache: Cache,
        now: Callable[[], int],
        source: FlowSource,
        authenticators: Authenticators,
        directory: Directory,
        sessions: SessionControl,
        audit: StepAudit,
        ttl: int = 1800,
    ) -> None:
        self._cache = cache
        self._now = now
        self._source = source
        self.authenticators = authenticators
        self._directory = directory
        self._sessions = sessions
        self._audit = audit
        self._ttl = ttl

    @property
    def acr_values_supported(self) -> tuple[str, ...]:
        return (ACR_PASSWORD, ACR_MFA)

    # ---- FlowEngine ---------------------------------------------------------------------

    async def start(self, request: LoginRequest) -> str:
        flow = await self._source.active(request.org_id, request.client_id)
        now = self._now()
        state = FlowState(
            id=secrets.token_urlsafe(18),
            request=request,
            csrf=secrets.token_urlsafe(24),
            expires_at=now + self._ttl,
            flow_ref=flow.ref,
            node=flow.document.start,
            node_started=now,
            username=request.login_hint,
        )
        await self._save(state)
        return f"{request.issuer}{LOGIN_PATH}{state.id}"

    async def result(self, interaction_id: str) -> LoginResult | LoginAborted | None:
        raw = await self._cache.take(_RESULT + interaction_id)
        if raw is None:
            return None
        data = json.loads(raw)
        if data.get("aborted"):
            return LoginAborted(str(data.get("reason") or "the user cancelled the login"))
        return LoginResult.from_json(data)

    # ---- FlowExecutor -------------------------------------------------------------------

    async def view(
        self, flow_id: str, browser: str, ip: str | None = None
    ) -> Challenge | Finished | FlowProblem:
        turn = await self._load(flow_id, browser, ip)
        if isinstance(turn, FlowProblem):
            return turn
        return await self._proceed(turn)

    async def submit(
        self, flow_id: str, browser: str, form: dict[str, str], ip: str | None
    ) -> Challenge | Finished | FlowProblem:
        turn = await self._load(flow_id, browser, ip)
        if isinstance(turn, FlowProblem):
            return turn
        if not hmac.compare_digest(form.get("csrf", "").encode(), turn.state.csrf.encode()):
            return await self._proceed(turn, error=MESSAGES["csrf"], status=403)
        return await self._locked(turn, lambda: self._submit(turn, form))

    async def callback(
        self, flow_id: str, browser: str, params: dict[str, str], ip: str | None
    ) -> Challenge | Finished | FlowProblem:
        turn = await self._load(flow_id, browser, ip)
        if isinstance(turn, FlowProblem):
            return turn
        return await self._locked(turn, lambda: self._callback(turn, params))

    # ---- loading and saving -------------------------------------------------------------

    async def _load(self, flow_id: str, browser: str, ip: str | None) -> Turn | FlowProblem:
        raw = await self._cache.get(_STATE + flow_id) if 0 < len(flow_id) <= 64 else None
        state = None
        if raw is not None:
            try:
                state = FlowState.from_json(raw)
            except (ValueError, KeyError, TypeError):
                state = None
        if state is None or state.expires_at <= self._now():
            return FlowProblem(MESSAGES["expired"])
        if not hmac.compare_digest(state.request.browser, browser):
            return FlowProblem(MESSAGES["other_browser"], 403)
        flow = await self._source.by_ref(state.flow_ref)
        if flow is None or state.node not in flow.document.by_id:
            return FlowProblem(MESSAGES["expired"])
        return Turn(state, flow, ip)

    async def _save(self, state: FlowState) -> None:
        ttl = max(1, state.expires_at - self._now())
        await self._cache.set(_STATE + state.id, state.to_json(), ttl=ttl)

    async def _locked(
        self, turn: Turn, work: Callable[[], Any]
    ) -> Challenge | Finished | FlowProblem:
        key = _LOCK + turn.state.id
        if not await self._cache.add(key, "1", ttl=30):
            return FlowProblem(MESSAGES["busy"], 409)
        try:
            # Re-read under the lock: another request may have moved the flow on.
            fresh = await self._load(turn.state.id, turn.state.request.browser, turn.ip)
            if isinstance(fresh, FlowProblem):
                return fresh
            turn.state, turn.flow = fresh.state, fresh.flow
            result: Challenge | Finished | FlowProblem = await work()
            return result
        finally:
            await self._cache.delete(key)

    # ---- moving through the graph -------------------------------------------------------

    def _goto(self, turn: Turn, node_id: str) -> None:
        turn.state.node = node_id
        turn.state.node_started = self._now()
        turn.state.engaged = None
        turn.state.transitions += 1

    def _facts(self, turn: Turn) -> conditions.Facts:
        state = turn.state
        cached: dict[str, Any] = {}

        async def user() -> UserFacts | None:
            if state.user_id is None:
                return None
            if "user" not in cached:
                cached["user"] = await self._directory.facts(state.request.org_id, state.user_id)
            found: UserFacts | None = cached["user"]
            return found

        async def session_count() -> int:
            if state.user_id is None:
                return 0
            if "sessions" not in cached:
                active = await self._sessions.active(
                    state.request.org_id, state.user_id, self._now()
                )
                cached["sessions"] = len(active)
            return int(cached["sessions"])

        return conditions.Facts(
            now=self._now(),
            client_id=state.request.client_id,
            acr_values=state.request.acr_values,
            ip=turn.ip,
            amr=tuple(state.amr),
            risk=state.risk,
            user=user,
            session_count=session_count,
        )

    async def _proceed(
        self,
        turn: Turn,
        error: str | None = None,
        status: int = 200,
        override: tuple[str, Prompt] | None = None,
        shown: Prompt | None = None,
    ) -> Challenge | Finished | FlowProblem:
        """Advance through automatic nodes, store the context, render where it rests.

        A one-time display (``shown``: new backup codes) is rendered before anything else
        runs, even a final ``allow``: its "Continue" (``action=continue``) moves on.
        """
        state = turn.state
        if shown is not None:
            await self._save(state)
            return await self._render(turn, error, status, override, shown)
        while True:
            if state.transitions > MAX_TRANSITIONS:
                return FlowProblem(MESSAGES["not_identified"], 400)
            node = turn.node
            if node.type == "condition":
                assert node.condition is not None and node.then and node.otherwise
                matched = await conditions.evaluate(node.condition, self._facts(turn))
                self._goto(turn, node.then if matched else node.otherwise)
            elif node.type == "set":
                if node.acr is not None:
                    state.acr = node.acr
                state.amr = _merge(state.amr, node.amr or ())
                assert node.next
                self._goto(turn, node.next)
            elif node.type == "allow":
                return await self._allow(turn, node)
            elif node.type in ("deny", "lock"):
                return await self._deny(turn, node)
            elif node.type == "enroll" and await self._has_enrolled(turn, node):
                assert node.next
                self._goto(turn, node.next)
            elif node.type == "limit_sessions" and await self._within_limit(turn, node):
                assert node.next
                self._goto(turn, node.next)
            elif node.type == "limit_sessions" and node.on_exceed == "deny":
                return await self._deny(turn, node, node.message or too_many_sessions(node))
            else:
                break
        await self._save(state)
        return await self._render(turn, error, status, override, shown)

    async def _has_enrolled(self, turn: Turn, node: Node) -> bool:
        user_id = turn.state.user_id
        if user_id is None:
            return False
        enrollers = self.authenticators.enrollers()
        for option in node.options:
            enroller = enrollers.get(option)
            if enroller is not None and await enroller.enrolled(turn.state.request.org_id, user_id):
                return True
        return False

    async def _within_limit(self, turn: Turn, node: Node) -> bool:
        if turn.state.user_id is None:
            return False
        active = await self._sessions.active(
            turn.state.request.org_id, turn.state.user_id, self._now()
        )
        # ``max`` counts the session this login is about to start.
        return len(active) + 1 <= (node.max or 1)

    async def _allow(self, turn: Turn, node: Node) -> Challenge | Finished | FlowProblem:
        state = turn.state
        if state.user_id is None or not state.passed:
            return await self._problem(turn, MESSAGES["not_identified"])
        amr = _merge(state.amr, node.amr or ())
        factors = {_factor(a) for a in state.amr}
        if len(factors) > 1:
            amr = _merge(amr, ("mfa",))
        acr = node.acr or state.acr or (ACR_MFA if len(factors) > 1 else ACR_PASSWORD)
        result = LoginResult(user_id=state.user_id, auth_time=self._now(), amr=tuple(amr), acr=acr)
        await self._record(turn, "success", action="allow")
        return await self._finish(state, result.to_json())

    async def _deny(
        self, turn: Turn, node: Node, message: str | None = None
    ) -> Challenge | Finished | FlowProblem:
        state = turn.state
        text = message or node.message or "Access denied."
        if node.type == "lock" and state.user_id is not None:
            until = self._now() + node.duration if node.duration else None
            await self._directory.lock(state.request.org_id, state.user_id, until, text)
        await self._record(turn, "failure", action=node.type, reason=text)
        await self._finish(state, {"aborted": True, "reason": text})
        return Challenge(
            component="denied",
            flow_id=state.id,
            csrf="",
            client_name=state.request.client_name,
            values={"return_to": state.request.return_to},
            error=text,
            status=403,
            title="Access denied",
            locales=state.request.ui_locales,
        )

    async def _problem(self, turn: Turn, message: str) -> FlowProblem:
        await self._record(turn, "failure", reason=message)
        await self._cache.delete(_STATE + turn.state.id)
        return FlowProblem(message, 400)

    async def _finish(self, state: FlowState, payload: dict[str, Any]) -> Finished:
        await self._cache.delete(_STATE + state.id)
        await self._cache.set(
            _RESULT + state.request.interaction_id, json.dumps(payload), ttl=self._ttl
        )
        return Finished(state.request.return_to)

    async def _record(self, turn: Turn, outcome: str, **details: Any) -> None:
        state = turn.state
        try:
            await self._audit.step(
                state.request.org_id,
                state.user_id,
                turn.ip,
                outcome,
                {
                    "flow": state.flow_ref,
                    "revision": turn.flow.revision,
                    "node": state.node,
                    "client_id": state.request.client_id,
                    **{k: v for k, v in details.items() if v is not None},
                },
            )
        except Exception:  # the audit log must not turn a login into a 500
            log.exception("could not record a login step audit event")

    # ---- handling input -----------------------------------------------------------------

    async def _submit(
        self, turn: Turn, form: Mapping[str, str]
    ) -> Challenge | Finished | FlowProblem:
        state = turn.state
        action = form.get("action", "")
        if action == "cancel":
            await self._record(turn, "failure", reason="cancelled")
            return await self._finish(state, {"aborted": True, "reason": "the user cancelled"})
        node = turn.node
        if node.interactive and node.timeout and self._now() > state.node_started + node.timeout:
            await self._record(turn, "failure", reason="timeout")
            await self._cache.delete(_STATE + state.id)
            return FlowProblem(MESSAGES["timeout"], 400)
        if not node.interactive or action == "continue":
            return await self._proceed(turn)
        if node.type == "identify":
            return await self._identify(turn, node, form)
        if node.type == "limit_sessions":
            return await self._end_session(turn, node, form)
        if action == "back":
            state.engaged = None
            return await self._proceed(turn)
        if node.type == "enroll":
            return await self._enroll(turn, node, form)
        return await self._step(turn, node, form)

    async def _callback(
        self, turn: Turn, params: Mapping[str, str]
    ) -> Challenge | Finished | FlowProblem:
        node, option = turn.node, turn.state.engaged
        if node.type != "step" or option is None or option not in node.options:
            return FlowProblem("This link is no longer valid for this sign-in.", 400)
        authenticator = self.authenticators.find(option)
        if authenticator is None:
            return FlowProblem(MESSAGES["not_identified"], 400)
        ctx = self._context(turn, option)
        outcome = await authenticator.callback(ctx, params)
        return await self._outcome(turn, node, option, ctx, outcome)

    async def _identify(
        self, turn: Turn, node: Node, form: Mapping[str, str]
    ) -> Challenge | Finished | FlowProblem:
        username = form.get("username", "").strip()[:320]
        if not username:
            return await self._proceed(turn, MESSAGES["missing_username"], 400)
        state = turn.state
        state.username = username
        state.identified = True
        # An unknown username goes on like a known one (the next step fails the same way),
        # so the identifier page does not tell who has an account.
        state.user_id = await self._directory.find(state.request.org_id, username)
        await self._record(turn, "success", action="identify", known=state.user_id is not None)
        assert node.next
        self._goto(turn, node.next)
        return await self._proceed(turn)

    def _context(self, turn: Turn, option: str) -> AuthContext:
        state = turn.state
        request = state.request
        return AuthContext(
            org_id=request.org_id,
            flow_id=state.id,
            option=option,
            issuer=request.issuer.rstrip("/"),
            client_id=request.client_id,
            client_name=request.client_name,
            now=self._now(),
            ip=turn.ip,
            user_id=state.user_id,
            username=state.username,
            identified=state.identified,
            passed=tuple(state.passed),
            locales=request.ui_locales,
            scratch=state.scratch.setdefault(option, {}),
        )

    async def _offered(self, turn: Turn, node: Node) -> list[str]:
        """The node's options this user can use now, in the flow's order."""
        offered = []
        for option in node.options:
            authenticator = self.authenticators.find(option)
            if authenticator is None:
                continue
            # A second factor needs a known user; after an identifier step with an unknown
            # name the option is still asked (it answers as for any user without it), so the
            # page does not tell who has an account.
            if turn.state.user_id is None and not (
                authenticator.first_factor or turn.state.identified
            ):
                continue
            if await authenticator.available(self._context(turn, option)):
                offered.append(option)
        return offered

    async def _step(
        self, turn: Turn, node: Node, form: Mapping[str, str]
    ) -> Challenge | Finished | FlowProblem:
        offered = await self._offered(turn, node)
        option = form.get("option") or (offered[0] if len(offered) == 1 else "")
        authenticator = self.authenticators.find(option) if option in offered else None
        if authenticator is None:
            return await self._proceed(turn, MESSAGES["unknown_option"], 400)
        ctx = self._context(turn, option)
        outcome = await authenticator.submit(ctx, form)
        return await self._outcome(turn, node, option, ctx, outcome)

    async def _outcome(
        self, turn: Turn, node: Node, option: str, ctx: AuthContext, outcome: Outcome
    ) -> Challenge | Finished | FlowProblem:
        state = turn.state
        state.scratch[option] = ctx.scratch
        if isinstance(outcome, Redirect):
            state.engaged = option
            await self._save(state)
            return Finished(outcome.url)
        if isinstance(outcome, Prompt):
            if outcome.engaged:
                state.engaged = option
            if outcome.error:
                await self._record(turn, "failure", option=option, reason=outcome.error)
            return await self._proceed(
                turn, outcome.error, outcome.status, override=(option, outcome)
            )
        assert isinstance(outcome, Passed)
        expected = state.request.expected_user_id
        # Every step must prove the same user, and the one the application asked for.
        problem = None
        if expected is not None and outcome.user_id != expected:
            problem = "expected_user"
        elif state.user_id is not None and outcome.user_id != state.user_id:
            problem = "other_user"
        if problem is not None:
            await self._record(turn, "failure", option=option, reason=problem)
            return await self._proceed(turn, MESSAGES[problem], 401)
        state.user_id = outcome.user_id
        state.amr = _merge(state.amr, outcome.amr)
        state.passed.append(option)
        await self._record(turn, "success", option=option)
        assert node.next
        self._goto(turn, node.next)
        return await self._proceed(turn)

    async def _enroll(
        self, turn: Turn, node: Node, form: Mapping[str, str]
    ) -> Challenge | Finished | FlowProblem:
        state = turn.state
        action = form.get("action", "")
        if action == "skip" and node.skippable:
            await self._record(turn, "success", action="enroll-skipped")
            assert node.next
            self._goto(turn, node.next)
            return await self._proceed(turn)
        enrollers = self.authenticators.enrollers()
        option = form.get("option", "")
        if option not in node.options or option not in enrollers:
            return await self._proceed(turn, MESSAGES["unknown_option"], 400)
        enroller = enrollers[option]
        ctx = self._context(turn, option)
        if action == "choose" or state.engaged != option:
            state.engaged = option
            prompt = await enroller.enroll_prompt(ctx)
            state.scratch[option] = ctx.scratch
            return await self._proceed(turn, override=(option, prompt))
        outcome = await enroller.enroll_submit(ctx, form)
        state.scratch[option] = ctx.scratch
        if isinstance(outcome, Prompt):
            if outcome.error:
                await self._record(
                    turn, "failure", option=option, action="enroll", reason=outcome.error
                )
            return await self._proceed(
                turn, outcome.error, outcome.status, override=(option, outcome)
            )
        assert isinstance(outcome, Enrolled)
        await self._record(turn, "success", option=option, action="enroll")
        assert node.next
        self._goto(turn, node.next)
        return await self._proceed(turn, shown=outcome.show)

    async def _end_session(
        self, turn: Turn, node: Node, form: Mapping[str, str]
    ) -> Challenge | Finished | FlowProblem:
        state = turn.state
        if form.get("action") != "end" or state.user_id is None:
            return await self._proceed(turn)
        ended = await self._sessions.end(
            state.request.org_id, state.user_id, form.get("session", "")[:64], self._now()
        )
        if not ended:
            return await self._proceed(turn, MESSAGES["session_gone"], 400)
        await self._record(turn, "success", action="end-session")
        return await self._proceed(turn)

    # ---- rendering ----------------------------------------------------------------------

    def _page(self, turn: Turn, component: str, **kw: Any) -> Challenge:
        state = turn.state
        return Challenge(
            component=component,
            flow_id=state.id,
            csrf=state.csrf,
            client_name=state.request.client_name,
            locales=state.request.ui_locales,
            **kw,
        )

    async def _render(
        self,
        turn: Turn,
        error: str | None,
        status: int,
        override: tuple[str, Prompt] | None,
        shown: Prompt | None,
    ) -> Challenge | Finished | FlowProblem:
        state, node = turn.state, turn.node
        if shown is not None:
            # A one-time display (new backup codes): rendered now, never stored.
            view = OptionView("", "", shown.template, shown.values, shown.error, True)
            return self._page(
                turn, "step", options=(view,), values={"continue": True}, title="Save this"
            )
        if node.type == "identify":
            return self._page(
                turn,
                "identify",
                values={"username": state.username or ""},
                error=error,
                status=status,
            )
        if node.type == "limit_sessions":
            return await self._sessions_page(turn, node, error, status)
        if node.type == "enroll":
            return await self._enroll_page(turn, node, error, status, override)
        offered = await self._offered(turn, node)
        if not offered:
            return await self._problem(turn, MESSAGES["none_available"])
        if state.engaged in offered:
            shown_options = [state.engaged]
        else:
            state.engaged = None
            shown_options = offered
        views = []
        for option in shown_options:
            authenticator = self.authenticators.find(option)
            assert authenticator is not None
            if override is not None and override[0] == option:
                prompt = override[1]
            else:
                ctx = self._context(turn, option)
                prompt = await authenticator.prompt(ctx)
                state.scratch[option] = ctx.scratch
            views.append(
                OptionView(
                    option,
                    str(prompt.values.get("label") or authenticator.label),
                    prompt.template,
                    prompt.values,
                    prompt.error,
                    prompt.engaged,
                )
            )
        await self._save(state)
        return self._page(
            turn,
            "step",
            options=tuple(views),
            values={"can_go_back": state.engaged is not None and len(offered) > 1},
            error=error,
            status=status,
        )

    async def _enroll_page(
        self,
        turn: Turn,
        node: Node,
        error: str | None,
        status: int,
        override: tuple[str, Prompt] | None,
    ) -> Challenge:
        state = turn.state
        enrollers = self.authenticators.enrollers()
        usable = [o for o in node.options if o in enrollers]
        views = []
        if state.engaged in usable:
            option = state.engaged
            assert option is not None
            if override is not None and override[0] == option:
                prompt = override[1]
            else:
                ctx = self._context(turn, option)
                prompt = await enrollers[option].enroll_prompt(ctx)
                state.scratch[option] = ctx.scratch
                await self._save(state)
            views.append(
                OptionView(
                    option,
                    enrollers[option].label,
                    prompt.template,
                    prompt.values,
                    prompt.error,
                    True,
                )
            )
        else:
            for option in usable:
                views.append(OptionView(option, enrollers[option].label, "enroll-choice"))
        return self._page(
            turn,
            "step",
            options=tuple(views),
            values={
                "can_go_back": state.engaged is not None and len(usable) > 1,
                "can_skip": bool(node.skippable),
            },
            error=error,
            status=status,
            title="Protect your account",
        )

    async def _sessions_page(
        self, turn: Turn, node: Node, error: str | None, status: int
    ) -> Challenge:
        state = turn.state
        assert state.user_id is not None
        active = await self._sessions.active(state.request.org_id, state.user_id, self._now())
        return self._page(
            turn,
            "sessions",
            values={
                "max": node.max,
                "sessions": [
                    {
                        "id": s.id,
                        "started": _when(s.created_at),
                        "ip": s.ip,
                        "user_agent": s.user_agent,
                    }
                    for s in active
                ],
            },
            error=error or node.message,
            status=status,
            title="Too many sessions",
        )


def _merge(current: list[str], more: tuple[str, ...] | list[str]) -> list[str]:
    return list(dict.fromkeys([*current, *more]))


def _factor(amr: str) -> str:
    """The factor class of an RFC 8176 ``amr`` value (two passwords are not two factors)."""
    return {
        "pwd": "know",
        "pin": "know",
        "kba": "know",
        "otp": "have",
        "sms": "have",
        "tel": "have",
        "hwk": "have",
        "swk": "have",
        "pop": "have",
        "face": "are",
        "fpt": "are",
        "iris": "are",
        "user": "are",
    }.get(amr, amr)


def too_many_sessions(node: Node) -> str:
    if node.max == 1:
        return "You are already signed in elsewhere. Sign out there first."
    return f"You are already signed in {node.max} times. Sign out of another session first."


def _when(timestamp: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")
