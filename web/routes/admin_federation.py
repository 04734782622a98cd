"""The admin's view of federation: the queue, the delivery rate, failing domains, what was given
up, and retrying each."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.services import federation_health
from web.context import web
from web.forms import read_form
from web.session import require_admin

NOTICES = {
    "retried": "The waiting deliveries to {domain} will be tried again within seconds.",
    "retried-all": "Every waiting delivery will be tried again within seconds.",
    "retried-delivery": "The delivery is queued again and will be tried within seconds.",
    "retried-inbox": "The received activity will be handled again within seconds.",
    "retried-given-up": "Everything given up is queued again and will be tried within seconds.",
}


async def health(request: Request) -> Response:
    await require_admin(request)
    notice = NOTICES.get(request.query_params.get("notice", ""), "")
    flash = notice.format(domain=request.query_params.get("domain", "the domain")[:255])
    context = {
        "health": await federation_health.federation_health(),
        "dead": await federation_health.dead_letters(),
        "list_limit": federation_health.DOMAIN_LIST_LIMIT,
        "flashes": [flash] if flash else [],
    }
    return web(request).templates.TemplateResponse(request, "admin/federation.html", context)


async def retry_domain(request: Request) -> Response:
    admin = await require_admin(request)
    await read_form(request)
    domain = request.path_params["domain"]
    await federation_health.retry_domain(domain, admin.actor_id)
    query = urlencode({"notice": "retried", "domain": domain})
    return RedirectResponse(f"/admin/federation?{query}", 303)


async def retry_all(request: Request) -> Response:
    admin = await require_admin(request)
    await read_form(request)
    await federation_health.retry_all(admin.actor_id)
    return RedirectResponse("/admin/federation?notice=retried-all", 303)


async def retry_delivery(request: Request) -> Response:
    admin = await require_admin(request)
    await read_form(request)
    await federation_health.retry_delivery(request.path_params["delivery_id"], admin.actor_id)
    return RedirectResponse("/admin/federation?notice=retried-delivery", 303)


async def retry_inbox(request: Request) -> Response:
    admin = await require_admin(request)
    await read_form(request)
    await federation_health.retry_inbox(request.path_params["activity_id"], admin.actor_id)
    return RedirectResponse("/admin/federation?notice=retried-inbox", 303)


async def retry_given_up(request: Request) -> Response:
    admin = await require_admin(request)
    await read_form(request)
    await federation_health.retry_given_up(admin.actor_id)
    return RedirectResponse("/admin/federation?notice=retried-given-up", 303)


routes = [
    Route("/admin/federation", health, name="admin_federation"),
    Route(
        "/admin/federation/retry",
        retry_all,
        methods=["POST"],
        name="admin_federation_retry_all",
    ),
    Route(
        "/admin/federation/domains/{domain:domain}/retry",
        retry_domain,
        methods=["POST"],
        name="admin_federation_retry",
    ),
    Route(
        "/admin/federation/given-up/retry",
        retry_given_up,
        methods=["POST"],
        name="admin_federation_retry_given_up",
    ),
    Route(
        "/admin/federation/deliveries/{delivery_id:id}/retry",
        retry_delivery,
        methods=["POST"],
        name="admin_federation_retry_delivery",
    ),
    Route(
        "/admin/federation/inbox/{activity_id:id}/retry",
        retry_inbox,
        methods=["POST"],
        name="admin_federation_retry_inbox",
    ),
]
