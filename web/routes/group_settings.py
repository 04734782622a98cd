"""A group's settings page: its moderators edit everything but the handle."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from server.services import groups, join_questions
from server.services.errors import Invalid
from web.context import web
from web.forms import read_form
from web.group_page import GroupPage, load_group_page
from web.routes._group_forms import GroupSettingsForm, read_upload
from web.session import require_account


async def group_settings(request: Request) -> Response:
    account = await require_account(request)
    page = await load_group_page(request, request.path_params["handle"])
    if not page.can_moderate:
        raise HTTPException(403, "Only the group's moderators can change its settings.")
    group = page.group
    if request.method == "GET":
        return _render(request, page, GroupSettingsForm.for_group(group, page.topics))
    settings = web(request).settings
    formdata = await read_form(request, with_files=True)
    form = GroupSettingsForm.from_formdata(formdata)
    assert isinstance(form, GroupSettingsForm)
    if "visibility" not in formdata:  # never open a members-only group by leaving a field out
        form.visibility.data = group.visibility.value
    if not form.validate():
        return _render(request, page, form, status=422)
    questions = join_questions.parse_questions(form.join_questions.data or "")
    try:
        join_questions.check_questions(questions)  # checked first: a bad form stores nothing
        await groups.update_group(
            group,
            form.to_domain(group.actor.username),
            media_dir=settings.media_dir,
            avatar=await read_upload(formdata, "avatar", settings),
            banner=await read_upload(formdata, "banner", settings),
            remove_avatar=bool(form.remove_avatar.data),
            remove_banner=bool(form.remove_banner.data),
            by=account.actor,
        )
        await join_questions.set_questions(group, questions, by=account.actor)
    except Invalid as exc:
        form.add_errors(exc.errors)
        return _render(request, page, form, status=422)
    return RedirectResponse(f"/g/{group.actor.username}/about", status_code=303)


def _render(
    request: Request, page: GroupPage, form: GroupSettingsForm, status: int = 200
) -> Response:
    return web(request).templates.TemplateResponse(
        request,
        "groups/settings.html",
        {**page.as_context("settings"), "form": form},
        status_code=status,
    )


routes: list[BaseRoute] = [
    Route(
        "/g/{handle:handle}/settings",
        group_settings,
        methods=["GET", "POST"],
        name="group_settings",
    ),
]
