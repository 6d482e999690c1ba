"""From an upstream account to a local user (docs/authenticators/federation.md).

In this order, inside one transaction:

1. **An existing link** (``federated_identities``: provider, subject) names the user.
2. **Linking by verified email** (the provider's ``link_by_email``, on by default): the
   provider says the email is verified (``email_verified``) *and* exactly one local user has
   that email marked verified. A link is recorded, so later logins take rule 1 even if the
   email changes on either side. A local user already linked to another subject of the same
   provider is not linked a second time.
3. **Just-in-time provisioning** (the provider's ``jit_provisioning``): a new user in the
   organization's ``PRIMARY`` store, named after the verified email, else the
   ``preferred_username``; with the given and family names, and the email (verified only when
   the provider says so). No password: the user signs in through the provider.
4. Otherwise there is no account, and the login page says so.

Only ``active`` users in enabled stores sign in. Audit events: ``user.federated_link`` (a
link made by rule 2 or 3), ``user.create`` (rule 3), ``login.federated`` (success or failure).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.admin import users as users_admin
from identra.clock import Clock
from identra.errors import Conflict, InvalidInput
from identra.observability import audit
from identra.storage.models import (
    FederatedIdentity,
    IdentityProvider,
    Organization,
    User,
    UserEmail,
    UserStore,
)

PRIMARY_STORE = "PRIMARY"
# Claims kept on the link (for administrators and later attribute updates); never tokens.
LINK_CLAIMS = (
    "iss",
    "email",
    "email_verified",
    "preferred_username",
    "name",
    "given_name",
    "family_name",
    "locale",
)


@dataclass(frozen=True)
class Provider:
    """A detached copy of an ``identity_providers`` row."""

    id: str
    org_id: str
    name: str
    kind: str
    enabled: bool
    config: dict[str, Any]
    secret_encrypted: str | None
    jit_provisioning: bool

    @property
    def link_by_email(self) -> bool:
        return self.config.get("link_by_email", True) is not False

    @property
    def display_name(self) -> str:
        return "Google" if self.kind == "google" and self.name.lower() == "google" else self.name


def _text(value: Any, limit: int = 255) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > limit or any(ord(c) < 0x20 or c == "\x7f" for c in text):
        return None
    return text


def _username_ok(value: str | None) -> bool:
    """Usable as a local username (``STORE/name`` is how password login names a store)."""
    return value is not None and "/" not in value


@dataclass(frozen=True)
class UpstreamAccount:
    """The claims of the upstream account that matter here (ID token, then UserInfo)."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    preferred_username: str | None
    name: str | None
    given_name: str | None
    family_name: str | None
    locale: str | None
    amr: tuple[str, ...]

    @classmethod
    def from_claims(cls, id_claims: dict[str, Any], userinfo: dict[str, Any]) -> UpstreamAccount:
        claims = {**userinfo, **id_claims}  # the signed ID token wins where both say something
        email = _text(claims.get("email"), 320)
        if email is not None and ("@" not in email or any(c.isspace() for c in email)):
            email = None
        verified = claims.get("email_verified")
        amr = id_claims.get("amr")
        return cls(
            issuer=str(id_claims["iss"]),
            subject=str(id_claims["sub"]),
            email=email,
            email_verified=email is not None and (verified is True or verified == "true"),
            preferred_username=_text(claims.get("preferred_username")),
            name=_text(claims.get("name")),
            given_name=_text(claims.get("given_name")),
            family_name=_text(claims.get("family_name")),
            locale=_text(claims.get("locale"), 35),
            amr=tuple(a for a in amr if isinstance(a, str)) if isinstance(amr, list) else (),
        )

    def link_claims(self) -> dict[str, Any]:
        values = {
            "iss": self.issuer,
            "email": self.email,
            "email_verified": self.email_verified,
            "preferred_username": self.preferred_username,
            "name": self.name,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "locale": self.locale,
        }
        return {k: v for k, v in values.items() if k in LINK_CLAIMS and v is not None}


@dataclass(frozen=True)
class Found:
    user_id: str
    via: str  # link | email | provisioned


@dataclass(frozen=True)
class NoAccount:
    reason: str  # no_account | inactive | ambiguous | linked_elsewhere | username_taken | ...


