"""The admin console: a single-page app served at ``/console`` (built from ``console/`` into the
package's ``static/console`` directory by ``scripts/setup.sh``).

- Hashed assets (``/console/assets/<name>``) are served with a long cache lifetime; any other
  path under ``/console`` is a client-side route and gets ``index.html`` (never cached, so a new
  build is picked up at once).
- Every response carries a strict Content-Security-Policy: scripts and styles from this origin
  only, no inline code, no framing, API calls to this origin only.
- ``/console/config.json`` tells the app its issuer, endpoints and OAuth client.
- The console signs in through Identra itself as the public OAuth client ``identra-console``
  (authorization code + PKCE S256, state and nonce). That client is created in the root
  organization on the first request to the console if it does not exist yet; its scopes are the
  management permissions, which the management API intersects with the signed-in user's roles.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import re
from functools import cache
from importlib import resources

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from identra import permissions
from identra.admin import apps
from identra.errors import Conflict, InvalidInput
from identra.observability import audit
from identra.services import Services
from identra.storage.models import Application
from identra.storage.repositories import orgs

log = logging.getLogger(__name__)

CLIENT_ID = "identra-console"
CLIENT_NAME = "Identra console"
SCOPES = ("openid", "profile", *permissions.ALL)
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
ASSET = re.compile(r"^assets/[A-Za-z0-9_.-]{1,128}$")
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}
NOT_BUILT = (
    "<!doctype html><title>Identra console</title>"
    "<p>The console has not been built. Run <code>scripts/setup.sh</code> "
    "(npm ci and npm run build in console/).</p>"
)


def callback_url(issuer: str) -> str:
    return f"{issuer}/console/callback"


@cache
def _file(name: str) -> tuple[bytes, str] | None:
    item = resources.files("identra").joinpath("static", "console", *name.split("/"))
    if not item.is_file():
        return None
    body = item.read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _headers(**extra: str) -> dict[str, str]:
    return {**SECURITY_HEADERS, **extra}


async def ensure_client(services: Services) -> None:
    """Create the console's OAuth client in the root organization unless it exists.

    Kept as a public client (``token_endpoint_auth_method=none``, PKCE required) whose redirect
    URI is ``{issuer}/console/callback``; consent is skipped (first-party). An existing client is
    left as it is, so an administrator's changes to it stay."""
    issuer = services.settings.issuer
    async with services.sessions.begin() as session:
        found = await session.scalar(
            select(Application.id).where(Application.client_id == CLIENT_ID)
        )
        if found is not None:
            return
        root = await orgs.root(session)
        new = apps.NewApp(
            name=CLIENT_NAME,
            type="spa",
            description="The admin console (created automatically)",
            redirect_uris=[callback_url(issuer)],
            post_logout_redirect_uris=[f"{issuer}/console/"],
            scopes=list(SCOPES),
            grant_types=["authorization_code"],
            settings={"skip_consent": True},
        )
        try:
            app, _secret = await apps.create(session, root, new, audit.SYSTEM, services.box)
            app.client_id = CLIENT_ID
            async with session.begin_nested():
                await session.flush()
        except (Conflict, IntegrityError):
            # Another request or node created it at the same moment (or an application with
            # this name exists): theirs counts.
            return
        except InvalidInput as exc:
            # e.g. an http issuer on a non-loopback host: the console cannot be registered.
            log.warning("console client not created", extra={"fields": {"reason": exc.detail}})
            return
    log.info("console client created", extra={"fields": {"client_id": CLIENT_ID}})


async def _ready(request: Request) -> None:
    state = request.app.state
    if getattr(state, "console_client_ready", False):
        return
    await ensure_client(state.services)
    state.console_client_ready = True


async def config(request: Request) -> Response:
    await _ready(request)
    services: Services = request.app.state.services
    async with services.sessions() as session:
        root = await orgs.root(session)
    issuer = orgs.issuer_for(services.settings.issuer, root)
    body = {
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "authorization_endpoint": f"{issuer}/oauth2/authorize",
        "token_endpoint": f"{issuer}/oauth2/token",
        "redirect_uri": callback_url(services.settings.issuer),
        "scopes": list(SCOPES),
        "org": root.handle,
    }
    return JSONResponse(body, headers=_headers(**{"cache-control": "no-store"}))


async def page(request: Request) -> Response:
    path = request.path_params.get("path", "")
    if path.startswith("assets/"):
        found = _file(path) if ASSET.match(path) and ".." not in path else None
        if found is None:
            return Response("not found", 404, media_type="text/plain", headers=_headers())
        body, etag = found
        suffix = "." + path.rsplit(".", 1)[-1] if "." in path else ""
        media = TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
        headers = _headers(etag=etag, **{"cache-control": "public, max-age=31536000, immutable"})
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=media, headers=headers)
    await _ready(request)
    index = _file("index.html")
    if index is None:
        return Response(NOT_BUILT, 503, media_type="text/html", headers=_headers())
    return Response(
        index[0],
        media_type="text/html; charset=utf-8",
        headers=_headers(**{"cache-control": "no-cache"}),
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/console/config.json", config, methods=["GET"]),
        Route("/console", page, methods=["GET"]),
        Route("/console/{path:path}", page, methods=["GET"]),
    ]
