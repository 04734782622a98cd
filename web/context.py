"""What every web handler reaches through `request.app.state`: settings, templates, limits."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from server.ratelimit import RateLimits
from server.settings import Settings


@dataclass
class WebContext:
    settings: Settings
    templates: Jinja2Templates
    rate_limits: RateLimits


def web(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context
