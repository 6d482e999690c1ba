"""Client authentication (RFC 6749 §2.3, OIDC Core §9, RFC 7523 §2.2).

Implemented: ``client_secret_basic``, ``client_secret_post``, ``none`` (public clients), and,
when a :class:`ClientAssertionVerifier` is supplied, ``private_key_jwt`` and
``client_secret_jwt`` (``identra.protocols.oauth2.client_assertion``).
Exactly one method may be used per request (RFC 6749 §2.3: "MUST NOT use more than one").
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote, urlsplit

from identra.protocols.http import ProtocolRequest
from identra.protocols.oauth2.client_assertion import (
    ASSERTION_TYPE,
    ClientAssertionVerifier,
    asserted_client_id,
)
from identra.protocols.oauth2.errors import InvalidClient, InvalidRequest
from identra.protocols.oauth2.models import Client, Tenant
from identra.protocols.oauth2.params import single
from identra.protocols.oauth2.storage import ClientStore, SecretVerifier

JWT_METHODS = ("private_key_jwt", "client_secret_jwt")


def _basic_credentials(header: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        raw_id, raw_secret = decoded.split(":", 1)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidClient("malformed Basic credentials") from exc
    # RFC 6749 §2.3.1: both parts are form-urlencoded before Base64.
    return unquote(raw_id.replace("+", " ")), unquote(raw_secret.replace("+", " "))


def endpoint_url(request: ProtocolRequest, tenant: Tenant) -> str:
    """The public URL of the endpoint a request was sent to, without query.

    Rebuilt from the issuer (the public URL) and the request path below the organization
    prefix, so a proxy in front of the server changes nothing.
    """
    path = urlsplit(request.url).path
    prefix = f"/o/{tenant.handle}"
    if path.startswith(prefix + "/"):
        path = path[len(prefix) :]
    return f"{tenant.issuer}{path}"


def assertion_audiences(request: ProtocolRequest, tenant: Tenant) -> set[str]:
    """What an assertion's ``aud`` may name: the issuer, the token endpoint, or this endpoint."""
    return {tenant.issuer, f"{tenant.issuer}/oauth2/token", endpoint_url(request, tenant)}


def claimed_client_id(request: ProtocolRequest) -> str | None:
    """The client id a request names (Basic, form or assertion), unverified; None if unreadable.

    For accounting only (``throttle``), never for a decision about the client itself.
    """
    try:
        assertion = single(request.form, "client_assertion")
        if assertion is not None:
            return asserted_client_id(assertion)
        authorization = request.header("authorization") or ""
        if authorization[:6].lower() == "basic ":
            return _basic_credentials(authorization)[0]
        return single(request.form, "client_id")
    except (InvalidClient, InvalidRequest):
        return None


async def authenticate_client(
    request: ProtocolRequest,
    tenant: Tenant,
    clients: ClientStore,
    verifier: SecretVerifier,
    *,
    assertions: ClientAssertionVerifier | None = None,
) -> Client:
    authorization = request.header("authorization") or ""
    form_id = single(request.form, "client_id")
    form_secret = single(request.form, "client_secret")
    assertion_type = single(request.form, "client_assertion_type")
    assertion = single(request.form, "client_assertion")
    if assertion_type is not None or assertion is not None:
        if authorization[:6].lower() == "basic " or form_secret is not None:
            raise InvalidRequest("use only one client authentication method")
        return await _jwt_client(request, tenant, clients, assertions, form_id)
    if authorization[:6].lower() == "basic ":
        if form_secret is not None:
            raise InvalidRequest("use only one client authentication method")
        client_id, secret = _basic_credentials(authorization)
        if form_id is not None and form_id != client_id:
            raise InvalidRequest("client_id does not match the authenticated client")
        method = "client_secret_basic"
    elif form_secret is not None:
        if form_id is None:
            raise InvalidClient("client_id is required", basic=False)
        client_id, secret, method = form_id, form_secret, "client_secret_post"
    elif form_id is not None:
        client_id, secret, method = form_id, None, "none"
    else:
        raise InvalidClient("client authentication is required", basic=False)

    client = await clients.by_client_id(client_id)
    # The same answer for an unknown client, a client of another organization, a disabled one
    # and a wrong secret, so that the endpoint reveals nothing about which clients exist.
    if client is None or client.org_id != tenant.org_id or not client.enabled:
        raise InvalidClient("client authentication failed", basic=method != "none")
    if method == "none":
        if not client.is_public:
            raise InvalidClient("client authentication failed", basic=False)
        return client
    # A secret client registered for one secret method may use the other: OIDC Core §9 names
    # the registered method, but every major provider accepts both.
    secret_methods = ("client_secret_basic", "client_secret_post")
    if client.auth_method not in secret_methods:
        raise InvalidClient("client authentication failed")
    if secret is None or client.secret_digest is None:
        raise InvalidClient("client authentication failed")
    if not verifier.verify_digest(secret, client.secret_digest):
        raise InvalidClient("client authentication failed")
    return client


async def _jwt_client(
    request: ProtocolRequest,
    tenant: Tenant,
    clients: ClientStore,
    assertions: ClientAssertionVerifier | None,
    form_id: str | None,
) -> Client:
    """RFC 7523 §2.2 / RFC 7521 §4.2: the client authenticates with a signed JWT."""
    assertion_type = single(request.form, "client_assertion_type")
    assertion = single(request.form, "client_assertion")
    if assertion_type != ASSERTION_TYPE:
        raise InvalidClient("unsupported client_assertion_type", basic=False)
    if not assertion:
        raise InvalidRequest("missing parameter client_assertion")
    if assertions is None:
        raise InvalidClient("JWT client authentication is not available here", basic=False)
    client_id = asserted_client_id(assertion)
    if form_id is not None and form_id != client_id:
        raise InvalidClient("client_id does not match the client assertion", basic=False)
    client = await clients.by_client_id(client_id)
    if client is None or client.org_id != tenant.org_id or not client.enabled:
        raise InvalidClient("client authentication failed", basic=False)
    if client.auth_method not in JWT_METHODS:
        raise InvalidClient("client authentication failed", basic=False)
    await assertions.verify(assertion, client, assertion_audiences(request, tenant))
    return client
