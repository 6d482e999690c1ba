"""Talking to an upstream OpenID Connect provider: discovery, the code exchange, ID token
validation and the UserInfo endpoint (OIDC Core §3.1, OIDC Discovery §4, RFC 7636, RFC 9207).

Every call goes over httpx with an explicit timeout, no redirects and a size cap; whatever goes
wrong (unreachable, an error status, an answer that is not JSON, a token that does not verify)
becomes an :class:`UpstreamError` with a message fit for the login page, never an exception
the web layer would turn into a 500.

- All endpoints come from the discovery document of the configured issuer (or the configured
  ``discovery_url``); endpoints written in the configuration replace the discovered ones. The
  document's ``issuer`` must be exactly the configured one (Discovery §4.3).
- Discovery documents are kept per node for :data:`DISCOVERY_TTL` seconds; when a refetch fails
  the last good copy serves for up to :data:`DISCOVERY_STALE` seconds.
- The provider's JWKS is kept by :class:`identra.crypto.client_jwks.ClientKeys` (five minutes,
  a refetch when the ID token names an unknown ``kid``, throttled).
- ID tokens: the ``alg`` must be one the provider advertises and one of :data:`SIGNING_ALGS`
  (asymmetric only: never ``none``, never an HMAC keyed with the client secret); then the
  signature, ``iss``, ``aud``, ``azp``, ``exp``/``iat``/``nbf`` with :data:`LEEWAY` seconds of
  skew, and the ``nonce``.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx
from joserfc import jws, jwt
from joserfc.errors import JoseError

from identra.crypto.client_jwks import ClientKeys, KeysUnavailable, fetchable

TIMEOUT = httpx.Timeout(5.0, connect=3.0)
MAX_BYTES = 256 * 1024
DISCOVERY_TTL = 3600.0
DISCOVERY_STALE = 86400.0
LEEWAY = 60
SIGNING_ALGS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
    "Ed25519",
)
WELL_KNOWN = "/.well-known/openid-configuration"


class UpstreamError(Exception):
    """The provider could not be used. ``message`` completes "Signing in with X failed: ..."."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason  # a short machine word for the audit log


@dataclass(frozen=True)
class Metadata:
    """What federated login needs from a provider's discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    id_token_algs: tuple[str, ...]
    iss_parameter: bool  # RFC 9207: the provider puts ``iss`` in authorization responses


@dataclass(frozen=True)
class Tokens:
    id_token: str
    access_token: str | None


@dataclass(frozen=True)
class _KeySource:
    """``identra.crypto.client_jwks.KeyHolder`` for a provider's ``jwks_uri``."""

    jwks_uri: str | None
    jwks: dict[str, Any] | None = None


def _url(value: Any, name: str) -> str:
    if not isinstance(value, str) or not fetchable(value) or len(value) > 2000:
        raise UpstreamError(f"its {name} is not an https URL", "bad_discovery")
    return value


def discovery_url(config: Mapping[str, Any]) -> str | None:
    explicit = config.get("discovery_url")
    if isinstance(explicit, str) and explicit:
        return explicit
    issuer = config.get("issuer")
    if isinstance(issuer, str) and issuer:
        return issuer.rstrip("/") + WELL_KNOWN
    return None


async def _read(resp: httpx.Response) -> bytes:
    body = b""
    async for chunk in resp.aiter_bytes():
        body += chunk
        if len(body) > MAX_BYTES:
            raise UpstreamError("it answered with a document that is too large", "too_large")
    return body


