"""Password recovery by email.

1. ``/recover``: the user types a username or an email address. The page always answers the
   same ("if an account matches, we sent a link"); finding the account and sending the email
   happen after the response has gone out, so neither the text nor the time of the answer
   tells whether an account exists. Per IP and per typed identifier, requests are throttled.
2. An active account of a writable database store with a *verified* email address receives a
   reset link (single use, 30 minutes). An account still waiting for its email verification
   receives a new verification link instead. Nobody else receives anything.
3. The link's page asks for a new password (the organization's policy applies). Using it sets
   the password, resets the lockout counters, ends every SSO session of the user (with
   back-channel logout and the revocation of the refresh tokens issued in them), invalidates
   every other reset link of the user (they are bound to the password they replace), notifies
   the user by email, and is audited.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import or_, select

from identra.actions import users as actions
from identra.notify import OutgoingEmail
from identra.observability import audit
from identra.selfservice import mail
from identra.selfservice import settings as org_settings
from identra.selfservice.common import (
    Deps,
    Done,
    Errors,
    Refused,
    Result,
    add,
    allow,
    clean_text,
    load_org,
    policy_of,
)
from identra.selfservice.passwords import changed_stamp, new_hash, store, violations
from identra.selfservice.registration import Registration
from identra.storage.models import Organization, User, UserEmail, UserStore

log = logging.getLogger(__name__)

RESET = "reset-password"
RESET_TTL = 30 * 60
IP_LIMIT = 10  # recovery requests per IP per window
IP_WINDOW = 900
ACCOUNT_LIMIT = 3  # emails per typed identifier per hour (no mail bombing)
ACCOUNT_WINDOW = 3600
MAX_MATCHES = 5  # accounts sharing one email address get one link each, up to this many

NOT_AVAILABLE = (
    "Password recovery is not available here. Ask your administrator to reset your password."
)
NO_EMAIL = "Password recovery is temporarily unavailable. Try again later."
TOO_MANY = "Too many recovery requests from your network. Try again in 15 minutes."
MISSING = "Enter your username or email address."
LINK_INVALID = (
    "This link cannot be used: it has already been used, it has expired (links work for 30 "
    "minutes), a newer link replaced it, or it was copied incompletely. Ask for a new one."
)
MISMATCH = "The two passwords do not match. Type the same new password twice."


@dataclass(frozen=True)
class ResetTarget:
    user_id: str
    username: str


def reset_url(issuer: str, token: str) -> str:
    return f"{issuer}/recover/reset?token={token}"


class Recovery:
    def __init__(self, deps: Deps, registration: Registration) -> None:
        self.deps = deps
        self.registration = registration

    async def available(self, org_id: str) -> Refused | None:
        async with self.deps.services.sessions() as session:
            org = await load_org(session, org_id)
        if org is None or not org_settings.read(org).recovery:
            return Refused.form(NOT_AVAILABLE, 404)
        if self.deps.email is None:
            return Refused.form(NO_EMAIL, 503)
        return None

    async def request(self, org_id: str, issuer: str, identifier: str, ip: str | None) -> Result:
        closed = await self.available(org_id)
        if closed is not None:
            return closed
        identifier = clean_text(identifier)[:320]
        if not identifier:
            return Refused({"identifier": [MISSING]})
        if ip is not None and not await allow(
            self.deps, f"recover:{org_id}:{ip}", IP_LIMIT, IP_WINDOW
        ):
            return Refused.form(TOO_MANY, 429)

        async def later() -> None:
            await self._deliver(org_id, issuer, identifier, ip)

        return Done(later=later)

    async def _deliver(self, org_id: str, issuer: str, identifier: str, ip: str | None) -> None:
        """Find the account(s) and send what fits; runs after the response."""
        try:
            key = self.deps.services.box.digest("recover:" + identifier.lower())
            if not await allow(
                self.deps, f"recover-id:{org_id}:{key}", ACCOUNT_LIMIT, ACCOUNT_WINDOW
            ):
                return
            messages = await self._messages(org_id, issuer, identifier, ip)
            await mail.Outbox(self.deps.email, messages).deliver()
        except Exception:
            log.exception("password recovery request failed")

    async def _messages(
        self, org_id: str, issuer: str, identifier: str, ip: str | None
    ) -> list[OutgoingEmail]:
        services = self.deps.services
        name = identifier.lower()
        out: list[OutgoingEmail] = []
        async with services.sessions.begin() as session:
            org = await load_org(session, org_id)
            if org is None:
                return []
            query = (
                select(User)
                .join(UserStore, UserStore.id == User.user_store_id)
                .where(
                    User.org_id == org_id,
                    UserStore.kind == "database",
                    UserStore.enabled.is_(True),
                    UserStore.read_only.is_(False),
                )
            )
            if "@" in name:
                owners = select(UserEmail.user_id).where(
                    UserEmail.org_id == org_id, UserEmail.value_normalized == name
                )
                query = query.where(or_(User.id.in_(owners), User.username_normalized == name))
            else:
                query = query.where(User.username_normalized == name)
            users = list(await session.scalars(query.limit(MAX_MATCHES)))
            for user in users:
                message = await self._message_for(org, issuer, user, name)
                if message is None:
                    continue
                out.append(message)
                audit.record(
                    session,
                    org_id=org_id,
                    action="user.recovery_request",
                    actor=audit.Actor("user", None, ip),
                    target_type="user",
                    target_id=user.id,
                    details={"sent": "verification" if user.status == "unverified" else "reset"},
                )
        return out

    async def _message_for(
        self, org: Organization, issuer: str, user: User, typed: str
    ) -> OutgoingEmail | None:
        if user.status == "unverified":
            return await self.registration.resend(org.id, org.name, issuer, user)
        if user.status != "active":
            return None
        verified = [e for e in user.emails if e.verified]
        if not verified:
            return None
        # The address typed, when it is one of the user's; else the primary verified one.
        chosen = next((e for e in verified if e.value_normalized == typed), None)
        if chosen is None:
            chosen = sorted(verified, key=lambda e: (not e.primary, e.position))[0]
        token = await self.deps.links.issue(
            RESET,
            {
                "org": org.id,
                "user": user.id,
                "changed": changed_stamp(user.password_changed_at),
            },
            RESET_TTL,
        )
        return mail.render(
            "recovery/email/reset",
            chosen.value,
            org_name=org.name,
            username=user.username,
            link=reset_url(issuer, token),
            minutes=RESET_TTL // 60,
        )

    # ---- the link ------------------------------------------------------------------------

    async def _target(self, org_id: str, token: str) -> tuple[User, dict[str, object]] | None:
        data = await self.deps.links.peek(RESET, token)
        if data is None or data.get("org") != org_id:
            return None
        async with self.deps.services.sessions() as session:
            user = await session.scalar(
                select(User).where(User.id == str(data.get("user")), User.org_id == org_id)
            )
        if user is None or not _still_valid(user, data):
            return None
        return user, data

    async def view(self, org_id: str, token: str) -> ResetTarget | None:
        found = await self._target(org_id, token)
        if found is None:
            return None
        return ResetTarget(found[0].id, found[0].username)

    async def reset(
        self, org_id: str, issuer: str, token: str, password: str, confirm: str, ip: str | None
    ) -> Result:
        found = await self._target(org_id, token)
        if found is None:
            return Refused.form(LINK_INVALID)
        user, _data = found
        services = self.deps.services
        errors: Errors = {}
        if password and password != confirm:
            add(errors, "confirm", MISMATCH)
        async with services.sessions() as session:
            org = await load_org(session, org_id)
            assert org is not None
            policy = policy_of(org)
            if not errors:
                for violation in await violations(session, policy, user, password):
                    add(errors, "password", violation.message)
        if not errors:  # the organization's pre-update password actions (identra.actions)
            refusal = await actions.check_password(
                services,
                org_id,
                user.id,
                password,
                flow="userInitiatedPasswordReset",
                action="RESET",
                actor=audit.Actor("user", user.id, ip),
            )
            if refusal is not None:
                add(errors, "password", refusal.message)
        if errors:
            return Refused(errors)
        hashed = await new_hash(password)
        data = await self.deps.links.take(RESET, token)
        if data is None or data.get("user") != user.id:
            return Refused.form(LINK_INVALID)
        async with services.sessions.begin() as session:
            current = await session.scalar(
                select(User).where(User.id == user.id, User.org_id == org_id)
            )
            if current is None or not _still_valid(current, data):
                return Refused.form(LINK_INVALID)
            await store(session, current, hashed, policy, services.clock)
            audit.record(
                session,
                org_id=org_id,
                action="user.password_reset",
                actor=audit.Actor("user", current.id, ip),
                target_type="user",
                target_id=current.id,
            )
            notify_to = _notify_address(current)
            username = current.username
        ended = await self.deps.sessions.end_all(org_id, user.id)
        async with services.sessions.begin() as session:
            audit.record(
                session,
                org_id=org_id,
                action="user.sessions_end",
                actor=audit.Actor("user", user.id, ip),
                target_type="user",
                target_id=user.id,
                details={"reason": "password_reset", "ended": ended},
            )
        messages = []
        if notify_to is not None:
            messages.append(
                mail.render(
                    "recovery/email/changed",
                    notify_to,
                    org_name=org.name,
                    username=username,
                    recover_url=f"{issuer}/recover",
                )
            )
        return Done(mail.Outbox(self.deps.email, messages), values={"username": username})


def _still_valid(user: User, data: dict[str, object]) -> bool:
    return user.status == "active" and data.get("changed") == changed_stamp(
        user.password_changed_at
    )


def _notify_address(user: User) -> str | None:
    verified = sorted(
        (e for e in user.emails if e.verified), key=lambda e: (not e.primary, e.position)
    )
    return verified[0].value if verified else None
