"""Routes of the non-interactive OAuth endpoints, at the root issuer and at ``/o/{org}``.

- ``POST /oauth2/introspect``: RFC 7662 (``endpoints/introspection.py``)
- ``POST /oauth2/revoke``: RFC 7009 (``endpoints/revocation.py``)
- ``POST /oauth2/par``: RFC 9126 (``endpoints/par.py``)
- ``POST /oauth2/device_authorization``: RFC 8628 (``endpoints/device_authorization.py``)
- ``POST /oauth2/register``, ``GET|PUT|DELETE /oauth2/register/{client_id}``: RFC 7591/7592

Hooks read by ``identra.web.oauth`` / ``identra.web.login.runtime`` (their extension point):
``routes()``, ``metadata(issuer)`` (merged into discovery), ``pushed_requests(services)`` (the
authorization endpoint's RFC 9126 support) and ``token_extras(services)`` (``TokenContext.extras``
for the token endpoint: JWT client authentication, DPoP, opaque tokens, device codes, token
exchange). The device verification page will use :func:`device_codes` (``by_user_code``,
``approve``, ``deny``).
"""

from __future__ import annotations

import weakref
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from identra.admin.apps import check_redirect_uri
from identra.crypto.client_jwks import ClientKeys
from identra.errors import InvalidInput, NotFound
from identra.protocols.http import ProtocolRequest, ProtocolResponse
from identra.protocols.oauth2 import dpop
from identra.protocols.oauth2.client_assertion import (
    ASYMMETRIC_ALGS,
    HMAC_ALGS,
    ClientAssertionVerifier,
)
from identra.protocols.oauth2.context import TokenContext
from identra.protocols.oauth2.device import DeviceCodes
from identra.protocols.oauth2.endpoints.device_authorization import DeviceAuthorizationEndpoint
from identra.protocols.oauth2.endpoints.introspection import IntrospectionEndpoint
from identra.protocols.oauth2.endpoints.par import PushedAuthorizationEndpoint
from identra.protocols.oauth2.endpoints.registration import (
    RegistrationContext,
    RegistrationEndpoint,
)
from identra.protocols.oauth2.endpoints.revocation import RevocationEndpoint
from identra.protocols.oauth2.extras import TokenExtras
from identra.protocols.oauth2.inspection import TokenInspector
from identra.protocols.oauth2.models import Tenant
from identra.protocols.oauth2.par import PushedRequests
from identra.services import Services
from identra.storage.repositories.issued_tokens import SqlIssuedTokens
from identra.storage.repositories.registrations import SqlRegistrations
from identra.web.adapter import to_protocol, to_starlette
from identra.web.tenants import resolve_tenant

CORS = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "POST",
    "access-control-allow-headers": "authorization, content-type, dpop",
    "access-control-max-age": "600",
}
CONFIDENTIAL_AUTH_METHODS = [
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
]

_built: dict[int, TokenExtras] = {}
introspection = IntrospectionEndpoint()
revocation = RevocationEndpoint()
par = PushedAuthorizationEndpoint()
device_authorization = DeviceAuthorizationEndpoint()
registration = RegistrationEndpoint()


def token_extras(services: Services) -> TokenExtras:
    """The extensions' services for one running application, built once."""
    key = id(services)
    found = _built.get(key)
    if found is not None:
        return found
    issued = SqlIssuedTokens(services.sessions)
    now = services.clock.timestamp
    found = TokenExtras(
        cache=services.cache,
        secrets=services.box,
        opaque_tokens=issued,
        revocations=issued,
        inspector=TokenInspector(services.keyring, issued, issued, services.cache, services.box),
        assertions=ClientAssertionVerifier(ClientKeys(), services.cache, services.box, now),
        devices=DeviceCodes(services.cache, services.box.digest),
        pushed_requests=PushedRequests(services.cache, now),
    )
    _built[key] = found
    weakref.finalize(services, _built.pop, key, None)
    return found


def pushed_requests(services: Services) -> PushedRequests:
    return token_extras(services).pushed_requests


