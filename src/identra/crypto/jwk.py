"""Signing keys as JWKs: generation, the public half for the JWKS, and JWT signing."""

from __future__ import annotations

import json
import secrets
import warnings
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, OKPKey, RSAKey

Key = RSAKey | ECKey | OKPKey

# RFC 9864 prefers the fully specified "Ed25519" name, but "EdDSA" is what deployed clients
# understand, and the deployment chose it deliberately.
warnings.filterwarnings("ignore", message="EdDSA is deprecated", category=SecurityWarning)

SUPPORTED_ALGS = ("RS256", "PS256", "ES256", "EdDSA")


def generate(alg: str) -> Key:
    if alg in ("RS256", "PS256"):
        return RSAKey.generate_key(2048, private=True)
    if alg == "ES256":
        return ECKey.generate_key("P-256", private=True)
    if alg == "EdDSA":
        return OKPKey.generate_key("Ed25519", private=True)
    raise ValueError(f"unsupported signing algorithm {alg!r}")


def new_kid() -> str:
    return secrets.token_urlsafe(12)


def import_private(data: dict[str, Any]) -> Key:
    kty = data.get("kty")
    if kty == "RSA":
        return RSAKey.import_key(data)
    if kty == "EC":
        return ECKey.import_key(data)
    if kty == "OKP":
        return OKPKey.import_key(data)
    raise ValueError(f"unsupported key type {kty!r}")


def import_public(data: dict[str, Any]) -> Key:
    public = {k: v for k, v in data.items() if k not in ("d", "p", "q", "dp", "dq", "qi")}
    return import_private(public)


@dataclass(frozen=True)
class LoadedKey:
    """A signing key ready to use: parsed once, so the hot path never re-imports it."""

    kid: str
    alg: str
    key: Key
    public_jwk: dict[str, Any]

    def sign(self, claims: dict[str, Any], typ: str = "JWT") -> str:
        header = {"alg": self.alg, "kid": self.kid, "typ": typ}
        return jwt.encode(header, claims, self.key, algorithms=[self.alg])


def public_jwk(key: Key, kid: str, alg: str) -> dict[str, Any]:
    data = key.as_dict(private=False)
    data.update({"kid": kid, "alg": alg, "use": "sig"})
    return data


def private_json(key: Key) -> str:
    return json.dumps(key.as_dict(private=True))
