"""Pre-update password sample: refuses passwords found in a breach list.

Identra sends the SHA-256 of the new password (base64, ``format: HASH``) unless the action's
``config.password_sharing`` is ``PLAIN_TEXT``; this service compares hashes, so it never sees
the password. Add your own list with ``--breached FILE`` (one password per line).

    python3 pre_update_password.py --port 8082 [--secret whsec_...] [--breached FILE]
    identra actions create breach-check --type preUpdatePassword \
        --endpoint http://127.0.0.1:8082/
"""

from __future__ import annotations

import base64
import hashlib
import sys
from typing import Any

from common import options, serve

BREACHED = [
    "password1234",
    "123456789012",
    "qwertyuiop12",
    "iloveyou1234",
    "correct-horse-battery-staple",
    "violet-harbour-lantern-42",
]


def digest(password: str) -> str:
    return base64.b64encode(hashlib.sha256(password.encode()).digest()).decode()


def load(extra: str | None) -> set[str]:
    words = list(BREACHED)
    if extra:
        with open(extra, encoding="utf-8") as f:
            words += [line.rstrip("\n") for line in f if line.strip()]
    return {digest(w) for w in words}


def make_handler(hashes: set[str]) -> Any:
    def handle(request: dict[str, Any]) -> dict[str, Any]:
        credential = request["event"]["user"]["updatingCredential"]
        value = credential["value"]
        if credential["format"] == "PLAIN_TEXT":
            value = digest(value)
        if value in hashes:
            return {
                "actionStatus": "FAILED",
                "failureReason": "password_breached",
                "failureDescription": "This password appeared in a data breach. "
                "Choose another one.",
            }
        return {"actionStatus": "SUCCESS"}

    return handle


if __name__ == "__main__":
    breached = None
    if "--breached" in sys.argv:
        i = sys.argv.index("--breached")
        breached = sys.argv[i + 1]
        del sys.argv[i : i + 2]
    serve(make_handler(load(breached)), options(__doc__ or ""))
