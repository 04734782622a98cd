"""What every web handler reaches through `request.app.state`: settings, templates, limits,
the groups' kept top helpers and the thread view counter."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from server.ratelimit import RateLimits
from server.services.insights import ViewCounter
from server.settings import Settings
from web.top_helpers import KeptTopHelpers


@dataclass
class WebContext:
    settings: Settings
    templates: Jinja2Templates
    rate_limits: RateLimits
    top_helpers: KeptTopHelpers
    # Thread page views, counted in memory and flushed by the app's lifespan (and tests).
    views: ViewCounter = field(default_factory=ViewCounter)


def web(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context
