"""Reports on the member side: reporting a post or a person, and a group's report queue.

Any logged-in person can report a visible post (`/p/{id}/report`) or a person
(`/u/{name}/report`); the form needs a comment and answers with a 303 to a thank-you page. A
group's moderators (and admins, for a group hosted here) read and resolve the reports about the
group's posts at `/g/{handle}/reports`; admins see every report in the admin panel.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from wtforms import TextAreaField

from server.content import plain_text
from server.models import Account, Actor, Post, Report
from server.services import posts, profiles, reports
from server.services.errors import Conflict, Invalid, NotFound
from server.services.reports import COMMENT_MAX, ReportView
from web.context import web
from web.forms import WebForm, read_form
from web.group_page import GroupPage, group_slug, load_group_page
from web.routes._listing import cursor_of, older_url, read_page
from web.routes._report_forms import ResolveForm, handle_resolve, resolve_form
from web.session import require_account

RATE_LIMIT_MESSAGE = "You have sent many reports in a short time. Wait a while and try again."
NOTICES = {"resolved": "The report has been handled."}


class ReportForm(WebForm):
    comment = TextAreaField("What is wrong?")


# --- filing ------------------------------------------------------------------------------------


async def report_post(request: Request) -> Response:
    account = await require_account(request)
    post = await posts.get_post(request.path_params["post_id"])
    if not post.is_visible:
        raise NotFound("This post is no longer there.")
    # The form quotes the post: only to someone who may read it.
    (await load_group_page(request, group_slug(post.group.actor))).require_readable()
    return await _report(request, account, post=post, target=post.author)


async def report_person(request: Request) -> Response:
    account = await require_account(request)
    profile = await profiles.get_profile(request.path_params["username"])
    return await _report(request, account, post=None, target=profile.actor)


async def _report(
    request: Request, account: Account, *, post: Post | None, target: Actor
) -> Response:
    context: dict[str, Any] = {
        "post": post,
        "target": target,
        "excerpt": plain_text(post.content_html, 300) if post is not None else "",
        "own": target.id == account.actor_id,
        "max_chars": COMMENT_MAX,
        "action": request.url.path,
    }
    if request.method == "GET":
        return _render_form(request, ReportForm(), context)
    posted = ReportForm.from_formdata(await read_form(request))
    assert isinstance(posted, ReportForm)
    settings, limits = web(request).settings, web(request).rate_limits
    rule = settings.report_rate_limit
    await limits.check(rule, "report", account.id, message=RATE_LIMIT_MESSAGE)
    try:
        await reports.file_report(
            account.actor,
            post=post,
            target_actor=None if post is not None else target,
            comment=posted.comment.data or "",
        )
    except Invalid as exc:
        posted.add_errors(exc.errors)
        return _render_form(request, posted, context, 422)
    except Conflict as exc:
        posted.form_errors.append(exc.message)
        return _render_form(request, posted, context, 409)
    await limits.hit(rule, "report", account.id, message=RATE_LIMIT_MESSAGE)
    return RedirectResponse("/reports/sent", status_code=303)


def _render_form(
    request: Request, form: ReportForm, context: dict[str, Any], status_code: int = 200
) -> Response:
    return web(request).templates.TemplateResponse(
        request, "reports/new.html", {**context, "form": form}, status_code=status_code
    )


async def report_sent(request: Request) -> Response:
    await require_account(request)
    return web(request).templates.TemplateResponse(request, "reports/sent.html", {})


# --- a group's queue ---------------------------------------------------------------------------


async def _moderated_page(request: Request) -> tuple[Account, GroupPage]:
    account = await require_account(request)
    page = await load_group_page(request, request.path_params["handle"])
    if not page.can_moderate:
        raise HTTPException(403, "Only the group's moderators can read its reports.")
    return account, page


async def group_reports(request: Request) -> Response:
    _, page = await _moderated_page(request)
    closed = request.query_params.get("state") == "closed"
    listing = await read_page(
        reports.list_reports(closed=closed, group=page.group, cursor=cursor_of(request))
    )
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return web(request).templates.TemplateResponse(
        request,
        "reports/group_list.html",
        {
            **page.as_context("reports"),
            "reports": listing.items,
            "closed": closed,
            "older": older_url(request, listing.next_cursor),
            "flashes": [notice] if notice else [],
        },
    )


async def group_report(request: Request) -> Response:
    account, page = await _moderated_page(request)
    report = await reports.get_report(request.path_params["report_id"])
    if report.group is None or report.group.id != page.group.id:
        raise NotFound("There is no such report in this group.")

    async def render(view: ReportView, form: ResolveForm, status_code: int = 200) -> Response:
        return web(request).templates.TemplateResponse(
            request,
            "reports/group_detail.html",
            {**page.as_context("reports"), **_detail(view), "form": form},
            status_code=status_code,
        )

    if request.method == "POST":
        done = f"{page.path}/reports?notice=resolved"
        return await handle_resolve(request, account.actor, report, done, render)
    view = await reports.view(account.actor, report)
    return await render(view, resolve_form(view))


def _detail(view: ReportView) -> dict[str, Any]:
    report: Report = view.report
    post = report.post
    return {
        "view": view,
        "report": report,
        "excerpt": plain_text(post.content_html, 600) if post is not None else "",
    }


routes: list[BaseRoute] = [
    Route("/p/{post_id:id}/report", report_post, methods=["GET", "POST"], name="post_report"),
    Route(
        "/u/{username:name}/report", report_person, methods=["GET", "POST"], name="profile_report"
    ),
    Route("/reports/sent", report_sent, name="report_sent"),
    Route("/g/{handle:handle}/reports", group_reports, name="group_reports"),
    Route(
        "/g/{handle:handle}/reports/{report_id:id}",
        group_report,
        methods=["GET", "POST"],
        name="group_report",
    ),
]
