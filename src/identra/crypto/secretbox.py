"""Encryption of secrets at rest with the master key (AES-256-GCM).

The master key comes from ``IDENTRA_MASTER_KEY`` or from a key file created on first start and
readable only by its owner. Ciphertexts are versioned (``v1.``) so the scheme can change later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class MasterKeyError(Exception):
    pass


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode_master_key(text: str) -> bytes:
    try:
        key = _b64d(text.strip())
    except ValueError as exc:
        raise MasterKeyError("the master key is not base64url") from exc
    if len(key) != 32:
        raise MasterKeyError("the master key must be 32 bytes, base64url encoded")
    return key


def load_or_create_key_file(path: Path) -> bytes:
    """Read the key file, creating it with mode 0600 if it does not exist yet."""
    if path.exists():
        if path.stat().st_mode & 0o077:
            raise MasterKeyError(f"{path} must be readable by its owner only (chmod 600)")
        return decode_master_key(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write to a private temporary file and link it into place: of several processes starting
    # at once, exactly one link succeeds and nobody ever reads a half-written key.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(_b64e(secrets.token_bytes(32)) + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return decode_master_key(path.read_text())


class SecretBox:
    """Encrypts and decrypts small secrets, and derives purpose-bound subkeys."""

    def __init__(self, master_key: bytes) -> None:
        self._aead = AESGCM(self.derive(master_key, b"identra/secretbox/v1"))
        self._digest_key = self.derive(master_key, b"identra/client-secret-digest/v1")

    @staticmethod
    def derive(master_key: bytes, purpose: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
            master_key
        )

    def encrypt(self, plaintext: str, context: str = "") -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return "v1." + _b64e(nonce + sealed)

    def decrypt(self, token: str, context: str = "") -> str:
        if not token.startswith("v1."):
            raise MasterKeyError("unknown ciphertext version")
        raw = _b64d(token[3:])
        return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()

    def digest(self, secret: str) -> str:
        """Keyed SHA-256 of a high-entropy secret (client secrets, refresh tokens)."""
        return hmac.new(self._digest_key, secret.encode(), hashlib.sha256).hexdigest()

    def verify_digest(self, secret: str, expected: str) -> bool:
        return hmac.compare_digest(self.digest(secret), expected)


def generate_master_key() -> str:
    return _b64e(secrets.token_bytes(32))
