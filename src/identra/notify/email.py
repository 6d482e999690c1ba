"""Outbound email: the :class:`EmailSender` interface and its SMTP implementation.

Messages are ``multipart/alternative`` (text first, then HTML when given) with a fresh
``Message-ID``. The relay connection uses STARTTLS (``security="starttls"``, port 587), implicit
TLS (``"tls"``, port 465) or nothing (``"none"``, for a relay on the same host); every SMTP
operation is bounded by ``timeout``. Every failure becomes a :class:`SendError`.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol, runtime_checkable

import aiosmtplib

from identra.notify.errors import InvalidRecipient, SendError
from identra.settings import SmtpSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingEmail:
    to: str  # one plain address
    subject: str
    text: str
    html: str | None = None


@runtime_checkable
class EmailSender(Protocol):
    async def send(self, message: OutgoingEmail) -> str:
        """Hand the message to the relay; returns its ``Message-ID``. Raises :class:`SendError`."""
        ...


def check_address(address: str) -> str:
    """A single plain address (``local@domain``); refuses anything that could smuggle headers
    or extra recipients."""
    local, at, domain = address.rpartition("@")
    bad = any(c.isspace() or c in '<>,;"\\' or ord(c) < 32 for c in address)
    if not at or not local or not domain or "@" in local or bad or len(address) > 320:
        raise InvalidRecipient("not a valid email address", channel="email")
    return address


def _one_line(value: str, what: str) -> str:
    if "\r" in value or "\n" in value:
        raise SendError(f"the {what} must be one line", channel="email", reason="message")
    return value


class SmtpEmailSender:
    """Sends through an SMTP relay with aiosmtplib; one connection per message."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.domain = settings.from_address.rpartition("@")[2]

    def build(self, message: OutgoingEmail) -> EmailMessage:
        check_address(message.to)
        s = self.settings
        msg = EmailMessage()
        local, _, domain = s.from_address.rpartition("@")
        msg["From"] = Address(display_name=s.from_name, username=local, domain=domain)
        msg["To"] = message.to
        msg["Subject"] = _one_line(message.subject, "subject")
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        msg["Message-ID"] = make_msgid(domain=self.domain)
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(message.text)
        if message.html is not None:
            msg.add_alternative(message.html, subtype="html")
        return msg

    async def send(self, message: OutgoingEmail) -> str:
        s = self.settings
        msg = self.build(message)
        tls_context = None
        if s.security != "none":
            tls_context = ssl.create_default_context()
            if not s.validate_certs:
                tls_context.check_hostname = False
                tls_context.verify_mode = ssl.CERT_NONE
        where = f"{s.host}:{s.port}"
        try:
            await aiosmtplib.send(
                msg,
                sender=s.from_address,
                recipients=[message.to],
                hostname=s.host,
                port=s.port,
                username=s.username,
                password=s.password.get_secret_value() if s.password is not None else None,
                use_tls=s.security == "tls",
                start_tls=True if s.security == "starttls" else False,
                validate_certs=s.validate_certs,
                tls_context=tls_context,
                timeout=s.timeout,
            )
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise SendError(
                f"the SMTP server at {where} refused the credentials ({exc.code})",
                channel="email",
                reason="auth",
            ) from None
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise InvalidRecipient(
                f"the SMTP server at {where} refused the recipient", channel="email"
            ) from exc
        except aiosmtplib.SMTPTimeoutError:
            raise SendError(
                f"the SMTP server at {where} did not answer within {s.timeout:g} s",
                channel="email",
                reason="timeout",
                retryable=True,
            ) from None
        except aiosmtplib.SMTPConnectError as exc:
            raise SendError(
                f"could not connect to the SMTP server at {where}: {exc.message}",
                channel="email",
                reason="unreachable",
                retryable=True,
            ) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise SendError(
                f"the SMTP server at {where} answered {exc.code} {exc.message}",
                channel="email",
                reason="refused",
                retryable=500 > exc.code >= 400,
            ) from None
        except aiosmtplib.SMTPException as exc:
            # STARTTLS not offered, connection dropped mid-conversation...
            raise SendError(
                f"sending through the SMTP server at {where} failed: {exc}",
                channel="email",
                reason="protocol",
                retryable=True,
            ) from None
        except (OSError, ssl.SSLError) as exc:
            raise SendError(
                f"could not talk to the SMTP server at {where}: {exc.__class__.__name__}",
                channel="email",
                reason="unreachable",
                retryable=True,
            ) from None
        message_id = str(msg["Message-ID"])
        log.info("email sent", extra={"message_id": message_id, "relay": where})
        return message_id