def _json_object(body: bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise UpstreamError(f"its {what} answer is not JSON", "bad_json") from exc
    if not isinstance(data, dict):
        raise UpstreamError(f"its {what} answer is not a JSON object", "bad_json")
    return data


def _error_code(data: Mapping[str, Any]) -> str | None:
    code = data.get("error")
    if (
        isinstance(code, str)
        and 0 < len(code) <= 64
        and all(c.isalnum() or c in "_.-" for c in code)
    ):
        return code
    return None


class Upstream:
    """One per node: the discovery cache and the JWKS cache live here."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.transport = transport
        self._monotonic = monotonic
        self._discovered: dict[str, tuple[float, dict[str, Any]]] = {}
        self._keys = ClientKeys(transport, monotonic)

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport, timeout=TIMEOUT, follow_redirects=False)

    async def _request(
        self, method: str, url: str, what: str, **kwargs: Any
    ) -> tuple[int, str, bytes]:
        headers = {"accept": "application/json", **kwargs.pop("headers", {})}
        try:
            async with (
                self._client() as http,
                http.stream(method, url, headers=headers, **kwargs) as resp,
            ):
                body = await _read(resp)
                return resp.status_code, resp.headers.get("content-type", ""), body
        except httpx.TimeoutException as exc:
            raise UpstreamError(f"its {what} did not answer in time", "timeout") from exc
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            raise UpstreamError(f"its {what} cannot be reached", "unreachable") from exc

    # -- discovery ---------------------------------------------------------------------------

    async def _document(self, url: str) -> dict[str, Any]:
        now = self._monotonic()
        cached = self._discovered.get(url)
        if cached is not None and now - cached[0] < DISCOVERY_TTL:
            return cached[1]
        try:
            if not fetchable(url):
                raise UpstreamError("its discovery URL is not an https URL", "bad_config")
            status, _type, body = await self._request("GET", url, "discovery endpoint")
            if status != 200:
                raise UpstreamError(
                    f"its discovery endpoint answered with HTTP {status}", "bad_status"
                )
            document = _json_object(body, "discovery")
        except UpstreamError:
            if cached is not None and now - cached[0] < DISCOVERY_STALE:
                return cached[1]
            raise
        if len(self._discovered) > 1000:
            self._discovered.clear()
        self._discovered[url] = (now, document)
        return document

    async def metadata(self, config: Mapping[str, Any]) -> Metadata:
        """The provider's endpoints: discovered, then overridden by the configuration."""
        url = discovery_url(config)
        if url is None:
            raise UpstreamError("it has no issuer or discovery URL configured", "bad_config")
        document = await self._document(url)
        issuer = config.get("issuer") or document.get("issuer")
        if not isinstance(issuer, str) or document.get("issuer") != issuer:
            raise UpstreamError(
                "its discovery document names a different issuer than the configured one",
                "issuer_mismatch",
            )
        merged = {**document, **{k: v for k, v in config.items() if v is not None}}
        algs = document.get("id_token_signing_alg_values_supported", ["RS256"])
        if not isinstance(algs, list):
            algs = ["RS256"]
        userinfo = merged.get("userinfo_endpoint")
        return Metadata(
            issuer=issuer,
            authorization_endpoint=_url(
                merged.get("authorization_endpoint"), "authorization endpoint"
            ),
            token_endpoint=_url(merged.get("token_endpoint"), "token endpoint"),
            jwks_uri=_url(merged.get("jwks_uri"), "jwks_uri"),
            userinfo_endpoint=None if userinfo is None else _url(userinfo, "userinfo endpoint"),
            id_token_algs=tuple(a for a in algs if isinstance(a, str)),
            iss_parameter=document.get("authorization_response_iss_parameter_supported") is True,
        )

    # -- the authorization request -----------------------------------------------------------

    @staticmethod
    def authorization_url(meta: Metadata, params: Mapping[str, str]) -> str:
        base = meta.authorization_endpoint
        sep = "&" if urlsplit(base).query else "?"
        return f"{base}{sep}{urlencode(params)}"

    # -- the token endpoint ------------------------------------------------------------------

    async def exchange(
        self,
        meta: Metadata,
        *,
        client_id: str,
        client_secret: str | None,
        auth_method: str,
        code: str,
        verifier: str,
        redirect_uri: str,
    ) -> Tokens:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        auth: httpx.BasicAuth | None = None
        if client_secret is None:
            form["client_id"] = client_id  # a public client (RFC 6749 §4.1.3)
        elif auth_method == "client_secret_post":
            form["client_id"] = client_id
            form["client_secret"] = client_secret
        else:
            # RFC 6749 §2.3.1: both halves form-urlencoded before Basic encoding.
            auth = httpx.BasicAuth(quote(client_id, safe=""), quote(client_secret, safe=""))
        status, _type, body = await self._request(
            "POST", meta.token_endpoint, "token endpoint", data=form, auth=auth
        )
        if status != 200:
            code_word = None
            if 400 <= status < 500:
                try:
                    code_word = _error_code(json.loads(body))
                except (ValueError, TypeError, AttributeError, RecursionError):
                    code_word = None
            if code_word:
                raise UpstreamError(f"it refused the sign-in ({code_word})", "token_refused")
            raise UpstreamError(f"its token endpoint answered with HTTP {status}", "bad_status")
        data = _json_object(body, "token endpoint")
        id_token = data.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise UpstreamError("it did not return an ID token", "no_id_token")
        token_type = data.get("token_type")
        access = data.get("access_token")
        usable = isinstance(access, str) and access and str(token_type).lower() == "bearer"
        return Tokens(id_token=id_token, access_token=str(access) if usable else None)

    # -- the ID token ------------------------------------------------------------------------

    async def verify_id_token(
        self, meta: Metadata, client_id: str, id_token: str, nonce: str, now: int
    ) -> dict[str, Any]:
        if len(id_token) > 16384:
            raise UpstreamError("its ID token is too large", "bad_id_token")
        try:
            header = jws.extract_compact(id_token.encode()).protected
        except (JoseError, ValueError, TypeError) as exc:
            raise UpstreamError("its ID token is not a signed JWT", "bad_id_token") from exc
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in SIGNING_ALGS or alg not in meta.id_token_algs:
            raise UpstreamError(
                f"its ID token is signed with an algorithm not allowed here ({alg!s:.20})",
                "bad_alg",
            )
        claims = await self._verified_claims(meta, id_token, alg, header.get("kid"))
        self.check_claims(claims, meta.issuer, client_id, nonce, now)
        return claims

    async def _verified_claims(
        self, meta: Metadata, id_token: str, alg: str, kid: Any
    ) -> dict[str, Any]:
        source = _KeySource(meta.jwks_uri)
        for refresh in (False, True):
            try:
                keys = await self._keys.keys(source, refresh=refresh)
            except KeysUnavailable as exc:
                raise UpstreamError(f"its signing keys cannot be had ({exc})", "jwks") from exc
            except (httpx.HTTPError, httpx.InvalidURL, ValueError, RecursionError) as exc:
                raise UpstreamError("its signing keys cannot be had", "jwks") from exc
            candidates = [k for k in keys if kid is None or k.kid == kid]
            for key in candidates:
                try:
                    return dict(jwt.decode(id_token, key, algorithms=[alg]).claims)
                except (JoseError, ValueError, TypeError):
                    continue
            if candidates:  # a known key that does not verify: a bad token, not a rotation
                break
        raise UpstreamError("its ID token signature does not verify", "bad_signature")

    @staticmethod
    def check_claims(
        claims: Mapping[str, Any], issuer: str, client_id: str, nonce: str, now: int
    ) -> None:
        if claims.get("iss") != issuer:
            raise UpstreamError("its ID token was issued by someone else (iss)", "bad_iss")
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if client_id not in audiences:
            raise UpstreamError("its ID token is meant for another application (aud)", "bad_aud")
        azp = claims.get("azp")
        if (len(audiences) > 1 or azp is not None) and azp != client_id:
            raise UpstreamError("its ID token was issued to another application (azp)", "bad_azp")

        def number(name: str) -> int | None:
            value = claims.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None
            return int(value)

        exp, iat, nbf = number("exp"), number("iat"), number("nbf")
        if exp is None or exp <= now - LEEWAY:
            raise UpstreamError("its ID token has expired (exp)", "expired")
        if iat is None or iat > now + LEEWAY:
            raise UpstreamError("its ID token is not valid yet (iat)", "bad_iat")
        if "nbf" in claims and (nbf is None or nbf > now + LEEWAY):
            raise UpstreamError("its ID token is not valid yet (nbf)", "bad_nbf")
        got = claims.get("nonce")
        if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
            raise UpstreamError("its ID token does not answer this sign-in (nonce)", "bad_nonce")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub or len(sub) > 255:
            raise UpstreamError("its ID token has no usable subject (sub)", "bad_sub")

    # -- UserInfo ----------------------------------------------------------------------------

    async def userinfo(self, meta: Metadata, access_token: str, subject: str) -> dict[str, Any]:
        """The UserInfo claims, or {} when the provider answers with a signed JWT (the ID
        token's claims are used alone then)."""
        assert meta.userinfo_endpoint is not None
        status, content_type, body = await self._request(
            "GET",
            meta.userinfo_endpoint,
            "userinfo endpoint",
            headers={"authorization": f"Bearer {access_token}"},
        )
        if status != 200:
            raise UpstreamError(f"its userinfo endpoint answered with HTTP {status}", "bad_status")
        if content_type.split(";")[0].strip().lower() == "application/jwt":
            return {}
        data = _json_object(body, "userinfo")
        # OIDC Core §5.3.4: the UserInfo sub must be the ID token's, or nothing of it is used.
        if data.get("sub") != subject:
            raise UpstreamError("its userinfo answer is about another user (sub)", "bad_sub")
        return data
