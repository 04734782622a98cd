"""The admin's view of outgoing mail: messages given up (bounced, refused or failing every try)
and those failing now, with their errors, and queueing them again."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.mail import admin as mail_admin
from web.context import web
from web.forms import read_form
from web.session import require_admin

NOTICES = {
    "retried": "The message is queued again and will be tried within seconds.",
    "retried-all": "Every message given up is queued again.",
}


async def mail_page(request: Request) -> Response:
    await require_admin(request)
    notice = NOTICES.get(request.query_params.get("notice", ""))
    context = {
        "health": await mail_admin.mail_health(),
        "flashes": [notice] if notice else [],
        "section": "mail",
    }
    return web(request).templates.TemplateResponse(request, "admin/mail.html", context)


async def retry_one(request: Request) -> Response:
    await require_admin(request)
    await read_form(request)
    if not await mail_admin.retry_mail(request.path_params["mail_id"]):
        raise HTTPException(404, "No such message is waiting or given up.")
    return RedirectResponse("/admin/mail?notice=retried", 303)


async def retry_all(request: Request) -> Response:
    await require_admin(request)
    await read_form(request)
    await mail_admin.retry_all_dead()
    return RedirectResponse("/admin/mail?notice=retried-all", 303)


routes = [
    Route("/admin/mail", mail_page, name="admin_mail"),
    Route("/admin/mail/retry", retry_all, methods=["POST"], name="admin_mail_retry_all"),
    Route("/admin/mail/{mail_id:id}/retry", retry_one, methods=["POST"], name="admin_mail_retry"),
]
