"""Moderating a group's posts on the web: the moderators' hub, and what they do to one post.

    /g/{handle}/moderation   GET   held posts (approve, reject) and removed ones (restore)
    /p/{post_id}/remove      POST  take a post or reply off every page, with a reason
    /p/{post_id}/restore     POST  put a removed post back
    /p/{post_id}/approve     POST  publish a held post
    /p/{post_id}/reject      POST  turn a held post away, with a reason

All of them: the group's moderators, and admins for a group hosted here. The domain
(`moderation`) decides; these handlers refuse early whoever may not moderate, so a refused
form changes nothing whatever it holds, and show bad input again with 422.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from wtforms import TextAreaField

from server.models import Post
from server.services import moderation, posts
from server.services.errors import Invalid
from web.context import web
from web.forms import WebForm, read_form
from web.group_page import GroupPage, group_slug, load_group_page
from web.session import require_account

HELD_REASONS = {
    "first_post": "First post in this group",
    "new_account_links": "A new account posting a link",
}
NOT_A_MODERATOR = "Only the group's moderators can do this."


class ReasonForm(WebForm):
    reason = TextAreaField("Reason (optional; shown in the moderation log)")


async def hub(request: Request) -> Response:
    await require_account(request)
    page = await load_group_page(request, request.path_params["handle"])
    if not page.can_moderate:
        raise HTTPException(403, "Only the group's moderators can see its moderation queue.")
    return await _render_hub(request, page)


async def _render_hub(
    request: Request,
    page: GroupPage,
    *,
    failed: Post | None = None,
    form: ReasonForm | None = None,
    status: int = 200,
) -> Response:
    return web(request).templates.TemplateResponse(
        request,
        "groups/moderation.html",
        {
            **page.as_context("moderation"),
            "held": await moderation.held_posts(page.group),
            "removed": await moderation.removed_posts(page.group),
            "held_reasons": HELD_REASONS,
            "failed_id": failed.id if failed is not None else "",
            "failed_form": form,
        },
        status_code=status,
    )


async def remove(request: Request) -> Response:
    account = await require_account(request)
    post, page = await _moderated_post(request)
    form = ReasonForm.from_formdata(await read_form(request))
    try:
        await moderation.remove_post(account.actor, post, form.reason.data or "")
    except Invalid as exc:
        form.add_errors(exc.errors)
        return web(request).templates.TemplateResponse(
            request,
            "posts/remove.html",
            {**page.as_context("threads"), "post": post, "form": form},
            status_code=422,
        )
    if post.is_top_level:
        return RedirectResponse(page.path, status_code=303)
    return RedirectResponse(f"/p/{post.thread_id}", status_code=303)


async def restore(request: Request) -> Response:
    account = await require_account(request)
    post, page = await _moderated_post(request)
    await read_form(request)
    await moderation.restore_post(account.actor, post)
    return RedirectResponse(f"{page.path}/moderation", status_code=303)


async def approve(request: Request) -> Response:
    account = await require_account(request)
    post, page = await _moderated_post(request)
    await read_form(request)
    await moderation.approve_held_post(account.actor, post)
    return RedirectResponse(f"{page.path}/moderation", status_code=303)


async def reject(request: Request) -> Response:
    account = await require_account(request)
    post, page = await _moderated_post(request)
    form = ReasonForm.from_formdata(await read_form(request))
    try:
        await moderation.reject_held_post(account.actor, post, form.reason.data or "")
    except Invalid as exc:
        form.add_errors(exc.errors)
        return await _render_hub(request, page, failed=post, form=form, status=422)
    return RedirectResponse(f"{page.path}/moderation", status_code=303)


async def _moderated_post(request: Request) -> tuple[Post, GroupPage]:
    """The post in the URL and its group's page, or 403 for whoever may not moderate it."""
    post = await posts.get_post(request.path_params["post_id"])
    page = await load_group_page(request, group_slug(post.group.actor))
    if not page.can_moderate:
        raise HTTPException(403, NOT_A_MODERATOR)
    return post, page


routes: list[BaseRoute] = [
    Route("/g/{handle:handle}/moderation", hub, name="group_moderation"),
    Route("/p/{post_id:id}/remove", remove, methods=["POST"], name="post_remove"),
    Route("/p/{post_id:id}/restore", restore, methods=["POST"], name="post_restore"),
    Route("/p/{post_id:id}/approve", approve, methods=["POST"], name="post_approve"),
    Route("/p/{post_id:id}/reject", reject, methods=["POST"], name="post_reject"),
]
