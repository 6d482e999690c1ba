"""HOTP and TOTP (RFC 4226, RFC 6238): SHA-1, 6 digits, 30-second steps.

Pure functions, no I/O. The secret is 20 random bytes (the RFC 4226 recommended length for
HMAC-SHA-1), shown to the user in Base32 and in an ``otpauth://`` URI for QR codes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

DIGITS = 6
PERIOD = 30
WINDOW = 1  # accept the previous and the next time step too (clock drift, slow typing)
SECRET_BYTES = 20


def new_secret() -> str:
    """20 random bytes as unpadded Base32 (32 characters)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def _key(secret_b32: str) -> bytes:
    text = secret_b32.replace(" ", "").upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def hotp(secret_b32: str, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226 §5.3: HMAC-SHA-1 of the 8-byte counter, dynamic truncation, modulo 10^digits."""
    mac = hmac.new(_key(secret_b32), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def time_step(now: int, period: int = PERIOD) -> int:
    return now // period


def matching_step(secret_b32: str, code: str, now: int, window: int = WINDOW) -> int | None:
    """The time step within ``now ± window`` whose code is ``code``, or None.

    Every candidate is computed and compared in constant time, so the answer takes the same
    time whichever step (if any) matches.
    """
    current = time_step(now)
    found = None
    for step in range(current - window, current + window + 1):
        if step >= 0 and hmac.compare_digest(hotp(secret_b32, step).encode(), code.encode()):
            found = step if found is None else found
    return found


def normalize_code(raw: str) -> str | None:
    """The 6 digits of what the user typed (spaces and dashes ignored), or None."""
    code = "".join(ch for ch in raw if ch not in " -\t")
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    return code


def provisioning_uri(secret_b32: str, issuer: str, account: str) -> str:
    """The ``otpauth://totp/...`` URI authenticator apps read from a QR code (Key Uri Format)."""
    # A literal colon between the issuer and the account, each percent-encoded (pyotp and
    # several apps split the label before decoding it).
    label = f"{quote(issuer, safe='')}:{quote(account, safe='')}"
    query = urlencode(
        {
            "secret": secret_b32,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": PERIOD,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def grouped(secret_b32: str) -> str:
    """The secret in groups of four for typing by hand."""
    return " ".join(secret_b32[i : i + 4] for i in range(0, len(secret_b32), 4))
