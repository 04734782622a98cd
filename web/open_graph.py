"""OpenGraph and Twitter card tags, so that a link to a group, a post or a person shared in chat
or on Mastodon shows a preview.

The description is a plain-text excerpt; URLs and images are absolute and built from the
configured base URL, never the request's Host; remote images go through our media proxy.
Whether there are tags at all for a post is the read policy's call (see `post_page`).
"""

from __future__ import annotations

from dataclasses import dataclass

from server.content import plain_text
from server.media_urls import media_url
from server.models import Actor, Group, Post
from server.settings import Settings

__all__ = ["OpenGraph", "actor_image", "for_group", "for_person", "for_post", "group_image"]

DESCRIPTION_CHARS = 200


@dataclass(frozen=True)
class OpenGraph:
    title: str
    description: str
    url: str
    image: str = ""
    type: str = "website"  # og:type: website, article or profile
    large_image: bool = False  # a banner: twitter:card summary_large_image


def actor_image(settings: Settings, actor: Actor) -> str:
    """The absolute URL of an actor's avatar (remote ones through the proxy), or ""."""
    if actor.avatar_path:
        return settings.url(f"/media/{actor.avatar_path}")
    return _absolute(settings, media_url(settings, actor.icon_url))


def group_image(settings: Settings, group: Group) -> str:
    """The group's banner, else its avatar, as an absolute URL; or ""."""
    if group.banner_path:
        return settings.url(f"/media/{group.banner_path}")
    return actor_image(settings, group.actor)


def for_group(settings: Settings, group: Group, path: str) -> OpenGraph:
    return OpenGraph(
        title=group.actor.name,
        description=plain_text(group.description_html, DESCRIPTION_CHARS),
        url=settings.url(path),
        image=group_image(settings, group),
        large_image=bool(group.banner_path),
    )


def for_post(settings: Settings, post: Post, root: Post, group: Group) -> OpenGraph:
    """A post (or a reply, titled by its thread) of a group the caller checked is readable."""
    title = post.title or (f"Re: {root.title}" if root.title else group.actor.name)
    return OpenGraph(
        title=title,
        description=plain_text(post.content_html, DESCRIPTION_CHARS),
        url=settings.url(f"/p/{post.id}"),
        image=group_image(settings, group) or actor_image(settings, post.author),
        type="article",
    )


def for_person(settings: Settings, actor: Actor) -> OpenGraph:
    return OpenGraph(
        title=f"{actor.name} (@{actor.handle(settings.domain)})",
        description=plain_text(actor.summary_html, DESCRIPTION_CHARS),
        url=settings.url(f"/u/{actor.username}"),
        image=actor_image(settings, actor),
        type="profile",
    )


def _absolute(settings: Settings, url: str) -> str:
    return settings.url(url) if url.startswith("/") else url
