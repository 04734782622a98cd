"""Watching and muting a thread or a group (POST forms with the CSRF token), and the settings
page listing what the member watches or mutes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from server.services import posts, watches
from web.context import web
from web.forms import read_form
from web.group_page import load_group_page
from web.session import require_account

SETTINGS_PATH = "/settings/watches"
SAVED = {
    "watching": "You will hear of every new post there.",
    "muted": "You will hear nothing more about it.",
    "normal": "You will hear of replies to you and mentions only.",
}


def _level(value: object) -> str:
    return value if isinstance(value, str) else ""


def _back(default: str, form_value: object, level: str) -> RedirectResponse:
    """Back to the page the form was on: the settings list, or the thread or group."""
    if form_value == "settings":
        return RedirectResponse(f"{SETTINGS_PATH}?saved={level}", status_code=303)
    return RedirectResponse(default, status_code=303)


async def watch_thread(request: Request) -> Response:
    account = await require_account(request)
    form = await read_form(request)
    post = await posts.get_post(request.path_params["post_id"])
    level = _level(form.get("level"))
    await watches.set_thread_watch(account, post, level)
    return _back(f"/p/{post.id}", form.get("return_to"), level)


async def watch_group(request: Request) -> Response:
    account = await require_account(request)
    form = await read_form(request)
    page = await load_group_page(request, request.path_params["handle"])
    level = _level(form.get("level"))
    await watches.set_group_watch(account, page.group, level)
    return _back(page.path, form.get("return_to"), level)


async def watch_list(request: Request) -> Response:
    account = await require_account(request)
    saved = request.query_params.get("saved", "")
    return web(request).templates.TemplateResponse(
        request,
        "accounts/settings_watches.html",
        {
            "items": await watches.list_watches(account),
            "flashes": [SAVED[saved]] if saved in SAVED else [],
            "active": "watches",
        },
    )


routes: list[BaseRoute] = [
    Route("/p/{post_id:id}/watch", watch_thread, methods=["POST"], name="post_watch"),
    Route("/g/{handle:handle}/watch", watch_group, methods=["POST"], name="group_watch"),
    Route(SETTINGS_PATH, watch_list, name="settings_watches"),
]
