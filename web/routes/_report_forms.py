"""What the group's report queue and the admin's share: the resolve form and its handling.

The form offers only the actions the moderator may take on this report (`reports.actions_for`);
anything else posted is a 422, as is a reason the domain refuses, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs lag 3.3
from wtforms.validators import InputRequired

from server.models import Actor, Report
from server.services import reports
from server.services.errors import Invalid
from server.services.reports import ReportAction, ReportView
from web.forms import WebForm, read_form

ACTION_CHOICES = {
    ReportAction.RESOLVE: "Mark as handled (no further action here)",
    ReportAction.REMOVE_POST: "Remove the post",
    ReportAction.BAN_AUTHOR: "Ban the author from the group",
    ReportAction.SUSPEND_AUTHOR: "Suspend the author's account on this instance",
    ReportAction.DISMISS: "Dismiss: nothing wrong here",
}

Render = Callable[[ReportView, "ResolveForm", int], Awaitable[Response]]


class ResolveForm(WebForm):
    action = RadioField("What to do", validators=[InputRequired("Choose what to do.")])
    reason = TextAreaField("Reason (kept in the moderation log)")
    forward = BooleanField("Also send the report to the server where the person lives")


def resolve_form(view: ReportView, form: ResolveForm | None = None) -> ResolveForm:
    form = form or ResolveForm()
    form.action.choices = [
        SelectChoice(action.value, label)
        for action, label in ACTION_CHOICES.items()
        if action in view.actions
    ]
    return form


async def handle_resolve(
    request: Request, by: Actor, report: Report, done: str, render: Render
) -> Response:
    """Read and check the posted form, resolve the report, and 303 to `done`."""
    view = await reports.view(by, report)
    posted = ResolveForm.from_formdata(await read_form(request))
    assert isinstance(posted, ResolveForm)
    form = resolve_form(view, posted)
    if not view.actions:
        form.form_errors.append("This report has already been handled.")
        return await render(view, form, 409)
    if not form.validate():
        return await render(view, form, 422)
    try:
        await reports.resolve_report(
            by,
            report,
            form.action.data or "",
            form.reason.data or "",
            forward=bool(form.forward.data) and view.can_forward,
        )
    except Invalid as exc:
        form.add_errors(exc.errors)
        return await render(view, form, 422)
    return RedirectResponse(done, status_code=303)
