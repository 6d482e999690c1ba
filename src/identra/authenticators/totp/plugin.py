"""The ``totp`` option: a 6-digit code from an authenticator app (RFC 6238), second factor.

- Offered only to a user identified by an earlier step who enrolled an app.
- A code is accepted within one 30-second step either side of now, and never twice: the last
  accepted time step is stored with the credential, and a cache marker makes two concurrent
  submissions of the same code on different nodes fail for one of them.
- After five wrong codes within 15 minutes the option is locked for the user for 5 minutes.
- Enrollment shows the ``otpauth://`` URI as a QR code and the Base32 secret for typing by
  hand, and asks for a first code. Until confirmed, the new secret stays in the flow's scratch
  state, sealed with the master key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import segno
from cryptography.exceptions import InvalidTag

from identra.authenticators.interface import (
    AuthContext,
    AuthenticatorDeps,
    Enrolled,
    Outcome,
    Passed,
    Prompt,
)
from identra.authenticators.totp import otp
from identra.authenticators.totp.limiter import FailureLimiter, minutes
from identra.authenticators.totp.store import TotpStore, secret_context
from identra.cache.base import Cache
from identra.crypto.secretbox import MasterKeyError, SecretBox
from identra.i18n.message import N_

AMR = ("otp",)  # RFC 8176 §2
ENROLL_TTL = 900  # an unconfirmed secret is replaced after 15 minutes
USED_TTL = (2 * otp.WINDOW + 1) * otp.PERIOD + 30

MESSAGES = {
    "missing": N_("Enter the 6-digit code from your authenticator app."),
    "malformed": N_("The code is the 6 digits shown in your authenticator app."),
    "invalid": N_("That code is not correct. Check your authenticator app and try again."),
    "replayed": N_("That code has already been used. Wait for the next code and enter it."),
    "locked": N_("Too many incorrect codes. Try again in {minutes} minute(s)."),
    "not_enrolled": N_("Sign in another way: no authenticator app is set up for this account."),
    "no_user": N_("Sign in first, then enter the code from your authenticator app."),
    "unavailable": N_("Codes cannot be checked right now. Try again later or sign in another way."),
    "link": N_("This link cannot be used here."),
    "expired": N_("The setup took too long. Scan the new QR code and enter a code."),
}


class TotpOption:
    name = "totp"
    kind = "totp"
    first_factor = False
    label = "Authenticator app"

    def __init__(self, store: TotpStore, box: SecretBox, cache: Cache, root_issuer: str) -> None:
        self.store = store
        self.box = box
        self.cache = cache
        self.limiter = FailureLimiter(cache, "totp")
        self.root_issuer = root_issuer

    def handles(self, option: str) -> bool:
        return option == self.name

    # -- signing in ------------------------------------------------------------------------

    async def available(self, ctx: AuthContext) -> bool:
        return ctx.user_id is not None and await self.store.get(ctx.org_id, ctx.user_id) is not None

    async def prompt(self, ctx: AuthContext) -> Prompt:
        return Prompt("totp")

    def _error(self, key: str, status: int, **fmt: Any) -> Prompt:
        return Prompt("totp", {}, MESSAGES[key].format(**fmt), status)

    async def submit(self, ctx: AuthContext, form: Mapping[str, str]) -> Outcome:
        if ctx.user_id is None:
            return self._error("no_user", 400)
        user_id = ctx.user_id
        locked = await self.limiter.locked_for(ctx.org_id, user_id, ctx.now)
        if locked:
            return self._error("locked", 429, minutes=minutes(locked))
        raw = form.get("code", "")[:64]
        if not raw.strip():
            return self._error("missing", 400)
        code = otp.normalize_code(raw)
        if code is None:
            return self._error("malformed", 400)
        stored = await self.store.get(ctx.org_id, user_id)
        if stored is None:
            return self._error("not_enrolled", 400)
        try:
            secret = self.box.decrypt(stored.secret_encrypted, secret_context(ctx.org_id, user_id))
        except (InvalidTag, MasterKeyError, ValueError):
            return self._error("unavailable", 503)
        step = otp.matching_step(secret, code, ctx.now)
        if step is None:
            return await self._failed(ctx, user_id, "invalid")
        # Single use: the stored last step (across time) and an atomic cache marker (across
        # concurrent requests on different nodes).
        fresh = step > stored.last_step and await self.cache.add(
            f"mfa:totp:used:{stored.id}:{step}", "1", ttl=USED_TTL
        )
        if not fresh:
            return await self._failed(ctx, user_id, "replayed")
        await self.store.record_use(ctx.org_id, stored.id, step, ctx.now)
        await self.limiter.succeeded(ctx.org_id, user_id)
        return Passed(user_id, AMR)

    async def _failed(self, ctx: AuthContext, user_id: str, reason: str) -> Prompt:
        lock = await self.limiter.failed(ctx.org_id, user_id, ctx.now)
        if lock:
            return self._error("locked", 429, minutes=minutes(lock))
        return self._error(reason, 401)

    async def callback(self, ctx: AuthContext, params: Mapping[str, str]) -> Outcome:
        return self._error("link", 400)

    # -- enrolling -------------------------------------------------------------------------

    async def enrolled(self, org_id: str, user_id: str) -> bool:
        return await self.store.get(org_id, user_id) is not None

    def _enroll_context(self, ctx: AuthContext) -> str:
        return f"totp-enroll:{ctx.org_id}:{ctx.user_id}:{ctx.flow_id}"

    def _pending_secret(self, ctx: AuthContext) -> str | None:
        pending = ctx.scratch.get("enroll")
        if not isinstance(pending, dict) or int(pending.get("expires", 0)) <= ctx.now:
            return None
        if pending.get("user_id") != ctx.user_id:
            return None
        try:
            return self.box.decrypt(str(pending.get("secret", "")), self._enroll_context(ctx))
        except (InvalidTag, MasterKeyError, ValueError):
            return None

    def _new_pending_secret(self, ctx: AuthContext) -> str:
        secret = otp.new_secret()
        ctx.scratch["enroll"] = {
            "secret": self.box.encrypt(secret, self._enroll_context(ctx)),
            "user_id": ctx.user_id,
            "expires": ctx.now + ENROLL_TTL,
        }
        return secret

    def _issuer_name(self, ctx: AuthContext, org_name: str) -> str:
        if org_name:
            return org_name
        return urlsplit(ctx.issuer or self.root_issuer).hostname or "Identra"

    async def _enroll_page(
        self, ctx: AuthContext, secret: str, error: str | None = None, status: int = 200
    ) -> Prompt:
        assert ctx.user_id is not None
        account = await self.store.account(ctx.org_id, ctx.user_id)
        username = account.username if account else (ctx.username or "user")
        issuer = self._issuer_name(ctx, account.issuer_name if account else "")
        uri = otp.provisioning_uri(secret, issuer, username)
        qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
        values = {
            "qr": qr,
            "secret": otp.grouped(secret),
            "issuer": issuer,
            "account": username,
            "digits": otp.DIGITS,
        }
        return Prompt("totp-enroll", values, error, status)

    async def enroll_prompt(self, ctx: AuthContext) -> Prompt:
        if ctx.user_id is None:
            return Prompt("totp-enroll", {}, MESSAGES["no_user"], 400)
        secret = self._pending_secret(ctx) or self._new_pending_secret(ctx)
        return await self._enroll_page(ctx, secret)

    async def enroll_submit(self, ctx: AuthContext, form: Mapping[str, str]) -> Prompt | Enrolled:
        if ctx.user_id is None:
            return Prompt("totp-enroll", {}, MESSAGES["no_user"], 400)
        user_id = ctx.user_id
        secret = self._pending_secret(ctx)
        if secret is None:
            secret = self._new_pending_secret(ctx)
            return await self._enroll_page(ctx, secret, MESSAGES["expired"], 400)
        raw = form.get("code", "")[:64]
        if not raw.strip():
            return await self._enroll_page(ctx, secret, MESSAGES["missing"], 400)
        code = otp.normalize_code(raw)
        if code is None:
            return await self._enroll_page(ctx, secret, MESSAGES["malformed"], 400)
        step = otp.matching_step(secret, code, ctx.now)
        if step is None:
            return await self._enroll_page(ctx, secret, MESSAGES["invalid"], 401)
        credential_id = await self.store.replace(
            ctx.org_id,
            user_id,
            self.box.encrypt(secret, secret_context(ctx.org_id, user_id)),
            step,  # the confirmation code cannot be used again to sign in
            ctx.now,
            ctx.ip,
        )
        ctx.scratch.pop("enroll", None)
        return Enrolled(credential_id)


def create(deps: AuthenticatorDeps) -> TotpOption:
    services = deps.services
    return TotpOption(
        TotpStore(services.sessions), services.box, services.cache, services.settings.issuer
    )
