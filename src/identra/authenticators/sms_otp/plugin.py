"""The ``sms-otp`` option: a 6-digit code sent by SMS to the user's phone number.

A second factor only (``first_factor = False``): phone numbers are not secret and SMS can be
intercepted, so it confirms a user an earlier step identified. The page shows the masked
number ("•••• 67"). Same code rules as ``email-otp``: 5 minutes, once, 5 tries, one new code
per 30 seconds and 10 per hour per user. ``amr``: ``sms`` and ``otp`` (RFC 8176).

The text ends with an origin-bound line (``@host #123456``, the WebOTP format) so that browsers
supporting it offer the code for this site only.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from identra.authenticators.email_otp.outofband import CodeOption
from identra.authenticators.interface import AuthContext, AuthenticatorDeps, NotEnabled
from identra.notify.codes import OneTimeSecrets, SendThrottle
from identra.notify.contacts import Contact, Contacts
from identra.notify.phone import mask_phone
from identra.notify.sms import SmsSender


def sms_text(ctx: AuthContext, code: str, minutes: int) -> str:
    name = " ".join(ctx.client_name.split())[:40] or "sign-in"
    text = f"{code} is your {name} code. It expires in {minutes} minutes. Do not share it."
    host = urlsplit(ctx.issuer).hostname
    return f"{text}\n\n@{host} #{code}" if host else text


class SmsChannel:
    kind = "sms"
    destination_kind = "phone number"

    def __init__(self, sender: SmsSender) -> None:
        self.sender = sender

    def destination(self, contact: Contact) -> str | None:
        return contact.phone

    def masked(self, destination: str) -> str:
        return mask_phone(destination)

    async def deliver(self, ctx: AuthContext, destination: str, secret: str, ttl: int) -> None:
        await self.sender.send(destination, sms_text(ctx, secret, ttl // 60))


class SmsOtpOption(CodeOption):
    name = "sms-otp"
    label = "Code by text message"
    first_factor = False
    template = "sms-otp"
    amr = ("sms", "otp")


def create(deps: AuthenticatorDeps) -> SmsOtpOption:
    sender = getattr(deps.senders, "sms", None)
    if sender is None:
        raise NotEnabled("no SMS sender: configure IDENTRA_SMS__*")
    services = deps.services
    return SmsOtpOption(
        OneTimeSecrets(services.cache, services.box, "sms-otp"),
        SendThrottle(services.cache, services.box, "sms"),
        Contacts(services.sessions),
        SmsChannel(sender),
    )
