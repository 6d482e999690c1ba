"""Standard Webhooks signatures (https://www.standardwebhooks.com), for webhooks and actions.

Every signed request carries three headers:

- ``webhook-id``: the message id (the same on every retry of a webhook message);
- ``webhook-timestamp``: seconds since the epoch, when the request was signed;
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>``; during a
  secret rotation several space-separated signatures may be listed.

The secret is ``whsec_`` followed by the base64 of the key bytes, as the Standard Webhooks
libraries expect, so receivers can verify with them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
KEY_BYTES = 32
TOLERANCE = 300  # seconds a receiver should accept between the timestamp and its clock


def generate_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def _key(secret: str) -> bytes:
    raw = secret.removeprefix(PREFIX)
    return base64.b64decode(raw, validate=True)


def valid_secret(secret: str) -> bool:
    try:
        return secret.startswith(PREFIX) and 24 <= len(_key(secret)) <= 64
    except ValueError:
        return False


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    content = msg_id.encode() + b"." + str(timestamp).encode() + b"." + body
    mac = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, msg_id, timestamp, body),
    }


def verify(
    secret: str, received: dict[str, str], body: bytes, now: int, tolerance: int = TOLERANCE
) -> bool:
    """What a receiver does (used by the tests and the Python samples' twin)."""
    msg_id = received.get("webhook-id", "")
    stamp = received.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit() or abs(now - int(stamp)) > tolerance:
        return False
    expected = signature(secret, msg_id, int(stamp), body).encode()
    return any(
        hmac.compare_digest(expected, candidate.encode())
        for candidate in received.get("webhook-signature", "").split()
    )
