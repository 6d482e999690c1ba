"""RFC 7591 (dynamic client registration) and RFC 7592 (client configuration management).

Off by default: an organization turns it on with ``settings["dynamic_client_registration"]``;
elsewhere the endpoints answer 404 as if they did not exist.

Registration (RFC 7591 §3.1): POST of a JSON metadata document. Checked (§2, OIDC
Registration §2), every failure ``invalid_client_metadata`` unless said otherwise:
- ``redirect_uris``: absolute, no fragment, HTTPS except loopback, custom schemes only for
  native apps (``identra.admin.apps.check_redirect_uri``); required with ``authorization_code``;
  failures are ``invalid_redirect_uri`` (§3.2.2);
- ``token_endpoint_auth_method``: ``client_secret_basic`` (default), ``client_secret_post``,
  ``client_secret_jwt``, ``private_key_jwt`` (needs ``jwks`` or ``jwks_uri``, never both, §2)
  or ``none``;
- ``grant_types``/``response_types``: ``authorization_code`` with ``code``, ``refresh_token``,
  ``client_credentials`` (confidential only), device code and token exchange; the two lists must
  agree (§2.1); the password grant is never registrable;
- ``scope``: OpenID Connect scopes and those the organization lists in
  ``settings["dynamic_client_registration_scopes"]``; management permissions never (a
  registered client must not gain API rights);
- URLs (``client_uri``, ``logo_uri``, ``tos_uri``, ``policy_uri``, ``jwks_uri``) are HTTPS;
- ``subject_type`` (OIDC Registration §2): ``public`` (default) or ``pairwise``; a pairwise
  client needs redirect URIs on one host or a ``sector_identifier_uri``. That URI (HTTPS) is
  fetched when given and must be a JSON array listing every redirect URI (§5); its host is the
  sector (decision 0027);
- ``id_token_signed_response_alg``: an algorithm the deployment has an active key for (default
  RS256); ``none`` and HMAC algorithms are refused;
- unknown members are ignored (§2: "MUST ignore"); software statements are not supported and
  ignored (§2.3).
Response (§3.2.1): 201 with the metadata as registered, ``client_id``, ``client_secret`` (not
for ``none``/``private_key_jwt``), ``client_secret_expires_at`` 0, ``client_id_issued_at``, and
the ``registration_access_token`` with ``registration_client_uri`` for RFC 7592.

Management (RFC 7592 §2): GET reads, PUT replaces the metadata (``client_id`` must be sent and
match; a ``client_secret`` sent must be the current one; a client cannot switch between public
and confidential), DELETE removes the client (204). Each needs the registration access token as
a Bearer token; a missing or wrong token, or an unknown client, is 401 ``invalid_token``.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from identra.permissions import ALL as MANAGEMENT_PERMISSIONS
from identra.protocols.http import ProtocolRequest, ProtocolResponse
from identra.protocols.oauth2.errors import (
    InvalidClientMetadata,
    InvalidRedirectUri,
    InvalidRequest,
    InvalidToken,
    OAuth2Error,
    TemporarilyUnavailable,
)
from identra.protocols.oauth2.models import Tenant
from identra.protocols.oidc.claims import OIDC_SCOPES
from identra.protocols.oidc.id_token import DEFAULT_ID_TOKEN_ALG
from identra.protocols.oidc.subjects import (
    PUBLIC,
    SUBJECT_TYPES,
    SectorError,
    SectorFetcher,
    check_subject_settings,
    fetch_sector_document,
)

AUTH_METHODS = (
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "none",
)
SECRET_METHODS = ("client_secret_basic", "client_secret_post", "client_secret_jwt")
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
GRANT_TYPES = (
    *("authorization_code", "refresh_token", "client_credentials"),
    *(DEVICE_CODE, TOKEN_EXCHANGE),
)
SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]{1,128}$")
URL_FIELDS = ("client_uri", "logo_uri", "tos_uri", "policy_uri")
PRIVATE_JWK_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
MAX_BODY = 64 * 1024
REGISTRATIONS_PER_HOUR = 30  # per organization and client address


class RegistrationRateLimited(TemporarilyUnavailable):
    status = 429


@dataclass
class ClientMetadata:
    """The registered metadata, as validated (and as returned to the client)."""

    client_name: str
    application_type: str
    token_endpoint_auth_method: str
    grant_types: list[str]
    response_types: list[str]
    redirect_uris: list[str] = field(default_factory=list)
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    scope: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)
    client_uri: str | None = None
    logo_uri: str | None = None
    tos_uri: str | None = None
    policy_uri: str | None = None
    jwks_uri: str | None = None
    jwks: dict[str, Any] | None = None
    software_id: str | None = None
    software_version: str | None = None
    dpop_bound_access_tokens: bool = False
    require_pushed_authorization_requests: bool = False
    subject_type: str = PUBLIC
    sector_identifier_uri: str | None = None
    id_token_signed_response_alg: str = DEFAULT_ID_TOKEN_ALG

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"

    @property
    def app_type(self) -> str:
        """The kind of application the admin layer knows (web, spa, native, m2m)."""
        if self.is_public:
            return "native" if self.application_type == "native" else "spa"
        if "authorization_code" not in self.grant_types:
            return "m2m"
        return "web"

    def to_json(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if v not in (None, [])}
        out["scope"] = " ".join(self.scope)
        if not self.scope:
            del out["scope"]
        return out


@dataclass(frozen=True)
class RegisteredClient:
    client_id: str
    application_id: str
    metadata: ClientMetadata
    issued_at: int
    registration_token_digest: str | None
    secret_digest: str | None
    secret_encrypted: bool


class RegistrationStore(Protocol):
    async def enabled(self, org_id: str) -> tuple[bool, list[str]]:
        """Whether registration is on for the organization, and its extra allowed scopes."""
        ...

    async def create(
        self,
        org_id: str,
        metadata: ClientMetadata,
        *,
        secret: str | None,
        registration_token_digest: str,
        ip: str | None,
    ) -> RegisteredClient: ...

    async def get(self, org_id: str, client_id: str) -> RegisteredClient | None: ...

    async def update(
        self, org_id: str, client_id: str, metadata: ClientMetadata, *, secret: str | None
    ) -> RegisteredClient:
        """Replace the metadata; a non-None ``secret`` replaces the client secret."""
        ...

    async def delete(self, org_id: str, client_id: str) -> None: ...


@dataclass(frozen=True)
class RegistrationContext:
    tenant: Tenant
    store: RegistrationStore
    digest: Callable[[str], str]
    verify_digest: Callable[[str, str], bool]
    # Raises ValueError for a redirect URI not acceptable for the application type.
    check_redirect_uri: Callable[[str, str], None]
    now: Callable[[], int]
    # Counts registrations per key within an hour (the cache backend's ``incr``).
    count: Callable[[str], Awaitable[int]]
    # Algorithms with an active signing key (``Keyring.active_algs``); without it only the
    # default, RS256, which the deployment always has.
    id_token_signing_algs: Callable[[], Iterable[str]] | None = field(default=None, kw_only=True)
    # GETs a sector identifier document (OIDC Registration §5).
    fetch_sector: SectorFetcher = field(default=fetch_sector_document, kw_only=True)


def _body(request: ProtocolRequest) -> dict[str, Any]:
    content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise InvalidRequest("the body must be application/json")
    if len(request.body) > MAX_BODY:
        raise InvalidRequest("the body is too large")
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest("the body is not JSON") from exc
    if not isinstance(data, dict):
        raise InvalidRequest("the body must be a JSON object")
    return data


def _strings(data: dict[str, Any], name: str, limit: int = 50) -> list[str]:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InvalidClientMetadata(f"{name} must be an array of strings")
    if len(value) > limit:
        raise InvalidClientMetadata(f"{name} has too many entries")
    return list(dict.fromkeys(value))


def _string(data: dict[str, Any], name: str, limit: int = 2000) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise InvalidClientMetadata(f"{name} must be a non-empty string")
    return value


def _https(data: dict[str, Any], name: str) -> str | None:
    value = _string(data, name)
    if value is not None and not value.startswith("https://"):
        raise InvalidClientMetadata(f"{name} must be an https URL")
    return value


def _choice(data: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if value not in allowed:
        raise InvalidClientMetadata(f"{name} must be one of {', '.join(allowed)}")
    return str(value)


def _flag(data: dict[str, Any], name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise InvalidClientMetadata(f"{name} must be a boolean")
    return value


def _jwks(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    keys = value.get("keys") if isinstance(value, dict) else None
    if not isinstance(keys, list) or not keys or len(keys) > 10:
        raise InvalidClientMetadata("jwks must be a JWK Set with 1 to 10 keys")
    for key in keys:
        if not isinstance(key, dict) or key.get("kty") not in ("RSA", "EC", "OKP"):
            raise InvalidClientMetadata("jwks keys must be RSA, EC or OKP public keys")
        if any(member in key for member in PRIVATE_JWK_MEMBERS):
            raise InvalidClientMetadata("jwks must hold public keys only")
    return {"keys": keys}


def validate_metadata(
    data: dict[str, Any],
    extra_scopes: list[str],
    check_redirect_uri: Callable[[str, str], None],
) -> ClientMetadata:
    method = data.get("token_endpoint_auth_method", "client_secret_basic")
    if method not in AUTH_METHODS:
        raise InvalidClientMetadata("token_endpoint_auth_method is not supported")
    grant_types = _strings(data, "grant_types") or ["authorization_code"]
    unknown = [g for g in grant_types if g not in GRANT_TYPES]
    if unknown:
        raise InvalidClientMetadata(f"grant_types not supported: {' '.join(unknown)}")
    default_response = ["code"] if "authorization_code" in grant_types else []
    response_types = _strings(data, "response_types") if "response_types" in data else None
    if response_types is None:
        response_types = default_response
    if any(r != "code" for r in response_types):
        raise InvalidClientMetadata("only the code response type is supported")
    if ("code" in response_types) != ("authorization_code" in grant_types):
        raise InvalidClientMetadata("response_types and grant_types do not agree")
    if method == "none" and "client_credentials" in grant_types:
        raise InvalidClientMetadata("public clients cannot use client_credentials")
    application_type = data.get("application_type", "web")
    if application_type not in ("web", "native"):
        raise InvalidClientMetadata("application_type must be web or native")
    jwks_uri = _https(data, "jwks_uri")
    jwks = _jwks(data.get("jwks"))
    if jwks_uri is not None and jwks is not None:
        raise InvalidClientMetadata("jwks and jwks_uri must not both be given")
    if method == "private_key_jwt" and jwks_uri is None and jwks is None:
        raise InvalidClientMetadata("private_key_jwt needs jwks or jwks_uri")
    raw_scope = data.get("scope")
    if raw_scope is not None and not isinstance(raw_scope, str):
        raise InvalidClientMetadata("scope must be a space-separated string")
    scope = list(dict.fromkeys((raw_scope or "").split()))
    allowed = set(OIDC_SCOPES) | (set(extra_scopes) - set(MANAGEMENT_PERMISSIONS))
    refused = [s for s in scope if not SCOPE_TOKEN.match(s) or s not in allowed]
    if refused:
        raise InvalidClientMetadata(f"scope not allowed: {' '.join(refused)}")
    name = _string(data, "client_name", 200) or f"Client {secrets.token_hex(4)}"
    metadata = ClientMetadata(
        client_name=name,
        application_type=application_type,
        token_endpoint_auth_method=method,
        grant_types=grant_types,
        response_types=response_types,
        redirect_uris=_strings(data, "redirect_uris"),
        post_logout_redirect_uris=_strings(data, "post_logout_redirect_uris"),
        scope=scope,
        contacts=_strings(data, "contacts", 10),
        client_uri=_https(data, "client_uri"),
        logo_uri=_https(data, "logo_uri"),
        tos_uri=_https(data, "tos_uri"),
        policy_uri=_https(data, "policy_uri"),
        jwks_uri=jwks_uri,
        jwks=jwks,
        software_id=_string(data, "software_id", 200),
        software_version=_string(data, "software_version", 200),
        dpop_bound_access_tokens=_flag(data, "dpop_bound_access_tokens"),
        require_pushed_authorization_requests=_flag(data, "require_pushed_authorization_requests"),
        subject_type=_choice(data, "subject_type", SUBJECT_TYPES) or PUBLIC,
        sector_identifier_uri=_https(data, "sector_identifier_uri"),
        id_token_signed_response_alg=_string(data, "id_token_signed_response_alg", 16)
        or DEFAULT_ID_TOKEN_ALG,
    )
    if "authorization_code" in grant_types and not metadata.redirect_uris:
        raise InvalidRedirectUri("redirect_uris are required for the authorization code grant")
    if metadata.app_type == "m2m" and metadata.redirect_uris:
        raise InvalidRedirectUri("redirect_uris are only for the authorization code grant")
    for uri in metadata.redirect_uris:
        try:
            check_redirect_uri(uri, metadata.app_type)
        except ValueError as exc:
            raise InvalidRedirectUri(str(exc)) from exc
    for uri in metadata.post_logout_redirect_uris:
        try:
            check_redirect_uri(uri, metadata.app_type)
        except ValueError as exc:
            raise InvalidClientMetadata(f"post_logout_redirect_uris: {exc}") from exc
    return metadata


async def check_oidc_metadata(metadata: ClientMetadata, ctx: RegistrationContext) -> None:
    """What needs more than the document: the ID token algorithm against the active keys, and
    the pairwise sector (the sector identifier document is fetched)."""
    alg = metadata.id_token_signed_response_alg
    algs = ctx.id_token_signing_algs() if ctx.id_token_signing_algs else (DEFAULT_ID_TOKEN_ALG,)
    supported = list(algs)
    if alg not in supported:
        raise InvalidClientMetadata(
            f"id_token_signed_response_alg must be one of {', '.join(supported)}"
        )
    try:
        await check_subject_settings(
            subject_type=metadata.subject_type,
            sector_identifier_uri=metadata.sector_identifier_uri,
            redirect_uris=metadata.redirect_uris,
            allow_loopback_http=False,
            fetch=ctx.fetch_sector,
        )
    except SectorError as exc:
        raise InvalidClientMetadata(str(exc)) from exc


class RegistrationEndpoint:
    """``POST /oauth2/register`` and ``GET|PUT|DELETE /oauth2/register/{client_id}``."""

    async def __call__(
        self, request: ProtocolRequest, ctx: RegistrationContext, client_id: str | None
    ) -> ProtocolResponse:
        try:
            enabled, extra_scopes = await ctx.store.enabled(ctx.tenant.org_id)
            if not enabled:
                return ProtocolResponse.json(404, {"error": "not_found"})
            if client_id is None:
                if request.method != "POST":
                    raise InvalidRequest("register with POST")
                return await self._register(request, ctx, extra_scopes)
            registered = await self._authorized(request, ctx, client_id)
            if request.method == "GET":
                return ProtocolResponse.json(200, self._describe(ctx, registered, None, None))
            if request.method == "PUT":
                return await self._update(request, ctx, registered, extra_scopes)
            if request.method == "DELETE":
                await ctx.store.delete(ctx.tenant.org_id, registered.client_id)
                return ProtocolResponse(204, b"", {"cache-control": "no-store"})
            raise InvalidRequest("unsupported method")
        except OAuth2Error as error:
            return error.response()

    async def _register(
        self, request: ProtocolRequest, ctx: RegistrationContext, extra_scopes: list[str]
    ) -> ProtocolResponse:
        counter = f"dcr:{ctx.tenant.org_id}:{request.client_ip or 'unknown'}"
        if await ctx.count(counter) > REGISTRATIONS_PER_HOUR:
            raise RegistrationRateLimited("too many registrations; try again later")
        metadata = validate_metadata(_body(request), extra_scopes, ctx.check_redirect_uri)
        await check_oidc_metadata(metadata, ctx)
        secret = None if metadata.token_endpoint_auth_method not in SECRET_METHODS else _secret()
        token = secrets.token_urlsafe(32)
        registered = await ctx.store.create(
            ctx.tenant.org_id,
            metadata,
            secret=secret,
            registration_token_digest=ctx.digest(token),
            ip=request.client_ip,
        )
        return ProtocolResponse.json(201, self._describe(ctx, registered, secret, token))

    async def _authorized(
        self, request: ProtocolRequest, ctx: RegistrationContext, client_id: str
    ) -> RegisteredClient:
        scheme, _, token = (request.header("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("the registration access token is required")
        registered = await ctx.store.get(ctx.tenant.org_id, client_id)
        expected = registered.registration_token_digest if registered else None
        # RFC 7592 §2: an unknown client is answered like a wrong token (401).
        if registered is None or expected is None:
            raise InvalidToken("the registration access token is invalid")
        if not ctx.verify_digest(token.strip(), expected):
            raise InvalidToken("the registration access token is invalid")
        return registered

    async def _update(
        self,
        request: ProtocolRequest,
        ctx: RegistrationContext,
        registered: RegisteredClient,
        extra_scopes: list[str],
    ) -> ProtocolResponse:
        data = _body(request)
        if data.get("client_id") != registered.client_id:
            raise InvalidRequest("client_id must be sent and be this client's")
        sent_secret = data.get("client_secret")
        if sent_secret is not None and (
            registered.secret_digest is None
            or not isinstance(sent_secret, str)
            or not ctx.verify_digest(sent_secret, registered.secret_digest)
        ):
            raise InvalidClientMetadata("client_secret does not match the current secret")
        metadata = validate_metadata(data, extra_scopes, ctx.check_redirect_uri)
        await check_oidc_metadata(metadata, ctx)
        if metadata.is_public != registered.metadata.is_public:
            raise InvalidClientMetadata("a client cannot switch between public and confidential")
        method = metadata.token_endpoint_auth_method
        needs_secret = method in SECRET_METHODS and (
            registered.secret_digest is None
            or (method == "client_secret_jwt" and not registered.secret_encrypted)
        )
        secret = _secret() if needs_secret else None
        updated = await ctx.store.update(
            ctx.tenant.org_id, registered.client_id, metadata, secret=secret
        )
        return ProtocolResponse.json(200, self._describe(ctx, updated, secret, None))

    @staticmethod
    def _describe(
        ctx: RegistrationContext,
        registered: RegisteredClient,
        secret: str | None,
        token: str | None,
    ) -> dict[str, Any]:
        out = registered.metadata.to_json()
        out["client_id"] = registered.client_id
        out["client_id_issued_at"] = registered.issued_at
        if secret is not None:
            out["client_secret"] = secret
        if registered.metadata.token_endpoint_auth_method in SECRET_METHODS:
            out["client_secret_expires_at"] = 0
        if token is not None:
            out["registration_access_token"] = token
        out["registration_client_uri"] = (
            f"{ctx.tenant.issuer}/oauth2/register/{registered.client_id}"
        )
        return out


def _secret() -> str:
    return secrets.token_urlsafe(32)
