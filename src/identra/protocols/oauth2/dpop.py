"""RFC 9449 (DPoP): proofs of possession, checked at the token endpoint and at resources.

:func:`verify_proof` enforces §4.3 in order: one well-formed JWT (1, 2); ``typ`` is
``dpop+jwt`` (4); ``alg`` is an asymmetric algorithm we support, never ``none`` or HMAC (5);
``jwk`` is a public key (7) that verifies the signature (6); ``htm``/``htu`` match the request,
``htu`` compared without query and fragment after RFC 3986 §6.2 normalisation (8, 9); ``iat`` is
recent (11); ``jti`` is used once within the proof lifetime (§11.1, via ``Cache.add``); and at
resources ``ath`` is the hash of the access token presented with it (12).

Binding (§6): tokens carry ``cnf.jkt``, the RFC 7638 SHA-256 thumbprint of the proof's key;
:func:`check_resource_access` refuses a bound token without a matching proof, and refuses a
bound token sent with the Bearer scheme (§7.2).

Server-provided nonces (§8, ``use_dpop_nonce``) are not required by this server.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey

from identra.cache.base import Cache
from identra.protocols.http import ProtocolRequest, ProtocolResponse
from identra.protocols.oauth2.errors import InvalidDpopProof, InvalidToken, OAuth2Error

SIGNING_ALGS = ("ES256", "ES384", "ES512", "RS256", "PS256", "PS384", "PS512", "EdDSA")
PROOF_MAX_AGE = 300  # seconds a proof is accepted after its iat
CLOCK_LEEWAY = 60  # seconds a proof's iat may be in the future
MIN_RSA_BITS = 2048
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
# The proof's header carries a whole public key (an RSA one is about 700 bytes encoded): the
# library's 512-byte default header limit is raised for proofs only.
_REGISTRY = jws.JWSRegistry(algorithms=list(SIGNING_ALGS))
_REGISTRY.max_header_length = 4096


@dataclass(frozen=True)
class DpopProof:
    jkt: str
    jti: str
    iat: int


def proof_header(request: ProtocolRequest) -> str | None:
    """The single DPoP header of the request (§4.3 check 1), or None when there is none."""
    value = request.header("dpop")
    if value is None:
        return None
    value = value.strip()
    # Repeated headers reach us joined with commas; a compact JWS never contains one.
    if not value or "," in value or " " in value:
        raise InvalidDpopProof("send exactly one DPoP proof")
    return value


def normalize_url(url: str) -> str | None:
    """Scheme, host, port and path, normalised per RFC 3986 §6.2.2/6.2.3; no query/fragment."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    default = 443 if scheme == "https" else 80
    netloc = host if port in (None, default) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path or '/'}"


