"""The ``backup-code`` option: one of ten single-use codes, a second factor.

- Offered only to a user identified by an earlier step who still has an unused code.
- Codes are shown once at enrollment (the ``backup-codes-show`` fragment) and stored only as
  keyed digests bound to the user. Each works once: the digest is added to the set's used list,
  behind an atomic cache marker so two nodes cannot both accept the same code.
- Wrong codes count towards the same kind of lock as TOTP (five within 15 minutes lock the
  option for 5 minutes).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from identra.authenticators.backup_codes import codes
from identra.authenticators.backup_codes.store import BackupCodeStore
from identra.authenticators.interface import (
    AuthContext,
    AuthenticatorDeps,
    Enrolled,
    Outcome,
    Passed,
    Prompt,
)
from identra.authenticators.totp.limiter import FailureLimiter, minutes
from identra.cache.base import Cache
from identra.crypto.secretbox import SecretBox
from identra.i18n.message import N_

AMR = ("otp",)  # RFC 8176 §2: a one-time password
USED_TTL = 7 * 24 * 3600

MESSAGES = {
    "missing": N_("Enter one of your backup codes."),
    "malformed": N_("A backup code has 8 letters and digits, like 4f7k-x2mq."),
    "invalid": N_("That backup code is not correct, or it has already been used."),
    "locked": N_("Too many incorrect codes. Try again in {minutes} minute(s)."),
    "not_enrolled": N_("Sign in another way: this account has no unused backup codes."),
    "no_user": N_("Sign in first, then enter one of your backup codes."),
    "link": N_("This link cannot be used here."),
}


class BackupCodeOption:
    name = "backup-code"
    kind = "backup_codes"
    first_factor = False
    label = "Backup code"

    def __init__(self, store: BackupCodeStore, box: SecretBox, cache: Cache) -> None:
        self.store = store
        self.box = box
        self.cache = cache
        self.limiter = FailureLimiter(cache, "backup-code")

    def handles(self, option: str) -> bool:
        return option == self.name

    def digest(self, user_id: str, code: str) -> str:
        return self.box.digest(f"backup-code:{user_id}:{code}")

    # -- signing in ------------------------------------------------------------------------

    async def available(self, ctx: AuthContext) -> bool:
        if ctx.user_id is None:
            return False
        found = await self.store.get(ctx.org_id, ctx.user_id)
        return found is not None and found.remaining > 0

    async def prompt(self, ctx: AuthContext) -> Prompt:
        return Prompt("backup-code")

    def _error(self, key: str, status: int, **fmt: Any) -> Prompt:
        return Prompt("backup-code", {}, MESSAGES[key].format(**fmt), status)

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
        code = codes.normalize(raw)
        if code is None:
            return self._error("malformed", 400)
        found = await self.store.get(ctx.org_id, user_id)
        if found is None or found.remaining == 0:
            return self._error("not_enrolled", 400)
        digest = self.digest(user_id, code)
        matched = False
        for stored in found.codes:  # compare with every code, whichever matches
            matched |= hmac.compare_digest(stored, digest)
        if not matched or digest in found.used:
            return await self._failed(ctx, user_id)
        if not await self.cache.add(f"mfa:backup:used:{found.id}:{digest}", "1", ttl=USED_TTL):
            return await self._failed(ctx, user_id)
        remaining = await self.store.spend(ctx.org_id, found.id, digest, ctx.now, ctx.ip)
        if remaining is None:
            return await self._failed(ctx, user_id)
        await self.limiter.succeeded(ctx.org_id, user_id)
        return Passed(user_id, AMR)

    async def _failed(self, ctx: AuthContext, user_id: str) -> Prompt:
        lock = await self.limiter.failed(ctx.org_id, user_id, ctx.now)
        if lock:
            return self._error("locked", 429, minutes=minutes(lock))
        return self._error("invalid", 401)

    async def callback(self, ctx: AuthContext, params: Mapping[str, str]) -> Outcome:
        return self._error("link", 400)

    # -- enrolling -------------------------------------------------------------------------

    async def enrolled(self, org_id: str, user_id: str) -> bool:
        found = await self.store.get(org_id, user_id)
        return found is not None and found.remaining > 0

    async def enroll_prompt(self, ctx: AuthContext) -> Prompt:
        if ctx.user_id is None:
            return Prompt("backup-codes-enroll", {}, MESSAGES["no_user"], 400)
        existing = await self.store.get(ctx.org_id, ctx.user_id)
        return Prompt(
            "backup-codes-enroll",
            {"count": codes.COUNT, "replacing": existing is not None},
        )

    async def enroll_submit(self, ctx: AuthContext, form: Mapping[str, str]) -> Prompt | Enrolled:
        if ctx.user_id is None:
            return Prompt("backup-codes-enroll", {}, MESSAGES["no_user"], 400)
        user_id = ctx.user_id
        fresh = codes.generate()
        credential_id = await self.store.replace(
            ctx.org_id, user_id, [self.digest(user_id, c) for c in fresh], ctx.now, ctx.ip
        )
        shown = [codes.formatted(c) for c in fresh]
        text = "Backup codes (each works once)\n\n" + "\n".join(shown) + "\n"
        # Shown once, never stored: the engine renders this fragment and forgets it.
        show = Prompt(
            "backup-codes-show",
            {"codes": shown, "download": "data:text/plain;charset=utf-8," + quote(text)},
        )
        return Enrolled(credential_id, show)


def create(deps: AuthenticatorDeps) -> BackupCodeOption:
    services = deps.services
    return BackupCodeOption(BackupCodeStore(services.sessions), services.box, services.cache)
