"""Outbound messages: email through SMTP, SMS through an HTTP gateway.

Use :func:`build_senders` to get the configured channels (a :class:`Senders` with ``None`` for
a channel without settings), :func:`render_email` to build a message from
``templates/email/``, and catch :class:`SendError` around every send.
"""

from identra.notify.email import EmailSender, OutgoingEmail, SmtpEmailSender, check_address
from identra.notify.errors import InvalidRecipient, SendError
from identra.notify.phone import (
    InvalidPhoneNumber,
    is_e164,
    mask_email,
    mask_phone,
    normalize_e164,
)
from identra.notify.senders import Senders, build_senders
from identra.notify.sms import HttpSmsSender, SmsSender
from identra.notify.templates import render_email

__all__ = [
    "EmailSender",
    "HttpSmsSender",
    "InvalidPhoneNumber",
    "InvalidRecipient",
    "OutgoingEmail",
    "SendError",
    "Senders",
    "SmsSender",
    "SmtpEmailSender",
    "build_senders",
    "check_address",
    "is_e164",
    "mask_email",
    "mask_phone",
    "normalize_e164",
    "render_email",
]
