"""The web adapter's routes, one module per area."""

from __future__ import annotations

from starlette.routing import BaseRoute

from web.routes import (
    accounts,
    admin_registration,
    feed,
    groups,
    home,
    posts,
    profiles,
    remote_groups,
)


def web_routes() -> list[BaseRoute]:
    return [
        *home.routes,
        *accounts.routes,
        *profiles.routes,
        *admin_registration.routes,
        *groups.routes,
        *remote_groups.routes,
        *posts.routes,
        *feed.routes,
    ]
