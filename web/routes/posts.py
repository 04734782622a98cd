"""A group's threads: the thread list (/g/{handle}), writing a new post, the resource library.

One post and its replies (/p/{id}) and what one does to a post are in `post_page`.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from server.models import PostKind
from server.page_cache import share_page
from server.services import instance, posts, search
from server.services.errors import Invalid
from web.context import web
from web.feed_links import FeedLink, feed_links
from web.forms import read_form
from web.group_page import GroupPage, load_group_page
from web.routes import post_page
from web.routes._listing import cursor_of, older_url, read_page
from web.routes._post_forms import NewPostForm
from web.session import require_account

LISTABLE_KINDS = {kind.value: kind for kind in posts.TOP_LEVEL_KINDS}
RATE_LIMIT_MESSAGE = "You are posting very fast. Wait a minute and try again."


async def thread_list(request: Request) -> Response:
    page = await load_group_page(request, request.path_params["handle"])
    page.require_readable()
    if page.account is None:
        share_page(request)  # the same for every visitor
    kind = _kind_filter(request)
    unanswered = _flag(request, "unanswered")
    first_page = cursor_of(request) is None
    # Pinned threads come first, on the first page only; the pages after them leave them out.
    pinned = (
        await posts.pinned_threads(
            page.group, kind=kind, unanswered=unanswered, viewer=page.account
        )
        if first_page
        else []
    )
    listing = await read_page(
        posts.list_threads(
            page.group,
            kind=kind,
            unanswered=unanswered,
            cursor=cursor_of(request),
            limit=web(request).settings.page_size,
            exclude_pinned=True,
            viewer=page.account,
        )
    )
    return web(request).templates.TemplateResponse(
        request,
        "posts/threads.html",
        {
            **page.as_context("unanswered" if unanswered else "threads"),
            "pinned": pinned,
            "threads": listing.items,
            "older_url": older_url(request, listing.next_cursor),
            "kind": "question" if unanswered else (kind.value if kind else ""),
            "unanswered": unanswered,
            "first_page": first_page,
            "feed_links": _kind_feeds(page, "question" if unanswered else kind),
            "top_helpers": await web(request).top_helpers.of(page.group, page.account)
            if first_page and not unanswered
            else None,
        },
    )


def _kind_feeds(page: GroupPage, kind: str | None) -> list[FeedLink]:
    """The group's feeds, and first those of one kind when the page shows one kind."""
    if not page.feed_links or not kind:
        return page.feed_links
    name = f"{page.group.actor.name}: {kind}s"
    return feed_links(name, f"{page.path}/feed", f"kind={kind}") + page.feed_links


def _kind_filter(request: Request) -> PostKind | None:
    raw = request.query_params.get("kind", "")
    if raw and raw not in LISTABLE_KINDS:
        raise HTTPException(400, "Filter by discussion, question or resource.")
    return LISTABLE_KINDS[raw] if raw else None


def _flag(request: Request, name: str) -> bool:
    raw = request.query_params.get(name, "")
    if raw not in ("", "0", "1"):
        raise HTTPException(400, f"`{name}` is 1 or 0.")
    return raw == "1"


async def new_post(request: Request) -> Response:
    account = await require_account(request)
    page = await load_group_page(request, request.path_params["handle"])
    if not page.can_post:
        raise HTTPException(403, _cannot_post_reason(page))
    if request.method == "GET":
        form = NewPostForm()
        if request.query_params.get("kind") in LISTABLE_KINDS:
            form.kind.data = request.query_params["kind"]
        return _render_new(request, page, form)
    data = await read_form(request)
    form = NewPostForm.from_formdata(data)
    assert isinstance(form, NewPostForm)
    settings = web(request).settings
    if data.get("step") == "similar":  # the no-JavaScript "check for similar questions" step
        similar = await search.similar_questions(
            account, form.title.data or "", language=settings.search_language
        )
        return _render_new(request, page, form, similar=similar, checked=True)
    limits = web(request).rate_limits
    # Only posts that go through count against the limit, so typos cost nothing.
    await limits.check(settings.post_rate_limit, "post", account.id, message=RATE_LIMIT_MESSAGE)
    try:
        post = await posts.create_post(
            account,
            page.group,
            form.kind.data or "",
            form.title.data or "",
            form.body.data or "",
            form.link_url.data or "",
            max_chars=settings.max_post_chars,
            local_domain=settings.domain,
            new_account_days=(await instance.get_config()).new_account_link_days,
        )
    except Invalid as exc:
        form.add_errors(exc.errors)
        return _render_new(request, page, form, status=422)
    await limits.hit(settings.post_rate_limit, "post", account.id, message=RATE_LIMIT_MESSAGE)
    return RedirectResponse(f"/p/{post.id}", status_code=303)


def _cannot_post_reason(page: GroupPage) -> str:
    if page.is_member:
        return "Only moderators start threads in this group; members can reply."
    return "Join the group to post in it."


def _render_new(
    request: Request,
    page: GroupPage,
    form: NewPostForm,
    *,
    status: int = 200,
    similar: list[search.PostHit] | None = None,
    checked: bool = False,
) -> Response:
    return web(request).templates.TemplateResponse(
        request,
        "posts/new.html",
        {
            **page.as_context("threads"),
            "form": form,
            "similar": similar or [],
            "asked_title": (form.title.data or "") if checked else "",
        },
        status_code=status,
    )


async def resources(request: Request) -> Response:
    page = await load_group_page(request, request.path_params["handle"])
    page.require_readable()
    library = await read_page(
        posts.resource_library(
            page.group,
            cursor=cursor_of(request),
            limit=web(request).settings.page_size,
            viewer=page.account,
        )
    )
    return web(request).templates.TemplateResponse(
        request,
        "posts/resources.html",
        {
            **page.as_context("resources"),
            "feed_links": _kind_feeds(page, PostKind.RESOURCE),
            "library": library,
            "older_url": older_url(request, library.page.next_cursor),
            "first_page": cursor_of(request) is None,
        },
    )


routes: list[BaseRoute] = [
    Route("/g/{handle:handle}", thread_list, name="group"),
    Route("/g/{handle:handle}/new", new_post, methods=["GET", "POST"], name="new_post"),
    Route("/g/{handle:handle}/resources", resources, name="group_resources"),
    *post_page.routes,
]
