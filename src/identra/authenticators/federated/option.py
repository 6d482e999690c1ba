"""The ``idp:<name>`` options: "Sign in with <identity provider>".

:meth:`FederatedOption.submit` sends the browser to the provider's authorization endpoint
(authorization code flow, PKCE S256, a ``nonce``, ``state`` = ``<flow_id>.<random>``, the fixed
``redirect_uri`` ``{issuer}/login/return``). The flow engine routes the browser's return to
:meth:`FederatedOption.callback`, which checks the state, exchanges the code, validates the ID
token, and maps the upstream account to a local user (:mod:`.accounts`).

The pending sign-in lives in two places: the flow's scratch holds the state's keyed digest and
its expiry (no secret), and the cache holds the PKCE verifier and the nonce, encrypted, under
the state's digest. The callback *takes* the cache entry (atomic get-and-delete), so a state
works once on any node.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Any

from identra.admin.idps import secret_context
from identra.authenticators.federated.accounts import (
    Accounts,
    Found,
    Provider,
    UpstreamAccount,
)
from identra.authenticators.federated.upstream import Upstream, UpstreamError
from identra.authenticators.interface import AuthContext, Outcome, Passed, Prompt, Redirect
from identra.cache.base import Cache
from identra.crypto.secretbox import SecretBox
from identra.i18n.message import N_

PREFIX = "idp:"
TEMPLATE = "federated"
PENDING_TTL = 600  # seconds from the click to the return from the provider
CACHE_KEY = "idp-login:"
# RFC 8176 §2: the values of the registry. An upstream's ``amr`` is passed on, these only.
RFC8176 = frozenset(
    (
        "face", "fpt", "geo", "hwk", "iris", "kba", "mca", "mfa", "otp", "pin", "pop", "pwd",
        "rba", "retina", "sc", "sms", "swk", "tel", "user", "vbm", "wia",
    )
)  # fmt: skip
AGAIN = "Try again, or use another way to sign in."
MESSAGES = {
    "not_available": (N_("Signing in with {idp} is not available."), 400),
    "upstream": (N_("Signing in with {idp} failed: {detail}. " + AGAIN), 502),
    "not_started": (N_("No sign-in with {idp} is in progress here. Start again."), 400),
    "state_mismatch": (
        N_("The answer from {idp} does not belong to this sign-in. Start again."),
        400,
    ),
    "replayed": (N_("This answer from {idp} was already used or has expired. Start again."), 400),
    "expired": (N_("Signing in with {idp} took too long. Start again."), 400),
    "access_denied": (N_("Signing in with {idp} was cancelled or refused. " + AGAIN), 401),
    "upstream_error": (N_("{idp} could not sign you in ({error}). " + AGAIN), 401),
    "no_code": (N_("The answer from {idp} has no authorization code. Start again."), 400),
    "mix_up": (N_("The answer did not come from {idp}. Start again."), 400),
    "no_account": (
        N_("There is no account here for your {idp} account. Ask your administrator for access."),
        403,
    ),
    "inactive": (N_("Your account cannot sign in. Contact your administrator."), 403),
    "ambiguous": (
        N_(
            "Several accounts here have the email of your {idp} account; an administrator must "
            "link the right one."
        ),
        403,
    ),
    "linked_elsewhere": (
        N_(
            "The account with your email is already linked to another {idp} account. "
            "Contact your administrator."
        ),
        403,
    ),
    "username_taken": (
        N_(
            "An account with your username already exists here. Sign in to it another way, or ask "
            "your administrator to link it to your {idp} account."
        ),
        403,
    ),
    "no_username": (
        N_("Your {idp} account has no verified email or username to create an account with."),
        403,
    ),
    "store_closed": (
        N_("New accounts cannot be created here. Ask your administrator for access."),
        403,
    ),
    "conflict": (N_("Signing in with {idp} collided with another sign-in. Try again."), 409),
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _safe_word(value: str) -> str:
    word = value[:64]
    return word if word and all(c.isalnum() or c in "_.-" for c in word) else "error"


class FederatedOption:
    """Implements :class:`identra.authenticators.interface.Authenticator` for ``idp:*``."""

    name = PREFIX
    first_factor = True
    label = "Sign in with an identity provider"

    def __init__(
        self, accounts: Accounts, upstream: Upstream, cache: Cache, box: SecretBox
    ) -> None:
        self.accounts = accounts
        self.upstream = upstream
        self.cache = cache
        self.box = box

    def handles(self, option: str) -> bool:
        return option.startswith(PREFIX) and len(option) > len(PREFIX)

    @staticmethod
    def provider_name(option: str) -> str:
        return option[len(PREFIX) :]

    async def _provider(self, ctx: AuthContext) -> Provider | None:
        found = await self.accounts.provider(ctx.org_id, self.provider_name(ctx.option))
        return found if found is not None and found.enabled else None

    def _prompt(
        self,
        ctx: AuthContext,
        provider: Provider | None,
        key: str | None = None,
        **fmt: str,
    ) -> Prompt:
        display = provider.display_name if provider else self.provider_name(ctx.option)
        values: dict[str, Any] = {
            "idp": display,
            "kind": provider.kind if provider else "oidc",
            "label": f"Sign in with {display}",
        }
        if key is None:
            return Prompt(TEMPLATE, values)
        message, status = MESSAGES[key]
        return Prompt(TEMPLATE, values, message.format(idp=display, **fmt), status)

    async def available(self, ctx: AuthContext) -> bool:
        return await self._provider(ctx) is not None

    async def prompt(self, ctx: AuthContext) -> Prompt:
        provider = await self._provider(ctx)
        return self._prompt(ctx, provider, None if provider else "not_available")

    # -- the click -----------------------------------------------------------------------------

    async def submit(self, ctx: AuthContext, form: Mapping[str, str]) -> Outcome:
        provider = await self._provider(ctx)
        if provider is None:
            return self._prompt(ctx, None, "not_available")
        try:
            meta = await self.upstream.metadata(provider.config)
        except UpstreamError as exc:
            await self.accounts.record_failure(provider, exc.reason, ctx.ip)
            return self._prompt(ctx, provider, "upstream", detail=exc.message)
        state = f"{ctx.flow_id}.{secrets.token_urlsafe(32)}"
        nonce = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)
        digest = self.box.digest(state)
        expires = ctx.now + PENDING_TTL
        context = CACHE_KEY + digest
        pending = {
            "flow": ctx.flow_id,
            "idp": provider.id,
            "nonce": self.box.encrypt(nonce, context=context),
            "verifier": self.box.encrypt(verifier, context=context),
            "expires": expires,
        }
        previous = ctx.scratch.get("state")
        if isinstance(previous, str):
            await self.cache.delete(CACHE_KEY + previous)  # a second click replaces the first
        await self.cache.set(CACHE_KEY + digest, json.dumps(pending), ttl=PENDING_TTL)
        ctx.scratch.update({"state": digest, "idp": provider.id, "expires": expires})
        scopes = [s for s in provider.config.get("scopes") or () if isinstance(s, str)]
        params = {
            "response_type": "code",
            "client_id": str(provider.config.get("client_id", "")),
            "redirect_uri": self.redirect_uri(ctx),
            "scope": " ".join(dict.fromkeys(["openid", *scopes])),
            "state": state,
            "nonce": nonce,
            "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
            "code_challenge_method": "S256",
        }
        if ctx.username and not ctx.identified:
            params["login_hint"] = ctx.username[:320]
        return Redirect(self.upstream.authorization_url(meta, params))

    @staticmethod
    def redirect_uri(ctx: AuthContext) -> str:
        return f"{ctx.issuer}/login/return"

    # -- the return ----------------------------------------------------------------------------

    async def callback(self, ctx: AuthContext, params: Mapping[str, str]) -> Outcome:
        provider = await self._provider(ctx)
        if provider is None:
            return self._prompt(ctx, None, "not_available")
        expected = ctx.scratch.get("state")
        if not isinstance(expected, str):
            return self._prompt(ctx, provider, "not_started")
        state = params.get("state", "")
        if (
            len(state) > 512
            or not state.startswith(f"{ctx.flow_id}.")
            or not hmac.compare_digest(self.box.digest(state), expected)
        ):
            return self._prompt(ctx, provider, "state_mismatch")
        # The state is spent from here on, whatever happens next.
        for key in ("state", "idp", "expires"):
            ctx.scratch.pop(key, None)
        raw = await self.cache.take(CACHE_KEY + expected)
        if raw is None:
            return self._prompt(ctx, provider, "replayed")
        pending = json.loads(raw)
        if pending.get("flow") != ctx.flow_id or pending.get("idp") != provider.id:
            return self._prompt(ctx, provider, "state_mismatch")
        if int(pending.get("expires", 0)) < ctx.now:
            return self._prompt(ctx, provider, "expired")
        context = CACHE_KEY + expected
        nonce = self.box.decrypt(pending["nonce"], context=context)
        verifier = self.box.decrypt(pending["verifier"], context=context)

        error = params.get("error")
        if error is not None:
            await self.accounts.record_failure(provider, f"upstream:{_safe_word(error)}", ctx.ip)
            if error == "access_denied":
                return self._prompt(ctx, provider, "access_denied")
            return self._prompt(ctx, provider, "upstream_error", error=_safe_word(error))
        code = params.get("code", "")
        if not code or len(code) > 4096:
            return self._prompt(ctx, provider, "no_code")
        try:
            return await self._finish(ctx, provider, params, code, nonce, verifier)
        except UpstreamError as exc:
            await self.accounts.record_failure(provider, exc.reason, ctx.ip)
            if exc.reason == "mix_up":
                return self._prompt(ctx, provider, "mix_up")
            return self._prompt(ctx, provider, "upstream", detail=exc.message)

    async def _finish(
        self,
        ctx: AuthContext,
        provider: Provider,
        params: Mapping[str, str],
        code: str,
        nonce: str,
        verifier: str,
    ) -> Outcome:
        meta = await self.upstream.metadata(provider.config)
        iss = params.get("iss")
        # RFC 9207: a provider that says it sends ``iss`` must send its own.
        if (iss is not None or meta.iss_parameter) and iss != meta.issuer:
            raise UpstreamError("the answer came from another issuer", "mix_up")
        client_id = str(provider.config.get("client_id", ""))
        secret = None
        if provider.secret_encrypted is not None:
            secret = self.box.decrypt(
                provider.secret_encrypted, context=secret_context(provider.id)
            )
        tokens = await self.upstream.exchange(
            meta,
            client_id=client_id,
            client_secret=secret,
            auth_method=str(provider.config.get("token_endpoint_auth_method", "")),
            code=code,
            verifier=verifier,
            redirect_uri=self.redirect_uri(ctx),
        )
        claims = await self.upstream.verify_id_token(
            meta, client_id, tokens.id_token, nonce, ctx.now
        )
        userinfo: dict[str, Any] = {}
        if meta.userinfo_endpoint and tokens.access_token:
            userinfo = await self.upstream.userinfo(meta, tokens.access_token, str(claims["sub"]))
        account = UpstreamAccount.from_claims(claims, userinfo)
        found = await self.accounts.resolve(provider, account, ctx.ip)
        if not isinstance(found, Found):
            return self._prompt(ctx, provider, found.reason)
        amr = tuple(dict.fromkeys(a for a in account.amr if a in RFC8176))
        return Passed(found.user_id, amr)
