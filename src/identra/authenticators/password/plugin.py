"""The ``password`` option: username (or the identified user) and password."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from identra.authenticators.interface import (
    AuthContext,
    AuthenticatorDeps,
    Outcome,
    Passed,
    Prompt,
)
from identra.authenticators.password.authenticator import PasswordAuthenticator, Refused
from identra.i18n.message import N_

MESSAGES = {
    "invalid": N_("The username or password is not correct."),
    "locked": N_("Too many failed attempts. Try again in {minutes} minute(s)."),
    "rate_limited": N_("Too many attempts from your network. Try again later."),
    "unavailable": N_("Sign-in is temporarily unavailable. Try again in a few minutes."),
    "missing": N_("Enter your username and password."),
    "missing_password": N_("Enter your password."),
    "other_user": N_("Sign in as the user the application asked for."),
}
STATUS = {"locked": 429, "rate_limited": 429, "unavailable": 503}


class PasswordOption:
    name = "password"
    first_factor = True
    label = "Password"

    def __init__(
        self,
        verifier: PasswordAuthenticator,
        links: Callable[[AuthContext], Awaitable[dict[str, str]]] | None = None,
    ) -> None:
        self.verifier = verifier
        self._links = links

    def handles(self, option: str) -> bool:
        return option == self.name

    async def available(self, ctx: AuthContext) -> bool:
        return True

    async def _prompt(
        self, ctx: AuthContext, username: str = "", error: str | None = None, status: int = 200
    ) -> Prompt:
        fixed = ctx.username if ctx.identified else None
        values: dict[str, Any] = {
            "username": fixed or username or ctx.username or "",
            "username_fixed": bool(fixed),
        }
        if self._links is not None:
            values.update(await self._links(ctx))  # "Forgot your password?", "Create an account"
        return Prompt("password", values, error, status)

    async def prompt(self, ctx: AuthContext) -> Prompt:
        return await self._prompt(ctx)

    async def submit(self, ctx: AuthContext, form: Mapping[str, str]) -> Outcome:
        identified = ctx.identified and ctx.username is not None
        username = (ctx.username or "") if identified else form.get("username", "")[:320]
        password = form.get("password", "")
        if not username.strip() or not password:
            key = "missing_password" if identified else "missing"
            return await self._prompt(ctx, username, MESSAGES[key], 400)
        outcome = await self.verifier.verify(ctx.org_id, username, password[:1024], ctx.ip)
        if isinstance(outcome, Refused):
            minutes = max(1, -(-outcome.retry_after // 60))
            message = MESSAGES[outcome.reason].format(minutes=minutes)
            return await self._prompt(ctx, username, message, STATUS.get(outcome.reason, 401))
        return Passed(outcome.user_id, outcome.amr)

    async def callback(self, ctx: AuthContext, params: Mapping[str, str]) -> Outcome:
        return await self._prompt(ctx, error="This link cannot be used here.", status=400)


def create(deps: AuthenticatorDeps) -> PasswordOption:
    from identra.selfservice import settings as self_service
    from identra.storage.models import Organization
    from identra.storage.repositories.users_auth import SqlPasswordUserStore

    services = deps.services
    store = SqlPasswordUserStore(services.sessions, services.box, services.clock)

    async def links(ctx: AuthContext) -> dict[str, str]:
        """Links to the organization's self-service pages that are switched on."""
        async with services.sessions() as db:
            org = await db.get(Organization, ctx.org_id)
        if org is None:
            return {}
        enabled = self_service.read(org)
        out = {}
        if enabled.recovery:
            out["recover_url"] = f"{ctx.issuer}/recover"
        if enabled.registration:
            out["register_url"] = f"{ctx.issuer}/register"
        return out

    verifier = PasswordAuthenticator(store, services.cache, services.clock.timestamp)
    return PasswordOption(verifier, links)
