"""``create_app(settings)``: the ASGI application with its routes, middleware and lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from identra import __version__
from identra.actions import webhooks
from identra.bootstrap import prepare
from identra.clock import Clock
from identra.crypto import rotation
from identra.management import problems
from identra.management.api import api_router
from identra.services import Services, build_services
from identra.settings import Settings
from identra.storage import cleanup
from identra.web import console, device, health, oauth, scim, static, tenants
from identra.web.account import routes as account_routes
from identra.web.branding import Themes
from identra.web.middleware import EdgeMiddleware

log = logging.getLogger(__name__)
# Keys rotated by another process (the CLI on the embedded setup) are picked up this often.
KEY_RELOAD_SECONDS = 60.0


def create_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    services = build_services(settings, clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await start(services)
        try:
            yield
        finally:
            await services.close()

    app = FastAPI(
        title="Identra management API",
        version=__version__,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.tenants = {}
    app.state.client_store = oauth.client_store(services)
    app.state.themes = Themes(services)
    services.events.on("client", app.state.client_store.invalidate)
    services.events.on("org", lambda handle: tenants.forget(app.state.tenants, handle))
    services.events.on("keys", lambda _kid: services.keyring.load())
    problems.install(app)
    # Protocol routes first: Starlette tries routes in order, and the token endpoint should not
    # pay for matching every management path before its own.
    app.router.routes.extend(oauth.routes())
    app.router.routes.extend(health.routes())
    app.router.routes.extend(scim.routes())
    app.router.routes.extend(device.routes())
    app.router.routes.extend(static.routes())
    app.router.routes.extend(account_routes.routes())
    app.router.routes.extend(console.routes())
    app.include_router(api_router())
    app.add_middleware(
        EdgeMiddleware, metrics=services.metrics, max_body_bytes=settings.http.max_body_bytes
    )
    return app


async def start(services: Services) -> None:
    """Prepare the database, then start this node's background jobs. Safe on every start."""
    await prepare(services)
    services.events.start()
    services.events.every(KEY_RELOAD_SECONDS, services.keyring.load)
    rotation.schedule(services)
    webhooks.schedule(services)
    cleanup.schedule(services)
