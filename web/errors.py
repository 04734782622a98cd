"""Error pages: the domain's errors and HTTP errors become a page with a readable reason."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from server.services.errors import DomainError, RateLimited
from web.context import web
from web.group_page import MembersOnly
from web.session import LoginRequired, current_account, login_redirect

TITLES = {
    400: "That request could not be read",
    403: "You can't do that",
    404: "Page not found",
    405: "Method not allowed",
    409: "That clashes with something",
    410: "Gone",
    413: "Too large",
    415: "Unsupported format",
    422: "Please check your input",
    429: "Slow down",
}


async def render_error(request: Request, status: int, message: str) -> Response:
    headers: dict[str, str] = {}
    if "text/html" not in request.headers.get("accept", "text/html"):
        return PlainTextResponse(message, status_code=status)
    await current_account(request)
    return web(request).templates.TemplateResponse(
        request,
        "errors/error.html",
        {"status": status, "title": TITLES.get(status, "Something went wrong"), "message": message},
        status_code=status,
        headers=headers,
    )


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail if exc.detail else TITLES.get(exc.status_code, "")
    if exc.status_code == 404 and exc.detail == "Not Found":
        message = "There is nothing at this address. Check the link, or start from the home page."
    response = await render_error(request, exc.status_code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    response = await render_error(request, exc.status, exc.message)
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def login_required(request: Request, exc: Exception) -> Response:
    return login_redirect(request)


async def members_only(request: Request, exc: Exception) -> Response:
    """A members-only group's "members only" page: what the group is and how to join, never
    what the page asked for (no post title, no content, no preview tags)."""
    assert isinstance(exc, MembersOnly)
    message = "Only the members of this group can read its posts, replies, resources and members."
    if "text/html" not in request.headers.get("accept", "text/html"):
        return PlainTextResponse(message, status_code=403)
    context = exc.page.as_context("")
    context.update(open_graph=None, feed_links=[], message=message)
    return web(request).templates.TemplateResponse(
        request, "groups/members_only.html", context, status_code=403
    )


EXCEPTION_HANDLERS = {
    MembersOnly: members_only,
    HTTPException: http_exception,
    DomainError: domain_error,
    LoginRequired: login_required,
}
