"""What the three out-of-band options (``email-otp``, ``sms-otp``, ``magic-link``) share:
sending a one-time secret to the user's email address or phone, throttling, and checking it.

Two modes, decided per request:

- **Known user** (an earlier step *authenticated* the user): the option shows the masked
  destination ("a•••@example.com", "•••• 67"), sends synchronously and says so plainly when
  sending fails (503).
- **Identifying** (nobody authenticated yet: the user typed an identifier at an identifier
  step or in the option's own form): the answer is the same whether or not an account matches
  ("if an account matches, we sent..."); the message is handed to the sender in the background
  so the response time does not tell either; a secret is issued in every case (a decoy nobody
  can pass when nobody matched), so wrong-code answers are the same too.

The engine tells which mode applies through ``AuthContext.passed`` (the options already passed
in this flow) when it has that field; otherwise a user id with ``identified=False`` means an
earlier step authenticated the user.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from identra.authenticators.interface import AuthContext, Outcome, Passed, Prompt
from identra.i18n.message import N_
from identra.notify.codes import (
    CODE_TTL,
    OneTimeSecrets,
    SendThrottle,
    new_code,
)
from identra.notify.contacts import Contact, Contacts
from identra.notify.errors import InvalidRecipient, SendError

log = logging.getLogger(__name__)

MESSAGES = {
    "missing_identifier": N_("Enter your email address or username."),
    "no_user": N_("Sign in first, then ask for a code."),
    "wait": N_("Wait {seconds} seconds before asking for another {thing}."),
    "too_many_sent": N_("Too many {things} were sent to you. Try again later or try another way."),
    "send_failed": N_(
        "We could not send the {thing} right now. Try again in a few minutes, or try another way."
    ),
    "bad_recipient": N_(
        "We could not send the {thing} to {destination}. Try another way, or ask "
        "your administrator to update your contact details."
    ),
    "no_destination": N_(
        "This account has no {destination_kind} to send a {thing} to. Try another way."
    ),
    "ask_first": N_("Ask for a {thing} first."),
    "missing_code": N_("Enter the code we sent you."),
    "malformed": N_("The code is the {digits} digits in the message we sent you."),
    "wrong": N_("That code is not correct. {tries} more {attempts} before it stops working."),
    "expired": N_("This code has expired. Send a new code."),
    "used": N_("This code has already been used. Send a new code."),
    "void": N_("Too many incorrect codes: this code no longer works. Send a new code."),
    "link": N_("This link cannot be used here."),
    "unknown_action": N_("Choose one of the buttons on this page."),
}


def authenticated(ctx: AuthContext) -> bool:
    """Has an earlier step of this flow authenticated ``ctx.user_id``?"""
    if ctx.user_id is None:
        return False
    passed = getattr(ctx, "passed", None)
    if passed is not None:
        return bool(passed)
    return not ctx.identified


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


class Channel(Protocol):
    kind: str  # email | sms
    destination_kind: str  # "verified email address" | "phone number"

    def destination(self, contact: Contact) -> str | None: ...

    def masked(self, destination: str) -> str: ...

    async def deliver(self, ctx: AuthContext, destination: str, secret: str, ttl: int) -> None:
        """Raises :class:`SendError`."""
        ...


@dataclass(frozen=True)
class Sent:
    challenge_id: str
    notice: str


class OutOfBandOption:
    """The common part: the start form, sending, throttling. Subclasses check the secret."""

    name: str
    label: str
    first_factor: bool
    template: str
    amr: tuple[str, ...]
    thing = "code"
    things = "codes"
    ttl = CODE_TTL

    def __init__(
        self,
        secrets: OneTimeSecrets,
        throttle: SendThrottle,
        contacts: Contacts,
        channel: Channel,
    ) -> None:
        self.secrets = secrets
        self.throttle = throttle
        self.contacts = contacts
        self.channel = channel
        self._pending: set[asyncio.Task[None]] = set()

    def handles(self, option: str) -> bool:
        return option == self.name

    # -- what to show ------------------------------------------------------------------------

    async def _known_destination(self, ctx: AuthContext) -> str | None:
        assert ctx.user_id is not None
        contact = await self.contacts.of_user(ctx.org_id, ctx.user_id)
        return None if contact is None else self.channel.destination(contact)

    async def available(self, ctx: AuthContext) -> bool:
        if authenticated(ctx):
            return await self._known_destination(ctx) is not None
        # Identifying: offered whether or not the account exists or can receive messages.
        return self.first_factor or ctx.user_id is not None

    def _message(self, key: str, **fmt: Any) -> str:
        return MESSAGES[key].format(thing=self.thing, things=self.things, **fmt)

    def _start(
        self,
        ctx: AuthContext,
        error: str | None = None,
        status: int = 200,
        identifier: str = "",
        destination: str | None = None,
    ) -> Prompt:
        fixed = ctx.username if ctx.identified and ctx.username else None
        values: dict[str, Any] = {"phase": "start"}
        if destination is not None:
            values["destination"] = destination
        elif not authenticated(ctx):
            values["ask_identifier"] = fixed is None and ctx.user_id is None
            values["identifier"] = identifier or fixed or ctx.username or ""
        return Prompt(self.template, values, error, status)

    def _waiting(self, ctx: AuthContext, error: str | None = None, status: int = 200) -> Prompt:
        """The page after sending: enter the code / open the link, or send another."""
        values = {"phase": "sent", "notice": str(ctx.scratch.get("notice", ""))}
        return Prompt(self.template, values, error, status, engaged=True)

    async def prompt(self, ctx: AuthContext) -> Prompt:
        if ctx.scratch.get("cid") and int(ctx.scratch.get("exp", 0)) > ctx.now:
            return self._waiting(ctx)
        if authenticated(ctx):
            destination = await self._known_destination(ctx)
            return self._start(
                ctx, destination=self.channel.masked(destination) if destination else None
            )
        return self._start(ctx)

    # -- sending -----------------------------------------------------------------------------

    def new_secret(self) -> str:
        return new_code()

    async def _error_page(self, ctx: AuthContext, key: str, status: int, **fmt: Any) -> Prompt:
        """An error on whatever page the user is on (the start form, or the waiting page)."""
        message = self._message(key, **fmt)
        if ctx.scratch.get("cid"):
            return self._waiting(ctx, message, status)
        if authenticated(ctx):
            destination = await self._known_destination(ctx)
            return self._start(
                ctx,
                message,
                status,
                destination=self.channel.masked(destination) if destination else None,
            )
        return self._start(ctx, message, status, str(ctx.scratch.get("identifier", "")))

    async def send(self, ctx: AuthContext, form: Mapping[str, str]) -> Prompt:
        if authenticated(ctx):
            return await self._send_known(ctx)
        if not self.first_factor and ctx.user_id is None:
            return self._start(ctx, self._message("no_user"), 400)
        return await self._send_identifying(ctx, form)

    async def _send_known(self, ctx: AuthContext) -> Prompt:
        assert ctx.user_id is not None
        recipient = f"{ctx.org_id}:user:{ctx.user_id}"
        wait = await self.throttle.wait(recipient, ctx.now)
        if wait:
            return await self._error_page(ctx, "wait", 429, seconds=wait)
        contact = await self.contacts.of_user(ctx.org_id, ctx.user_id)
        destination = None if contact is None else self.channel.destination(contact)
        if contact is None or destination is None:
            return await self._error_page(
                ctx, "no_destination", 400, destination_kind=self.channel.destination_kind
            )
        if not await self.throttle.reserve(recipient, ctx.now):
            return await self._error_page(ctx, "too_many_sent", 429)
        masked = self.channel.masked(destination)
        secret = self.new_secret()
        challenge = await self._issue(ctx, contact.user_id, secret)
        try:
            await self.channel.deliver(ctx, destination, secret, self.ttl)
        except InvalidRecipient as exc:
            log.warning("%s option could not send: %s", self.name, exc)
            await self._forget(ctx)
            return await self._error_page(ctx, "bad_recipient", 503, destination=masked)
        except SendError as exc:
            log.warning("%s option could not send: %s", self.name, exc)
            await self._forget(ctx)
            return await self._error_page(ctx, "send_failed", 503)
        self._remember(ctx, challenge, self.sent_notice(masked))
        return self._waiting(ctx)

    async def _send_identifying(self, ctx: AuthContext, form: Mapping[str, str]) -> Prompt:
        fixed = ctx.username if ctx.identified and ctx.username else None
        typed = form.get("identifier", "").strip()[:320]
        identifier = fixed or typed or str(ctx.scratch.get("identifier", ""))
        if not identifier:
            return self._start(ctx, self._message("missing_identifier"), 400)
        ctx.scratch["identifier"] = identifier
        # Throttle by what was typed, never by whether it matched anyone.
        recipient = f"{ctx.org_id}:id:{identifier.lower()}"
        wait = await self.throttle.wait(recipient, ctx.now)
        if wait:
            return await self._error_page(ctx, "wait", 429, seconds=wait)
        await self.throttle.reserve(recipient, ctx.now)
        if ctx.user_id is not None:
            contact = await self.contacts.of_user(ctx.org_id, ctx.user_id)
        else:
            contact = await self.contacts.find(ctx.org_id, identifier)
        destination = None if contact is None else self.channel.destination(contact)
        secret = self.new_secret()
        subject = contact.user_id if contact is not None and destination is not None else None
        challenge = await self._issue(ctx, subject, secret)
        if subject is not None and destination is not None:
            if await self.throttle.reserve(f"{ctx.org_id}:user:{subject}", ctx.now):
                self._background(ctx, destination, secret)
            else:
                log.warning("%s option: hourly message cap reached for a user", self.name)
        self._remember(ctx, challenge, self.identifying_notice(identifier))
        return self._waiting(ctx)

    def _background(self, ctx: AuthContext, destination: str, secret: str) -> None:
        async def deliver() -> None:
            try:
                await self.channel.deliver(ctx, destination, secret, self.ttl)
            except SendError as exc:
                log.warning("%s option could not send: %s", self.name, exc)

        task = asyncio.get_running_loop().create_task(deliver())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Wait for messages handed to the sender in the background (tests, shutdown)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def _issue(self, ctx: AuthContext, subject: str | None, secret: str) -> str:
        old = ctx.scratch.get("cid")
        if old:
            await self.secrets.revoke(str(old))  # a new message makes the earlier one void
        return await self.secrets.issue(subject, secret, ctx.now, self.ttl)

    def _remember(self, ctx: AuthContext, challenge: str, notice: str) -> None:
        ctx.scratch.update(
            {"cid": challenge, "exp": ctx.now + self.ttl, "sent_at": ctx.now, "notice": notice}
        )

    async def _forget(self, ctx: AuthContext) -> None:
        old = ctx.scratch.pop("cid", None)
        if old:
            await self.secrets.revoke(str(old))
        for key in ("exp", "sent_at", "notice"):
            ctx.scratch.pop(key, None)

    def sent_notice(self, masked: str) -> str:
        minutes = self.ttl // 60
        return f"We sent a {self.thing} to {masked}. It expires in {minutes} minutes."

    def identifying_notice(self, identifier: str) -> str:
        minutes = self.ttl // 60
        return (
            f"If {identifier} has an account that can receive it, we sent a {self.thing} "
            f"to its {self.channel.destination_kind}. It expires in {minutes} minutes."
        )

    async def _passed(self, ctx: AuthContext, subject: str) -> Outcome:
        """The secret was right: the user must still be active (and the one expected)."""
        await self._forget(ctx)
        ctx.scratch.pop("identifier", None)
        contact = await self.contacts.of_user(ctx.org_id, subject)
        if contact is None or (ctx.user_id is not None and subject != ctx.user_id):
            return self._start(ctx, self._message("expired"), 400)
        return Passed(subject, self.amr)


class CodeOption(OutOfBandOption):
    """A 6-digit code sent by email or SMS, typed back on the step page."""

    digits = 6

    def _waiting(self, ctx: AuthContext, error: str | None = None, status: int = 200) -> Prompt:
        prompt = super()._waiting(ctx, error, status)
        return Prompt(
            prompt.template,
            {**prompt.values, "phase": "verify", "digits": self.digits},
            prompt.error,
            prompt.status,
            engaged=True,
        )

    async def submit(self, ctx: AuthContext, form: Mapping[str, str]) -> Outcome:
        action = form.get("action") or ("verify" if "code" in form else "send")
        if action in ("send", "resend"):
            return await self.send(ctx, form)
        if action == "verify":
            return await self.verify(ctx, form)
        return await self._error_page(ctx, "unknown_action", 400)

    async def verify(self, ctx: AuthContext, form: Mapping[str, str]) -> Outcome:
        challenge = ctx.scratch.get("cid")
        if not challenge:
            return await self._error_page(ctx, "ask_first", 400)
        raw = form.get("code", "")[:64]
        code = "".join(c for c in raw if not c.isspace() and c != "-")
        if not code:
            return self._waiting(ctx, self._message("missing_code"), 400)
        if not (code.isascii() and code.isdigit() and len(code) == self.digits):
            return self._waiting(ctx, self._message("malformed", digits=self.digits), 400)
        checked = await self.secrets.check(str(challenge), code, ctx.now)
        if checked.verdict == "ok":
            assert checked.subject is not None
            return await self._passed(ctx, checked.subject)
        if checked.verdict == "wrong":
            tries = checked.tries_left
            message = self._message("wrong", tries=tries, attempts=_plural(tries, "try", "tries"))
            return self._waiting(ctx, message, 401)
        status = 429 if checked.verdict == "void" else 400
        return self._waiting(ctx, self._message(checked.verdict), status)

    async def callback(self, ctx: AuthContext, params: Mapping[str, str]) -> Outcome:
        return Prompt(self.template, {"phase": "start"}, self._message("link"), 400)
