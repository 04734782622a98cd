"""Group moderation of posts: removing and restoring them, and the queue of held posts.

Who may: `groups.can_moderate` — the group's moderators and owners, and this instance's admins
for a group hosted here. Each action runs in one transaction with its audit entry and its event.

The states a post moves through here (deletion by its author is `posts.delete_post`):

    HELD ──approve──▶ PUBLISHED ──remove──▶ REMOVED ──restore──▶ PUBLISHED
      └───reject / remove──────────────────▶ REMOVED

A HELD post was never shown nor sent anywhere, so taking it out publishes no `PostRemoved`, and
its `held_reason` stays set: restoring such a post is its first publication (`PostCreated`),
not a re-announcement (`PostRestored`). Approval clears `held_reason`.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from server import events
from server.content import plain_text
from server.models import Actor, Group, Post, PostState, utcnow
from server.services import audit, groups
from server.services.counts import recount_group, recount_replies
from server.services.errors import Conflict, Forbidden, NotFound

__all__ = [
    "approve_held_post",
    "held_count",
    "held_posts",
    "reject_held_post",
    "remove_post",
    "removed_posts",
    "restore_post",
]

LABEL_CHARS = 100
DEFAULT_LIMIT = 50


async def remove_post(by: Actor, post: Post, reason: str = "") -> Post:
    """Take a published (or held) post or reply off every page; a moderator can restore it."""
    group = await _moderated_group(by, post)
    if post.state not in (PostState.PUBLISHED, PostState.HELD):
        raise _not_removable(post)
    was_published = post.state == PostState.PUBLISHED
    return await _take_out(
        by, post, group, "post.remove", audit.checked_reason(reason), announce=was_published
    )


async def restore_post(by: Actor, post: Post) -> Post:
    """Put a removed post back where it was."""
    group = await _moderated_group(by, post)
    if post.state != PostState.REMOVED:
        raise Conflict("Only a removed post can be restored.")
    await _check_author_active(post, "the post stays removed")
    never_shown = bool(post.held_reason)
    async with in_transaction():
        post.state = PostState.PUBLISHED
        post.removed_at = None
        post.removal_reason = ""
        post.held_reason = ""
        await post.save(update_fields=["state", "removed_at", "removal_reason", "held_reason"])
        await _recount(post, group)
        await _record(by, "post.restore", post, group)
        if never_shown:
            await events.bus.publish(events.PostCreated(post.id))
        else:
            await events.bus.publish(events.PostRestored(post.id, by.id))
    return post


async def approve_held_post(by: Actor, post: Post) -> Post:
    """Publish a held post: only now does it federate and notify."""
    group = await _moderated_group(by, post)
    if post.state != PostState.HELD:
        raise Conflict("That post is not waiting for a moderator.")
    await _check_author_active(post, "reject the post instead")
    now = utcnow()
    async with in_transaction():
        post.state = PostState.PUBLISHED
        post.held_reason = ""
        post.last_activity_at = now if post.is_top_level else post.last_activity_at
        await post.save(update_fields=["state", "held_reason", "last_activity_at"])
        await _recount(post, group, now=now)
        await _record(by, "post.approve", post, group)
        await events.bus.publish(events.HeldPostApproved(post.id, by.id))
        await events.bus.publish(events.PostCreated(post.id))
    return post


async def reject_held_post(by: Actor, post: Post, reason: str = "") -> Post:
    """Turn a held post away; it was never announced, so nothing goes out."""
    group = await _moderated_group(by, post)
    if post.state != PostState.HELD:
        raise Conflict("That post is not waiting for a moderator.")
    reason = audit.checked_reason(reason)
    async with in_transaction():
        await _take_out(by, post, group, "post.reject", reason, announce=False)
        await events.bus.publish(events.HeldPostRejected(post.id, by.id, reason))
    return post


async def held_posts(group: Group, *, limit: int = DEFAULT_LIMIT) -> list[Post]:
    """The queue, oldest first (the order they arrived in)."""
    return (
        await Post.filter(group=group, state=PostState.HELD)
        .select_related("author", "parent")
        .order_by("created_at", "id")
        .limit(limit)
    )


async def held_count(group: Group) -> int:
    return await Post.filter(group=group, state=PostState.HELD).count()


async def removed_posts(group: Group, *, limit: int = DEFAULT_LIMIT) -> list[Post]:
    """Recently removed posts and replies, most recent removal first."""
    return (
        await Post.filter(group=group, state=PostState.REMOVED)
        .select_related("author", "parent")
        .order_by("-removed_at", "-id")
        .limit(limit)
    )


# --- shared steps ---------------------------------------------------------------------------


async def _moderated_group(by: Actor, post: Post) -> Group:
    group = await Group.get_or_none(id=post.group_id)
    if group is None or post.state == PostState.DELETED:
        raise NotFound("That post is no longer there.")
    if not await groups.can_moderate(group, by.id):
        raise Forbidden("Only the group's moderators can do this.")
    return group


async def _check_author_active(post: Post, instead: str) -> None:
    author = await Actor.get(id=post.author_id)
    if author.suspended_at is not None or author.deleted_at is not None:
        raise Conflict(f"Its author's account is suspended or gone; {instead}.")


def _not_removable(post: Post) -> Conflict:
    if post.state == PostState.REMOVED:
        return Conflict("That post is already removed.")
    return Conflict("That post cannot be removed.")


async def _take_out(
    by: Actor, post: Post, group: Group, action: str, reason: str, *, announce: bool
) -> Post:
    async with in_transaction():
        post.state = PostState.REMOVED
        post.removed_at = utcnow()
        post.removal_reason = reason
        post.pinned_at = None
        await post.save(update_fields=["state", "removed_at", "removal_reason", "pinned_at"])
        await _recount(post, group)
        await _record(by, action, post, group, reason)
        if announce:
            await events.bus.publish(events.PostRemoved(post.id, by.id))
    return post


async def _recount(post: Post, group: Group, *, now: datetime | None = None) -> None:
    """Counts include PUBLISHED posts only; `now` moves the activity dates (on approval)."""
    if post.root_id:
        await recount_replies(post.root_id, last_activity_at=now)
    await recount_group(group, last_post_at=now)


async def _record(by: Actor, action: str, post: Post, group: Group, reason: str = "") -> None:
    # Remote posts have no Markdown source; their label comes from the stored HTML.
    label = post.title or " ".join(post.source.split()) or plain_text(post.content_html)
    await audit.record(
        by,
        action,
        group=group,
        target_type="post",
        target_id=post.id,
        target_label=label[:LABEL_CHARS],
        reason=reason,
    )
