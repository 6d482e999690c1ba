"""Client authentication at the token endpoint (RFC 6749 §2.3, OIDC Core §9).

Implemented: ``client_secret_basic``, ``client_secret_post`` and ``none`` (public clients).
Exactly one method may be used per request (RFC 6749 §2.3: "MUST NOT use more than one").
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from identra.protocols.http import ProtocolRequest
from identra.protocols.oauth2.errors import InvalidClient, InvalidRequest
from identra.protocols.oauth2.models import Client, Tenant
from identra.protocols.oauth2.params import single
from identra.protocols.oauth2.storage import ClientStore, SecretVerifier


def _basic_credentials(header: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        raw_id, raw_secret = decoded.split(":", 1)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidClient("malformed Basic credentials") from exc
    # RFC 6749 §2.3.1: both parts are form-urlencoded before Base64.
    return unquote(raw_id.replace("+", " ")), unquote(raw_secret.replace("+", " "))


async def authenticate_client(
    request: ProtocolRequest, tenant: Tenant, clients: ClientStore, verifier: SecretVerifier
) -> Client:
    authorization = request.header("authorization") or ""
    form_id = single(request.form, "client_id")
    form_secret = single(request.form, "client_secret")
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
