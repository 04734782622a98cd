"""The web adapter's routes, one module per area."""

from __future__ import annotations

from starlette.routing import BaseRoute

from server import url_convertors
from web.routes import (
    accounts,
    admin_audit,
    admin_badges,
    admin_dashboard,
    admin_domains,
    admin_federation,
    admin_groups,
    admin_mail,
    admin_registration,
    admin_reports,
    admin_settings,
    admin_users,
    feed,
    group_invites,
    group_moderation,
    group_staff,
    groups,
    home,
    insights,
    mail_settings,
    notifications,
    posts,
    profiles,
    remote_groups,
    reports,
    saves,
    search,
    syndication,
    watches,
)

__all__ = ["url_convertors", "web_routes"]  # imported first: the route modules use them


def web_routes() -> list[BaseRoute]:
    return [
        *home.routes,
        *accounts.routes,
        *profiles.routes,
        *mail_settings.routes,
        *admin_dashboard.routes,
        *admin_settings.routes,
        *admin_users.routes,
        *admin_registration.routes,
        *admin_groups.routes,
        *admin_reports.routes,
        *admin_domains.routes,
        *admin_federation.routes,
        *admin_mail.routes,
        *admin_audit.routes,
        *admin_badges.routes,
        *insights.routes,
        *groups.routes,
        *group_moderation.routes,
        *group_invites.routes,
        *group_staff.routes,
        *remote_groups.routes,
        *posts.routes,
        *reports.routes,
        *feed.routes,
        *syndication.routes,
        *notifications.routes,
        *watches.routes,
        *saves.routes,
        *search.routes,
    ]
