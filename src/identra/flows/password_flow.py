"""The first flow: one step, username and password.

It implements both sides of ``identra.flows.interface``: :class:`FlowEngine` for protocols and
:class:`FlowExecutor` for the hosted login pages. Issue 4 replaces it with the flow-graph
engine; protocols and pages keep talking to the same two interfaces.

State is versioned JSON in the cache backend (``flow:<id>``), so any node can serve the next
request. Every page is bound to the browser that started the interaction (digest of the
browser-binding cookie) and every form carries a CSRF token compared in constant time.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from identra.authenticators.password.authenticator import PasswordAuthenticator, Refused
from identra.cache.base import Cache
from identra.flows.interface import (
    Challenge,
    Finished,
    FlowProblem,
    LoginAborted,
    LoginRequest,
    LoginResult,
)

_STATE = "flow:"
_RESULT = "flow-result:"
LOGIN_PATH = "/login/"
ACR_PASSWORD = "urn:identra:acr:password"

MESSAGES = {
    "invalid": "The username or password is not correct.",
    "locked": "Too many failed attempts. Try again in {minutes} minute(s).",
    "rate_limited": "Too many attempts from your network. Try again later.",
    "unavailable": "Sign-in is temporarily unavailable. Try again in a few minutes.",
    "csrf": "This form has expired. Please sign in again.",
    "missing": "Enter your username and password.",
    "other_user": "Sign in as the user the application asked for.",
}


@dataclass
class FlowState:
    id: str
    request: LoginRequest
    csrf: str
    expires_at: int

    def to_json(self) -> str:
        return json.dumps(
            {
                "v": 1,
                "id": self.id,
                "request": self.request.to_json(),
                "csrf": self.csrf,
                "expires_at": self.expires_at,
            }
        )

    @classmethod
    def from_json(cls, raw: str) -> FlowState:
        data: dict[str, Any] = json.loads(raw)
        if data.get("v") != 1:
            raise ValueError("unknown flow state version")
        return cls(
            id=data["id"],
            request=LoginRequest.from_json(data["request"]),
            csrf=data["csrf"],
            expires_at=int(data["expires_at"]),
        )


class PasswordFlow:
    def __init__(
        self,
        cache: Cache,
        authenticator: PasswordAuthenticator,
        now: Callable[[], int],
        ttl: int = 1800,
    ) -> None:
        self._cache = cache
        self._auth = authenticator
        self._now = now
        self._ttl = ttl

    @property
    def acr_values_supported(self) -> tuple[str, ...]:
        return (ACR_PASSWORD,)

    # ---- FlowEngine

    async def start(self, request: LoginRequest) -> str:
        state = FlowState(
            id=secrets.token_urlsafe(18),
            request=request,
            csrf=secrets.token_urlsafe(24),
            expires_at=self._now() + self._ttl,
        )
        await self._cache.set(_STATE + state.id, state.to_json(), ttl=self._ttl)
        return f"{request.issuer}{LOGIN_PATH}{state.id}"

    async def result(self, interaction_id: str) -> LoginResult | LoginAborted | None:
        raw = await self._cache.take(_RESULT + interaction_id)
        if raw is None:
            return None
        data = json.loads(raw)
        if data.get("aborted"):
            return LoginAborted(str(data.get("reason") or "the user cancelled the login"))
        return LoginResult.from_json(data)

    # ---- FlowExecutor

    async def _state(self, flow_id: str, browser: str) -> FlowState | FlowProblem:
        raw = await self._cache.get(_STATE + flow_id) if 0 < len(flow_id) <= 64 else None
        state = None
        if raw is not None:
            try:
                state = FlowState.from_json(raw)
            except (ValueError, KeyError, TypeError):
                state = None
        if state is None or state.expires_at <= self._now():
            return FlowProblem(
                "This sign-in page has expired. Go back to the application and start again."
            )
        if not hmac.compare_digest(state.request.browser, browser):
            return FlowProblem(
                "This sign-in page belongs to another browser. Go back to the application and "
                "start again.",
                403,
            )
        return state

    def _challenge(
        self, state: FlowState, username: str = "", error: str | None = None, status: int = 200
    ) -> Challenge:
        return Challenge(
            component="password",
            flow_id=state.id,
            csrf=state.csrf,
            client_name=state.request.client_name,
            values={"username": username},
            error=error,
            status=status,
        )

    async def view(self, flow_id: str, browser: str) -> Challenge | FlowProblem:
        state = await self._state(flow_id, browser)
        if isinstance(state, FlowProblem):
            return state
        return self._challenge(state, state.request.login_hint or "")

    async def submit(
        self, flow_id: str, browser: str, form: dict[str, str], ip: str | None
    ) -> Challenge | Finished | FlowProblem:
        state = await self._state(flow_id, browser)
        if isinstance(state, FlowProblem):
            return state
        username = form.get("username", "")[:320]
        if not hmac.compare_digest(form.get("csrf", "").encode(), state.csrf.encode()):
            return self._challenge(state, username, MESSAGES["csrf"], 403)
        if form.get("action") == "cancel":
            return await self._finish(state, {"aborted": True, "reason": "the user cancelled"})
        password = form.get("password", "")
        if not username.strip() or not password:
            return self._challenge(state, username, MESSAGES["missing"], 400)
        outcome = await self._auth.verify(state.request.org_id, username, password[:1024], ip)
        if isinstance(outcome, Refused):
            message = MESSAGES[outcome.reason].format(minutes=max(1, -(-outcome.retry_after // 60)))
            status = {"locked": 429, "rate_limited": 429, "unavailable": 503}.get(
                outcome.reason, 401
            )
            return self._challenge(state, username, message, status)
        expected = state.request.expected_user_id
        if expected is not None and outcome.user_id != expected:
            return self._challenge(state, "", MESSAGES["other_user"], 401)
        result = LoginResult(
            user_id=outcome.user_id,
            auth_time=self._now(),
            amr=outcome.amr,
            acr=ACR_PASSWORD,
        )
        return await self._finish(state, result.to_json())

    async def _finish(self, state: FlowState, payload: dict[str, Any]) -> Finished:
        await self._cache.delete(_STATE + state.id)
        await self._cache.set(
            _RESULT + state.request.interaction_id, json.dumps(payload), ttl=self._ttl
        )
        return Finished(state.request.return_to)
