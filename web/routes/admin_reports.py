"""The admin's report queue: every report, from members here and from other servers (`Flag`).

`/admin/reports` lists open (or handled, `?state=closed`) reports, optionally one group's
(`?group=<handle>`); `/admin/reports/{id}` shows one with its resolve form; a separate button
forwards it to the reported person's server without resolving it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from server.content import plain_text
from server.models import Group
from server.services import groups, reports
from server.services.errors import NotFound
from server.services.reports import ReportView
from web.context import web
from web.forms import read_form
from web.routes._listing import cursor_of, older_url, read_page
from web.routes._report_forms import ResolveForm, handle_resolve, resolve_form
from web.session import require_admin

NOTICES = {
    "resolved": "The report has been handled.",
    "forwarded": "The report has been sent to the reported person's server.",
}
MAX_HANDLE_CHARS = 320


async def report_list(request: Request) -> Response:
    await require_admin(request)
    closed = request.query_params.get("state") == "closed"
    handle = request.query_params.get("group", "").strip()[:MAX_HANDLE_CHARS]
    group: Group | None = None
    if handle:
        try:
            group = await groups.get_group(handle, include_hidden=True)
        except NotFound:
            group = None
    listing = await read_page(
        reports.list_reports(closed=closed, group=group, cursor=cursor_of(request))
    )
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return web(request).templates.TemplateResponse(
        request,
        "admin/reports.html",
        {
            "reports": listing.items,
            "closed": closed,
            "group_handle": handle,
            "unknown_group": bool(handle) and group is None,
            "older": older_url(request, listing.next_cursor),
            "flashes": [notice] if notice else [],
        },
    )


async def report_detail(request: Request) -> Response:
    admin = await require_admin(request)
    report = await reports.get_report(request.path_params["report_id"])

    async def render(view: ReportView, form: ResolveForm, status_code: int = 200) -> Response:
        notice = NOTICES.get(request.query_params.get("notice", ""))
        context = {**_detail(view), "form": form, "flashes": [notice] if notice else []}
        return web(request).templates.TemplateResponse(
            request, "admin/report.html", context, status_code=status_code
        )

    if request.method == "POST":
        return await handle_resolve(
            request, admin.actor, report, "/admin/reports?notice=resolved", render
        )
    view = await reports.view(admin.actor, report)
    return await render(view, resolve_form(view))


async def forward(request: Request) -> Response:
    admin = await require_admin(request)
    await read_form(request)
    report = await reports.get_report(request.path_params["report_id"])
    await reports.forward_report(admin.actor, report)
    return RedirectResponse(f"/admin/reports/{report.id}?notice=forwarded", status_code=303)


def _detail(view: ReportView) -> dict[str, Any]:
    post = view.report.post
    return {
        "view": view,
        "report": view.report,
        "excerpt": plain_text(post.content_html, 600) if post is not None else "",
    }


routes: list[BaseRoute] = [
    Route("/admin/reports", report_list, name="admin_reports"),
    Route(
        "/admin/reports/{report_id:id}",
        report_detail,
        methods=["GET", "POST"],
        name="admin_report",
    ),
    Route(
        "/admin/reports/{report_id:id}/forward",
        forward,
        methods=["POST"],
        name="admin_report_forward",
    ),
]