def access_token_hash(access_token: str) -> str:
    """§4.2 ``ath``: base64url(SHA-256(ASCII access token)), unpadded."""
    digest = hashlib.sha256(access_token.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def rsa_bits(jwk_value: dict[str, Any]) -> int:
    """The modulus size of an RSA JWK, 0 when it has none."""
    n = jwk_value.get("n")
    if not isinstance(n, str):
        return 0
    modulus = base64.urlsafe_b64decode(n + "=" * (-len(n) % 4)).lstrip(b"\0")
    return len(modulus) * 8


def _public_key(jwk_value: Any) -> RSAKey | ECKey | OKPKey:
    if not isinstance(jwk_value, dict):
        raise InvalidDpopProof("the proof's jwk header must be a JSON object")
    if any(member in jwk_value for member in _PRIVATE_MEMBERS):
        raise InvalidDpopProof("the proof's jwk must be a public key")
    kty = jwk_value.get("kty")
    try:
        if kty == "EC":
            return ECKey.import_key(jwk_value)
        if kty == "OKP":
            return OKPKey.import_key(jwk_value)
        if kty == "RSA":
            # Checked before importing: the library only warns about short keys.
            if rsa_bits(jwk_value) < MIN_RSA_BITS:
                raise InvalidDpopProof("the proof's RSA key is too short")
            return RSAKey.import_key(jwk_value)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise InvalidDpopProof("the proof's jwk is not a valid public key") from exc
    raise InvalidDpopProof("the proof's jwk has an unsupported key type")


async def verify_proof(
    proof: str,
    *,
    method: str,
    urls: Iterable[str],
    now: int,
    replay: Cache,
    access_token: str | None = None,
) -> DpopProof:
    """Check one proof (§4.3); ``urls`` are the URLs this request may be addressed as."""
    try:
        compact = jws.extract_compact(proof.encode(), registry=_REGISTRY)
        header = compact.protected
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidDpopProof("the DPoP proof is not a JWS") from exc
    if str(header.get("typ", "")).lower() != "dpop+jwt":
        raise InvalidDpopProof("the DPoP proof's typ must be dpop+jwt")
    alg = header.get("alg")
    if alg not in SIGNING_ALGS:
        raise InvalidDpopProof("the DPoP proof's alg is not supported")
    key = _public_key(header.get("jwk"))
    try:
        verified = jws.deserialize_compact(proof, key, registry=_REGISTRY)
        claims = json.loads(verified.payload)
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidDpopProof("the DPoP proof's signature does not verify") from exc
    if not isinstance(claims, dict):
        raise InvalidDpopProof("the DPoP proof's payload must be a JSON object")
    jti, htm, htu, iat = (claims.get(k) for k in ("jti", "htm", "htu", "iat"))
    if not isinstance(jti, str) or not 0 < len(jti) <= 256:
        raise InvalidDpopProof("the DPoP proof needs a jti")
    if htm != method:
        raise InvalidDpopProof("the DPoP proof's htm does not match the request method")
    expected = {normalize_url(u) for u in urls} - {None}
    if not isinstance(htu, str) or normalize_url(htu) not in expected:
        raise InvalidDpopProof("the DPoP proof's htu does not match the request URL")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise InvalidDpopProof("the DPoP proof needs a numeric iat")
    if iat > now + CLOCK_LEEWAY or iat < now - PROOF_MAX_AGE:
        raise InvalidDpopProof("the DPoP proof is not fresh")
    if access_token is not None:
        if claims.get("ath") != access_token_hash(access_token):
            raise InvalidDpopProof("the DPoP proof's ath does not match the access token")
    jkt = key.thumbprint()
    ttl = PROOF_MAX_AGE + CLOCK_LEEWAY
    if not await replay.add(f"dpop-jti:{jkt}:{jti}", "1", ttl=ttl):
        raise InvalidDpopProof("the DPoP proof was already used")
    return DpopProof(jkt, jti, iat)


async def check_resource_access(
    *,
    scheme: str,
    access_token: str,
    token_jkt: str | None,
    proof: str | None,
    method: str,
    urls: Iterable[str],
    now: int,
    replay: Cache,
) -> None:
    """§7: a resource accepting ``Authorization: <scheme> <access_token>``.

    A DPoP-bound token needs the DPoP scheme and a proof by its key over this request with a
    matching ``ath``; an unbound token must not be sent with the DPoP scheme.
    """
    if token_jkt is None:
        if scheme.lower() == "dpop":
            raise InvalidToken("the access token is not DPoP-bound")
        return
    if scheme.lower() != "dpop":
        raise InvalidToken("a DPoP-bound access token must be sent with the DPoP scheme")
    if proof is None:
        raise InvalidDpopProof("a DPoP proof is required with this access token")
    verified = await verify_proof(
        proof, method=method, urls=urls, now=now, replay=replay, access_token=access_token
    )
    if verified.jkt != token_jkt:
        raise InvalidDpopProof("the DPoP proof was not made with the token's key")


def resource_error(error: OAuth2Error) -> ProtocolResponse:
    """§7.1: a 401 with a ``WWW-Authenticate: DPoP`` challenge naming the algorithms."""
    response = ProtocolResponse.json(401, error.body())
    response.headers["www-authenticate"] = (
        f'DPoP error="{error.error}", algs="{" ".join(SIGNING_ALGS)}"'
    )
    return response
