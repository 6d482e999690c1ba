from __future__ import annotations

from pathlib import Path

import pytest

from identra.notify import (
    HttpSmsSender,
    InvalidPhoneNumber,
    SmtpEmailSender,
    build_senders,
    mask_email,
    mask_phone,
    normalize_e164,
)
from tests.support import make_settings


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+15551234567", "+15551234567"),
        ("+1 (555) 123-4567", "+15551234567"),
        ("0044 20 7946 0958", "+442079460958"),
        (" +33.6.12.34.56.78 ", "+33612345678"),
    ],
)
def test_e164_normalisation(raw: str, expected: str) -> None:
    assert normalize_e164(raw) == expected


@pytest.mark.parametrize(
    "raw", ["5551234567", "+0551234567", "+1555", "+1234567890123456", "+1-555-CALL-NOW", "", "+"]
)
def test_e164_refusals(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber, match="international form"):
        normalize_e164(raw)


def test_masks() -> None:
    assert mask_phone("+15551234512") == "•••• 12"
    assert mask_email("alice@example.com") == "a•••@example.com"
    assert mask_email("broken") == "•••"


def test_build_senders(tmp_path: Path) -> None:
    none = build_senders(make_settings(tmp_path))
    assert none.email is None and none.sms is None
    both = build_senders(
        make_settings(
            tmp_path,
            smtp={"host": "mail.example.com", "from_address": "no-reply@example.com"},
            sms={"base_url": "https://sms.example.com", "api_key": "k"},
        )
    )
    assert isinstance(both.email, SmtpEmailSender)
    assert isinstance(both.sms, HttpSmsSender)
