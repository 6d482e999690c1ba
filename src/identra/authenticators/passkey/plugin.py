"""The ``passkey`` option: WebAuthn, a first factor.

- Signing in: with nobody identified yet the page asks for any discoverable credential of
  this relying party (no username needed); after an identifier step it lists the user's
  passkeys in ``allowCredentials``. User verification is always required.
- The challenge is 32 random bytes, kept in the option's scratch state (so the page can be
  shown again) and in the cache under a key that ``take`` consumes: single use, and gone after
  five minutes even if the flow lives on.
- The credential is found by its id (``lookup``) within the organization; the user handle, if
  sent, must be its owner's; the owner must be active; the signature counter must increase
  (a counter going backwards on a valid signature is refused and audited).
- The page needs JavaScript to call ``navigator.credentials``: ``/static/passkey.js`` loaded
  with the page's CSP nonce. The form posts the JSON result in the hidden ``credential`` field.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)

from identra.authenticators.interface import (
    AuthContext,
    AuthenticatorDeps,
    Enrolled,
    Outcome,
    Passed,
    Prompt,
)
from identra.authenticators.passkey import ceremony
from identra.authenticators.passkey.store import DuplicateCredential, PasskeyStore
from identra.cache.base import Cache
from identra.i18n.message import N_

log = logging.getLogger(__name__)

CHALLENGE_TTL = 300
MAX_LOOKUP = 512  # the column's size; real credential ids are far shorter
MAX_CREDENTIAL_JSON = 16_384

MESSAGES = {
    "missing": (
        N_(
            "Your browser did not send a passkey. Passkeys need JavaScript and a browser or "
            "device that supports them; sign in another way if this keeps happening."
        )
    ),
    "expired": N_("The passkey request has expired. Try again."),
    "malformed": N_("Your browser sent a passkey response that could not be read. Try again."),
    "unknown": N_("This passkey is not registered for an account here. Sign in another way."),
    "other_user": N_("This passkey belongs to another account."),
    "inactive": N_("This account cannot sign in. Contact your administrator."),
    "invalid": N_("The passkey could not be verified. Try again or sign in another way."),
    "cloned": N_("This passkey could not be trusted. Sign in another way and contact support."),
    "no_user": N_("Sign in first, then create a passkey."),
    "duplicate": N_("This passkey is already registered."),
    "link": N_("This link cannot be used here."),
}


class PasskeyOption:
    name = "passkey"
    kind = "passkey"
    first_factor = True
    label = "Passkey"

    def __init__(self, store: PasskeyStore, cache: Cache, root_issuer: str) -> None:
        self.store = store
        self.cache = cache
        self.script_url = f"{root_issuer.rstrip('/')}/static/passkey.js"

    def handles(self, option: str) -> bool:
        return option == self.name

    # -- challenges ------------------------------------------------------------------------

    def _challenge_key(self, ctx: AuthContext, purpose: str, challenge: str) -> str:
        return f"passkey:challenge:{ctx.org_id}:{ctx.flow_id}:{purpose}:{challenge}"

    async def _issue(self, ctx: AuthContext, purpose: str) -> bytes:
        challenge = secrets.token_bytes(32)
        encoded = bytes_to_base64url(challenge)
        ctx.scratch[purpose] = {
            "challenge": encoded,
            "expires": ctx.now + CHALLENGE_TTL,
            "user_id": ctx.user_id,
        }
        key = self._challenge_key(ctx, purpose, encoded)
        await self.cache.set(key, ctx.user_id or "-", ttl=CHALLENGE_TTL)
        return challenge

    async def _take(self, ctx: AuthContext, purpose: str) -> bytes | None:
        """The challenge issued for this flow and purpose, consumed; None if expired/used."""
        entry = ctx.scratch.pop(purpose, None)
        if not isinstance(entry, dict) or int(entry.get("expires", 0)) <= ctx.now:
            return None
        if entry.get("user_id") != ctx.user_id:
            return None
        encoded = str(entry.get("challenge", ""))
        if await self.cache.take(self._challenge_key(ctx, purpose, encoded)) is None:
            return None
        return base64url_to_bytes(encoded)

    async def _rp(self, ctx: AuthContext, org_name: str | None = None) -> ceremony.RelyingParty:
        return ceremony.RelyingParty.for_issuer(ctx.issuer, org_name or "")

    # -- signing in ------------------------------------------------------------------------

    async def available(self, ctx: AuthContext) -> bool:
        if ctx.user_id is None:
            # Nobody named yet: discoverable credentials, the authenticator knows the user.
            # After an identifier step with an unknown name, answer as for a user without
            # passkeys, so the page does not tell who has an account.
            return not ctx.identified
        return bool(await self.store.for_user(ctx.org_id, ctx.user_id))

    async def _login_prompt(
        self, ctx: AuthContext, error: str | None = None, status: int = 200
    ) -> Prompt:
        allow = []
        if ctx.user_id is not None:
            allow = [
                ceremony.descriptor(p.lookup, p.transports)
                for p in await self.store.for_user(ctx.org_id, ctx.user_id)
            ]
        challenge = await self._issue(ctx, "login")
        options = ceremony.authentication_options(
            await self._rp(ctx), challenge=challenge, allow=allow
        )
        values = {"options": options, "script_url": self.script_url, "script": True}
        return Prompt("passkey", values, error, status)

    async def prompt(self, ctx: AuthContext) -> Prompt:
        return await self._login_prompt(ctx)

    async def _refuse(self, ctx: AuthContext, key: str, status: int) -> Prompt:
        return await self._login_prompt(ctx, MESSAGES[key], status)

    async def submit(self, ctx: AuthContext, form: Mapping[str, str]) -> Outcome:
        raw = form.get("credential", "").strip()
        challenge = await self._take(ctx, "login")
        if not raw:
            return await self._refuse(ctx, "missing", 400)
        if challenge is None:
            return await self._refuse(ctx, "expired", 400)
        if len(raw) > MAX_CREDENTIAL_JSON:
            return await self._refuse(ctx, "malformed", 400)
        try:
            credential = parse_authentication_credential_json(raw)
        except Exception as exc:  # any unreadable browser input is a refusal, never a 500
            log.info("unreadable passkey assertion: %s", type(exc).__name__)
            return await self._refuse(ctx, "malformed", 400)
        lookup = bytes_to_base64url(credential.raw_id)
        stored = (
            await self.store.by_lookup(ctx.org_id, lookup) if len(lookup) <= MAX_LOOKUP else None
        )
        if stored is None:
            return await self._refuse(ctx, "unknown", 401)
        if ctx.user_id is not None and stored.user_id != ctx.user_id:
            return await self._refuse(ctx, "other_user", 401)
        handle = credential.response.user_handle
        if handle is not None and handle != stored.user_id.encode():
            return await self._refuse(ctx, "unknown", 401)
        if stored.user_status != "active":
            return await self._refuse(ctx, "inactive", 403)
        try:
            verified = ceremony.verify_authentication(
                await self._rp(ctx),
                credential,
                challenge,
                base64url_to_bytes(stored.public_key),
            )
        except Exception as exc:
            log.info("passkey assertion refused: %s: %s", type(exc).__name__, exc)
            return await self._refuse(ctx, "invalid", 401)
        if not ceremony.counter_ok(stored.sign_count, verified.new_sign_count):
            await self.store.record_mismatch(
                ctx.org_id,
                stored.id,
                stored.user_id,
                stored.sign_count,
                verified.new_sign_count,
                ctx.ip,
            )
            return await self._refuse(ctx, "cloned", 401)
        await self.store.record_use(
            ctx.org_id,
            stored.id,
            verified.new_sign_count,
            verified.credential_backed_up,
            ctx.now,
        )
        # RFC 8176: a key held in hardware (or synced, "swk"), user presence, and user
        # verification (PIN or biometric) on top of possession: multiple factors.
        key_amr = "swk" if verified.credential_backed_up else "hwk"
        return Passed(stored.user_id, (key_amr, "user", "mfa"))

    async def callback(self, ctx: AuthContext, params: Mapping[str, str]) -> Outcome:
        return await self._refuse(ctx, "link", 400)

    # -- enrolling -------------------------------------------------------------------------

    async def enrolled(self, org_id: str, user_id: str) -> bool:
        return bool(await self.store.for_user(org_id, user_id))

    async def _enroll_page(
        self, ctx: AuthContext, error: str | None = None, status: int = 200, name: str = ""
    ) -> Prompt:
        if ctx.user_id is None:
            return Prompt("passkey-enroll", {}, MESSAGES["no_user"], 400)
        account = await self.store.account(ctx.org_id, ctx.user_id)
        if account is None:
            return Prompt("passkey-enroll", {}, MESSAGES["no_user"], 400)
        existing = await self.store.for_user(ctx.org_id, ctx.user_id)
        challenge = await self._issue(ctx, "enroll")
        options = ceremony.registration_options(
            await self._rp(ctx, account.org_name),
            user_handle=ctx.user_id.encode(),
            username=account.username,
            display_name=account.display_name,
            challenge=challenge,
            exclude=[ceremony.descriptor(p.lookup, p.transports) for p in existing],
        )
        values: dict[str, Any] = {
            "options": options,
            "script_url": self.script_url,
            "script": True,
            "count": len(existing),
            "name": name,
        }
        return Prompt("passkey-enroll", values, error, status)

    async def enroll_prompt(self, ctx: AuthContext) -> Prompt:
        return await self._enroll_page(ctx)

    async def enroll_submit(self, ctx: AuthContext, form: Mapping[str, str]) -> Prompt | Enrolled:
        if ctx.user_id is None:
            return Prompt("passkey-enroll", {}, MESSAGES["no_user"], 400)
        user_id = ctx.user_id
        name = " ".join(form.get("name", "").split())[:100]
        raw = form.get("credential", "").strip()
        challenge = await self._take(ctx, "enroll")
        if not raw:
            return await self._enroll_page(ctx, MESSAGES["missing"], 400, name)
        if challenge is None:
            return await self._enroll_page(ctx, MESSAGES["expired"], 400, name)
        if len(raw) > MAX_CREDENTIAL_JSON:
            return await self._enroll_page(ctx, MESSAGES["malformed"], 400, name)
        try:
            credential = parse_registration_credential_json(raw)
            verified = ceremony.verify_registration(await self._rp(ctx), credential, challenge)
        except Exception as exc:  # unreadable or unverifiable: a refusal, never a 500
            log.info("passkey registration refused: %s: %s", type(exc).__name__, exc)
            return await self._enroll_page(ctx, MESSAGES["invalid"], 400, name)
        lookup = bytes_to_base64url(verified.credential_id)
        if len(lookup) > MAX_LOOKUP:
            return await self._enroll_page(ctx, MESSAGES["invalid"], 400, name)
        transports = [t.value for t in credential.response.transports or []]
        data = {
            "public_key": bytes_to_base64url(verified.credential_public_key),
            "sign_count": verified.sign_count,
            "aaguid": verified.aaguid,
            "transports": transports,
            "device_type": verified.credential_device_type.value,
            "backed_up": verified.credential_backed_up,
            "user_verified": verified.user_verified,
        }
        try:
            credential_id = await self.store.add(
                ctx.org_id, user_id, lookup, name or "Passkey", data, ctx.now, ctx.ip
            )
        except DuplicateCredential:
            return await self._enroll_page(ctx, MESSAGES["duplicate"], 409, name)
        return Enrolled(credential_id)


def create(deps: AuthenticatorDeps) -> PasskeyOption:
    services = deps.services
    return PasskeyOption(PasskeyStore(services.sessions), services.cache, services.settings.issuer)
