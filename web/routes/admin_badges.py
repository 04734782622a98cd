"""Badges (admins): every badge with how many hold it; create a custom badge, give it to a
person here or elsewhere, take it back. Built-in badges are granted by the worker by rule."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from wtforms import SelectField, StringField, TextAreaField

from server.services import recognition
from server.services.errors import Conflict, Invalid
from server.services.recognition import custom
from web.context import web
from web.forms import WebForm, read_form
from web.routes._admin import render_admin
from web.session import require_admin

NOTICES = {
    "created": "The badge has been created. Give it to someone below.",
    "given": "The badge has been given; the person is notified.",
    "revoked": "The badge has been taken back.",
}


class CreateBadgeForm(WebForm):
    name = StringField("Name")
    description = TextAreaField("What it recognises")


class GiveBadgeForm(WebForm):
    badge = SelectField("Badge", validate_choice=False)
    handle = StringField("Person")
    reason = TextAreaField("Why (shown on their profile)")


async def badges_page(request: Request) -> Response:
    await require_admin(request)
    return await _render(request, CreateBadgeForm(), GiveBadgeForm())


async def create(request: Request) -> Response:
    admin = await require_admin(request)
    form = CreateBadgeForm.from_formdata(await read_form(request))
    assert isinstance(form, CreateBadgeForm)
    try:
        await custom.create_badge(admin.actor, form.name.data or "", form.description.data or "")
    except Invalid as exc:
        form.add_errors(exc.errors)
    except Conflict as exc:
        form.add_errors({"name": exc.message})
    else:
        return RedirectResponse("/admin/badges?notice=created", 303)
    return await _render(request, form, GiveBadgeForm(), status_code=422)


async def give(request: Request) -> Response:
    admin = await require_admin(request)
    form = GiveBadgeForm.from_formdata(await read_form(request))
    assert isinstance(form, GiveBadgeForm)
    try:
        person = await custom.find_person(form.handle.data or "", web(request).settings.domain)
        await custom.give_badge(admin.actor, form.badge.data or "", person, form.reason.data or "")
    except Invalid as exc:
        form.add_errors(exc.errors)
    except Conflict as exc:
        form.add_errors({"handle": exc.message})
    else:
        return RedirectResponse("/admin/badges?notice=given", 303)
    return await _render(request, CreateBadgeForm(), form, status_code=422)


async def revoke(request: Request) -> Response:
    admin = await require_admin(request)
    await read_form(request)
    await custom.revoke_award(admin.actor, request.path_params["award_id"])
    return RedirectResponse("/admin/badges?notice=revoked", 303)


async def _render(
    request: Request,
    create_form: CreateBadgeForm,
    give_form: GiveBadgeForm,
    *,
    status_code: int = 200,
) -> Response:
    badges = await custom.list_badges()
    give_form.badge.choices = [("", "Choose a badge")] + [
        (badge.id, badge.name) for badge, _ in badges if not badge.builtin
    ]
    context: dict[str, Any] = {
        "badges": badges,
        "awards": await custom.custom_awards(),
        "create_form": create_form,
        "give_form": give_form,
        "builtin_rules": {rule.slug: rule for rule in recognition.BUILTIN},
    }
    return render_admin(
        request, "admin/badges.html", context, notices=NOTICES, status_code=status_code
    )


routes: list[BaseRoute] = [
    Route("/admin/badges", badges_page, name="admin_badges"),
    Route("/admin/badges/new", create, methods=["POST"], name="admin_badge_new"),
    Route("/admin/badges/give", give, methods=["POST"], name="admin_badge_give"),
    Route(
        "/admin/badges/awards/{award_id:id}/revoke",
        revoke,
        methods=["POST"],
        name="admin_badge_revoke",
    ),
]
