"""The outbound channels a node has, built once from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from identra.notify.email import EmailSender, SmtpEmailSender
from identra.notify.sms import HttpSmsSender, SmsSender
from identra.settings import Settings


@dataclass(frozen=True)
class Senders:
    """``None`` for a channel that is not configured (options needing it are left out)."""

    email: EmailSender | None = None
    sms: SmsSender | None = None


def build_senders(settings: Settings) -> Senders:
    return Senders(
        email=SmtpEmailSender(settings.smtp) if settings.smtp is not None else None,
        sms=HttpSmsSender(settings.sms) if settings.sms is not None else None,
    )