class Accounts:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def provider(self, org_id: str, name: str) -> Provider | None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(IdentityProvider).where(
                    IdentityProvider.org_id == org_id, IdentityProvider.name == name
                )
            )
        if row is None or row.kind not in ("oidc", "google"):
            return None
        return Provider(
            id=row.id,
            org_id=row.org_id,
            name=row.name,
            kind=row.kind,
            enabled=row.enabled,
            config=dict(row.config or {}),
            secret_encrypted=row.secret_encrypted,
            jit_provisioning=row.jit_provisioning,
        )

    async def resolve(
        self, provider: Provider, account: UpstreamAccount, ip: str | None
    ) -> Found | NoAccount:
        """The local user for ``account``; links and provisions as the provider allows."""
        for attempt in (1, 2):
            try:
                async with self._sessions.begin() as session:
                    return await self._resolve(session, provider, account, ip)
            except (IntegrityError, Conflict):
                # A concurrent login of the same upstream account made the link or the user
                # first: look again (rule 1 finds it now).
                if attempt == 2:
                    return NoAccount("conflict")
        raise AssertionError("unreachable")

    async def _resolve(
        self,
        session: AsyncSession,
        provider: Provider,
        account: UpstreamAccount,
        ip: str | None,
    ) -> Found | NoAccount:
        org_id = provider.org_id
        linked = (
            await session.execute(
                select(FederatedIdentity, User, UserStore.enabled)
                .join(User, User.id == FederatedIdentity.user_id)
                .join(UserStore, UserStore.id == User.user_store_id)
                .where(
                    FederatedIdentity.org_id == org_id,
                    FederatedIdentity.idp_id == provider.id,
                    FederatedIdentity.subject == account.subject,
                )
            )
        ).one_or_none()
        if linked is not None:
            link, user, store_enabled = linked
            if user.status != "active" or not store_enabled:
                return self._refused(session, provider, "inactive", ip, user.id)
            link.claims = account.link_claims()
            return self._signed_in(session, provider, account, user, "link", ip)

        if provider.link_by_email and account.email and account.email_verified:
            matches = (
                await session.execute(
                    select(User, UserStore.enabled)
                    .join(UserEmail, UserEmail.user_id == User.id)
                    .join(UserStore, UserStore.id == User.user_store_id)
                    .where(
                        User.org_id == org_id,
                        UserEmail.org_id == org_id,
                        UserEmail.value_normalized == account.email.lower(),
                        UserEmail.verified.is_(True),
                    )
                )
            ).all()
            users = {row[0].id: row for row in matches}
            if len(users) > 1:
                return self._refused(session, provider, "ambiguous", ip)
            if users:
                user, store_enabled = next(iter(users.values()))
                if user.status != "active" or not store_enabled:
                    return self._refused(session, provider, "inactive", ip, user.id)
                other = await session.scalar(
                    select(FederatedIdentity.id).where(
                        FederatedIdentity.idp_id == provider.id,
                        FederatedIdentity.user_id == user.id,
                    )
                )
                if other is not None:
                    return self._refused(session, provider, "linked_elsewhere", ip, user.id)
                await self._link(session, provider, account, user, "verified_email", ip)
                return self._signed_in(session, provider, account, user, "email", ip)

        if provider.jit_provisioning:
            return await self._provision(session, provider, account, ip)
        return self._refused(session, provider, "no_account", ip)

    async def _provision(
        self,
        session: AsyncSession,
        provider: Provider,
        account: UpstreamAccount,
        ip: str | None,
    ) -> Found | NoAccount:
        org = await session.get(Organization, provider.org_id)
        if org is None:
            return NoAccount("no_account")
        candidates = [
            name
            for name in (
                account.email if account.email_verified else None,
                account.preferred_username,
            )
            if _username_ok(name)
        ]
        username = None
        for name in candidates:
            assert name is not None
            taken = await session.scalar(
                select(User.id).where(
                    User.org_id == org.id, User.username_normalized == name.lower()
                )
            )
            if taken is None:
                username = name
                break
        if username is None:
            reason = "username_taken" if candidates else "no_username"
            return self._refused(session, provider, reason, ip)
        emails = (
            [users_admin.ContactPoint(account.email, primary=True, verified=account.email_verified)]
            if account.email
            else []
        )
        new = users_admin.NewUser(
            username=username,
            user_store=PRIMARY_STORE,
            display_name=account.name,
            given_name=account.given_name,
            family_name=account.family_name,
            locale=account.locale,
            emails=emails,
        )
        actor = audit.Actor("system", None, ip)
        try:
            user, _store = await users_admin.create(session, org, new, actor, self._clock)
        except InvalidInput:
            return self._refused(session, provider, "store_closed", ip)
        await self._link(session, provider, account, user, "provisioned", ip)
        return self._signed_in(session, provider, account, user, "provisioned", ip)

    async def _link(
        self,
        session: AsyncSession,
        provider: Provider,
        account: UpstreamAccount,
        user: User,
        rule: str,
        ip: str | None,
    ) -> None:
        session.add(
            FederatedIdentity(
                org_id=provider.org_id,
                user_id=user.id,
                idp_id=provider.id,
                subject=account.subject,
                claims=account.link_claims(),
            )
        )
        async with session.begin_nested():
            await session.flush()
        audit.record(
            session,
            org_id=provider.org_id,
            action="user.federated_link",
            actor=audit.Actor("user", user.id, ip),
            target_type="user",
            target_id=user.id,
            details={"idp": provider.name, "idp_id": provider.id, "rule": rule},
        )

    def _signed_in(
        self,
        session: AsyncSession,
        provider: Provider,
        account: UpstreamAccount,
        user: User,
        via: str,
        ip: str | None,
    ) -> Found:
        user.last_login_at = datetime.fromtimestamp(self._clock.timestamp(), UTC)
        audit.record(
            session,
            org_id=provider.org_id,
            action="login.federated",
            actor=audit.Actor("user", user.id, ip),
            target_type="user",
            target_id=user.id,
            details={"idp": provider.name, "idp_id": provider.id, "via": via},
        )
        return Found(user.id, via)

    @staticmethod
    def _refused(
        session: AsyncSession,
        provider: Provider,
        reason: str,
        ip: str | None,
        user_id: str | None = None,
    ) -> NoAccount:
        audit.record(
            session,
            org_id=provider.org_id,
            action="login.federated",
            actor=audit.Actor("user", user_id, ip) if user_id else audit.Actor("system", None, ip),
            target_type="user" if user_id else "idp",
            target_id=user_id or provider.id,
            outcome="failure",
            details={"idp": provider.name, "idp_id": provider.id, "reason": reason},
        )
        return NoAccount(reason)

    async def record_failure(self, provider: Provider, reason: str, ip: str | None) -> None:
        """An upstream failure (unreachable, refused, a bad token), for the audit log."""
        async with self._sessions.begin() as session:
            self._refused(session, provider, reason, ip)
