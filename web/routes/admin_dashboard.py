"""The admin dashboard: the instance's totals, and its activity as charts drawn on the server."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.models import utcnow
from server.services import instance_stats
from server.services.instance_stats import Point
from web.charts import BarChart, bar_chart
from web.context import web
from web.session import require_admin

DAYS = 30
HOURS = 48


def _days(title: str, points: list[Point]) -> BarChart:
    labels = [point.start.strftime("%-d %b") for point in points]
    return bar_chart(title, labels, [point.count for point in points], label_every=7)


def _hours(title: str, points: list[Point]) -> BarChart:
    labels = [point.start.strftime("%-d %b %H:00") for point in points]
    return bar_chart(title, labels, [point.count for point in points], label_every=12)


async def dashboard(request: Request) -> Response:
    await require_admin(request)
    now = utcnow()
    charts = [
        (
            _days(
                f"Posts per day, last {DAYS} days", await instance_stats.posts_per_day(DAYS, now)
            ),
            "Posts and replies in the groups here, written here or received from elsewhere.",
        ),
        (
            _days(
                f"Active members per day, last {DAYS} days",
                await instance_stats.active_members_per_day(DAYS, now),
            ),
            "People with an account here who posted, replied or reacted that day.",
        ),
        (
            _days(
                f"Reports opened per day, last {DAYS} days",
                await instance_stats.reports_per_day(DAYS, now),
            ),
            "Reports made here or received from other servers.",
        ),
        (
            _hours(
                f"Deliveries done per hour, last {HOURS} hours",
                await instance_stats.deliveries_per_hour(HOURS, now),
            ),
            "Activities accepted by other servers' inboxes. Times are UTC.",
        ),
    ]
    context = {"summary": await instance_stats.summary(now), "charts": charts}
    return web(request).templates.TemplateResponse(request, "admin/dashboard.html", context)


routes = [Route("/admin", dashboard, name="admin_dashboard")]
