"""The admins' people pages: find people, and suspend, delete, promote or reset one of them.

Local accounts live at /admin/users/{account_id}; people on other servers that we know of at
/admin/actors/{actor_id} (which forwards to the account page for a local person). Suspension
works for both; deleting, roles and password resets only for accounts here.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from wtforms import BooleanField, Form, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs lag 3.3

from server.mail import account_mail
from server.models import Account, Actor, Membership, MembershipState, Post, PostState
from server.services import audit_log, users
from server.services.errors import Conflict, Invalid
from server.services.user_search import Scope, UserQuery, search_users
from web.context import web
from web.forms import WebForm, read_form
from web.routes._admin import render_admin
from web.session import require_admin

log = logging.getLogger("lyceum.web.admin")

NOTICES = {
    "suspended": "The person is suspended: their posts are hidden and they cannot log in.",
    "unsuspended": "The suspension is lifted; their hidden posts are back.",
    "deleted": "The account has been deleted, and the servers that knew the person are told.",
    "role": "The role has been changed.",
    "reset": "A password reset link has been e-mailed to the person.",
}
STATE_CHOICES = [
    SelectChoice("", "Any state"),
    SelectChoice("active", "Active"),
    SelectChoice("pending", "Waiting for approval"),
    SelectChoice("suspended", "Suspended"),
    SelectChoice("deleted", "Deleted"),
]


class SearchForm(WebForm):
    q = StringField("Search by handle, name or e-mail")
    scope = SelectField(
        "Where",
        choices=[
            SelectChoice(Scope.LOCAL.value, "People here"),
            SelectChoice(Scope.REMOTE.value, "People elsewhere"),
        ],
    )
    state = SelectField("State", choices=STATE_CHOICES)
    role = SelectField(
        "Role",
        choices=[
            SelectChoice("", "Any role"),
            SelectChoice("member", "Member"),
            SelectChoice("admin", "Admin"),
        ],
    )


class ReasonForm(WebForm):
    # Ids apart: the suspend and delete forms share a page.
    reason = TextAreaField("Reason", id="suspend-reason")


class DeleteForm(WebForm):
    reason = TextAreaField("Reason", id="delete-reason")
    confirm = BooleanField("I understand that this cannot be undone")


class RoleForm(WebForm):
    role = SelectField(
        "Role", choices=[SelectChoice("member", "Member"), SelectChoice("admin", "Admin")]
    )


# --- the list ------------------------------------------------------------------------------------


async def user_list(request: Request) -> Response:
    await require_admin(request)
    params = request.query_params
    form = SearchForm(formdata=params)
    query = UserQuery(
        text=form.q.data or "",
        scope=form.scope.data or Scope.LOCAL,
        state=form.state.data or "",
        role=form.role.data or "",
        cursor=params.get("cursor") or None,
    )
    status_code = 200
    try:
        page = await search_users(query)
        rows, next_cursor = page.items, page.next_cursor
    except Invalid as exc:
        form.add_errors(exc.errors)
        rows, next_cursor, status_code = [], None, 422
    next_url = None
    if next_cursor:
        kept = {"q": query.text, "scope": query.scope, "state": query.state, "role": query.role}
        kept = {key: value for key, value in kept.items() if value}
        next_url = "/admin/users?" + urlencode({**kept, "cursor": next_cursor})
    context = {"form": form, "rows": rows, "next_url": next_url, "searched": query}
    return render_admin(
        request, "admin/users.html", context, notices=NOTICES, status_code=status_code
    )


# --- one person ----------------------------------------------------------------------------------


def person_url(actor: Actor, account: Account | None) -> str:
    return f"/admin/users/{account.id}" if account is not None else f"/admin/actors/{actor.id}"


async def _detail(
    request: Request,
    admin: Account,
    actor: Actor,
    account: Account | None,
    *,
    status_code: int = 200,
    **forms: Form,
) -> Response:
    memberships = (
        await Membership.filter(actor_id=actor.id, state=MembershipState.ACCEPTED)
        .select_related("group__actor")
        .order_by("group__actor__username")
    )
    ids = [actor.id] + ([account.id] if account is not None else [])
    context: dict[str, Any] = {
        "person": actor,
        "account": account,
        "url": person_url(actor, account),
        "is_self": actor.id == admin.actor_id,
        "memberships": memberships,
        "post_count": await Post.filter(author_id=actor.id, state=PostState.PUBLISHED).count(),
        "history": await audit_log.entries_about(ids),
        "suspend_form": forms.get("suspend_form") or ReasonForm(),
        "delete_form": forms.get("delete_form") or DeleteForm(),
        "role_form": forms.get("role_form")
        or RoleForm(role=account.role.value if account else "member"),
    }
    return render_admin(
        request, "admin/person.html", context, notices=NOTICES, status_code=status_code
    )


async def user_detail(request: Request) -> Response:
    admin = await require_admin(request)
    account = await users.get_account(request.path_params["account_id"])
    return await _detail(request, admin, account.actor, account)


async def actor_detail(request: Request) -> Response:
    admin = await require_admin(request)
    actor = await users.get_person(request.path_params["actor_id"])
    account = await Account.get_or_none(actor_id=actor.id)
    if account is not None:
        return RedirectResponse(person_url(actor, account), 303)
    return await _detail(request, admin, actor, None)


async def _person(request: Request) -> tuple[Actor, Account | None]:
    """The person the path names: /admin/users/{account_id} or /admin/actors/{actor_id}."""
    if "account_id" in request.path_params:
        account = await users.get_account(request.path_params["account_id"])
        return account.actor, account
    actor = await users.get_person(request.path_params["actor_id"])
    return actor, await Account.get_or_none(actor_id=actor.id)


async def suspend(request: Request) -> Response:
    admin = await require_admin(request)
    form = ReasonForm.from_formdata(await read_form(request))
    actor, account = await _person(request)
    try:
        await users.suspend_actor(admin.actor, actor, form.reason.data or "")
    except Invalid as exc:
        form.add_errors(exc.errors)
        return await _detail(request, admin, actor, account, status_code=422, suspend_form=form)
    return RedirectResponse(f"{person_url(actor, account)}?notice=suspended", 303)


async def unsuspend(request: Request) -> Response:
    admin = await require_admin(request)
    await read_form(request)
    actor, account = await _person(request)
    await users.unsuspend_actor(admin.actor, actor)
    return RedirectResponse(f"{person_url(actor, account)}?notice=unsuspended", 303)


async def delete(request: Request) -> Response:
    admin = await require_admin(request)
    form = DeleteForm.from_formdata(await read_form(request))
    account = await users.get_account(request.path_params["account_id"])
    status_code = 422
    if not form.confirm.data:
        form.confirm.errors = ["Tick this box to confirm the deletion."]
    else:
        try:
            await users.delete_account(
                admin.actor,
                account,
                form.reason.data or "",
                media_dir=web(request).settings.media_dir,
            )
        except Invalid as exc:
            form.add_errors(exc.errors)
        except Conflict as exc:
            form.form_errors.append(exc.message)
            status_code = 409
        else:
            return RedirectResponse(f"/admin/users/{account.id}?notice=deleted", 303)
    return await _detail(
        request, admin, account.actor, account, status_code=status_code, delete_form=form
    )


async def change_role(request: Request) -> Response:
    admin = await require_admin(request)
    form = RoleForm.from_formdata(await read_form(request))
    account = await users.get_account(request.path_params["account_id"])
    try:
        await users.set_role(admin.actor, account, form.role.data or "")
    except Invalid as exc:
        form.add_errors(exc.errors)
        return await _detail(
            request, admin, account.actor, account, status_code=422, role_form=form
        )
    return RedirectResponse(f"/admin/users/{account.id}?notice=role", 303)


async def password_reset(request: Request) -> Response:
    admin = await require_admin(request)
    await read_form(request)
    account = await users.get_account(request.path_params["account_id"])
    token = await users.start_password_reset(admin.actor, account)
    await account_mail.queue_password_reset(web(request).settings, account, token)
    return RedirectResponse(f"/admin/users/{account.id}?notice=reset", 303)


POST = ["POST"]
routes = [
    Route("/admin/users", user_list, name="admin_users"),
    Route("/admin/users/{account_id:id}", user_detail, name="admin_user"),
    Route("/admin/users/{account_id:id}/suspend", suspend, methods=POST, name="admin_user_suspend"),
    Route(
        "/admin/users/{account_id:id}/unsuspend",
        unsuspend,
        methods=POST,
        name="admin_user_unsuspend",
    ),
    Route("/admin/users/{account_id:id}/delete", delete, methods=POST, name="admin_user_delete"),
    Route("/admin/users/{account_id:id}/role", change_role, methods=POST, name="admin_user_role"),
    Route(
        "/admin/users/{account_id:id}/password-reset",
        password_reset,
        methods=POST,
        name="admin_user_password_reset",
    ),
    Route("/admin/actors/{actor_id:id}", actor_detail, name="admin_actor"),
    Route("/admin/actors/{actor_id:id}/suspend", suspend, methods=POST, name="admin_actor_suspend"),
    Route(
        "/admin/actors/{actor_id:id}/unsuspend",
        unsuspend,
        methods=POST,
        name="admin_actor_unsuspend",
    ),
]
