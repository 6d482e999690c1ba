"""Who is calling the management API.

Two kinds of credentials:
- an OAuth bearer token (RFC 9068 JWT) issued by this deployment, whose ``scope`` carries
  management permissions and whose ``org_id`` fixes the organization it acts in;
- HTTP Basic for administrators of the root organization (the bootstrap admin), checked with
  argon2id, rate-limited per client address and subject to account lockout.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import timedelta

from joserfc import jws, jwt
from joserfc.errors import JoseError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from identra import permissions
from identra.crypto.passwords import verify_password
from identra.management.problems import Problem
from identra.services import Services
from identra.storage.models import GroupMember, Organization, Role, RoleAssignment, User
from identra.storage.repositories import orgs

BASIC_FAILURES_PER_MINUTE = 10
LOCKOUT_AFTER = 5
LOCKOUT_SECONDS = 300


@dataclass(frozen=True)
class Principal:
    kind: str  # user | application
    id: str
    org_id: str
    org_path: str
    scopes: frozenset[str]

    def can_reach(self, org: Organization) -> bool:
        """An organization is reachable from its own principals and its ancestors' principals."""
        return org.path.startswith(self.org_path)


def _unauthorized(detail: str) -> Problem:
    return Problem(
        401, "Unauthorized", detail, headers={"www-authenticate": 'Bearer realm="identra"'}
    )


async def authenticate(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return await _bearer(request.app.state.services, credentials.strip())
    if scheme.lower() == "basic" and credentials:
        client_ip = request.client.host if request.client else "unknown"
        return await _basic(request.app.state.services, credentials.strip(), client_ip)
    raise _unauthorized("a bearer token or Basic credentials are required")


async def _bearer(services: Services, token: str) -> Principal:
    try:
        header = jws.extract_compact(token.encode()).protected  # unverified: only to find the key
        kid = header.get("kid")
        key = services.keyring.verification_key(kid) if isinstance(kid, str) else None
        if key is None:
            raise _unauthorized("the token was not issued by this server")
        decoded = jwt.decode(token, key, algorithms=[str(header.get("alg"))])
    except (JoseError, ValueError, TypeError) as exc:
        raise _unauthorized("the token is malformed or its signature is invalid") from exc
    if decoded.header.get("typ") != "at+jwt":
        raise _unauthorized("not an access token")
    claims = decoded.claims
    if "cnf" in claims:
        # A sender-constrained (DPoP) token sent as a plain bearer token would defeat the
        # binding; the management API takes unbound tokens only.
        raise _unauthorized("sender-constrained tokens are not accepted by the management API")
    now = services.clock.timestamp()
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now:
        raise _unauthorized("the token has expired")
    org_id = claims.get("org_id")
    if not isinstance(org_id, str):
        raise _unauthorized("the token names no organization")
    if await services.cache.get(f"revoked:{claims.get('jti')}") is not None:
        raise _unauthorized("the token has been revoked")
    async with services.sessions() as session:
        org = await session.get(Organization, org_id)
    if org is None or org.status != "active":
        raise _unauthorized("the token's organization does not exist")
    if claims.get("iss") != orgs.issuer_for(services.settings.issuer, org):
        raise _unauthorized("the token's issuer does not match its organization")
    scopes = frozenset(str(claims.get("scope", "")).split())
    subject = str(claims.get("sub"))
    if subject == claims.get("client_id"):
        return Principal("application", subject, org.id, org.path, scopes)
    # A token issued to a user (code, refresh, password grants) carries the scopes its
    # application may request, not what the user may do: a management permission counts only
    # if one of the user's roles in the token's organization grants it, checked on every call
    # so that removing a role takes effect at once.
    async with services.sessions() as session:
        user = await session.get(User, subject)
        held = (
            await user_permissions(session, user)
            if user is not None and user.org_id == org.id and user.status == "active"
            else set()
        )
    return Principal("user", subject, org.id, org.path, scopes & frozenset(held))


def _basic_credentials(credentials: str) -> tuple[str, str]:
    try:
        username, password = base64.b64decode(credentials, validate=True).decode().split(":", 1)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise _unauthorized("malformed Basic credentials") from exc
    return username, password


async def _basic(services: Services, credentials: str, client_ip: str) -> Principal:
    username, password = _basic_credentials(credentials)
    failures_key = f"mgmt-basic-fail:{client_ip}"
    failures = await services.cache.get(failures_key)
    if failures is not None and int(failures) >= BASIC_FAILURES_PER_MINUTE:
        raise Problem(
            429,
            "Too Many Requests",
            "too many failed attempts; try again later",
            headers={"retry-after": "60"},
        )
    now = services.clock.now()
    async with services.sessions.begin() as session:
        root = await orgs.root(session)
        user = await session.scalar(
            select(User).where(User.org_id == root.id, User.username_normalized == username.lower())
        )
        if user is None or user.password_hash is None:
            await services.cache.incr(failures_key, 60)
            raise _unauthorized("invalid credentials")
        if user.status != "active" or (user.locked_until is not None and user.locked_until > now):
            await services.cache.incr(failures_key, 60)
            raise _unauthorized("invalid credentials")
        # A verified password is remembered briefly, keyed by a digest that changes with the
        # stored hash, so that scripts making many calls do not pay argon2 on each one.
        memo_key = "mgmt-basic-ok:" + services.box.digest(
            f"{user.id}:{user.password_hash}:{password}"
        )
        if await services.cache.get(memo_key) is None:
            result = verify_password(user.password_hash, password)
            if not result.ok:
                user.failed_logins += 1
                if user.failed_logins >= LOCKOUT_AFTER:
                    user.locked_until = now + timedelta(seconds=LOCKOUT_SECONDS)
                    user.failed_logins = 0
                await services.cache.incr(failures_key, 60)
                raise _unauthorized("invalid credentials")
            if result.new_hash:
                user.password_hash = result.new_hash
            user.failed_logins = 0
            await services.cache.set(memo_key, "1", ttl=60)
        scopes = await user_permissions(session, user)
    if not scopes:
        raise Problem(403, "Forbidden", "this user has no management permissions")
    return Principal("user", user.id, root.id, root.path, frozenset(scopes))


async def user_permissions(session: AsyncSession, user: User) -> set[str]:
    """Union of the permissions of the user's roles, direct or through groups."""
    group_ids = select(GroupMember.group_id).where(GroupMember.user_id == user.id)
    rows = await session.scalars(
        select(Role.permissions)
        .join(RoleAssignment, RoleAssignment.role_id == Role.id)
        .where(
            Role.org_id == user.org_id,
            (RoleAssignment.user_id == user.id) | RoleAssignment.group_id.in_(group_ids),
        )
    )
    found: set[str] = set()
    for perms in rows:
        found.update(p for p in perms if p in permissions.ALL)
    return found
