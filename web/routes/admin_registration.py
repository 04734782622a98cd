"""The admin's side of registration: the mode, pending sign-ups, and invitations."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from wtforms import IntegerField, RadioField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs lag 3.3
from wtforms.validators import InputRequired, NumberRange

from server.mail import account_mail
from server.models import RegistrationMode
from server.services import accounts, instance
from server.services.errors import Invalid
from web.context import web
from web.forms import WebForm, read_form
from web.session import require_admin

MODE_CHOICES = [
    SelectChoice(RegistrationMode.OPEN.value, "Open: anyone can sign up and start at once"),
    SelectChoice(
        RegistrationMode.APPROVAL.value, "Approval required: an admin approves each sign-up"
    ),
    SelectChoice(RegistrationMode.INVITE.value, "Invite only: people need an invitation code"),
]
NOTICES = {
    "approved": "The sign-up was approved; the person can log in now.",
    "rejected": "The sign-up was rejected and removed.",
    "saved": "The registration mode has been saved.",
    "created": "A new invitation has been created.",
}


def _render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    notice = NOTICES.get(request.query_params.get("notice", ""))
    context = {"flashes": [notice] if notice else [], **context}
    return web(request).templates.TemplateResponse(
        request, template, context, status_code=status_code
    )


# --- pending sign-ups ----------------------------------------------------------------------------


async def signups(request: Request) -> Response:
    await require_admin(request)
    pending = await accounts.pending_signups()
    return _render(request, "admin/signups.html", {"pending": pending, "active": "signups"})


async def approve(request: Request) -> Response:
    admin = await require_admin(request)
    await read_form(request)
    account = await accounts.get_pending_signup(request.path_params["account_id"])
    await accounts.approve_signup(account, by=admin)
    await account_mail.queue_signup_approved(web(request).settings, account)
    return RedirectResponse("/admin/signups?notice=approved", 303)


async def reject(request: Request) -> Response:
    admin = await require_admin(request)
    await read_form(request)
    account = await accounts.get_pending_signup(request.path_params["account_id"])
    await accounts.reject_signup(account, by=admin)
    return RedirectResponse("/admin/signups?notice=rejected", 303)


# --- invitations ---------------------------------------------------------------------------------


class InviteForm(WebForm):
    max_uses = IntegerField(
        "How many people can use it",
        [InputRequired("Enter a number."), NumberRange(1, accounts.INVITE_MAX_USES)],
        default=1,
    )
    days = IntegerField(
        "Days it stays valid",
        [InputRequired("Enter a number."), NumberRange(0, accounts.INVITE_MAX_DAYS)],
        default=7,
    )


async def invites(request: Request) -> Response:
    admin = await require_admin(request)
    form = InviteForm()
    if request.method == "POST":
        posted = InviteForm.from_formdata(await read_form(request))
        assert isinstance(posted, InviteForm)
        form = posted
        if form.validate():
            try:
                await accounts.create_invite(admin, form.max_uses.data or 1, form.days.data)
            except Invalid as exc:
                form.add_errors(exc.errors)
            else:
                return RedirectResponse("/admin/invites?notice=created", 303)
    config = await instance.get_config()
    context = {
        "form": form,
        "invites": await accounts.list_invites(),
        "mode": config.registration_mode,
        "active": "invites",
    }
    return _render(request, "admin/invites.html", context, 422 if form.errors else 200)


# --- the registration mode -----------------------------------------------------------------------


class RegistrationForm(WebForm):
    mode = RadioField("How people join", choices=MODE_CHOICES, validators=[InputRequired()])


async def registration(request: Request) -> Response:
    await require_admin(request)
    config = await instance.get_config()
    form = RegistrationForm(mode=config.registration_mode.value)
    status_code = 200
    if request.method == "POST":
        posted = RegistrationForm.from_formdata(await read_form(request))
        assert isinstance(posted, RegistrationForm)
        form = posted
        if form.validate():
            await instance.set_registration_mode(form.mode.data or "")
            return RedirectResponse("/admin/registration?notice=saved", 303)
        status_code = 422
    context = {"form": form, "active": "registration"}
    return _render(request, "admin/registration.html", context, status_code)


routes = [
    Route("/admin/signups", signups, name="admin_signups"),
    Route(
        "/admin/signups/{account_id:id}/approve", approve, methods=["POST"], name="admin_approve"
    ),
    Route("/admin/signups/{account_id:id}/reject", reject, methods=["POST"], name="admin_reject"),
    Route("/admin/invites", invites, methods=["GET", "POST"], name="admin_invites"),
    Route("/admin/registration", registration, methods=["GET", "POST"], name="admin_registration"),
]
