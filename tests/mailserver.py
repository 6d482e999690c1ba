"""A real SMTP server on loopback (aiosmtpd) that keeps every message it receives.

Use it as a context manager or through the ``mailserver`` fixture (import the fixture into a
test module or conftest: ``from tests.mailserver import mailserver  # noqa: F401``)::

    with MailServer() as mail:
        settings = make_settings(tmp_path, smtp=mail.smtp_settings())
        ...
        message = await mail.wait_for(to="alice@example.com")
        code = message.code()            # the first 6-digit number in the text part
        link = message.link()            # the first http(s) URL in the text part

Options: ``credentials=("user", "pw")`` makes AUTH mandatory-if-offered with those credentials
(a wrong password gets 535); ``starttls=True`` offers STARTTLS with a self-signed certificate
(``smtp_settings`` then sets ``security="starttls", validate_certs=False``).
"""

from __future__ import annotations

import asyncio
import datetime
import email
import email.policy
import re
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from tests.support import free_port

FROM_ADDRESS = "no-reply@identra.test"


@dataclass
class Captured:
    """One received message: the SMTP envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    authenticated_as: str | None

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str | None:
        body = self.message.get_body(preferencelist=(subtype,))
        if body is None or body.get_content_subtype() != subtype:
            return None
        return str(body.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]

    @property
    def text(self) -> str:
        return self.part("plain") or ""

    @property
    def html(self) -> str | None:
        return self.part("html")

    def code(self, digits: int = 6) -> str:
        found = re.search(rf"\b(\d{{{digits}}})\b", self.text)
        assert found, f"no {digits}-digit code in:\n{self.text}"
        return found.group(1)

    def link(self) -> str:
        found = re.search(r"https?://\S+", self.text)
        assert found, f"no link in:\n{self.text}"
        return found.group(0)


class _Handler:
    def __init__(self, box: MailServer) -> None:
        self.box = box

    async def handle_RCPT(
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.lower() in self.box.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        login = (
            session.auth_data.login.decode()
            if isinstance(session.auth_data, LoginPassword)
            else None
        )
        captured = Captured(str(envelope.mail_from), list(envelope.rcpt_tos), message, login)
        with self.box._lock:
            self.box.messages.append(captured)
        return "250 Message accepted for delivery"


def _self_signed(folder: Path) -> ssl.SSLContext:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context


class MailServer:
    """An SMTP server in its own thread on 127.0.0.1; ``messages`` is what it received."""

    def __init__(
        self,
        *,
        credentials: tuple[str, str] | None = None,
        starttls: bool = False,
        refuse: tuple[str, ...] = (),
    ) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.credentials = credentials
        self.starttls = starttls
        self.refuse = {a.lower() for a in refuse}
        self.messages: list[Captured] = []
        self._lock = threading.Lock()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        kwargs: dict[str, Any] = {"hostname": self.host, "port": self.port}
        kwargs["server_hostname"] = "localhost"
        if credentials is not None:
            kwargs["authenticator"] = self._authenticate
            kwargs["auth_require_tls"] = False
        if starttls:
            self._tmp = tempfile.TemporaryDirectory()
            kwargs["tls_context"] = _self_signed(Path(self._tmp.name))
            kwargs["require_starttls"] = True
        self.controller = Controller(_Handler(self), **kwargs)

    def _authenticate(
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        assert self.credentials is not None
        if (
            isinstance(auth_data, LoginPassword)
            and (
                auth_data.login.decode(),
                auth_data.password.decode(),
            )
            == self.credentials
        ):
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)

    def __enter__(self) -> MailServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def smtp_settings(self, **overrides: Any) -> dict[str, Any]:
        """The ``smtp`` settings section pointing at this server."""
        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "security": "starttls" if self.starttls else "none",
            "from_address": FROM_ADDRESS,
            "timeout": 5,
        }
        if self.starttls:
            values["validate_certs"] = False
        if self.credentials is not None:
            values["username"], values["password"] = self.credentials
        values.update(overrides)
        return values

    def sent_to(self, address: str) -> list[Captured]:
        with self._lock:
            return [m for m in self.messages if address.lower() in map(str.lower, m.rcpt_tos)]

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def _ready(self, to: str | None, count: int) -> Captured | None:
        found = self.sent_to(to) if to is not None else list(self.messages)
        return found[count - 1] if len(found) >= count else None

    async def wait_for(
        self, to: str | None = None, *, count: int = 1, timeout: float = 10
    ) -> Captured:
        """The ``count``-th message (to ``to``, if given), waiting for it to arrive."""
        deadline = time.monotonic() + timeout
        while (found := self._ready(to, count)) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"no message #{count} to {to or 'anyone'} within {timeout}s")
            await asyncio.sleep(0.02)
        return found

    def wait_blocking(
        self, to: str | None = None, *, count: int = 1, timeout: float = 10
    ) -> Captured:
        deadline = time.monotonic() + timeout
        while (found := self._ready(to, count)) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"no message #{count} to {to or 'anyone'} within {timeout}s")
            time.sleep(0.02)
        return found


@pytest.fixture
def mailserver() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server
