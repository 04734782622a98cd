"""The audit log (admins): every admin and moderator action, newest first, with filters."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from wtforms import StringField

from server.models import AuditEntry
from server.services import audit_log
from server.services.errors import Invalid
from web.context import web
from web.forms import WebForm
from web.routes._admin import render_admin
from web.session import require_admin


class FilterForm(WebForm):
    action = StringField("Action")
    by = StringField("Done by")


def target_link(entry: AuditEntry) -> str | None:
    """Where the entry's target is shown, when it has a page."""
    kind, target = entry.target_type, entry.target_id
    if kind == "account" and target:
        return f"/admin/users/{target}"
    if kind == "actor" and target:
        return f"/admin/actors/{target}"
    if kind == "group" and entry.group is not None and entry.group.actor.is_local:
        return f"/admin/groups/{entry.group.actor.username}"
    if kind == "post" and target:
        return f"/p/{target}"
    if kind == "report" and target:
        return f"/admin/reports/{target}"
    if kind == "domain":
        return "/admin/domains"
    if kind == "instance":
        return "/admin/settings"
    return None


async def audit_page(request: Request) -> Response:
    await require_admin(request)
    form = FilterForm(formdata=request.query_params)
    by = (form.by.data or "").strip()
    own_domain = f"@{web(request).settings.domain}"
    if by.lower().endswith(own_domain.lower()):
        by = by[: -len(own_domain)]  # a local person's full handle names them too
    query = audit_log.AuditQuery(
        action=form.action.data or "",
        by=by,
        cursor=request.query_params.get("cursor") or None,
    )
    status_code = 200
    try:
        page = await audit_log.list_entries(query)
        entries, next_cursor = page.items, page.next_cursor
    except Invalid as exc:
        form.add_errors(exc.errors)
        entries, next_cursor, status_code = [], None, 422
    next_url = None
    if next_cursor:
        kept = {k: v for k, v in (("action", query.action), ("by", form.by.data or "")) if v}
        next_url = "/admin/audit?" + urlencode({**kept, "cursor": next_cursor})
    context = {"form": form, "entries": entries, "next_url": next_url, "target_link": target_link}
    return render_admin(request, "admin/audit.html", context, notices={}, status_code=status_code)


routes = [Route("/admin/audit", audit_page, name="admin_audit")]
