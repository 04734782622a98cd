"""Hiding what some actors put here, and bringing it back: for suspended accounts and domains.

- `remove_posts` turns their visible posts REMOVED with a reason (a state a suspension can be
  lifted from, unlike a deletion), recounts threads and groups, and publishes `PostRemoved` for
  those that had been published;
- `restore_posts` publishes again exactly the posts removed with that reason (`PostRestored`);
- `end_memberships` deletes their memberships (`MembershipEnded`), so they no longer count as
  members or followers of any group.
Callers run these inside their own transaction, with the change that causes them.
"""

from __future__ import annotations

from collections.abc import Iterable

from server import events
from server.models import Group, Membership, MembershipState, Post, PostState, utcnow
from server.services.counts import recount_group, recount_replies
from server.services.groups import _recount_members

__all__ = ["end_memberships", "remove_posts", "restore_posts"]

VISIBLE_OR_HELD = (PostState.PUBLISHED, PostState.HELD)


async def remove_posts(
    actor_ids: list[str],
    reason: str,
    *,
    states: Iterable[PostState] = VISIBLE_OR_HELD,
    remover_id: str | None = None,
) -> int:
    """Remove the actors' posts in `states`; `remover_id` names who removed them in the
    federated removal (None: each post's group). Returns how many were removed."""
    if not actor_ids:
        return 0
    hidden = await Post.filter(author_id__in=actor_ids, state__in=list(states)).select_related(
        "group"
    )
    now = utcnow()
    announced = [post for post in hidden if post.state == PostState.PUBLISHED]
    for post in hidden:
        post.state = PostState.REMOVED
        post.removed_at = now
        post.removal_reason = reason
        post.pinned_at = None
        await post.save(update_fields=["state", "removed_at", "removal_reason", "pinned_at"])
    await _recount(hidden)
    for post in announced:  # a held post was never shared, so there is nothing to withdraw
        await events.bus.publish(events.PostRemoved(post.id, remover_id or post.group.actor_id))
    return len(hidden)


async def restore_posts(actor_ids: list[str], reason: str, *, restorer_id: str) -> int:
    """Publish again the actors' posts that were removed with exactly this reason."""
    if not actor_ids:
        return 0
    removed = await Post.filter(
        author_id__in=actor_ids, state=PostState.REMOVED, removal_reason=reason
    ).select_related("group")
    for post in removed:
        post.state = PostState.PUBLISHED
        post.removed_at = None
        post.removal_reason = ""
        await post.save(update_fields=["state", "removed_at", "removal_reason"])
    await _recount(removed)
    for post in removed:
        await events.bus.publish(events.PostRestored(post.id, restorer_id))
    return len(removed)


async def _recount(posts: list[Post]) -> None:
    groups: dict[str, Group] = {post.group_id: post.group for post in posts}
    for root_id in {post.root_id for post in posts if post.root_id}:
        await recount_replies(root_id)
    for group in groups.values():
        await recount_group(group)


async def end_memberships(actor_ids: list[str]) -> None:
    if not actor_ids:
        return
    memberships = await Membership.filter(actor_id__in=actor_ids).select_related("group")
    for membership in memberships:
        await membership.delete()
        if membership.state == MembershipState.ACCEPTED:
            await _recount_members(membership.group)
        await events.bus.publish(
            events.MembershipEnded(
                membership.group_id, membership.actor_id, membership.follow_ap_id
            )
        )
