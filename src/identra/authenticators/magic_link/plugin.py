"""The ``magic-link`` option: a one-time sign-in link sent to the user's verified email.

The link is ``{issuer}/login/{flow}/callback?token=...``: the token is 256 random bits, stored
only as a keyed digest in the cache, valid for 15 minutes and once. The flow engine accepts the
callback only in the browser that started the flow (its browser-binding cookie), so a link
forwarded to or intercepted by someone else does not sign them in; the user opens it in the
browser where they asked for it.

It may be a first factor: who receives the link controls the mailbox, which is what the link
proves. Before anyone is authenticated, the user gives an email address or username (or an
identifier step did), and the page answers the same whether or not an account matches. After
another step authenticated the user, it is a second factor to the masked address shown.
``amr``: ``otp`` (a one-time secret delivered out of band; RFC 8176 has no email value).
"""

from __future__ import annotations

from collections.abc import Mapping

from identra.authenticators.email_otp.channels import EmailChannel
from identra.authenticators.email_otp.outofband import OutOfBandOption
from identra.authenticators.interface import (
    AuthContext,
    AuthenticatorDeps,
    NotEnabled,
    Outcome,
    Prompt,
)
from identra.i18n.message import N_
from identra.notify.codes import LINK_TTL, OneTimeSecrets, SendThrottle, new_link_token
from identra.notify.contacts import Contacts

LINK_MESSAGES = {
    "invalid": N_(
        "This sign-in link is not valid here. Open the newest link we sent you, in "
        "this browser, or send a new one."
    ),
    "wrong": N_(
        "This sign-in link is not valid here. Open the newest link we sent you, in "
        "this browser, or send a new one."
    ),
    "expired": N_("This sign-in link has expired. Send a new link."),
    "used": N_("This sign-in link has already been used. Send a new link."),
    "void": N_("Too many invalid links were opened: send a new link."),
}


class LinkChannel(EmailChannel):
    def render_context(self, ctx: AuthContext, secret: str) -> dict[str, str]:
        return {"link": f"{ctx.callback_url}?token={secret}"}


class MagicLinkOption(OutOfBandOption):
    name = "magic-link"
    label = "Link by email"
    first_factor = True
    template = "magic-link"
    amr = ("otp",)
    thing = "link"
    things = "links"
    ttl = LINK_TTL

    def new_secret(self) -> str:
        return new_link_token()

    async def submit(self, ctx: AuthContext, form: Mapping[str, str]) -> Outcome:
        action = form.get("action") or "send"
        if action in ("send", "resend"):
            return await self.send(ctx, form)
        return await self._error_page(ctx, "unknown_action", 400)

    async def callback(self, ctx: AuthContext, params: Mapping[str, str]) -> Outcome:
        challenge = ctx.scratch.get("cid")
        token = params.get("token", "")[:100]
        if not challenge or not token:
            return self._link_error(ctx, "invalid")
        checked = await self.secrets.check(str(challenge), token, ctx.now)
        if checked.verdict == "ok":
            assert checked.subject is not None
            return await self._passed(ctx, checked.subject)
        return self._link_error(ctx, checked.verdict)

    def _link_error(self, ctx: AuthContext, key: str) -> Prompt:
        status = 429 if key == "void" else 400
        if ctx.scratch.get("cid"):
            return self._waiting(ctx, LINK_MESSAGES[key], status)
        return self._start(ctx, LINK_MESSAGES[key], status)


def create(deps: AuthenticatorDeps) -> MagicLinkOption:
    sender = getattr(deps.senders, "email", None)
    if sender is None:
        raise NotEnabled("no email sender: configure IDENTRA_SMTP__*")
    services = deps.services
    return MagicLinkOption(
        OneTimeSecrets(services.cache, services.box, "magic-link"),
        SendThrottle(services.cache, services.box, "email-link"),
        Contacts(services.sessions),
        LinkChannel(sender, "magic-link"),
    )
