"""`Create` of a post (Note, Page, Article, Question) into one of our groups.

A remote post belongs to a group here when (FEDERATION.md) the group is in its `to`/`cc`/
`audience`, or it is mentioned (Mastodon's shape; Takahē sends no `audience`), or the post
replies to something in the group. It is stored by `remote.receive_post` under the domain's
rules (the author must follow the group), and the `PostCreated` event makes the group Announce
it and notifies whom it replies to or mentions.

Refused on purpose, with the reason recorded: posts from another server than the actor's, by
someone else than the actor, not public in a public group (a direct message to a group is not
a post to it; a members-only group takes followers-only posts), or
addressed to no group here, or replying to something we do not have.
"""

from __future__ import annotations

from federation import ld
from federation.inbox.context import Dropped, InboxContext
from federation.inbox.parse import POST_TYPES, Create, PostObject
from federation.inbox.parse_note import parse_post_object
from server.models import Group, GroupState, Post
from server.services import reading, remote


async def handle_create(ctx: InboxContext, activity: Create) -> None:
    draft = await draft_create(ctx, activity)
    await remote.receive_post(draft.author, draft.group, draft.incoming, parent=draft.parent)


async def draft_create(ctx: InboxContext, activity: Create) -> remote.PostDraft:
    """The post to store, where, under which parent; or `Dropped` with the reason."""
    note = activity.post or await fetch_post(ctx, activity.object.id or "")
    check_authorship(ctx, note)
    public = ld.is_public(activity.object.data or {}) or ld.is_public(_addressing(activity))
    parent, group = await place_of(ctx, note, activity.addressed)
    # A members-only group takes posts addressed to it and its followers (Mastodon's
    # "followers only" when a member writes there); a public group takes public posts only.
    if not public and not reading.is_members_only(group):
        raise Dropped("only public posts are shared in groups")
    return remote.PostDraft(ctx.actor, group, await incoming_post(ctx, note), parent)


def _addressing(activity: Create) -> dict[str, list[str]]:
    return {"to": list(activity.to), "cc": list(activity.cc)}


async def fetch_post(ctx: InboxContext, object_id: str) -> PostObject:
    """A post sent by id only: fetched from its own server (where its origin is checked)."""
    ctx.check_origin(object_id, "post")
    document = await ctx.actors.fetch(object_id)
    if document is None:
        raise Dropped(ctx.actors.problem or f"could not fetch {object_id}")
    if not ld.has_type(document, *POST_TYPES):
        raise Dropped(f"{object_id} is not a post")
    note = parse_post_object(document)
    if note.id != object_id:
        raise Dropped(f"{object_id} answered with another object, {note.id}")
    return note


def check_authorship(ctx: InboxContext, note: PostObject) -> None:
    ctx.check_origin(note.id, "post")
    # No attributedTo at all (Mastodon's documentation example) means the sender wrote it.
    if note.attributed_to and ctx.actor.ap_id not in note.attributed_to:
        raise Dropped("the post is not attributed to the actor")


async def place_of(
    ctx: InboxContext, note: PostObject, extra_addressed: tuple[str, ...] = ()
) -> tuple[Post | None, Group]:
    """Where the post goes: under its parent, or into the first group here it addresses."""
    if note.in_reply_to:
        parent = await ctx.find_post(note.in_reply_to)
        if parent is None:
            raise Dropped(f"it replies to {note.in_reply_to}, which is not here")
        group = _loaded_group(parent) or await Group.get(id=parent.group_id)
        if group.state != GroupState.ACTIVE:
            raise Dropped("the group of the post it replies to is not active")
        return parent, group
    for address in (*note.addressed, *extra_addressed, *note.mentions):
        addressed = await ctx.local_group(address)
        if addressed is not None:
            return None, addressed
    raise Dropped("the post is addressed to no group here")


def _loaded_group(post: Post) -> Group | None:
    """The post's group when it was loaded with the post (`select_related`), else None."""
    group = post.__dict__.get("_group")
    return group if isinstance(group, Group) and group.id == post.group_id else None


async def incoming_post(ctx: InboxContext, note: PostObject) -> remote.IncomingPost:
    mentioned = []
    for href in dict.fromkeys(note.mentions):
        actor = await ctx.find_actor(href)
        if actor is not None:
            mentioned.append(actor.id)
    return remote.IncomingPost(
        ap_id=note.id,
        content_html=note.content,
        remote_url=note.url or note.id,
        title=note.name,
        link_url=note.link,
        hashtags=note.hashtags,
        mentioned_actor_ids=tuple(mentioned),
    )
