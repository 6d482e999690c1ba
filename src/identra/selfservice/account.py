"""What the My Account portal reads and changes for the signed-in user.

Every change is checked here (the web layer only adds CSRF and the session) and audited with
the user as the actor. Sensitive changes need proof that the person at the keyboard is the
user: the current password (password change, removing an MFA credential), or a recent sign-in
(the web layer's ``recent`` flag: adding or removing an email address, unlinking an account,
enrolling a credential).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.actions import users as actions
from identra.crypto.passwords import verify_password
from identra.observability import audit
from identra.selfservice import mail
from identra.selfservice.common import (
    Deps,
    Done,
    Errors,
    Refused,
    Result,
    add,
    allow,
    check_email,
    check_locale,
    check_name,
    clean_text,
    load_org,
    policy_of,
)
from identra.selfservice.passwords import new_hash, store, violations
from identra.storage.models import (
    Application,
    Consent,
    Credential,
    FederatedIdentity,
    IdentityProvider,
    User,
    UserEmail,
    UserStore,
)
from identra.storage.repositories.consents import SqlConsentStore
from identra.userstores.registry import DIRECTORY_KINDS

CHANGE_EMAIL = "change-email"
CHANGE_EMAIL_TTL = 24 * 3600
PASSWORD_TRIES = 10  # current-password checks per user per window
PASSWORD_WINDOW = 900

WRONG_PASSWORD = "Your current password is not correct."
MISSING_CURRENT = "Enter your current password."
TOO_MANY_TRIES = "Too many attempts. Try again in 15 minutes."
MISMATCH = "The two new passwords do not match. Type the same new password twice."
MANAGED = (
    "Your account is managed by your organization's directory: change it there, or ask your "
    "administrator."
)
NEEDS_RECENT = "For your security, sign in again before making this change."
GONE = "That item no longer exists. The list below is up to date."
LAST_WAY = (
    "You cannot unlink your only way to sign in. Set a password first, then unlink this account."
)
EMAIL_LINK_INVALID = (
    "This link cannot be used: it has already been used, it has expired (links work for 24 "
    "hours) or it was copied incompletely. Ask for a new one in My Account."
)
EMAIL_TAKEN = (
    "This email address now belongs to another account of this organization, so it cannot be "
    "added to yours."
)


@dataclass(frozen=True)
class Profile:
    user_id: str
    username: str
    given_name: str
    family_name: str
    locale: str
    email: str | None
    email_verified: bool
    has_password: bool
    managed: bool  # a directory (LDAP) or read-only store holds the account
    active: bool


@dataclass(frozen=True)
class CredentialRow:
    id: str
    kind: str
    name: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class ConsentRow:
    application_id: str
    application: str
    scopes: tuple[str, ...]
    granted_at: datetime


@dataclass(frozen=True)
class LinkRow:
    id: str
    provider: str
    subject: str
    created_at: datetime


def email_change_url(issuer: str, token: str) -> str:
    return f"{issuer}/account/email/verify?token={token}"


def primary_email(user: User) -> UserEmail | None:
    emails = sorted(user.emails, key=lambda e: (not e.primary, e.position))
    return emails[0] if emails else None


class Account:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def _user(self, session: AsyncSession, org_id: str, user_id: str) -> User | None:
        return await session.scalar(select(User).where(User.id == user_id, User.org_id == org_id))

    async def _managed(self, session: AsyncSession, user: User) -> bool:
        store = await session.get(UserStore, user.user_store_id)
        return store is None or store.kind in DIRECTORY_KINDS or store.read_only

    async def profile(self, org_id: str, user_id: str) -> Profile | None:
        async with self.deps.services.sessions() as session:
            user = await self._user(session, org_id, user_id)
            if user is None:
                return None
            email = primary_email(user)
            return Profile(
                user_id=user.id,
                username=user.username,
                given_name=user.given_name or "",
                family_name=user.family_name or "",
                locale=user.locale or "",
                email=email.value if email else None,
                email_verified=bool(email and email.verified),
                has_password=bool(user.password_hash),
                managed=await self._managed(session, user),
                active=user.status == "active",
            )

    def _actor(self, user_id: str, ip: str | None) -> audit.Actor:
        return audit.Actor("user", user_id, ip)

    # ---- profile -------------------------------------------------------------------------

    async def update_profile(
        self, org_id: str, user_id: str, form: Mapping[str, str], ip: str | None
    ) -> Result:
        given = clean_text(form.get("given_name", ""))
        family = clean_text(form.get("family_name", ""))
        locale = clean_text(form.get("locale", ""))
        errors: Errors = {}
        add(errors, "given_name", check_name(given, "given name"))
        add(errors, "family_name", check_name(family, "family name"))
        add(errors, "locale", check_locale(locale))
        if errors:
            return Refused(errors)
        refusal = await self._check_profile(org_id, user_id, given, family, locale, ip)
        if refusal is not None:
            return Refused.form(refusal.message)
        async with self.deps.services.sessions.begin() as session:
            user = await self._user(session, org_id, user_id)
            if user is None:
                return Refused.form(GONE, 404)
            if await self._managed(session, user):
                return Refused.form(MANAGED, 403)
            changes = {
                name: value or None
                for name, value in (
                    ("given_name", given),
                    ("family_name", family),
                    ("locale", locale),
                )
                if (getattr(user, name) or "") != value
            }
            if not changes:
                return Done(values={"message": "Nothing to change."})
            for name, value in changes.items():
                setattr(user, name, value)
            user.version += 1
            user.updated_at = self.deps.services.clock.now()
            audit.record(
                session,
                org_id=org_id,
                action="user.profile_update",
                actor=self._actor(user_id, ip),
                target_type="user",
                target_id=user_id,
                details={"fields": sorted(changes)},
            )
        return Done(values={"message": "Your profile was saved."})

    async def _check_profile(
        self, org_id: str, user_id: str, given: str, family: str, locale: str, ip: str | None
    ) -> actions.Refusal | None:
        """The organization's pre-update profile actions (identra.actions), run before the
        change is written (no transaction is open while the service is called)."""
        async with self.deps.services.sessions() as session:
            user = await self._user(session, org_id, user_id)
            if user is None or await self._managed(session, user):
                return None
            fields = ("given_name", "family_name", "locale")
            current = {name: getattr(user, name) for name in fields}
        proposed = {
            name: value or None
            for name, value in zip(fields, (given, family, locale), strict=True)
            if (current[name] or "") != value
        }
        if not proposed:
            return None
        return await actions.check_profile(
            self.deps.services,
            org_id,
            user_id,
            current,
            proposed,
            actor=self._actor(user_id, ip),
        )

    # ---- email ---------------------------------------------------------------------------

    async def request_email_change(
        self,
        org_id: str,
        issuer: str,
        user_id: str,
        new_email: str,
        *,
        recent: bool,
        ip: str | None,
    ) -> Result:
        if not recent:
            return Refused.form(NEEDS_RECENT, 401)
        new_email = clean_text(new_email)
        problem = check_email(new_email)
        if problem is not None:
            return Refused({"email": [problem]})
        if self.deps.email is None:
            return Refused.form("Email cannot be sent right now. Try again later.", 503)
        if not await allow(self.deps, f"email-change:{user_id}", 5, 3600):
            return Refused.form("Too many email changes asked for. Try again in an hour.", 429)
        async with self.deps.services.sessions.begin() as session:
            user = await self._user(session, org_id, user_id)
            org = await load_org(session, org_id)
            if user is None or org is None:
                return Refused.form(GONE, 404)
            if await self._managed(session, user):
                return Refused.form(MANAGED, 403)
            current = primary_email(user)
            if current is not None and current.value_normalized == new_email.lower():
                return Refused({"email": ["This is already your email address."]})
            audit.record(
                session,
                org_id=org_id,
                action="user.email_change_request",
                actor=self._actor(user_id, ip),
                target_type="user",
                target_id=user_id,
            )
            username = user.username
            org_name = org.name
        token = await self.deps.links.issue(
            CHANGE_EMAIL,
            {"org": org_id, "user": user_id, "email": new_email},
            CHANGE_EMAIL_TTL,
        )
        message = mail.render(
            "account/email/change",
            new_email,
            org_name=org_name,
            username=username,
            link=email_change_url(issuer, token),
            hours=CHANGE_EMAIL_TTL // 3600,
        )
        return Done(
            mail.Outbox(self.deps.email, [message]),
            values={
                "message": f"We sent a link to {new_email}. Open it to confirm the new address; "
                "until then your current address stays."
            },
        )

    async def confirm_email_change(self, org_id: str, token: str, ip: str | None) -> Result:
        data = await self.deps.links.take(CHANGE_EMAIL, token)
        if data is None or data.get("org") != org_id:
            return Refused.form(EMAIL_LINK_INVALID)
        value = str(data["email"])
        normalized = value.lower()
        async with self.deps.services.sessions.begin() as session:
            user = await self._user(session, org_id, str(data.get("user")))
            if user is None or user.status != "active":
                return Refused.form(EMAIL_LINK_INVALID)
            other = await session.scalar(
                select(UserEmail.id).where(
                    UserEmail.org_id == org_id,
                    UserEmail.value_normalized == normalized,
                    UserEmail.user_id != user.id,
                )
            )
            if other is not None:
                return Refused.form(EMAIL_TAKEN, 409)
            current = primary_email(user)
            old = current.value if current else None
            same = next((e for e in user.emails if e.value_normalized == normalized), None)
            if same is not None and same is not current:
                user.emails.remove(same)
                await session.flush()
            if current is None:
                user.emails.append(
                    UserEmail(
                        org_id=org_id,
                        value=value,
                        value_normalized=normalized,
                        primary=True,
                        verified=True,
                        position=0,
                    )
                )
            else:
                current.value = value
                current.value_normalized = normalized
                current.verified = True
                current.primary = True
            user.version += 1
            user.updated_at = self.deps.services.clock.now()
            audit.record(
                session,
                org_id=org_id,
                action="user.email_change",
                actor=self._actor(user.id, ip),
                target_type="user",
                target_id=user.id,
            )
            username = user.username
        messages = []
        if old is not None and old.lower() != normalized and self.deps.email is not None:
            messages.append(
                mail.render("account/email/changed", old, username=username, new_email=value)
            )
        return Done(mail.Outbox(self.deps.email, messages), values={"email": value})

    # ---- password ------------------------------------------------------------------------

    async def _check_current(self, user: User, password: str) -> str | None:
        """None when ``password`` is the user's current one; otherwise the message."""
        if not password:
            return MISSING_CURRENT
        if not await allow(self.deps, f"current-pw:{user.id}", PASSWORD_TRIES, PASSWORD_WINDOW):
            return TOO_MANY_TRIES
        if not user.password_hash:
            return WRONG_PASSWORD
        result = await asyncio.to_thread(verify_password, user.password_hash, password[:1024])
        return None if result.ok else WRONG_PASSWORD

    async def change_password(
        self,
        org_id: str,
        user_id: str,
        form: Mapping[str, str],
        *,
        recent: bool,
        keep_sid: str | None,
        ip: str | None,
    ) -> Result:
        """Change (or, for a user without one and a recent sign-in, set) the password."""
        current = form.get("current_password", "")
        password = form.get("new_password", "")
        confirm = form.get("confirm_password", "")
        services = self.deps.services
        errors: Errors = {}
        async with services.sessions() as session:
            user = await self._user(session, org_id, user_id)
            org = await load_org(session, org_id)
            if user is None or org is None:
                return Refused.form(GONE, 404)
            if await self._managed(session, user):
                return Refused.form(MANAGED, 403)
            if user.password_hash:
                add(errors, "current_password", await self._check_current(user, current))
            elif not recent:
                return Refused.form(NEEDS_RECENT, 401)
            if password and password != confirm:
                add(errors, "confirm_password", MISMATCH)
            policy = policy_of(org)
            if not errors:
                for violation in await violations(session, policy, user, password):
                    add(errors, "new_password", violation.message)
        if not errors:  # the organization's pre-update password actions (identra.actions)
            refusal = await actions.check_password(
                services,
                org_id,
                user_id,
                password,
                flow="userInitiatedPasswordUpdate",
                actor=self._actor(user_id, ip),
            )
            if refusal is not None:
                add(errors, "new_password", refusal.message)
        if errors:
            return Refused(errors)
        hashed = await new_hash(password)
        async with services.sessions.begin() as session:
            user = await self._user(session, org_id, user_id)
            if user is None:
                return Refused.form(GONE, 404)
            await store(session, user, hashed, policy, services.clock)
            audit.record(
                session,
                org_id=org_id,
                action="user.password_change",
                actor=self._actor(user_id, ip),
                target_type="user",
                target_id=user_id,
            )
        ended = await self.deps.sessions.end_all(org_id, user_id, keep=keep_sid)
        if ended:
            async with services.sessions.begin() as session:
                audit.record(
                    session,
                    org_id=org_id,
                    action="user.sessions_end",
                    actor=self._actor(user_id, ip),
                    target_type="user",
                    target_id=user_id,
                    details={"reason": "password_change", "ended": ended},
                )
        note = " Your other sessions were signed out." if ended else ""
        return Done(values={"message": "Your password was changed." + note})

    # ---- MFA credentials -----------------------------------------------------------------

    async def credentials(self, org_id: str, user_id: str) -> list[CredentialRow]:
        async with self.deps.services.sessions() as session:
            rows = await session.scalars(
                select(Credential)
                .where(Credential.org_id == org_id, Credential.user_id == user_id)
                .order_by(Credential.created_at)
            )
            return [CredentialRow(r.id, r.kind, r.name, r.created_at, r.last_used_at) for r in rows]

    async def remove_credential(
        self,
        org_id: str,
        user_id: str,
        credential_id: str,
        password: str,
        *,
        recent: bool,
        ip: str | None,
    ) -> Result:
        async with self.deps.services.sessions.begin() as session:
            user = await self._user(session, org_id, user_id)
            if user is None:
                return Refused.form(GONE, 404)
            row = await session.scalar(
                select(Credential).where(
                    Credential.id == credential_id[:36],
                    Credential.org_id == org_id,
                    Credential.user_id == user_id,
                )
            )
            if row is None:
                return Refused.form(GONE, 404)
            if user.password_hash:
                problem = await self._check_current(user, password)
                if problem is not None:
                    # Form-level: the page has one password field per credential.
                    return Refused.form(problem, 401 if problem == WRONG_PASSWORD else 400)
            elif not recent:
                return Refused.form(NEEDS_RECENT, 401)
            await session.delete(row)
            audit.record(
                session,
                org_id=org_id,
                action="credential.delete",
                actor=self._actor(user_id, ip),
                target_type="credential",
                target_id=row.id,
                details={"kind": row.kind},
            )
            label = row.name or row.kind
        return Done(values={"message": f"Removed {label}."})

    # ---- consents ------------------------------------------------------------------------

    async def consents(self, org_id: str, user_id: str) -> list[ConsentRow]:
        async with self.deps.services.sessions() as session:
            rows = await session.execute(
                select(Consent, Application.name)
                .join(Application, Application.id == Consent.application_id)
                .where(Consent.org_id == org_id, Consent.user_id == user_id)
                .order_by(Application.name)
            )
            return [
                ConsentRow(c.application_id, name, tuple(c.scopes or ()), c.created_at)
                for c, name in rows
            ]

    async def revoke_consent(self, org_id: str, user_id: str, application_id: str) -> Result:
        store_ = SqlConsentStore(self.deps.services.sessions)
        found = await store_.revoke(
            org_id, user_id, application_id[:36], self.deps.services.clock.now()
        )
        if not found:
            return Refused.form(GONE, 404)
        return Done(values={"message": "Access removed. The application must ask you again."})

    # ---- linked accounts -----------------------------------------------------------------

    async def linked(self, org_id: str, user_id: str) -> list[LinkRow]:
        async with self.deps.services.sessions() as session:
            rows = await session.execute(
                select(FederatedIdentity, IdentityProvider.name)
                .join(IdentityProvider, IdentityProvider.id == FederatedIdentity.idp_id)
                .where(FederatedIdentity.org_id == org_id, FederatedIdentity.user_id == user_id)
                .order_by(IdentityProvider.name)
            )
            return [LinkRow(f.id, name, f.subject, f.created_at) for f, name in rows]

    async def unlink(
        self, org_id: str, user_id: str, link_id: str, *, recent: bool, ip: str | None
    ) -> Result:
        if not recent:
            return Refused.form(NEEDS_RECENT, 401)
        async with self.deps.services.sessions.begin() as session:
            user = await self._user(session, org_id, user_id)
            links = list(
                await session.scalars(
                    select(FederatedIdentity).where(
                        FederatedIdentity.org_id == org_id, FederatedIdentity.user_id == user_id
                    )
                )
            )
            row = next((f for f in links if f.id == link_id), None)
            if user is None or row is None:
                return Refused.form(GONE, 404)
            if not user.password_hash and len(links) == 1:
                return Refused.form(LAST_WAY, 409)
            await session.execute(delete(FederatedIdentity).where(FederatedIdentity.id == row.id))
            audit.record(
                session,
                org_id=org_id,
                action="user.unlink",
                actor=self._actor(user_id, ip),
                target_type="federated_identity",
                target_id=row.id,
                details={"idp_id": row.idp_id},
            )
        return Done(values={"message": "The account was unlinked."})
