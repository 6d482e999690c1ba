"""Delivering one-time secrets by email (codes and sign-in links)."""

from __future__ import annotations

from identra.authenticators.interface import AuthContext
from identra.notify.contacts import Contact
from identra.notify.email import EmailSender
from identra.notify.phone import mask_email
from identra.notify.templates import render_email


class EmailChannel:
    kind = "email"
    destination_kind = "verified email address"

    def __init__(self, sender: EmailSender, template: str) -> None:
        self.sender = sender
        self.template = template  # email-otp | magic-link (templates/email/)

    def destination(self, contact: Contact) -> str | None:
        return contact.email

    def masked(self, destination: str) -> str:
        return mask_email(destination)

    def render_context(self, ctx: AuthContext, secret: str) -> dict[str, str]:
        return {"code": secret}

    async def deliver(self, ctx: AuthContext, destination: str, secret: str, ttl: int) -> None:
        message = render_email(
            self.template,
            destination,
            client_name=ctx.client_name[:100],
            minutes=ttl // 60,
            **self.render_context(ctx, secret),
        )
        await self.sender.send(message)
