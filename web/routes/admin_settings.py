"""The instance's settings (admins), and the public page that shows them (/about)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange

from server.content import render_markdown
from server.services import instance
from server.services.errors import Invalid
from web.context import web
from web.forms import WebForm, read_form
from web.routes._admin import render_admin
from web.routes.admin_registration import MODE_CHOICES
from web.session import current_account, require_admin

NOTICES = {"saved": "The settings have been saved."}


class SettingsForm(WebForm):
    name = StringField("Instance name")
    description = TextAreaField("Description")
    rules = TextAreaField("Rules")
    contact_email = EmailField("Contact e-mail address")
    registration_mode = RadioField(
        "How people join", choices=MODE_CHOICES, validators=[InputRequired("Choose one.")]
    )
    groups_need_approval = BooleanField("New groups wait for an admin's approval")
    new_account_link_days = IntegerField(
        "Days new accounts' posts with links wait for a moderator",
        [
            InputRequired("Enter a number of days, or 0."),
            NumberRange(0, instance.NEW_ACCOUNT_DAYS_MAX, "Choose between 0 (off) and 365 days."),
        ],
    )


async def settings_page(request: Request) -> Response:
    admin = await require_admin(request)
    config = await instance.get_config()
    form = SettingsForm(
        name=config.name,
        description=config.description,
        rules=config.rules,
        contact_email=config.contact_email,
        registration_mode=config.registration_mode.value,
        groups_need_approval=config.groups_need_approval,
        new_account_link_days=config.new_account_link_days,
    )
    status_code = 200
    if request.method == "POST":
        form = SettingsForm.from_formdata(await read_form(request))
        if form.validate():
            change = instance.InstanceSettings(
                name=form.name.data or "",
                description=form.description.data or "",
                rules=form.rules.data or "",
                contact_email=form.contact_email.data or "",
                registration_mode=form.registration_mode.data or "",
                groups_need_approval=bool(form.groups_need_approval.data),
                new_account_link_days=form.new_account_link_days.data or 0,
            )
            try:
                await instance.update_settings(admin.actor, change)
            except Invalid as exc:
                form.add_errors(exc.errors)
            else:
                return RedirectResponse("/admin/settings?notice=saved", 303)
        status_code = 422
    return render_admin(
        request, "admin/settings.html", {"form": form}, notices=NOTICES, status_code=status_code
    )


async def about(request: Request) -> Response:
    await current_account(request)
    config = await instance.get_config()
    context = {
        "config": config,
        "description_html": render_markdown(config.description).html,
        "rules_html": render_markdown(config.rules).html,
    }
    return web(request).templates.TemplateResponse(request, "about.html", context)


routes = [
    Route("/admin/settings", settings_page, methods=["GET", "POST"], name="admin_settings"),
    Route("/about", about, name="about"),
]
