"""The ``action:<name>`` options: a custom authenticator backed by an authentication action.

A flow places an organization's authentication action like any other option
(``options password, action:pin-check``). Choosing it calls the service (WSO2 IS 7.1's
``AUTHENTICATION`` contract, ``identra.actions``) with the flow id, the application, the user
identified so far and the steps passed, and the URL to send the browser back to
(``event.returnUrl``, Identra's addition: ``{issuer}/login/{flow}/callback``). The service
answers:

- ``SUCCESS`` with ``data.user`` (``id`` of a local user, or a ``username`` claim): that user
  passed this step. A second-factor action (``config.mode: second_factor``) may answer
  ``SUCCESS`` alone: the user identified by the earlier steps passed. ``data.amr`` may list
  RFC 8176 values (default ``ext``);
- ``INCOMPLETE`` with ``operations: [{"op": "redirect", "url": ...}]``: the browser goes to the
  service's page; when the service sends it back to ``returnUrl``, Identra calls the service
  again with the same ``flowId`` (and the return's query parameters in
  ``event.request.additionalParams``) and expects ``SUCCESS`` or ``FAILED``;
- ``FAILED``: the step fails with ``failureDescription`` shown on the page.

The return is accepted only in the browser that started the flow (the engine's binding), only
while a redirect is pending (``scratch``), at most :data:`MAX_ROUNDS` times. A fault never lets
anyone through, whatever the action's failure policy: the option reports itself unavailable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from identra.actions.caller import Fault, Reply
from identra.actions.model import AUTHENTICATION, ActionSpec
from identra.actions.runtime import (
    ActionRuntime,
    Applied,
    Rejected,
    envelope,
    for_services,
    org_blocks,
    user_text,
)
from identra.authenticators.interface import (
    AuthContext,
    AuthenticatorDeps,
    Outcome,
    Passed,
    Prompt,
    Redirect,
)
from identra.i18n.message import N_
from identra.observability import audit
from identra.storage.models import User, UserStore

PREFIX = "action:"
TEMPLATE = "action"
MAX_ROUNDS = 3
USERNAME_URIS = ("http://wso2.org/claims/username", "username")
RFC8176 = frozenset(
    (
        "face", "fpt", "geo", "hwk", "iris", "kba", "mca", "mfa", "otp", "pin", "pop", "pwd",
        "rba", "retina", "sc", "sms", "swk", "tel", "user", "vbm", "wia",
    )
)  # fmt: skip
PARAM = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MESSAGES = {
    "not_available": (N_("This way to sign in is not available right now."), 503),
    "refused": (N_("Signing in this way did not succeed."), 401),
    "not_started": (N_("No sign-in of this kind is in progress here. Start again."), 400),
    "unknown_user": (N_("The account could not be found. Use another way to sign in."), 401),
    "needs_user": (N_("Sign in another way first."), 400),
}


@dataclass(frozen=True)
class _Go:
    url: str


@dataclass(frozen=True)
class _Who:
    user_id: str | None
    username: str | None
    amr: tuple[str, ...]


def _redirect_url(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 2000:
        raise Fault("disallowed_operation", "a redirect needs a url")
    parts = urlsplit(value)
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise Fault("disallowed_operation", "a redirect url must be https (http for loopback)")
    if any(c.isspace() or ord(c) < 0x20 for c in value):
        raise Fault("disallowed_operation", "the redirect url is not valid")
    return value


def interpret(reply: Reply) -> _Go | _Who:
    """What the answer asks for; Fault for anything else."""
    if reply.status == "INCOMPLETE":
        ops = reply.operations
        if len(ops) != 1 or ops[0].get("op") != "redirect" or set(ops[0]) - {"op", "url"}:
            raise Fault("disallowed_operation", "INCOMPLETE takes one redirect operation")
        return _Go(_redirect_url(ops[0].get("url")))
    if reply.operations:
        raise Fault("disallowed_operation", "SUCCESS takes no operations")
    data = reply.data
    user = data.get("user")
    amr_raw = data.get("amr", ["ext"])
    if not isinstance(amr_raw, list) or not all(
        isinstance(a, str) and (a in RFC8176 or a == "ext") for a in amr_raw
    ):
        raise Fault("invalid_response", "data.amr must list RFC 8176 values")
    amr = tuple(dict.fromkeys(amr_raw)) or ("ext",)
    if user is None:
        return _Who(None, None, amr)
    if not isinstance(user, dict):
        raise Fault("invalid_response", "data.user must be an object")
    user_id = user.get("id")
    if user_id is not None and (not isinstance(user_id, str) or not 0 < len(user_id) <= 64):
        raise Fault("invalid_response", "data.user.id must be a string")
    username = None
    claims = user.get("claims") or []
    if not isinstance(claims, list):
        raise Fault("invalid_response", "data.user.claims must be a list")
    for claim in claims:
        if isinstance(claim, dict) and claim.get("uri") in USERNAME_URIS:
            value = claim.get("value")
            if not isinstance(value, str) or not 0 < len(value) <= 255:
                raise Fault("invalid_response", "the username claim must be a string")
            username = value
    return _Who(user_id, username, amr)


class ActionOption:
    """``action:<name>``: the organization's authentication action ``<name>``."""

    name = PREFIX
    label = "Continue"
    first_factor = True

    def __init__(self, runtime: ActionRuntime) -> None:
        self.rt = runtime

    def handles(self, option: str) -> bool:
        return option.startswith(PREFIX) and len(option) > len(PREFIX)

    async def _spec(self, ctx: AuthContext) -> ActionSpec | None:
        spec = await self.rt.by_name(ctx.org_id, AUTHENTICATION, ctx.option[len(PREFIX) :])
        if spec is None:
            return None
        org = await self.rt.org(ctx.org_id)
        facts = {
            "application": ctx.client_id,
            "organization": (org.id, org.handle) if org is not None else None,
        }
        return spec if spec.rule.matches(facts) else None

    async def available(self, ctx: AuthContext) -> bool:
        spec = await self._spec(ctx)
        if spec is None:
            return False
        return not (spec.config.get("mode") == "second_factor" and ctx.user_id is None)

    def _prompt(self, ctx: AuthContext, spec: ActionSpec | None, error: str | None = None,
                status: int | None = None) -> Prompt:  # fmt: skip
        label = str(spec.config.get("label") or spec.name) if spec is not None else self.label
        message, code = MESSAGES.get(error or "", (error, 400)) if error else (None, 200)
        return Prompt(TEMPLATE, {"label": label}, message, status or code)

    async def prompt(self, ctx: AuthContext) -> Prompt:
        return self._prompt(ctx, await self._spec(ctx))

    async def submit(self, ctx: AuthContext, form: Mapping[str, str]) -> Outcome:
        spec = await self._spec(ctx)
        if spec is None:
            return self._prompt(ctx, None, "not_available")
        if spec.config.get("mode") == "second_factor" and ctx.user_id is None:
            return self._prompt(ctx, spec, "needs_user")
        ctx.scratch.clear()
        return await self._call(ctx, spec, {})

    async def callback(self, ctx: AuthContext, params: Mapping[str, str]) -> Outcome:
        spec = await self._spec(ctx)
        if spec is None:
            return self._prompt(ctx, None, "not_available")
        if not ctx.scratch.get("pending"):
            return self._prompt(ctx, spec, "not_started")
        ctx.scratch["pending"] = False
        returned = {k: v[:512] for k, v in params.items() if PARAM.match(k)}
        return await self._call(ctx, spec, dict(list(returned.items())[:20]))

    async def _call(self, ctx: AuthContext, spec: ActionSpec, returned: dict[str, str]) -> Outcome:
        org = await self.rt.org(ctx.org_id)
        if org is None:
            return self._prompt(ctx, spec, "not_available")
        event: dict[str, Any] = {
            **org_blocks(org),
            "application": {"id": ctx.client_id, "name": ctx.client_name},
            "currentStepIndex": len(ctx.passed) + 1,
            "authenticatedSteps": [{"index": i + 1, "name": n} for i, n in enumerate(ctx.passed)],
            "returnUrl": ctx.callback_url,
            "request": {"additionalParams": {k: [v] for k, v in returned.items()}},
        }
        if ctx.user_id is not None:
            user = await self.rt.user(ctx.org_id, ctx.user_id)
            if user is not None:
                event["user"] = {"id": user.id, "userIdentitySource": "LOCAL"}
                event["userStore"] = {"id": user.store_id, "name": user.store}
        payload = envelope(spec, event, [{"op": "redirect"}], flow_id=ctx.flow_id)
        actor = audit.Actor("user", ctx.user_id, ctx.ip)
        result = await self.rt.run(spec, payload, interpret, actor=actor, org_id=ctx.org_id)
        if isinstance(result, Rejected):
            return self._prompt(ctx, spec, user_text(result.description) or "refused", 401)
        if not isinstance(result, Applied):
            return self._prompt(ctx, spec, "not_available")
        value = result.value
        if isinstance(value, _Go):
            rounds = int(ctx.scratch.get("rounds", 0)) + 1
            if rounds > MAX_ROUNDS:
                return self._prompt(ctx, spec, "refused")
            ctx.scratch.update(pending=True, rounds=rounds)
            return Redirect(value.url)
        user_id = await self._resolve(ctx, value)
        if user_id is None:
            error = "needs_user" if value.user_id is None and value.username is None else None
            return self._prompt(ctx, spec, error or "unknown_user")
        return Passed(user_id, value.amr)

    async def _resolve(self, ctx: AuthContext, who: _Who) -> str | None:
        """The local, active user the answer names (or the one identified before)."""
        if who.user_id is None and who.username is None:
            return ctx.user_id
        conditions = [User.org_id == ctx.org_id, User.status == "active"]
        if who.user_id is not None:
            conditions.append(User.id == who.user_id)
        if who.username is not None:
            conditions.append(User.username_normalized == who.username.lower())
        async with self.rt.services.sessions() as session:
            row = (
                await session.execute(
                    select(User.id, User.locked_until)
                    .join(UserStore, UserStore.id == User.user_store_id)
                    .where(*conditions, UserStore.enabled.is_(True))
                )
            ).first()
        if row is None:
            return None
        locked_until = row[1]
        if locked_until is not None and locked_until > self.rt.services.clock.now():
            return None
        return str(row[0])


def create(deps: AuthenticatorDeps) -> ActionOption:
    return ActionOption(for_services(deps.services))
