"""One post with its thread (/p/{id}), and what members do to posts: reply, edit, delete, like,
accept an answer, pin a thread (moderation proper is in `group_moderation`).

A reply's permalink shows the whole thread with that reply highlighted, so it is read in context.
Every action answers with a 303 back to where the post is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from server.content import plain_text
from server.models import Post, PostKind
from server.page_cache import share_page
from server.services import instance, posts, recognition, saves, watches
from server.services.errors import Conflict, Invalid, NotFound
from server.services.feeds import is_own_held
from server.services.insights.views import is_counted_agent
from server.services.reading import can_read_post
from web.context import web
from web.forms import read_form
from web.group_page import group_path, group_slug, load_group_page
from web.open_graph import for_post
from web.routes._post_forms import EditPostForm, ReplyForm
from web.session import current_account, require_account

MAX_VISUAL_DEPTH = 5  # deeper replies stop indenting, so narrow screens stay readable
RATE_LIMIT_MESSAGE = "You are posting very fast. Wait a minute and try again."


async def permalink(request: Request) -> Response:
    post = await posts.get_post(request.path_params["post_id"])
    return await _render_thread(request, post)


async def _render_thread(
    request: Request,
    post: Post,
    *,
    reply_to: str = "",
    reply_body: str = "",
    reply_errors: list[str] | None = None,
    status: int = 200,
) -> Response:
    account = await current_account(request)
    # The post was read with its group, which must be active (`posts.get_post`).
    page = await load_group_page(request, group_slug(post.group.actor), group=post.group)
    page.require_readable()
    viewer = account.actor_id if account else ""
    tree = await posts.thread(post, viewer_id=viewer)
    if tree is None or tree.find(post.id) is None:
        raise NotFound("This post was deleted.")
    root = tree.post
    liked = await posts.liked_post_ids(viewer, _ids(tree)) if account else set()
    # A preview tells what the post says: only of a post the viewer may read, titled by its
    # thread only when the thread may be read too.
    settings = web(request).settings
    preview = None
    # Link previews are for public groups only: a members-only group's titles stay inside.
    if page.open_graph is not None and await can_read_post(account, post):
        titled_by = root if await can_read_post(account, root) else post
        preview = for_post(settings, post, titled_by, page.group)
    count_view = _view_counter(root) if status == 200 and root.is_visible else None
    if account is None and status == 200:
        # The same for every visitor; each one served the kept page is counted as they are now.
        share_page(request, on_each_view=count_view)
    elif count_view is not None:
        count_view(request)
    return web(request).templates.TemplateResponse(
        request,
        "posts/thread.html",
        {
            **page.as_context("threads"),
            "open_graph": preview,
            "tree": tree,
            "root": root,
            "target": post,
            "viewer": viewer,
            "liked": liked,
            "author_badges": await recognition.badges_in_group(
                (p.author_id for p in _posts(tree)), page.group
            ),
            # The viewer's own posts that wait for a moderator: shown to them alone.
            "own_held": {p.id for p in _posts(tree) if is_own_held(p, viewer)},
            "can_accept": root.kind == PostKind.QUESTION
            and account is not None
            and (root.author_id == viewer or page.can_moderate),
            "max_depth": MAX_VISUAL_DEPTH,
            "thread_watch": await watches.watch_level(account, thread=root) or "",
            "thread_saved": await saves.is_saved(account, root),
            "reply_to": reply_to,
            "reply_body": reply_body,
            "reply_errors": reply_errors or [],
            "description": plain_text(root.content_html, 200) if root.is_visible else "",
            "canonical": web(request).settings.url(f"/p/{post.id}"),
        },
        status_code=status,
    )


def _view_counter(root: Post) -> Callable[[Request], None]:
    """What counts one view of the thread (`root`) by the request it is given."""
    thread_id, group_id = root.id, root.group_id

    def count_view(request: Request) -> None:
        if _is_reading(request):
            web(request).views.record(thread_id, group_id)

    return count_view


def _is_reading(request: Request) -> bool:
    """A person opening the page: not a HEAD, a prefetch, a crawler or a script (the view
    counts of organisers' reports)."""
    headers = request.headers
    prefetch = "prefetch" in (headers.get("sec-purpose", "") + headers.get("purpose", "")).lower()
    return (
        request.method == "GET" and not prefetch and is_counted_agent(headers.get("user-agent", ""))
    )


def _ids(node: posts.ThreadNode) -> list[str]:
    return [post.id for post in _posts(node)]


def _posts(node: posts.ThreadNode) -> Iterator[Post]:
    yield node.post
    for child in node.children:
        yield from _posts(child)


async def reply(request: Request) -> Response:
    account = await require_account(request)
    form = ReplyForm.from_formdata(await read_form(request))
    assert isinstance(form, ReplyForm)
    parent = await posts.get_post(request.path_params["post_id"])
    settings = web(request).settings
    limits = web(request).rate_limits
    await limits.check(settings.post_rate_limit, "post", account.id, message=RATE_LIMIT_MESSAGE)
    body = form.body.data or ""
    try:
        created = await posts.create_reply(
            account,
            parent,
            body,
            max_chars=settings.max_post_chars,
            local_domain=settings.domain,
            new_account_days=(await instance.get_config()).new_account_link_days,
        )
    except Invalid as exc:
        return await _render_thread(
            request,
            parent,
            reply_to=parent.id,
            reply_body=body,
            reply_errors=list(exc.errors.values()),
            status=422,
        )
    await limits.hit(settings.post_rate_limit, "post", account.id, message=RATE_LIMIT_MESSAGE)
    return _back_to(created)


async def edit(request: Request) -> Response:
    account = await require_account(request)
    post = await posts.get_post(request.path_params["post_id"])
    if not post.is_visible:
        raise NotFound("This post was deleted.")
    if post.author_id != account.actor_id:
        raise HTTPException(403, "Only the author can edit this post.")
    if request.method == "GET":
        form = EditPostForm()
        form.title.data, form.body.data, form.link_url.data = post.title, post.source, post.link_url
        return await _render_edit(request, post, form)
    form = EditPostForm.from_formdata(await read_form(request))
    assert isinstance(form, EditPostForm)
    settings = web(request).settings
    try:
        await posts.edit_post(
            account,
            post,
            title=form.title.data or "",
            source=form.body.data or "",
            link_url=form.link_url.data or "",
            max_chars=settings.max_post_chars,
            local_domain=settings.domain,
        )
    except Invalid as exc:
        form.add_errors(exc.errors)
        return await _render_edit(request, post, form, status=422)
    return _back_to(post)


async def _render_edit(
    request: Request, post: Post, form: EditPostForm, *, status: int = 200
) -> Response:
    page = await load_group_page(request, group_slug(post.group.actor))
    return web(request).templates.TemplateResponse(
        request,
        "posts/edit.html",
        {**page.as_context("threads"), "post": post, "form": form},
        status_code=status,
    )


async def delete(request: Request) -> Response:
    account = await require_account(request)
    await read_form(request)
    post = await posts.get_post(request.path_params["post_id"])
    await posts.delete_post(account, post)
    if post.is_top_level or await posts.thread(post) is None:
        return RedirectResponse(group_path(post.group.actor), status_code=303)
    return RedirectResponse(f"/p/{post.thread_id}", status_code=303)


async def like(request: Request) -> Response:
    account = await require_account(request)
    await read_form(request)
    post = await posts.get_post(request.path_params["post_id"])
    await posts.like(account, post)
    return _back_to(post)


async def unlike(request: Request) -> Response:
    account = await require_account(request)
    await read_form(request)
    post = await posts.get_post(request.path_params["post_id"])
    await posts.unlike(account, post)
    return _back_to(post)


async def accept(request: Request) -> Response:
    """Mark (or, when it already is, un-mark) this reply as its question's accepted answer."""
    account = await require_account(request)
    await read_form(request)
    answer = await posts.get_post(request.path_params["post_id"])
    if answer.root_id is None:
        raise Conflict("Only replies to a question can be accepted as its answer.")
    question = await posts.get_post(answer.root_id)
    await posts.accept_answer(question, answer, account)
    return _back_to(answer)


async def pin(request: Request) -> Response:
    return await _pin(request, pinned=True)


async def unpin(request: Request) -> Response:
    return await _pin(request, pinned=False)


async def _pin(request: Request, *, pinned: bool) -> Response:
    account = await require_account(request)
    await read_form(request)
    post = await posts.get_post(request.path_params["post_id"])
    if pinned:
        await posts.pin_post(account, post)
    else:
        await posts.unpin_post(account, post)
    if post.kind == PostKind.RESOURCE:
        return RedirectResponse(f"{group_path(post.group.actor)}/resources", status_code=303)
    return RedirectResponse(group_path(post.group.actor), status_code=303)


def _back_to(post: Post) -> RedirectResponse:
    """The thread page, scrolled to the post (a reply's own anchor)."""
    anchor = "" if post.is_top_level else f"#{post.id}"
    return RedirectResponse(f"/p/{post.thread_id}{anchor}", status_code=303)


routes: list[BaseRoute] = [
    Route("/p/{post_id:id}", permalink, name="post"),
    Route("/p/{post_id:id}/reply", reply, methods=["POST"], name="post_reply"),
    Route("/p/{post_id:id}/edit", edit, methods=["GET", "POST"], name="post_edit"),
    Route("/p/{post_id:id}/delete", delete, methods=["POST"], name="post_delete"),
    Route("/p/{post_id:id}/like", like, methods=["POST"], name="post_like"),
    Route("/p/{post_id:id}/unlike", unlike, methods=["POST"], name="post_unlike"),
    Route("/p/{post_id:id}/accept", accept, methods=["POST"], name="post_accept"),
    Route("/p/{post_id:id}/pin", pin, methods=["POST"], name="post_pin"),
    Route("/p/{post_id:id}/unpin", unpin, methods=["POST"], name="post_unpin"),
]
