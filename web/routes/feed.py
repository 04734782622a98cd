"""Across groups: the member's home feed, their notifications, and the posts of a #hashtag."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from server.content import plain_text
from server.page_cache import share_page
from server.services import notifications, posts
from server.services.feeds import TAG_RE
from web.context import web
from web.feed_links import feed_links
from web.forms import read_form
from web.routes._listing import cursor_of, older_url, read_page
from web.session import current_account, require_account

EXCERPT_CHARS = 160


class Excerpted(Protocol):
    """A post, or a small record of one (`listed.ListedThread`)."""

    @property
    def id(self) -> str: ...

    @property
    def content_html(self) -> str: ...


def excerpts(items: Sequence[Excerpted]) -> dict[str, str]:
    """A short plain-text preview of each post, for lists."""
    return {post.id: excerpt(post.content_html) for post in items}


# Excerpts made lately, by a digest of the HTML: /home and the front page show the same
# threads again and again, and stripping a post's HTML costs more than the rest of its row.
_excerpts: OrderedDict[bytes, str] = OrderedDict()
EXCERPTS_KEPT = 4096


def excerpt(content_html: str) -> str:
    key = hashlib.blake2b(content_html.encode(), digest_size=16).digest()
    found = _excerpts.get(key)
    if found is None:
        found = _excerpts[key] = plain_text(content_html, EXCERPT_CHARS)
        if len(_excerpts) > EXCERPTS_KEPT:
            _excerpts.popitem(last=False)
    else:
        _excerpts.move_to_end(key)
    return found


async def home(request: Request) -> Response:
    account = await require_account(request)
    feed = await read_page(
        posts.home_feed(account, cursor=cursor_of(request), limit=web(request).settings.page_size)
    )
    return web(request).templates.TemplateResponse(
        request,
        "posts/home.html",
        {
            "threads": feed.items,
            "excerpts": excerpts(feed.items),
            "older_url": older_url(request, feed.next_cursor),
            "first_page": cursor_of(request) is None,
        },
    )


async def notification_list(request: Request) -> Response:
    account = await require_account(request)
    listing = await read_page(
        notifications.list_notifications(
            account, cursor=cursor_of(request), limit=web(request).settings.page_size
        )
    )
    return web(request).templates.TemplateResponse(
        request,
        "notifications/list.html",
        {
            "items": listing.items,
            "unread": await notifications.unread_count(account),
            "older_url": older_url(request, listing.next_cursor),
            "first_page": cursor_of(request) is None,
        },
    )


async def mark_all_read(request: Request) -> Response:
    account = await require_account(request)
    await read_form(request)
    await notifications.mark_all_read(account)
    return RedirectResponse("/notifications", status_code=303)


async def tag_page(request: Request) -> Response:
    account = await current_account(request)
    tag = request.path_params["tag"]
    if not TAG_RE.fullmatch(tag):
        raise HTTPException(404, "A hashtag is made of letters, digits and underscores.")
    if account is None:
        share_page(request)  # the same for every visitor
    feed = await read_page(
        posts.tag_feed(
            tag,
            cursor=cursor_of(request),
            limit=web(request).settings.page_size,
            viewer=account,
        )
    )
    return web(request).templates.TemplateResponse(
        request,
        "posts/tag.html",
        {
            "tag": tag.lower(),
            "feed_links": feed_links(f"#{tag.lower()}", f"/tags/{tag.lower()}/feed")
            if feed.items
            else [],
            "items": feed.items,
            "excerpts": excerpts(feed.items),
            "older_url": older_url(request, feed.next_cursor),
            "first_page": cursor_of(request) is None,
        },
    )


routes: list[BaseRoute] = [
    Route("/home", home, name="home_feed"),
    Route("/notifications", notification_list, name="notifications"),
    Route("/notifications/read", mark_all_read, methods=["POST"], name="notifications_read"),
    Route("/tags/{tag}", tag_page, name="tag"),
]
