"""Generating, formatting and reading backup codes.

A code is 8 characters of Crockford's Base32 alphabet (no I, L, O or U: nothing to confuse),
40 random bits, shown as ``xxxx-xxxx``. What the user types is read tolerantly: case, spaces
and dashes do not matter, and the letters Crockford maps to digits (O -> 0, I/L -> 1) are
accepted. Only keyed digests are stored.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
LENGTH = 8
COUNT = 10
_ALIASES = str.maketrans({"o": "0", "i": "1", "l": "1"})


def generate(count: int = COUNT) -> list[str]:
    """``count`` distinct codes, unformatted (8 lowercase characters)."""
    codes: list[str] = []
    while len(codes) < count:
        code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        if code not in codes:
            codes.append(code)
    return codes


def formatted(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalize(raw: str) -> str | None:
    """The canonical code for what the user typed, or None when it cannot be a code."""
    text = "".join(ch for ch in raw.lower() if ch not in " -\t\u2010\u2011\u2012\u2013")
    text = text.translate(_ALIASES)
    if len(text) != LENGTH or any(ch not in ALPHABET for ch in text):
        return None
    return text
