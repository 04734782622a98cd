"""Group pages anyone may read (directory, about, members) and starting a new group.

Joining, leaving and the approval queue are in `group_membership`; editing a group is in
`group_settings`. The group's own thread list (/g/{handle}) belongs to the posts pages.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from wtforms import Form, StringField

from server.services import contributions, directory, groups, members
from server.services.errors import Conflict, Invalid
from web.context import web
from web.forms import read_form
from web.group_page import load_group_page
from web.routes import group_membership, group_settings
from web.routes._group_forms import NewGroupForm, read_upload
from web.session import current_account, require_account

MAX_PAGE = 10_000


class SearchForm(Form):
    q = StringField("Search groups")


def page_number(request: Request) -> int:
    """The `page` query parameter (1 when absent); 400 for anything but a page number."""
    raw = request.query_params.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise HTTPException(400, "The page number must be a whole number from 1.")
    return int(raw)


async def group_directory(request: Request) -> Response:
    await current_account(request)
    form = SearchForm(formdata=request.query_params)
    text = form.q.data or ""
    topic = directory.normalise_topic(request.query_params.get("topic", ""))
    page_size = web(request).settings.page_size
    status = 200
    try:
        text = directory.normalise_query(text)
        results = await directory.search_groups(
            text, topic=topic, page=page_number(request), page_size=page_size
        )
    except Invalid as exc:
        form.q.errors = [exc.errors.get("q", exc.message)]
        text, results, status = "", directory.DirectoryPage([], 0, 1, page_size), 422

    def directory_url(page: int = 1, topic: str = topic) -> str:
        """A directory link keeping the current search (and topic, unless given)."""
        query = {"q": text, "topic": topic, "page": str(page) if page > 1 else ""}
        kept = {key: value for key, value in query.items() if value}
        return "/groups?" + urlencode(kept) if kept else "/groups"

    return web(request).templates.TemplateResponse(
        request,
        "groups/directory.html",
        {
            "form": form,
            "query": text,
            "topic": topic,
            "results": results,
            "topics": await directory.topic_counts(),
            "directory_url": directory_url,
        },
        status_code=status,
    )


async def new_group(request: Request) -> Response:
    account = await require_account(request)
    if request.method == "GET":
        return _render_new(request, NewGroupForm())
    settings = web(request).settings
    formdata = await read_form(request, with_files=True)
    form = NewGroupForm.from_formdata(formdata)
    assert isinstance(form, NewGroupForm)
    if not form.validate():
        return _render_new(request, form, status=422)
    handle = form.handle.data or ""
    try:
        group = await groups.create_group(
            account,
            form.to_domain(handle),
            media_dir=settings.media_dir,
            avatar=await read_upload(formdata, "avatar", settings),
            banner=await read_upload(formdata, "banner", settings),
        )
    except Invalid as exc:
        form.add_errors(exc.errors)
        return _render_new(request, form, status=422)
    except Conflict as exc:
        form.add_errors({"handle": exc.message})
        return _render_new(request, form, status=422)
    await group.fetch_related("actor")
    return RedirectResponse(f"/g/{group.actor.username}", status_code=303)


def _render_new(request: Request, form: NewGroupForm, *, status: int = 200) -> Response:
    return web(request).templates.TemplateResponse(
        request, "groups/new.html", {"form": form}, status_code=status
    )


async def group_about(request: Request) -> Response:
    page = await load_group_page(request, request.path_params["handle"])
    settings = web(request).settings
    return web(request).templates.TemplateResponse(
        request,
        "groups/about.html",
        {
            **page.as_context("about"),
            # The staff are part of the member list: members-only groups show them to readers.
            "staff": await members.staff_of(page.group) if page.can_read else [],
            "fediverse_handle": f"@{page.group.actor.handle(settings.domain)}",
            "group_url": page.group.actor.url or settings.url(page.path),
        },
    )


async def group_members(request: Request) -> Response:
    page = await load_group_page(request, request.path_params["handle"])
    page.require_readable()
    listing = await members.list_members(
        page.group, page=page_number(request), page_size=web(request).settings.page_size
    )
    staff = await members.staff_of(page.group)
    shown = [m.actor_id for m in [*staff, *listing.members]]
    return web(request).templates.TemplateResponse(
        request,
        "groups/members.html",
        {
            **page.as_context("members"),
            "staff": staff,
            "listing": listing,
            # What each person contributed here, in one query for the whole page.
            "contributed": await contributions.counts_by_member(page.account, page.group, shown),
            "no_contributions": contributions.Counts(),
        },
    )


routes: list[BaseRoute] = [
    Route("/groups", group_directory, name="group_directory"),
    Route("/groups/new", new_group, methods=["GET", "POST"], name="new_group"),
    Route("/g/{handle:handle}/about", group_about, name="group_about"),
    Route("/g/{handle:handle}/members", group_members, name="group_members"),
    *group_membership.routes,
    *group_settings.routes,
]
