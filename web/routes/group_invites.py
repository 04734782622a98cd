"""Invitations to a group: its moderators make, list and withdraw them; a person follows one.

`/invite/{code}` is where every invitation link leads. A GET only shows the invitation (mail
scanners open links); joining is a POST. A person without an account signs up from there, the
code travelling with the sign-up form, and lands in the group.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from wtforms import EmailField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from server.models import Account
from server.services import accounts, group_invites, groups
from server.services.errors import Conflict, Invalid, NotFound
from web.context import web
from web.forms import WebForm, read_form
from web.group_page import GroupPage, group_path, load_group_page
from web.routes.admin_registration import InviteForm
from web.session import current_account, require_account

NOTICES = {
    "created": "The invitation link is ready: copy it from the list below.",
    "sent": "The invitation is on its way.",
    "revoked": "The invitation was withdrawn; its link no longer works.",
}
DAYS_FIELD = "Days it stays valid"


class LinkForm(InviteForm):
    """The admins' invitation form (uses and days), for a group's link."""


class EmailForm(WebForm):
    email = EmailField("E-mail address", [InputRequired("Enter the address to invite.")])
    days = IntegerField(
        DAYS_FIELD,
        [InputRequired("Enter a number."), NumberRange(0, accounts.INVITE_MAX_DAYS)],
        default=7,
    )


async def group_invites_page(request: Request) -> Response:
    """GET: the group's invitations and the two ways to make one; POST: make one."""
    account = await require_account(request)
    page = await _moderator_page(request)
    link_form, email_form = LinkForm(prefix="link-"), EmailForm(prefix="email-")
    if request.method == "POST":
        data = await read_form(request)
        settings = web(request).settings
        if data.get("how") == "email":
            email_form = EmailForm.from_formdata(data, prefix="email-")
            if email_form.validate():
                try:
                    await group_invites.invite_by_email(
                        page.group,
                        account,
                        email_form.email.data or "",
                        settings,
                        days=email_form.days.data or 0,
                    )
                except (Invalid, Conflict) as exc:
                    email_form.add_errors(getattr(exc, "errors", {"email": exc.message}))
                else:
                    return RedirectResponse(f"{page.path}/invites?notice=sent", 303)
        else:
            link_form = LinkForm.from_formdata(data, prefix="link-")
            if link_form.validate():
                try:
                    await group_invites.create_link(
                        page.group,
                        account,
                        max_uses=link_form.max_uses.data or 0,
                        days=link_form.days.data or 0,
                    )
                except Invalid as exc:
                    link_form.add_errors(exc.errors)
                else:
                    return RedirectResponse(f"{page.path}/invites?notice=created", 303)
    return await _render_list(request, page, link_form, email_form)


async def _render_list(
    request: Request, page: GroupPage, link_form: LinkForm, email_form: EmailForm
) -> Response:
    notice = NOTICES.get(request.query_params.get("notice", ""))
    invites = await group_invites.list_for_group(page.group)
    context = {
        **page.as_context("members"),
        "link_form": link_form,
        "email_form": email_form,
        "flashes": [notice] if notice else [],
        "invites": [(invite, group_invites.state_of(invite)) for invite in invites],
        "base_url": web(request).settings.base_url,
    }
    status = 422 if link_form.errors or email_form.errors else 200
    return _render(request, "groups/invites.html", context, status)


async def revoke_invite(request: Request) -> Response:
    account = await require_account(request)
    page = await _moderator_page(request)
    await read_form(request)
    await group_invites.revoke(page.group, account, request.path_params["invite_id"])
    return RedirectResponse(f"{page.path}/invites?notice=revoked", 303)


async def follow_invite(request: Request) -> Response:
    """GET: what the invitation offers (or why it cannot be used); POST: join the group."""
    account = await current_account(request)
    code = request.path_params["code"]
    try:
        opened = await group_invites.open_invite(code)
    except (NotFound, Conflict) as exc:
        return _render(
            request,
            "groups/invite.html",
            {"problem": exc.message, "opened": None},
            404 if isinstance(exc, NotFound) else 410,
        )
    if opened.group is None:  # an invitation to sign up here, made by the admins
        return RedirectResponse(f"/signup?{urlencode({'invite': code})}", 303)
    path = group_path(opened.group.actor)
    if request.method == "POST":
        account = await require_account(request)
        await read_form(request)
        await group_invites.accept(code, account)
        return RedirectResponse(path, 303)
    signup = f"/signup?{urlencode({'invite': code, 'next': path})}"
    login = f"/login?{urlencode({'next': request.url.path})}"
    context = {
        "problem": "",
        "opened": opened,
        "group_path": path,
        "signup": signup,
        "login": login,
        "is_member": account is not None and await _is_member(opened, account),
    }
    return _render(request, "groups/invite.html", context)


async def _is_member(opened: group_invites.OpenedInvite, account: Account) -> bool:
    return opened.group is not None and await groups.is_member(opened.group, account.actor_id)


def _render(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    return web(request).templates.TemplateResponse(request, template, context, status_code=status)


async def _moderator_page(request: Request) -> GroupPage:
    page = await load_group_page(request, request.path_params["handle"])
    if not page.can_moderate or page.is_remote:
        raise HTTPException(403, "Only the group's moderators can invite people to it.")
    return page


routes: list[BaseRoute] = [
    Route(
        "/g/{handle:handle}/invites",
        group_invites_page,
        methods=["GET", "POST"],
        name="group_invites",
    ),
    Route(
        "/g/{handle:handle}/invites/{invite_id:id}/revoke",
        revoke_invite,
        methods=["POST"],
        name="group_invite_revoke",
    ),
    Route("/invite/{code}", follow_invite, methods=["GET", "POST"], name="invite"),
]
