"""Phone numbers in E.164 form (``+`` then 8 to 15 digits, no leading zero), and masking of
addresses and numbers for display."""

from __future__ import annotations

import re

_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
_SEPARATORS = re.compile(r"[\s().\-/]")


class InvalidPhoneNumber(ValueError):
    pass


def normalize_e164(value: str) -> str:
    """``+1 (555) 123-4567`` -> ``+15551234567``; ``00`` is accepted for ``+``.

    Numbers without a country code are refused: there is no default country to guess.
    """
    if len(value) > 40:
        raise InvalidPhoneNumber("a phone number has at most 15 digits")
    compact = _SEPARATORS.sub("", value.strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not _E164.fullmatch(compact):
        raise InvalidPhoneNumber(
            "enter the phone number in international form, starting with + and the country code"
        )
    return compact


def is_e164(value: str) -> bool:
    return _E164.fullmatch(value) is not None


def mask_phone(number: str) -> str:
    """``+15551234567`` -> ``•••• 67``: enough to recognise one's own number."""
    digits = [c for c in number if c.isdigit()]
    return "•••• " + "".join(digits[-2:])


def mask_email(address: str) -> str:
    """``alice@example.com`` -> ``a•••@example.com``."""
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return "•••"
    return f"{local[0]}•••@{domain}"
