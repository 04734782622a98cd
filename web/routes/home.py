"""The front page: a welcome for visitors."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.services import instance
from web.context import web
from web.session import current_account


async def front_page(request: Request) -> Response:
    account = await current_account(request)
    config = await instance.get_config()
    return web(request).templates.TemplateResponse(
        request, "home.html", {"config": config, "account": account}
    )


routes = [Route("/", front_page, name="home")]
