"""The HTTP SMS provider against the local gateway (tests/smsgateway.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from identra.notify import HttpSmsSender, InvalidRecipient, SendError
from identra.settings import SmsSettings
from tests.smsgateway import SENDER_ID, SmsGateway
from tests.support import free_port

NUMBER = "+15551234567"


def sender(gateway: SmsGateway, **overrides: object) -> HttpSmsSender:
    return HttpSmsSender(SmsSettings(**gateway.sms_settings(**overrides)))


async def test_sends_with_the_documented_wire_format(smsgateway: SmsGateway) -> None:
    message_id = await sender(smsgateway).send(NUMBER, "Your code is 123456")
    got = await smsgateway.wait_for(NUMBER)
    assert got.id == message_id and message_id.startswith("msg_")
    assert got.sender == SENDER_ID
    assert got.body == "Your code is 123456"
    assert got.code() == "123456"
    assert got.idempotency_key and len(got.idempotency_key) == 32


async def test_invalid_number_from_the_gateway(smsgateway: SmsGateway) -> None:
    smsgateway.invalid_numbers.add("+15550000000")
    with pytest.raises(InvalidRecipient) as caught:
        await sender(smsgateway).send("+15550000000", "hello")
    assert "400 invalid_number" in str(caught.value)
    assert not caught.value.retryable
    assert smsgateway.messages == []


@pytest.mark.parametrize("number", ["5551234567", "+0123456789", "+1 555 123", "", "+1555abc4567"])
async def test_non_e164_numbers_are_refused_before_sending(
    smsgateway: SmsGateway, number: str
) -> None:
    with pytest.raises(InvalidRecipient):
        await sender(smsgateway).send(number, "hello")
    assert smsgateway.requests == 0


async def test_rate_limited_carries_retry_after(smsgateway: SmsGateway) -> None:
    smsgateway.fail_next(429, "rate_limited", "slow down", retry_after=42)
    with pytest.raises(SendError) as caught:
        await sender(smsgateway).send(NUMBER, "hello")
    assert caught.value.reason == "rate_limited"
    assert caught.value.retryable and caught.value.retry_after == 42
    # The next one goes through.
    await sender(smsgateway).send(NUMBER, "hello again")
    assert [m.body for m in smsgateway.messages] == ["hello again"]


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_retryable(smsgateway: SmsGateway, status: int) -> None:
    smsgateway.fail_next(status, "unavailable", "down for maintenance")
    with pytest.raises(SendError) as caught:
        await sender(smsgateway).send(NUMBER, "hello")
    assert caught.value.reason == "unavailable" and caught.value.retryable
    assert f"answered {status} unavailable: down for maintenance" in str(caught.value)


async def test_wrong_api_key(smsgateway: SmsGateway) -> None:
    with pytest.raises(SendError) as caught:
        await sender(smsgateway, api_key="not-the-key").send(NUMBER, "hello")
    assert caught.value.reason == "auth" and not caught.value.retryable
    assert "not-the-key" not in str(caught.value)


async def test_unreachable_gateway() -> None:
    settings = SmsSettings(base_url=f"http://127.0.0.1:{free_port()}", api_key="k", timeout=2)
    with pytest.raises(SendError) as caught:
        await HttpSmsSender(settings).send(NUMBER, "hello")
    assert caught.value.reason == "unreachable" and caught.value.retryable


async def test_too_long_body_is_refused(smsgateway: SmsGateway) -> None:
    with pytest.raises(SendError):
        await sender(smsgateway).send(NUMBER, "x" * 1000)
    assert smsgateway.requests == 0


def test_settings() -> None:
    s = SmsSettings(base_url="https://sms.example.com/api/", api_key="secret")
    assert s.base_url == "https://sms.example.com/api"
    assert "secret" not in repr(s)
    with pytest.raises(ValidationError):
        SmsSettings(base_url="ftp://sms.example.com", api_key="k")
    with pytest.raises(ValidationError):
        SmsSettings(base_url="https://sms.example.com", api_key="k", provider="twilio")
