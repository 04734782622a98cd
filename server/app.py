"""App assembly: the one place that knows the domain and both adapters."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount, Router
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from federation.document_cache import CachedDocuments, DocumentCache
from federation.group_lookup import resolver_for
from federation.inbox.lane import InboxLane
from federation.negotiation import ContentNegotiation, wants_activity_json
from federation.routes import as2_routes, federation_routes
from federation.runtime import FederationRuntime
from server import db, events, health, log_records, metrics
from server.assembly import background_work, subscribe_all
from server.page_cache import CachedPages, PageCache
from server.ratelimit import RateLimits
from server.services import instance
from server.settings import Settings
from web.context import WebContext
from web.errors import EXCEPTION_HANDLERS
from web.routes import web_routes
from web.security_headers import SecurityHeaders
from web.templating import build_templates
from web.top_helpers import KeptTopHelpers
from web.url_guard import ControlCharacterGuard

log = logging.getLogger("lyceum")


class InstanceNameMiddleware:
    """Puts the admin-chosen instance name where every page template finds it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _may_want_html(scope):
            scope.setdefault("state", {})["instance_name"] = await instance.instance_name()
        await self.app(scope, receive, send)


# Files (uploads, proxied remote images, CSS) and probes are never pages, whatever is accepted.
_FILE_PREFIXES = ("/static/", "/media/", "/proxy/", "/healthz", "/readyz", "/metrics")


def _may_want_html(scope: Scope) -> bool:
    """Peers asking for JSON never see a page, so their requests skip the name lookup."""
    if scope["path"].startswith(_FILE_PREFIXES):
        return False
    accept = dict(scope["headers"]).get(b"accept", b"text/html")
    return b"text/html" in accept or b"*/*" in accept


def _proxy_headers(settings: Settings) -> list[Middleware]:
    """Behind trusted proxies, the client is the right-most X-Forwarded-For entry that is not a
    proxy (uvicorn's middleware; `lyceum serve` leaves uvicorn's own copy of it off)."""
    if not settings.trust_proxy_headers:
        return []
    return [Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)]


class LyceumApp(Starlette):
    """Starlette with the security headers outside everything, Starlette's own error handling
    included: even the 500 of an unexpected failure carries them."""

    def __init__(self, *args: Any, https: bool, **kwargs: Any) -> None:
        self.https = https
        super().__init__(*args, **kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), https=self.https)


def create_app(settings: Settings | None = None, *, manage_database: bool = True) -> Starlette:
    """Build the ASGI app. With `manage_database`, its lifespan opens and closes the database."""
    settings = settings or Settings()
    log_records.install()
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    # One HTTP client, fetcher and delivery worker per app, built here (not in the lifespan) so
    # that apps run without a lifespan, as in tests, still find `app.state.federation`.
    federation = FederationRuntime(settings, other_work=background_work(settings))
    web_context = WebContext(
        settings=settings,
        templates=build_templates(),
        rate_limits=RateLimits(settings.rate_limit_storage),
        top_helpers=KeptTopHelpers(settings.page_cache_seconds),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_database:
            await db.open_database(settings)
        stop_views = asyncio.Event()
        flusher = asyncio.create_task(web_context.views.run_until_stopped(stop_views))
        try:
            if settings.embedded_worker:
                federation.start_worker()
            if manage_database:  # the process's own app, not one of a test's
                # Start-up's objects (modules, models, routes, templates) live as long as the
                # process: kept out of the collector's passes, which would walk them again and
                # again (a tenth of an inbox request's CPU, `bench/inbox.py`).
                gc.freeze()
            yield
        finally:
            stop_views.set()  # a last flush: page views counted here are not lost at shutdown
            await flusher
            await federation.aclose()
            if manage_database:
                await db.close_database()

    process_metrics = metrics.Metrics()
    documents = DocumentCache()
    pages = PageCache(settings.page_cache_seconds)
    peer_routes = federation_routes(settings, documents)
    app = LyceumApp(
        https=settings.secure_cookies,
        routes=[
            *health.routes,
            *metrics.routes,
            *peer_routes,
            *web_routes(),
            Mount("/static", StaticFiles(directory=Path(__file__).parent.parent / "web/static")),
            Mount("/media", StaticFiles(directory=settings.media_dir, check_dir=False)),
        ],
        middleware=[
            Middleware(metrics.RequestTimer, metrics=process_metrics),
            # Actor documents and WebFinger answers already rendered: no query, no session.
            Middleware(CachedDocuments, cache=documents),
            Middleware(ControlCharacterGuard),  # a NUL in a path or query is a 400, not a query
            *_proxy_headers(settings),
            # Pages as visitors who are not logged in get them, rendered a moment ago.
            Middleware(CachedPages, cache=pages, wants_as2=wants_activity_json),
            Middleware(InboxLane, routes=peer_routes),  # the same inboxes, without the below
            # Then: ActivityStreams requests for pages' URLs skip sessions and page state.
            Middleware(ContentNegotiation, as2_app=Router(as2_routes(settings, documents))),
            Middleware(
                SessionMiddleware,
                secret_key=settings.resolved_secret_key,
                session_cookie="lyceum_session",
                max_age=settings.session_days * 24 * 3600,
                same_site="lax",
                https_only=settings.secure_cookies,
            ),
            Middleware(InstanceNameMiddleware),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    subscribe_all(events.bus, settings)
    app.state.settings = settings
    app.state.metrics = process_metrics
    app.state.pages = pages
    app.state.federation = federation
    # Tests set it to have an inbox POST handled at once. Every inbox POST reads it, and a
    # missing attribute would cost a raised and caught AttributeError each time (~1 µs).
    app.state.inbox_process_now = False
    # The web finds groups on other servers through this port (it cannot import federation).
    app.state.resolve_remote_group = resolver_for(app.state)
    app.state.web = web_context
    return app
