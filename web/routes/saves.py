"""Saving a post to come back to (a POST form with the CSRF token), and the list of what one
saved."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from server.services import posts, saves
from server.services.errors import Invalid
from web.context import web
from web.forms import read_form
from web.routes._listing import cursor_of, older_url, read_page
from web.session import require_account

SAVED_PATH = "/saved"


async def save_post(request: Request) -> Response:
    account = await require_account(request)
    form = await read_form(request)
    post = await posts.get_post(request.path_params["post_id"])
    action = form.get("action")
    if action == "save":
        await saves.save(account, post)
    elif action == "unsave":
        await saves.unsave(account, post)
    else:
        raise Invalid({"action": "Choose save or unsave."})
    back = SAVED_PATH if form.get("return_to") == "saved" else f"/p/{post.id}"
    return RedirectResponse(back, status_code=303)


async def saved_list(request: Request) -> Response:
    account = await require_account(request)
    page = await read_page(saves.list_saved(account, cursor=cursor_of(request)))
    return web(request).templates.TemplateResponse(
        request,
        "accounts/saved.html",
        {"saved": page.items, "older": older_url(request, page.next_cursor)},
    )


routes: list[BaseRoute] = [
    Route("/p/{post_id:id}/save", save_post, methods=["POST"], name="post_save"),
    Route(SAVED_PATH, saved_list, name="saved"),
]
