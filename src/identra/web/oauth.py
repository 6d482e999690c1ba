"""OAuth/OIDC routes at the root issuer and at every organization's issuer (``/o/{org}``).

Routes here adapt HTTP for the framework-free protocol code: discovery, JWKS, authorize (and
its resume URL), token, userinfo and RP-initiated logout. The hosted pages (login steps,
consent) are in ``identra.web.login.routes``.

Extension point: a module ``identra.web.oauth_extras`` (introspection, revocation, PAR, device
authorization, registration, ...) is picked up when present. It may define:

- ``routes() -> list[BaseRoute]``: added after the routes here;
- ``metadata(issuer: str) -> dict``: merged into the discovery document (lists are extended);
- ``token_extras(services: Services) -> TokenExtras``: called once per application; passed to
  every token request as ``TokenContext.extras`` (opaque tokens, JWT client authentication,
  DPoP, device codes), and its ``pushed_requests`` serve ``request_uri`` at /authorize;
- ``pushed_requests(services) -> PushedRequests``: overrides the latter.
"""

from __future__ import annotations

import hmac
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from identra.actions.pre_issue import token_hook
from identra.bootstrap import ID_TOKEN_ALG
from identra.errors import NotFound
from identra.protocols.oauth2.endpoints.authorize import Browser
from identra.protocols.oauth2.endpoints.token import TokenEndpoint
from identra.protocols.oauth2.grants.registry import default_grants
from identra.protocols.oauth2.models import Tenant
from identra.protocols.oidc import discovery
from identra.protocols.oidc.context import OidcTokenContext
from identra.protocols.oidc.end_session import (
    ConfirmLogout,
    LoggedOut,
    LogoutError,
    LogoutRedirect,
)
from identra.protocols.oidc.userinfo import UserinfoContext, userinfo
from identra.services import Services
from identra.storage.repositories.clients import SqlClientStore
from identra.web.adapter import to_protocol, to_starlette
from identra.web.login import pages
from identra.web.login import routes as login_routes
from identra.web.login.cookies import BrowserCookie, browser_cookie, remember_browser
from identra.web.login.outcomes import respond
from identra.web.login.runtime import InteractiveRuntime, extras_module, runtime
from identra.web.tenants import resolve_tenant

_grants = default_grants()
token_endpoint = TokenEndpoint(_grants)
GRANT_TYPES = tuple(_grants)
CORS = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, POST",
    "access-control-allow-headers": "authorization, content-type, dpop",
    "access-control-max-age": "600",
}


def _not_found() -> Response:
    return JSONResponse({"error": "not_found"}, status_code=404)


async def _tenant(request: Request) -> Tenant | None:
    try:
        return await resolve_tenant(request)
    except NotFound:
        return None


def _with_cors(response: Response) -> Response:
    for name, value in CORS.items():
        response.headers.setdefault(name, value)
    return response


async def preflight(request: Request) -> Response:
    return _with_cors(Response(status_code=204))


# --------------------------------------------------------------------------- token, jwks


async def token(request: Request) -> Response:
    services: Services = request.app.state.services
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found()
    rt = runtime(request)
    settings = services.settings
    ctx = OidcTokenContext(
        tenant=tenant,
        clients=request.app.state.client_store,
        verifier=services.box,
        signer=services.keyring.signer(),
        now=services.clock.timestamp,
        access_token_ttl=settings.tokens.access_token_ttl,
        extras=rt.token_extras,
        cache=services.cache,
        codes=rt.codes,
        grants=rt.grants,
        users=rt.users,
        client_settings=rt.client_settings,
        digest=services.box.digest,
        code_ttl=settings.tokens.authorization_code_ttl,
        refresh_token_ttl=settings.tokens.refresh_token_ttl,
        id_token_ttl=settings.tokens.id_token_ttl,
        id_token_signer=services.keyring.signer(ID_TOKEN_ALG),
        id_token_signers=services.keyring.signer,
        passwords=rt.passwords,
        token_hook=token_hook(services),
    )
    proto = await to_protocol(request)
    response = await token_endpoint(proto, ctx)
    if response.status == 200:
        services.metrics.tokens_issued.labels(proto.form["grant_type"][0]).inc()
    return _with_cors(to_starlette(response))


async def jwks(request: Request) -> Response:
    services: Services = request.app.state.services
    return _with_cors(
        JSONResponse(services.keyring.jwks, headers={"cache-control": "public, max-age=300"})
    )


# --------------------------------------------------------------------------- discovery


def discovery_document(request: Request, issuer: str) -> dict[str, Any]:
    services: Services = request.app.state.services
    extras = extras_module()
    extra_metadata = getattr(extras, "metadata", None) if extras is not None else None
    return discovery.metadata(
        issuer,
        grant_types=GRANT_TYPES,
        acr_values=runtime(request).flow.acr_values_supported,
        signing_algs=services.keyring.active_algs(),
        extra=extra_metadata(issuer) if extra_metadata is not None else None,
    )


async def authorization_server_metadata(request: Request) -> Response:
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found()
    document = discovery_document(request, tenant.issuer)
    return _with_cors(JSONResponse(document, headers={"cache-control": "public, max-age=300"}))


# --------------------------------------------------------------------------- authorize


