"""The admins' group pages: every group hosted here, and approving, suspending or handing one over.

The group's own pages stay where they are (/g/{handle}); admins see pending and suspended
groups there too. Ownership goes through `groups.transfer_ownership`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from wtforms import Form, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs lag 3.3

from server.models import Account, AccountState, Group, MemberRole, Membership, MembershipState
from server.services import audit_log, group_admin, groups
from server.services.errors import Conflict, Invalid, NotFound
from web.forms import WebForm, read_form
from web.routes._admin import render_admin
from web.session import require_admin

NOTICES = {
    "approved": "The group is approved and open to everyone.",
    "suspended": "The group is suspended: hidden, closed to new posts and members, and silent.",
    "unsuspended": "The group is active again.",
    "transferred": "The group has a new owner; the old owner stays on as a moderator.",
}
STATE_CHOICES = [
    SelectChoice("", "Any state"),
    SelectChoice("active", "Active"),
    SelectChoice("pending", "Waiting for approval"),
    SelectChoice("suspended", "Suspended"),
]


class SearchForm(WebForm):
    q = StringField("Search by handle or name")
    state = SelectField("State", choices=STATE_CHOICES)


class ReasonForm(WebForm):
    reason = TextAreaField("Reason")


class TransferForm(WebForm):
    new_owner = SelectField("New owner", choices=[], validate_choice=False)


async def group_list(request: Request) -> Response:
    await require_admin(request)
    form = SearchForm(formdata=request.query_params)
    query = group_admin.GroupQuery(
        text=form.q.data or "",
        state=form.state.data or "",
        cursor=request.query_params.get("cursor") or None,
    )
    status_code = 200
    try:
        page = await group_admin.list_groups(query)
        found, next_cursor = page.items, page.next_cursor
    except Invalid as exc:
        form.add_errors(exc.errors)
        found, next_cursor, status_code = [], None, 422
    next_url = None
    if next_cursor:
        kept = {key: value for key, value in (("q", query.text), ("state", query.state)) if value}
        next_url = "/admin/groups?" + urlencode({**kept, "cursor": next_cursor})
    owners = {
        m.group_id: m.actor
        for m in await Membership.filter(
            group_id__in=[g.id for g in found], role=MemberRole.OWNER
        ).select_related("actor")
    }
    context = {"form": form, "groups": found, "owners": owners, "next_url": next_url}
    return render_admin(
        request, "admin/groups.html", context, notices=NOTICES, status_code=status_code
    )


async def _candidates(group: Group) -> list[Membership]:
    """Members who could own the group: accepted, with an active account here."""
    active = await Account.filter(state=AccountState.ACTIVE).values_list("actor_id", flat=True)
    return (
        await Membership.filter(
            group=group,
            state=MembershipState.ACCEPTED,
            role__in=[MemberRole.MODERATOR, MemberRole.MEMBER],
            actor_id__in=list(active),
        )
        .select_related("actor")
        .order_by("actor__username")
    )


async def _detail(
    request: Request, group: Group, *, status_code: int = 200, **forms: Form
) -> Response:
    candidates = await _candidates(group)
    transfer_form = forms.get("transfer_form") or TransferForm()
    assert isinstance(transfer_form, TransferForm)
    transfer_form.new_owner.choices = [SelectChoice("", "Choose a member")] + [
        (m.actor_id, f"@{m.actor.username}" + (" (moderator)" if m.is_moderator else ""))
        for m in candidates
    ]
    owner = await Membership.filter(group=group, role=MemberRole.OWNER).select_related("actor")
    context: dict[str, Any] = {
        "group": group,
        "owner": owner[0].actor if owner else None,
        "history": await audit_log.group_entries(group.id),
        "suspend_form": forms.get("suspend_form") or ReasonForm(),
        "transfer_form": transfer_form,
    }
    return render_admin(
        request, "admin/group.html", context, notices=NOTICES, status_code=status_code
    )


async def group_detail(request: Request) -> Response:
    await require_admin(request)
    group = await group_admin.get_local_group(request.path_params["handle"])
    return await _detail(request, group)


def _done(group: Group, notice: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/groups/{group.actor.username}?notice={notice}", 303)


async def approve(request: Request) -> Response:
    admin = await require_admin(request)
    await read_form(request)
    group = await group_admin.get_local_group(request.path_params["handle"])
    await group_admin.approve_group(admin.actor, group)
    return _done(group, "approved")


async def suspend(request: Request) -> Response:
    admin = await require_admin(request)
    form = ReasonForm.from_formdata(await read_form(request))
    group = await group_admin.get_local_group(request.path_params["handle"])
    try:
        await group_admin.suspend_group(admin.actor, group, form.reason.data or "")
    except Invalid as exc:
        form.add_errors(exc.errors)
        return await _detail(request, group, status_code=422, suspend_form=form)
    return _done(group, "suspended")


async def unsuspend(request: Request) -> Response:
    admin = await require_admin(request)
    await read_form(request)
    group = await group_admin.get_local_group(request.path_params["handle"])
    await group_admin.unsuspend_group(admin.actor, group)
    return _done(group, "unsuspended")


async def transfer(request: Request) -> Response:
    admin = await require_admin(request)
    form = TransferForm.from_formdata(await read_form(request))
    group = await group_admin.get_local_group(request.path_params["handle"])
    chosen = form.new_owner.data or ""
    if not chosen:
        form.new_owner.errors = ["Choose the member who will own the group."]
        return await _detail(request, group, status_code=422, transfer_form=form)
    try:
        await groups.transfer_ownership(admin.actor, group, chosen)
    except (NotFound, Conflict) as exc:
        form.new_owner.errors = [exc.message]
        return await _detail(request, group, status_code=422, transfer_form=form)
    return _done(group, "transferred")


POST = ["POST"]
routes = [
    Route("/admin/groups", group_list, name="admin_groups"),
    Route("/admin/groups/{handle:handle}", group_detail, name="admin_group"),
    Route(
        "/admin/groups/{handle:handle}/approve", approve, methods=POST, name="admin_group_approve"
    ),
    Route(
        "/admin/groups/{handle:handle}/suspend", suspend, methods=POST, name="admin_group_suspend"
    ),
    Route(
        "/admin/groups/{handle:handle}/unsuspend",
        unsuspend,
        methods=POST,
        name="admin_group_unsuspend",
    ),
    Route(
        "/admin/groups/{handle:handle}/transfer",
        transfer,
        methods=POST,
        name="admin_group_transfer",
    ),
]
