"""The SMTP sender against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import socket

import pytest
from pydantic import ValidationError

from identra.notify import (
    InvalidRecipient,
    OutgoingEmail,
    SendError,
    SmtpEmailSender,
    render_email,
)
from identra.settings import SmtpSettings
from tests.mailserver import FROM_ADDRESS, MailServer
from tests.support import free_port


def sender(mail: MailServer, **overrides: object) -> SmtpEmailSender:
    return SmtpEmailSender(SmtpSettings(**mail.smtp_settings(**overrides)))


async def test_plain_smtp_delivers_text_and_html(mailserver: MailServer) -> None:
    message = render_email(
        "email-otp", "alice@example.com", code="123456", minutes=5, client_name="Shop <&> Co"
    )
    message_id = await sender(mailserver).send(message)

    got = await mailserver.wait_for("alice@example.com")
    assert got.mail_from == FROM_ADDRESS
    assert got.rcpt_tos == ["alice@example.com"]
    assert got.authenticated_as is None
    assert str(got.message["Message-ID"]) == message_id
    assert str(got.message["From"]) == f"Identra <{FROM_ADDRESS}>"
    assert got.subject == "Your sign-in code for Shop <&> Co"
    assert got.code() == "123456"
    assert "expires in 5 minutes" in got.text
    assert "Shop <&> Co" in got.text  # plain text is not escaped
    assert got.html is not None
    assert "Shop &lt;&amp;&gt; Co" in got.html and "<&>" not in got.html  # HTML is escaped
    assert "123456" in got.html


async def test_text_only_message(mailserver: MailServer) -> None:
    await sender(mailserver).send(OutgoingEmail("bob@example.com", "Hello", "Just text\n"))
    got = await mailserver.wait_for("bob@example.com")
    assert got.text == "Just text\n"
    assert got.html is None
    assert not got.message.is_multipart()


async def test_authenticated_relay() -> None:
    with MailServer(credentials=("relay-user", "relay-pass")) as mail:
        await sender(mail).send(OutgoingEmail("alice@example.com", "Hi", "Body"))
        got = await mail.wait_for()
        assert got.authenticated_as == "relay-user"


async def test_refused_credentials_are_a_clear_error() -> None:
    with MailServer(credentials=("relay-user", "relay-pass")) as mail:
        with pytest.raises(SendError) as caught:
            await sender(mail, password="wrong-password").send(
                OutgoingEmail("alice@example.com", "Hi", "Body")
            )
        assert caught.value.reason == "auth"
        assert not caught.value.retryable
        assert "refused the credentials" in str(caught.value)
        assert "wrong-password" not in str(caught.value)
        assert mail.messages == []


async def test_unreachable_server_is_a_clear_error() -> None:
    port = free_port()  # nothing listens there
    settings = SmtpSettings(
        host="127.0.0.1", port=port, security="none", from_address=FROM_ADDRESS, timeout=2
    )
    with pytest.raises(SendError) as caught:
        await SmtpEmailSender(settings).send(OutgoingEmail("a@example.com", "Hi", "Body"))
    assert caught.value.reason == "unreachable"
    assert caught.value.retryable
    assert f"127.0.0.1:{port}" in str(caught.value)


async def test_silent_server_times_out() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection but never greets
    try:
        settings = SmtpSettings(
            host="127.0.0.1",
            port=listener.getsockname()[1],
            security="none",
            from_address=FROM_ADDRESS,
            timeout=0.5,
        )
        with pytest.raises(SendError) as caught:
            await SmtpEmailSender(settings).send(OutgoingEmail("a@example.com", "Hi", "Body"))
        assert caught.value.reason == "timeout"
        assert "did not answer within 0.5 s" in str(caught.value)
    finally:
        listener.close()


async def test_starttls_with_the_relay_certificate() -> None:
    with MailServer(starttls=True) as mail:
        await sender(mail).send(OutgoingEmail("alice@example.com", "Hi", "Body"))
        assert (await mail.wait_for()).subject == "Hi"

        # The self-signed certificate is refused when certificates are checked.
        with pytest.raises(SendError) as caught:
            await sender(mail, validate_certs=True).send(
                OutgoingEmail("alice@example.com", "Hi", "Body")
            )
        assert caught.value.retryable
        assert len(mail.messages) == 1


async def test_starttls_required_but_not_offered(mailserver: MailServer) -> None:
    with pytest.raises(SendError) as caught:
        await sender(mailserver, security="starttls").send(
            OutgoingEmail("alice@example.com", "Hi", "Body")
        )
    assert "STARTTLS" in str(caught.value) or "starttls" in str(caught.value).lower()
    assert mailserver.messages == []


async def test_refused_recipient() -> None:
    with MailServer(refuse=("nobody@example.com",)) as mail:
        with pytest.raises(InvalidRecipient):
            await sender(mail).send(OutgoingEmail("nobody@example.com", "Hi", "Body"))
        assert mail.messages == []


@pytest.mark.parametrize(
    "address",
    [
        "",
        "no-at-sign",
        "a@b@c",
        "alice@example.com\r\nBcc: eve@example.com",
        "Alice <alice@example.com>",
        "a@example.com, eve@example.com",
        "@example.com",
    ],
)
async def test_malformed_recipients_are_refused_before_connecting(
    mailserver: MailServer, address: str
) -> None:
    with pytest.raises(InvalidRecipient):
        await sender(mailserver).send(OutgoingEmail(address, "Hi", "Body"))
    assert mailserver.messages == []


async def test_header_injection_in_subject_is_refused(mailserver: MailServer) -> None:
    with pytest.raises(SendError):
        await sender(mailserver).send(
            OutgoingEmail("alice@example.com", "Hi\r\nBcc: eve@example.com", "Body")
        )
    assert mailserver.messages == []


def test_settings_refuse_clear_text_credentials_to_a_remote_relay() -> None:
    with pytest.raises(ValidationError, match="need security starttls or tls"):
        SmtpSettings(
            host="mail.example.com",
            security="none",
            username="u",
            password="p",
            from_address=FROM_ADDRESS,
        )
    with pytest.raises(ValidationError, match="go together"):
        SmtpSettings(host="mail.example.com", username="u", from_address=FROM_ADDRESS)
    with pytest.raises(ValidationError, match="plain address"):
        SmtpSettings(host="mail.example.com", from_address="Identra <x@example.com>")
    ok = SmtpSettings(
        host="localhost", security="none", username="u", password="p", from_address=FROM_ADDRESS
    )
    assert ok.port == 587
    assert "p" not in repr(ok.password)
