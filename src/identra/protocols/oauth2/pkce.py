"""RFC 7636: Proof Key for Code Exchange.

- ``code_challenge`` and ``code_verifier`` are 43 to 128 characters of ``[A-Za-z0-9-._~]``
  (§4.1, §4.2).
- Only ``S256`` is accepted: ``plain`` is refused (RFC 9700 §2.1.1 — it protects nothing when
  the authorization request is observed). A missing ``code_challenge_method`` means ``plain``
  (§4.3), so it is refused too.
- At the token endpoint, ``BASE64URL(SHA256(code_verifier)) == code_challenge`` compared in
  constant time (§4.6); a verifier sent for a code issued without a challenge is refused
  (RFC 9700 §2.1.1, downgrade protection).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from identra.protocols.oauth2.errors import InvalidGrant, InvalidRequest

SUPPORTED_METHODS = ("S256",)
_SHAPE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def check_challenge(challenge: str | None, method: str | None, required: bool) -> str | None:
    """Validate the authorization request's PKCE parameters; returns the challenge or None."""
    if challenge is None:
        if method is not None:
            raise InvalidRequest("code_challenge_method without code_challenge")
        if required:
            raise InvalidRequest("code_challenge is required (PKCE, S256)")
        return None
    if method is None:
        raise InvalidRequest("code_challenge_method is required; only S256 is supported")
    if method not in SUPPORTED_METHODS:
        raise InvalidRequest("unsupported code_challenge_method; only S256 is supported")
    if not _SHAPE.match(challenge):
        raise InvalidRequest("code_challenge is malformed")
    return challenge


def verify(challenge: str | None, verifier: str | None) -> None:
    """Token-endpoint check; every failure is ``invalid_grant`` (RFC 7636 §4.6)."""
    if challenge is None:
        if verifier is not None:
            raise InvalidGrant("code_verifier sent for a code issued without code_challenge")
        return
    if verifier is None:
        raise InvalidGrant("code_verifier is required")
    if not _SHAPE.match(verifier):
        raise InvalidGrant("code_verifier is malformed")
    if not hmac.compare_digest(s256(verifier), challenge):
        raise InvalidGrant("code_verifier does not match the code_challenge")
