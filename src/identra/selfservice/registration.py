"""Self-registration with email verification.

An organization that turns it on (``settings.self_service.registration``) lets anyone create an
account in its ``PRIMARY`` store. The account starts ``unverified`` (it cannot sign in) with an
unverified email address; the emailed link (single use, 24 hours) verifies the address and makes
the account ``active``.

Enumeration: a taken *username* is reported (the person has to choose another one; there is no
way around it), throttled per IP. A taken *email address* is never revealed: the page says "check
your inbox" as on success, and the owner of the address receives a message saying an account
already exists (with a link to reset the password). The password is hashed on both paths, so
the response time does not tell them apart either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from identra.actions import users as actions
from identra.admin import users as users_admin
from identra.errors import Conflict
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
    check_email,
    check_name,
    check_username,
    clean_text,
    load_org,
    policy_of,
)
from identra.selfservice.passwords import new_hash
from identra.selfservice.policy import check
from identra.storage.models import User, UserEmail, UserStore
from identra.userstores.registry import PRIMARY

VERIFY = "verify-email"
VERIFY_TTL = 24 * 3600
IP_LIMIT = 10  # registrations (attempts that pass the form checks) per IP and hour
IP_WINDOW = 3600

NOT_AVAILABLE = "Creating an account is not available here. Ask your administrator for access."
NO_EMAIL = "Creating an account is temporarily unavailable. Try again later."
TOO_MANY = "Too many accounts were requested from your network. Try again in an hour."
TAKEN = "That username is not available. Choose another."
LINK_INVALID = (
    "This link cannot be used: it has already been used, it has expired (links work for 24 "
    "hours) or it was copied incompletely."
)


@dataclass(frozen=True)
class RegistrationForm:
    username: str
    email: str
    password: str
    given_name: str
    family_name: str

    @classmethod
    def parse(cls, form: Mapping[str, str]) -> RegistrationForm:
        return cls(
            username=clean_text(form.get("username", "")),
            email=clean_text(form.get("email", "")),
            password=form.get("password", ""),
            given_name=clean_text(form.get("given_name", "")),
            family_name=clean_text(form.get("family_name", "")),
        )

    def errors(self) -> Errors:
        found: Errors = {}
        add(found, "username", check_username(self.username))
        add(found, "email", check_email(self.email))
        add(found, "given_name", check_name(self.given_name, "given name"))
        add(found, "family_name", check_name(self.family_name, "family name"))
        return found


def verify_url(issuer: str, token: str) -> str:
    return f"{issuer}/register/verify?token={token}"


def recover_url(issuer: str) -> str:
    return f"{issuer}/recover"


class Registration:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def available(self, org_id: str) -> Refused | None:
        """None when registration is open; otherwise why not."""
        async with self.deps.services.sessions() as session:
            org = await load_org(session, org_id)
        if org is None or not org_settings.read(org).registration:
            return Refused.form(NOT_AVAILABLE, 404)
        if self.deps.email is None:
            return Refused.form(NO_EMAIL, 503)
        return None

    async def register(
        self, org_id: str, issuer: str, form: RegistrationForm, ip: str | None
    ) -> Result:
        deps = self.deps
        services = deps.services
        closed = await self.available(org_id)
        if closed is not None:
            return closed
        async with services.sessions() as session:
            org = await load_org(session, org_id)
        assert org is not None
        errors = form.errors()
        policy = policy_of(org)
        for violation in check(policy, form.password, [form.username, form.email]):
            add(errors, "password", violation.message)
        if errors:
            return Refused(errors)
        if ip is not None and not await allow(deps, f"register:{org_id}:{ip}", IP_LIMIT, IP_WINDOW):
            return Refused.form(TOO_MANY, 429)
        async with services.sessions() as session:
            taken = await session.scalar(
                select(User.id).where(
                    User.org_id == org_id, User.username_normalized == form.username.lower()
                )
            )
        if taken is not None:
            return Refused({"username": [TAKEN]}, 409)
        # The organization's pre-registration actions may refuse or enrich (identra.actions).
        checked = await actions.check_registration(
            services,
            org_id,
            {
                "username": form.username,
                "email": form.email,
                "given_name": form.given_name,
                "family_name": form.family_name,
            },
            store=PRIMARY,
            ip=ip,
        )
        if isinstance(checked, actions.Refusal):
            return Refused.form(checked.message, 503 if checked.unavailable else 400)
        extra = dict(checked.fields)
        # Hash before looking at the email address: both answers then take as long.
        hashed = await new_hash(form.password)
        email = form.email.lower()
        async with services.sessions.begin() as session:
            org = await load_org(session, org_id)
            assert org is not None
            in_use = await session.scalar(
                select(UserEmail.user_id)
                .where(UserEmail.org_id == org_id, UserEmail.value_normalized == email)
                .limit(1)
            )
            if in_use is not None:
                notice = mail.render(
                    "register/email/exists",
                    form.email,
                    org_name=org.name,
                    recover_url=recover_url(issuer),
                )
                return Done(mail.Outbox(deps.email, [notice]))
            store = await session.scalar(
                select(UserStore).where(UserStore.org_id == org_id, UserStore.identifier == PRIMARY)
            )
            if store is None or store.read_only or not store.enabled or store.kind != "database":
                return Refused.form(NOT_AVAILABLE, 404)
            new = users_admin.NewUser(
                username=form.username,
                status="unverified",
                given_name=extra.pop("given_name", None) or form.given_name or None,
                family_name=extra.pop("family_name", None) or form.family_name or None,
                display_name=extra.pop("display_name", None),
                locale=extra.pop("locale", None),
                emails=[users_admin.ContactPoint(form.email, primary=True, verified=False)],
                claims=extra,
            )
            actor = audit.Actor("user", None, ip)
            try:
                user, _store = await users_admin.create(session, org, new, actor, services.clock)
            except Conflict:
                return Refused({"username": [TAKEN]}, 409)
            user.password_hash = hashed
            user.password_changed_at = services.clock.now()
            audit.record(
                session,
                org_id=org_id,
                action="user.register",
                actor=audit.Actor("user", user.id, ip),
                target_type="user",
                target_id=user.id,
                details={"username": user.username},
            )
            user_id = user.id
            org_name = org.name
        token = await deps.links.issue(
            VERIFY, {"org": org_id, "user": user_id, "email": email}, VERIFY_TTL
        )
        message = mail.render(
            "register/email/verify",
            form.email,
            org_name=org_name,
            username=form.username,
            link=verify_url(issuer, token),
            hours=VERIFY_TTL // 3600,
        )
        return Done(mail.Outbox(deps.email, [message]))

    async def resend(
        self, org_id: str, org_name: str, issuer: str, user: User
    ) -> OutgoingEmail | None:
        """A new verification link for a user still ``unverified`` (asked for on the recovery
        page: whoever lost the first email gets another one)."""
        emails = sorted(user.emails, key=lambda e: (not e.primary, e.position))
        if user.status != "unverified" or not emails:
            return None
        target = emails[0]
        token = await self.deps.links.issue(
            VERIFY,
            {"org": org_id, "user": user.id, "email": target.value_normalized},
            VERIFY_TTL,
        )
        return mail.render(
            "register/email/verify",
            target.value,
            org_name=org_name,
            username=user.username,
            link=verify_url(issuer, token),
            hours=VERIFY_TTL // 3600,
        )

    async def verify(self, org_id: str, token: str, ip: str | None) -> Result:
        """Use a verification link: the address is verified, an unverified account active."""
        data = await self.deps.links.take(VERIFY, token)
        if data is None or data.get("org") != org_id:
            return Refused.form(LINK_INVALID)
        services = self.deps.services
        async with services.sessions.begin() as session:
            user = await session.scalar(
                select(User).where(User.id == str(data.get("user")), User.org_id == org_id)
            )
            address = next(
                (e for e in (user.emails if user else []) if e.value_normalized == data["email"]),
                None,
            )
            if user is None or address is None or user.status not in ("unverified", "active"):
                return Refused.form(LINK_INVALID)
            address.verified = True
            activated = user.status == "unverified"
            if activated:
                user.status = "active"
            user.version += 1
            user.updated_at = services.clock.now()
            audit.record(
                session,
                org_id=org_id,
                action="user.email_verify",
                actor=audit.Actor("user", user.id, ip),
                target_type="user",
                target_id=user.id,
                details={"activated": activated},
            )
            return Done(values={"username": user.username})
