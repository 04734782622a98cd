"""Rendering feeds: a list of posts as RSS 2.0 or Atom 1.0, through feedgen.

Readers fetch feeds without a session and from elsewhere, so every URL in them is absolute and
built from the configured base URL (never the request's Host), entry content is the post's
sanitised HTML with its relative links made absolute, and each entry links to the thread page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from html import escape

from feedgen.feed import FeedGenerator

from server.content import sanitize_html
from server.models import Post
from server.settings import Settings

__all__ = ["FeedFormat", "FeedInfo", "render_feed"]

_RELATIVE_HREF = re.compile(r'href="/(?!/)')


class FeedFormat(StrEnum):
    ATOM = "atom"
    RSS = "rss"

    @property
    def media_type(self) -> str:
        return "application/atom+xml" if self is FeedFormat.ATOM else "application/rss+xml"


@dataclass(frozen=True)
class FeedInfo:
    """What a feed is about: its title, a one-line description, the page it mirrors and the
    feed's own path (both paths on this instance), an image (absolute URL or ""), and when its
    subject (the instance, group or person) began."""

    title: str
    description: str
    page_path: str
    feed_path: str
    image: str = ""
    since: datetime | None = None  # when the subject began: an empty feed's `updated`


def render_feed(
    settings: Settings,
    info: FeedInfo,
    items: list[Post],
    fmt: FeedFormat,
    thread_titles: Mapping[str, str] | None = None,
) -> bytes:
    """The feed document, UTF-8 encoded. `items` come newest first, with their author and
    group loaded; `thread_titles` titles replies by their thread (see `syndication`)."""
    feed = FeedGenerator()
    feed.load_extension("dc")
    feed.id(settings.url(info.feed_path))
    feed.title(info.title)
    feed.description(info.description or info.title)
    # feedgen takes the last link as RSS's <link>: the feed's own link goes first.
    feed.link(href=settings.url(info.feed_path), rel="self", type=fmt.media_type)
    feed.link(href=settings.url(info.page_path), rel="alternate", type="text/html")
    feed.language("en")
    feed.generator("Lyceum")
    if info.image:
        feed.logo(info.image)
    newest = max((_updated(post) for post in items), default=None)
    # An empty feed is as new as its subject: stable for caches, and true.
    feed.updated(newest or info.since or datetime(2000, 1, 1, tzinfo=UTC))
    for post in items:
        _add_entry(feed, settings, post, thread_titles or {})
    if fmt is FeedFormat.ATOM:
        return bytes(feed.atom_str(pretty=True))
    return bytes(feed.rss_str(pretty=True))


def _add_entry(
    feed: FeedGenerator, settings: Settings, post: Post, thread_titles: Mapping[str, str]
) -> None:
    entry = feed.add_entry(order="append")
    link = settings.url(f"/p/{post.id}")
    entry.id(link)
    entry.guid(link, permalink=True)
    entry.title(_title(post, thread_titles))
    entry.link(href=link, rel="alternate", type="text/html")
    author = post.author
    profile = settings.url(f"/u/{author.username}") if author.is_local else author.url
    entry.author({"name": author.name, **({"uri": profile} if profile else {})})
    entry.dc.dc_creator(author.name)
    entry.published(post.created_at)
    entry.updated(_updated(post))
    entry.content(_content(settings, post), type="html")
    entry.category(term=post.kind.value, label=post.kind.value)


def _title(post: Post, thread_titles: Mapping[str, str]) -> str:
    if post.title:
        return post.title
    if thread_titles.get(post.root_id or ""):
        return f"Re: {thread_titles[post.root_id or '']}"
    return f"A {post.kind.value} in {post.group.actor.name}"


def _content(settings: Settings, post: Post) -> str:
    html = post.content_html
    if post.link_url:
        link = escape(post.link_url)
        html = f'<p><a href="{link}">{link}</a></p>{html}'
    # Mentions and hashtags link to our own pages by path; a reader elsewhere needs the host.
    return _RELATIVE_HREF.sub(f'href="{settings.base_url.rstrip("/")}/', sanitize_html(html))


def _updated(post: Post) -> datetime:
    return post.edited_at or post.created_at