def _browser(
    request: Request, rt: InteractiveRuntime, tenant: Tenant
) -> tuple[BrowserCookie, Browser]:
    cookie = browser_cookie(request, rt.cookies, rt.services.box.digest)
    browser = Browser(
        binding=cookie.digest,
        session_cookie=request.cookies.get(rt.cookies.session_name(tenant.org_id)),
        fresh=cookie.fresh,
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    return cookie, browser


async def authorize(request: Request) -> Response:
    tenant = await _tenant(request)
    if tenant is None:
        return pages.error_page("invalid_request", "Unknown organization.", 404)
    rt = runtime(request)
    cookie, browser = _browser(request, rt, tenant)
    proto = await to_protocol(request)
    outcome = await rt.authorize.authorize(proto, tenant, browser)
    return respond(request, rt, tenant, cookie, outcome)


async def authorize_resume(request: Request) -> Response:
    tenant = await _tenant(request)
    if tenant is None:
        return pages.error_page("invalid_request", "Unknown organization.", 404)
    rt = runtime(request)
    cookie, browser = _browser(request, rt, tenant)
    outcome = await rt.authorize.resume(request.path_params["interaction"], tenant, browser)
    return respond(request, rt, tenant, cookie, outcome)


# --------------------------------------------------------------------------- userinfo


async def userinfo_endpoint(request: Request) -> Response:
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found()
    rt = runtime(request)
    ctx = UserinfoContext(
        tenant=tenant,
        inspector=rt.inspector,
        grants=rt.grants,
        users=rt.users,
        cache=rt.services.cache,
        now=rt.services.clock.timestamp,
        client_settings=rt.client_settings,
        digest=rt.services.box.digest,
    )
    return _with_cors(to_starlette(await userinfo(await to_protocol(request), ctx)))


# --------------------------------------------------------------------------- logout


def _logout_csrf(rt: InteractiveRuntime, cookie: BrowserCookie) -> str:
    return rt.services.box.digest("logout-csrf:" + cookie.value)


async def logout(request: Request) -> Response:
    tenant = await _tenant(request)
    if tenant is None:
        return pages.error_page("invalid_request", "Unknown organization.", 404)
    rt = runtime(request)
    cookie, _browser_state = _browser(request, rt, tenant)
    session_name = rt.cookies.session_name(tenant.org_id)
    proto = await to_protocol(request)
    confirmed = False
    decision = proto.form.get("decision") if request.method == "POST" else None
    if decision is not None:
        sent = (proto.form.get("csrf") or [""])[0]
        if cookie.fresh or not _constant_equal(sent, _logout_csrf(rt, cookie)):
            return pages.error_page("invalid_request", "The form expired. Please try again.", 403)
        if decision != ["logout"]:
            return pages.render("logged_out.html", stayed=True, client_name=None)
        confirmed = True
    outcome = await rt.end_session(proto, tenant, request.cookies.get(session_name), confirmed)
    result = outcome.result
    response: Response
    if isinstance(result, LogoutRedirect):
        response = RedirectResponse(result.location, status_code=303)
        response.headers["cache-control"] = "no-store"
    elif isinstance(result, ConfirmLogout):
        response = pages.render(
            "logout_confirm.html",
            action=request.url.path,
            csrf=_logout_csrf(rt, cookie),
            fields=result.fields,
            client_name=result.client_name,
        )
    elif isinstance(result, LoggedOut):
        response = pages.render("logged_out.html", stayed=False, client_name=result.client_name)
    elif isinstance(result, LogoutError):
        response = pages.error_page(result.error, result.description)
    remember_browser(response, rt.cookies, cookie)
    if outcome.clear_session:
        rt.cookies.clear(response, session_name)
    return response


def _constant_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


# --------------------------------------------------------------------------- routing


def routes() -> list[BaseRoute]:
    def both(path: str, endpoint: Any, methods: list[str]) -> list[BaseRoute]:
        return [
            Route(path, endpoint, methods=methods),
            Route("/o/{org}" + path, endpoint, methods=methods),
        ]

    out: list[BaseRoute] = [
        *both("/oauth2/token", token, ["POST"]),
        *both("/oauth2/token", preflight, ["OPTIONS"]),
        *both("/oauth2/jwks", jwks, ["GET"]),
        *both("/oauth2/authorize", authorize, ["GET", "POST"]),
        *both("/oauth2/authorize/resume/{interaction}", authorize_resume, ["GET"]),
        *both("/oauth2/userinfo", userinfo_endpoint, ["GET", "POST"]),
        *both("/oauth2/userinfo", preflight, ["OPTIONS"]),
        *both("/oauth2/logout", logout, ["GET", "POST"]),
        *both("/.well-known/oauth-authorization-server", authorization_server_metadata, ["GET"]),
        *both("/.well-known/openid-configuration", authorization_server_metadata, ["GET"]),
        # RFC 8414 §3.1: for an issuer with a path, the well-known segment comes first.
        Route(
            "/.well-known/oauth-authorization-server/o/{org}",
            authorization_server_metadata,
            methods=["GET"],
        ),
        *login_routes.routes(),
    ]
    extras = extras_module()
    extra_routes = getattr(extras, "routes", None) if extras is not None else None
    if extra_routes is not None:
        out.extend(extra_routes())
    return out


def client_store(services: Services) -> SqlClientStore:
    return SqlClientStore(services.sessions)
