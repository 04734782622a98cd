"""Organiser analytics: a group's figures for its moderators, the instance's for its admins.

    /g/{handle}/insights                  GET  charts and tables over a date range (?from=&to=)
    /g/{handle}/insights/report           GET  the printable value report for that range
    /g/{handle}/insights/{table}.csv      GET  one table as CSV
    /admin/insights, /admin/insights/report, /admin/insights/{table}.csv   the same, every group

A group's figures are shown to its moderators and to admins (for a group hosted here) only: a
members-only group's activity is as private as its posts. The figures come from the rollups the
worker keeps (`server.services.insights`); a bad range is a 400 with the reason.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.models import Account, Group, utcnow
from server.services.insights import Report, build_report
from server.services.insights.dates import DateRange, parse_range
from server.services.insights.report import Week, duration
from server.services.insights.tables import TABLES, csv_text, report_tables
from web.charts import BarChart, bar_chart
from web.context import web
from web.group_page import GroupPage, load_group_page
from web.session import require_account, require_admin

NOT_A_MODERATOR = "Only the group's moderators and the admins can see its analytics."

# (Week attribute, chart title, what it counts)
CHARTS = [
    ("active", "Active members per week", "People who posted, replied or reacted that week."),
    ("new_members", "New members per week", "Members who joined (for the instance: new accounts)."),
    ("posts", "New posts per week", "Discussions, questions and resources started."),
    ("replies", "Replies per week", "Replies in threads."),
    ("questions", "Questions asked per week", "Questions started that week."),
    ("views", "Thread views per week", "Thread pages opened by people (not crawlers)."),
]


def _range(request: Request) -> DateRange:
    params = request.query_params
    return parse_range(params.get("from"), params.get("to"), utcnow().date())


def _charts(weeks: list[Week]) -> list[tuple[BarChart, str]]:
    labels = [week.start.strftime("%-d %b %Y") for week in weeks]
    every = max(1, len(weeks) // 8)
    return [
        (bar_chart(title, labels, [getattr(w, name) for w in weeks], label_every=every), hint)
        for name, title, hint in CHARTS
    ]


async def _group_scope(request: Request) -> tuple[Account, GroupPage]:
    account = await require_account(request)
    page = await load_group_page(request, request.path_params["handle"])
    if page.is_remote or not page.can_moderate:
        raise HTTPException(403, NOT_A_MODERATOR)
    return account, page


async def _render(
    request: Request,
    template: str,
    account: Account,
    group: Group | None,
    base_path: str,
    extra: dict[str, object],
) -> Response:
    period = _range(request)
    report: Report = await build_report(account, period, group)
    settings = web(request).settings
    context = {
        **extra,
        "report": report,
        "period": period,
        "base_path": base_path,
        "scope_name": group.actor.name if group is not None else settings.domain,
        "tables": report_tables(report, settings.domain),
        "charts": _charts(report.weeks),
        "duration": duration,
    }
    return web(request).templates.TemplateResponse(request, template, context)


async def _csv(request: Request, account: Account, group: Group | None, name: str) -> Response:
    build = TABLES.get(request.path_params["table"])
    if build is None:
        raise HTTPException(
            404, f"There is no table by that name; try one of: {', '.join(TABLES)}."
        )
    period = _range(request)
    report = await build_report(account, period, group)
    settings = web(request).settings
    table = build(report, settings.domain)
    filename = f"{name}-{table.name}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return Response(
        csv_text(table, settings.base_url),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def group_insights(request: Request) -> Response:
    account, page = await _group_scope(request)
    extra = page.as_context("insights")
    return await _render(
        request, "insights/page.html", account, page.group, f"{page.path}/insights", extra
    )


async def group_report(request: Request) -> Response:
    account, page = await _group_scope(request)
    extra = page.as_context("insights")
    return await _render(
        request, "insights/report.html", account, page.group, f"{page.path}/insights", extra
    )


async def group_csv(request: Request) -> Response:
    account, page = await _group_scope(request)
    return await _csv(request, account, page.group, page.group.actor.username)


async def admin_insights(request: Request) -> Response:
    account = await require_admin(request)
    return await _render(request, "insights/page.html", account, None, "/admin/insights", {})


async def admin_report(request: Request) -> Response:
    account = await require_admin(request)
    return await _render(request, "insights/report.html", account, None, "/admin/insights", {})


async def admin_csv(request: Request) -> Response:
    account = await require_admin(request)
    return await _csv(request, account, None, web(request).settings.domain)


routes: list[BaseRoute] = [
    Route("/g/{handle:handle}/insights", group_insights, name="group_insights"),
    Route("/g/{handle:handle}/insights/report", group_report, name="group_insights_report"),
    Route("/g/{handle:handle}/insights/{table}.csv", group_csv, name="group_insights_csv"),
    Route("/admin/insights", admin_insights, name="admin_insights"),
    Route("/admin/insights/report", admin_report, name="admin_insights_report"),
    Route("/admin/insights/{table}.csv", admin_csv, name="admin_insights_csv"),
]
