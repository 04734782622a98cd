"""A group's people decisions on the web: banning and unbanning, handing the group over, and
the moderation log its members can read.

    /g/{handle}/members/{actor_id}/ban        GET form, POST ban      moderators, admins
    /g/{handle}/members/{actor_id}/unban      POST                    moderators, admins
    /g/{handle}/bans                          GET the banned people   moderators, admins
    /g/{handle}/members/{actor_id}/transfer   GET confirm, POST       the owner, admins
    /g/{handle}/modlog                        GET the log             members, moderators, admins

The domain (`bans`, `groups`) decides who may do what to whom; these handlers only refuse early
who may not even see a form.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from wtforms import BooleanField, TextAreaField

from server.models import Actor, Ban
from server.services import bans, groups, modlog
from server.services.errors import Invalid
from web.context import web
from web.forms import WebForm, read_form
from web.group_page import GroupPage, load_group_page
from web.routes._listing import cursor_of, older_url, read_page
from web.routes._modlog_lines import log_line
from web.session import require_account


class BanForm(WebForm):
    reason = TextAreaField("Reason")
    remove_posts = BooleanField("Also remove their posts and replies in this group")


async def ban_member(request: Request) -> Response:
    account = await require_account(request)
    page = await _moderator_page(request)
    target = await _person(request)
    banned = await Ban.filter(group=page.group, actor_id=target.id).exists()
    if request.method == "GET":
        if not banned:
            await bans.check_may_ban(account.actor, page.group, target)
        return _render_ban(request, page, target, BanForm(), banned=banned)
    form = BanForm.from_formdata(await read_form(request))
    try:
        await bans.ban(
            account.actor,
            page.group,
            target,
            form.reason.data or "",
            remove_posts=bool(form.remove_posts.data),
        )
    except Invalid as exc:
        form.add_errors(exc.errors)
        return _render_ban(request, page, target, form, banned=banned, status=422)
    return RedirectResponse(f"{page.path}/bans", status_code=303)


def _render_ban(
    request: Request,
    page: GroupPage,
    target: Actor,
    form: BanForm,
    *,
    banned: bool,
    status: int = 200,
) -> Response:
    return web(request).templates.TemplateResponse(
        request,
        "groups/ban.html",
        {**page.as_context("members"), "target": target, "form": form, "banned": banned},
        status_code=status,
    )


async def unban_member(request: Request) -> Response:
    account = await require_account(request)
    page = await _moderator_page(request)
    target = await _person(request)
    await read_form(request)
    await bans.unban(account.actor, page.group, target)
    return RedirectResponse(f"{page.path}/bans", status_code=303)


async def group_bans(request: Request) -> Response:
    await require_account(request)
    page = await _moderator_page(request)
    limit = web(request).settings.page_size
    listing = await read_page(bans.bans_of(page.group, cursor=cursor_of(request), limit=limit))
    return web(request).templates.TemplateResponse(
        request,
        "groups/bans.html",
        {
            **page.as_context("members"),
            "bans": listing.items,
            "older_url": older_url(request, listing.next_cursor),
        },
    )


async def transfer_ownership(request: Request) -> Response:
    """GET: confirm handing the group over; POST: do it."""
    account = await require_account(request)
    page = await load_group_page(request, request.path_params["handle"])
    if not (page.is_owner or (page.can_moderate and account.is_admin)):
        raise HTTPException(403, "Only the group's owner or an admin can hand the group over.")
    target = await _person(request)
    if request.method == "GET":
        return web(request).templates.TemplateResponse(
            request, "groups/transfer.html", {**page.as_context("members"), "target": target}
        )
    await read_form(request)
    await groups.transfer_ownership(account.actor, page.group, target.id)
    return RedirectResponse(f"{page.path}/members", status_code=303)


async def group_modlog(request: Request) -> Response:
    await require_account(request)
    page = await load_group_page(request, request.path_params["handle"])
    if not (page.is_member or page.can_moderate):
        raise HTTPException(403, "Only the group's members can read its moderation log.")
    limit = web(request).settings.page_size
    listing = await read_page(modlog.group_log(page.group, cursor=cursor_of(request), limit=limit))
    return web(request).templates.TemplateResponse(
        request,
        "groups/modlog.html",
        {
            **page.as_context("modlog"),
            "lines": [log_line(entry) for entry in listing.items],
            "older_url": older_url(request, listing.next_cursor),
        },
    )


async def _moderator_page(request: Request) -> GroupPage:
    page = await load_group_page(request, request.path_params["handle"])
    if not page.can_moderate:
        raise HTTPException(403, "Only the group's moderators can do this.")
    return page


async def _person(request: Request) -> Actor:
    actor = await Actor.get_or_none(id=request.path_params["actor_id"])
    if actor is None:
        raise HTTPException(404, "There is no such person.")
    return actor


routes: list[BaseRoute] = [
    Route(
        "/g/{handle:handle}/members/{actor_id:id}/ban",
        ban_member,
        methods=["GET", "POST"],
        name="ban_member",
    ),
    Route(
        "/g/{handle:handle}/members/{actor_id:id}/unban",
        unban_member,
        methods=["POST"],
        name="unban_member",
    ),
    Route("/g/{handle:handle}/bans", group_bans, name="group_bans"),
    Route(
        "/g/{handle:handle}/members/{actor_id:id}/transfer",
        transfer_ownership,
        methods=["GET", "POST"],
        name="transfer_ownership",
    ),
    Route("/g/{handle:handle}/modlog", group_modlog, name="group_modlog"),
]
