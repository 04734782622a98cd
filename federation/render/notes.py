"""Posts as `Note`s, their tombstones, and the activities that wrap them in a group's outbox.

A post is a `Note` for everyone (Mastodon shows only a title and a link for `Page`/`Article`
and drops the body). Threadiverse readers (Lemmy, PieFed, Mbin) take the title from `name` and
the body from the Markdown `source`; Mastodon readers see `content`, which therefore starts with
the title and carries the link of a resource. Microblog servers get the Note without `name`
(`microblog_note`): Takahē shows a Note's `name` as a content warning, and the title is in
`content` already. `context` (FEP-7888) and `audience` (FEP-1b12)
name the group on every post and reply, and a `Mention` of the group makes a Mastodon user's
reply address the group too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

from federation import ld, urls
from federation.render._common import absolute_links, timestamp
from server.models import Actor, Post
from server.settings import Settings

__all__ = [
    "microblog_note",
    "render_announce",
    "render_announce_create",
    "render_create",
    "render_note",
    "render_tombstone",
]


def _mention(settings: Settings, actor: Actor) -> dict[str, Any]:
    return {
        "type": "Mention",
        "href": urls.actor_id(settings, actor),
        "name": f"@{actor.handle(settings.domain)}",
    }


def _content(settings: Settings, post: Post) -> str:
    """What Mastodon shows: the title as a strong first line, the body, a resource's link."""
    parts = []
    if post.title:
        parts.append(f"<p><strong>{escape(post.title)}</strong></p>")
    parts.append(absolute_links(settings, post.content_html))
    if post.link_url:
        link = escape(post.link_url)
        parts.append(f'<p><a href="{link}" rel="nofollow noopener noreferrer">{link}</a></p>')
    return "".join(parts)


def render_note(
    settings: Settings,
    post: Post,
    *,
    author: Actor,
    group_actor: Actor,
    in_reply_to: str | None = None,
    hashtags: Sequence[str] = (),
    mentions: Sequence[Actor] = (),
    with_context: bool = True,
) -> dict[str, Any]:
    """A local post or reply as a Note. `in_reply_to` is the parent's id, for replies.

    `with_context=False` leaves out `@context`, for a Note embedded in another document.
    """
    note_id = urls.post(settings, post.id)
    group_id = urls.actor_id(settings, group_actor)
    mentioned = [m for m in mentions if m.id != group_actor.id]
    note: dict[str, Any] = {
        "@context": ld.CONTEXT,
        "id": note_id,
        "type": "Note",
        "attributedTo": urls.actor_id(settings, author),
        "to": [ld.PUBLIC],
        "cc": [
            group_id,
            urls.followers(settings, group_actor),
            *(urls.actor_id(settings, m) for m in mentioned),
        ],
        "audience": group_id,
        "context": group_id,
        "inReplyTo": in_reply_to,
        "content": _content(settings, post),
        "mediaType": "text/html",
        "url": note_id,
        "published": timestamp(post.created_at),
        "sensitive": False,
        "replies": {
            "id": urls.replies(settings, post.id),
            "type": "OrderedCollection",
            "totalItems": post.reply_count,
        },
        "tag": [
            _mention(settings, group_actor),
            *(_mention(settings, m) for m in mentioned),
            *(
                {
                    "type": "Hashtag",
                    "href": settings.url(f"/tags/{tag}"),
                    "name": f"#{tag}",
                }
                for tag in hashtags
            ),
        ],
    }
    if not with_context:
        del note["@context"]
    if post.title:
        note["name"] = post.title
    if post.source:
        note["source"] = {"content": post.source, "mediaType": "text/markdown"}
    if post.link_url:
        # Lemmy and PieFed read a post's link from a `Link` attachment.
        note["attachment"] = [{"type": "Link", "href": post.link_url}]
    if post.is_top_level:
        note["stickied"] = post.pinned_at is not None
    if post.edited_at is not None:
        note["updated"] = timestamp(post.edited_at)
    return note


def microblog_note(note: dict[str, Any]) -> dict[str, Any]:
    """The Note as microblog servers should read it: without `name`, which Takahē (and others
    of its family) would show as a content warning; `content` starts with the title."""
    return {key: value for key, value in note.items() if key != "name"}


def render_tombstone(settings: Settings, post: Post) -> dict[str, Any]:
    """What a deleted or removed local post answers (with status 410)."""
    document: dict[str, Any] = {
        "@context": ld.CONTEXT,
        "id": urls.post(settings, post.id),
        "type": "Tombstone",
        "formerType": "Note",
    }
    gone_at = post.deleted_at or post.removed_at
    if gone_at is not None:
        document["deleted"] = timestamp(gone_at)
    return document


def render_create(settings: Settings, post: Post, note: dict[str, Any]) -> dict[str, Any]:
    """The author's `Create` of a local post, with the Note embedded (without its context)."""
    embedded = {key: value for key, value in note.items() if key != "@context"}
    return {
        "@context": ld.CONTEXT,
        "id": urls.post_create(settings, post.id),
        "type": "Create",
        "actor": embedded["attributedTo"],
        "to": embedded["to"],
        "cc": embedded["cc"],
        "audience": embedded["audience"],
        "published": embedded["published"],
        "object": embedded,
    }


def render_announce(
    settings: Settings, group_actor: Actor, post: Post, *, published: datetime | None = None
) -> dict[str, Any]:
    """The group's `Announce` of a post by id (the shape Mastodon and Takahē accept).

    Its id is stable per post, so that an `Undo` can name it. `published` defaults to the
    post's time; deliveries pass "now" (Mastodon home feeds take boosts only within 6 hours).
    """
    return {
        "@context": ld.CONTEXT,
        "id": urls.announce(settings, group_actor.username, post.id),
        "type": "Announce",
        "actor": urls.actor_id(settings, group_actor),
        "object": urls.post_id(settings, post),
        "to": [ld.PUBLIC],
        "cc": [urls.followers(settings, group_actor)],
        "audience": urls.actor_id(settings, group_actor),
        "published": timestamp(published or post.created_at),
    }


def render_announce_create(
    settings: Settings, group_actor: Actor, post: Post, create: dict[str, Any]
) -> dict[str, Any]:
    """The group's `Announce` of an author's `Create` (FEP-1b12, what Lemmy and PieFed read)."""
    embedded = {key: value for key, value in create.items() if key != "@context"}
    group_id = urls.actor_id(settings, group_actor)
    return {
        "@context": ld.CONTEXT,
        "id": urls.announce_create(settings, group_actor.username, post.id),
        "type": "Announce",
        "actor": group_id,
        "object": embedded,
        "to": [ld.PUBLIC],
        "cc": [urls.followers(settings, group_actor)],
        "audience": group_id,
        "published": embedded["published"],
    }
