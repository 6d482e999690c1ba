"""OAuth/OIDC routes at the root issuer and at every organization's issuer (``/o/{org}``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from identra.errors import NotFound
from identra.protocols.oauth2.context import TokenContext
from identra.protocols.oauth2.endpoints.token import TokenEndpoint
from identra.protocols.oauth2.grants.registry import default_grants
from identra.services import Services
from identra.storage.repositories.clients import SqlClientStore
from identra.web.adapter import to_protocol, to_starlette
from identra.web.tenants import resolve_tenant

token_endpoint = TokenEndpoint(default_grants())


def _not_found() -> Response:
    return JSONResponse({"error": "not_found"}, status_code=404)


async def token(request: Request) -> Response:
    services: Services = request.app.state.services
    try:
        tenant = await resolve_tenant(request)
    except NotFound:
        return _not_found()
    ctx = TokenContext(
        tenant=tenant,
        clients=request.app.state.client_store,
        verifier=services.box,
        signer=services.keyring.signer(),
        now=services.clock.timestamp,
        access_token_ttl=services.settings.tokens.access_token_ttl,
    )
    proto = await to_protocol(request)
    response = await token_endpoint(proto, ctx)
    if response.status == 200:
        services.metrics.tokens_issued.labels(proto.form["grant_type"][0]).inc()
    return to_starlette(response)


async def jwks(request: Request) -> Response:
    services: Services = request.app.state.services
    return JSONResponse(services.keyring.jwks, headers={"cache-control": "public, max-age=300"})


def discovery_document(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/oauth2/token",
        "jwks_uri": f"{issuer}/oauth2/jwks",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "scopes_supported": ["openid"],
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "PS256", "ES256", "EdDSA"],
    }


async def authorization_server_metadata(request: Request) -> Response:
    try:
        tenant = await resolve_tenant(request)
    except NotFound:
        return _not_found()
    return JSONResponse(discovery_document(tenant.issuer))


def routes() -> list[BaseRoute]:
    def both(path: str, endpoint: Any, methods: list[str]) -> list[BaseRoute]:
        return [
            Route(path, endpoint, methods=methods),
            Route("/o/{org}" + path, endpoint, methods=methods),
        ]

    return [
        *both("/oauth2/token", token, ["POST"]),
        *both("/oauth2/jwks", jwks, ["GET"]),
        *both("/.well-known/oauth-authorization-server", authorization_server_metadata, ["GET"]),
        *both("/.well-known/openid-configuration", authorization_server_metadata, ["GET"]),
    ]


def client_store(services: Services) -> SqlClientStore:
    return SqlClientStore(services.sessions)