def device_codes(services: Services) -> DeviceCodes:
    return token_extras(services).devices


def metadata(issuer: str) -> dict[str, Any]:
    """RFC 8414 §2 members for these endpoints (merged into the discovery document)."""
    return {
        "introspection_endpoint": f"{issuer}/oauth2/introspect",
        "introspection_endpoint_auth_methods_supported": CONFIDENTIAL_AUTH_METHODS,
        "revocation_endpoint": f"{issuer}/oauth2/revoke",
        "revocation_endpoint_auth_methods_supported": [*CONFIDENTIAL_AUTH_METHODS, "none"],
        "pushed_authorization_request_endpoint": f"{issuer}/oauth2/par",
        "require_pushed_authorization_requests": False,
        "device_authorization_endpoint": f"{issuer}/oauth2/device_authorization",
        "token_endpoint_auth_methods_supported": CONFIDENTIAL_AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": [*ASYMMETRIC_ALGS, *HMAC_ALGS],
        "dpop_signing_alg_values_supported": list(dpop.SIGNING_ALGS),
    }


def _not_found() -> Response:
    return JSONResponse({"error": "not_found"}, status_code=404)


async def _tenant(request: Request) -> Tenant | None:
    try:
        return await resolve_tenant(request)
    except NotFound:
        return None


def _cors(response: Response) -> Response:
    for name, value in CORS.items():
        response.headers.setdefault(name, value)
    return response


async def _run(request: Request, endpoint: Any, cors: bool = False) -> Response:
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found()
    services: Services = request.app.state.services
    ctx = TokenContext(
        tenant=tenant,
        clients=request.app.state.client_store,
        verifier=services.box,
        signer=services.keyring.signer(),
        now=services.clock.timestamp,
        access_token_ttl=services.settings.tokens.access_token_ttl,
        extras=token_extras(services),
    )
    response = to_starlette(await endpoint(await to_protocol(request), ctx))
    return _cors(response) if cors else response


async def introspect(request: Request) -> Response:
    return await _run(request, introspection)


async def revoke(request: Request) -> Response:
    return await _run(request, revocation, cors=True)


async def pushed_authorization(request: Request) -> Response:
    return await _run(request, par)


async def device(request: Request) -> Response:
    return await _run(request, device_authorization)


async def preflight(request: Request) -> Response:
    return _cors(Response(status_code=204))


def _check_redirect_uri(uri: str, app_type: str) -> None:
    try:
        check_redirect_uri(uri, app_type)
    except InvalidInput as exc:
        raise ValueError(exc.detail) from exc


async def register(request: Request) -> Response:
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found()
    services: Services = request.app.state.services

    async def count(key: str) -> int:
        return await services.cache.incr(key, 3600)

    ctx = RegistrationContext(
        tenant=tenant,
        store=SqlRegistrations(services.sessions, services.box),
        digest=services.box.digest,
        verify_digest=services.box.verify_digest,
        check_redirect_uri=_check_redirect_uri,
        now=services.clock.timestamp,
        count=count,
        id_token_signing_algs=services.keyring.active_algs,
    )
    proto: ProtocolRequest = replace(await to_protocol(request), body=await request.body())
    client_id = request.path_params.get("client_id")
    response: ProtocolResponse = await registration(proto, ctx, client_id)
    return to_starlette(response)


def routes() -> list[BaseRoute]:
    def both(path: str, endpoint: Any, methods: list[str]) -> list[BaseRoute]:
        return [
            Route(path, endpoint, methods=methods),
            Route("/o/{org}" + path, endpoint, methods=methods),
        ]

    return [
        *both("/oauth2/introspect", introspect, ["POST"]),
        *both("/oauth2/revoke", revoke, ["POST"]),
        *both("/oauth2/revoke", preflight, ["OPTIONS"]),
        *both("/oauth2/par", pushed_authorization, ["POST"]),
        *both("/oauth2/device_authorization", device, ["POST"]),
        *both("/oauth2/register", register, ["POST"]),
        *both("/oauth2/register/{client_id}", register, ["GET", "PUT", "DELETE"]),
    ]
