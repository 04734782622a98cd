"""Finding a group on another server (/groups/find), to read and join it from here.

The look-up (WebFinger, the actor document, storing it) is the federation adapter's; the web
reaches it only through the port `request.app.state.resolve_remote_group(handle) -> Group`,
which `create_app` wires. Its refusals are `Invalid` on `handle`, shown next to the field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from wtforms import StringField

from server.models import Group
from server.services.errors import Invalid
from web.context import web
from web.forms import WebForm, read_form
from web.group_page import group_path
from web.session import require_account

HANDLE_MAX_CHARS = 500
UNAVAILABLE = "Finding groups on other servers is not available on this instance."


class FindGroupForm(WebForm):
    handle = StringField("Group handle or address")


async def find_group(request: Request) -> Response:
    """GET: the form; POST: look the group up and go to its page here (303), or 422."""
    await require_account(request)
    if request.method == "GET":
        form = FindGroupForm()
        form.handle.data = request.query_params.get("handle", "")[:HANDLE_MAX_CHARS]
        return _render(request, form)
    form = FindGroupForm.from_formdata(await read_form(request))
    handle = (form.handle.data or "").strip()
    if not handle:
        form.add_errors({"handle": "Enter a handle such as @group@example.org."})
        return _render(request, form, status=422)
    if len(handle) > HANDLE_MAX_CHARS:
        form.add_errors({"handle": f"Use at most {HANDLE_MAX_CHARS} characters."})
        return _render(request, form, status=422)
    resolve: Callable[[str], Awaitable[Group]] | None = getattr(
        request.app.state, "resolve_remote_group", None
    )
    if resolve is None:
        form.add_errors({"handle": UNAVAILABLE})
        return _render(request, form, status=422)
    try:
        group = await resolve(handle)
    except Invalid as exc:
        form.add_errors(exc.errors)
        return _render(request, form, status=422)
    return RedirectResponse(group_path(group.actor), status_code=303)


def _render(request: Request, form: FindGroupForm, *, status: int = 200) -> Response:
    return web(request).templates.TemplateResponse(
        request, "groups/find.html", {"form": form}, status_code=status
    )


routes: list[BaseRoute] = [
    Route("/groups/find", find_group, methods=["GET", "POST"], name="find_group"),
]
