"""The web adapter's routes, one module per area."""

from __future__ import annotations

from starlette.routing import BaseRoute

from web.routes import home


def web_routes() -> list[BaseRoute]:
    return [*home.routes]
