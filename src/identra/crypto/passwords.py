"""User password hashing: argon2id, rehash on login, and verify-and-upgrade for imported hashes.

Hashes imported from other identity servers (bcrypt ``$2b$``, PBKDF2 in the Django/passlib
formats) verify as they are; a successful login replaces them with argon2id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id with the library's OWASP-aligned defaults


def configure(time_cost: int, memory_cost: int, parallelism: int) -> None:
    """Use these argon2id parameters for new hashes (``memory_cost`` in KiB). Existing hashes
    keep verifying with their own parameters and are upgraded on the next successful login."""
    global _hasher
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


@dataclass(frozen=True)
class Verification:
    ok: bool
    new_hash: str | None = None  # set when the stored hash should be replaced


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> Verification:
    if stored.startswith("$argon2"):
        try:
            _hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return Verification(False)
        rehash = _hasher.check_needs_rehash(stored)
        return Verification(True, hash_password(password) if rehash else None)
    if stored.startswith(("$2a$", "$2b$", "$2y$")):
        try:
            ok = bcrypt.checkpw(password.encode(), stored.encode())
        except ValueError:
            ok = False
        return Verification(ok, hash_password(password) if ok else None)
    if stored.startswith("pbkdf2_sha256$") or stored.startswith("$pbkdf2-sha256$"):
        ok = _verify_pbkdf2(stored, password)
        return Verification(ok, hash_password(password) if ok else None)
    return Verification(False)


def _verify_pbkdf2(stored: str, password: str) -> bool:
    """Django (``pbkdf2_sha256$iter$salt$b64``) and passlib (``$pbkdf2-sha256$iter$salt$hash``)."""
    try:
        if stored.startswith("pbkdf2_sha256$"):
            _, iterations, salt, expected_b64 = stored.split("$", 3)
            salt_bytes = salt.encode()
            expected = base64.b64decode(expected_b64)
        else:
            _, _, iterations, salt, expected_ab64 = stored.split("$", 4)
            salt_bytes = _ab64_decode(salt)
            expected = _ab64_decode(expected_ab64)
        derived = hashlib.pbkdf2_hmac(
            "sha256", password.encode(), salt_bytes, int(iterations), len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(derived, expected)


def _ab64_decode(text: str) -> bytes:
    text = text.replace(".", "+")
    return base64.b64decode(text + "=" * (-len(text) % 4))


def is_supported_hash(stored: str) -> bool:
    return stored.startswith(
        ("$argon2", "$2a$", "$2b$", "$2y$", "pbkdf2_sha256$", "$pbkdf2-sha256$")
    )
