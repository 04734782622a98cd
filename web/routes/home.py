"""The front page: for visitors, what the instance is and what lives in it (its description,
its most active groups, recently answered questions, new resources, how to join or follow from
Mastodon); for members, their home feed and the unanswered questions of their groups."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from server.content import render_markdown
from server.models import RegistrationMode
from server.page_cache import share_page
from server.services import front_page as lists
from server.services import instance, posts
from web.context import web
from web.feed_links import feed_links
from web.routes.feed import excerpts
from web.session import current_account

HOME_FEED_ITEMS = 10
FAVICON = Path(__file__).parents[1] / "static" / "favicon.ico"


async def front_page(request: Request) -> Response:
    account = await current_account(request)
    config = await instance.get_config()
    context: dict[str, object] = {
        "config": config,
        "account": account,
        "description_html": render_markdown(config.description).html,
        "groups": await lists.active_groups(account),
        "signup_open": config.registration_mode != RegistrationMode.INVITE,
        "feed_links": feed_links(config.name, "/feed"),
    }
    if account is None:
        share_page(request)  # the same for every visitor
        answered = await lists.recently_answered(None)
        resources = await lists.new_resources(None)
        context |= {"answered": answered, "resources": resources}
        context["excerpts"] = excerpts(answered + resources)
    else:
        feed = await posts.home_feed(account, limit=HOME_FEED_ITEMS)
        unanswered = await lists.unanswered_in_my_groups(account)
        context |= {
            "threads": feed.items,
            "more_threads": feed.next_cursor is not None,
            "unanswered": unanswered,
            "excerpts": excerpts([*feed.items, *unanswered]),
        }
    return web(request).templates.TemplateResponse(request, "home.html", context)


async def favicon(request: Request) -> Response:
    """Browsers and feed readers ask for /favicon.ico whatever the page links to."""
    return FileResponse(
        FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"}
    )


routes = [
    Route("/", front_page, name="home"),
    Route("/favicon.ico", favicon, name="favicon"),
]
