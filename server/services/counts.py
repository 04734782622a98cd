"""A group's and a thread's counts, recounted from their posts whenever a post comes, goes,
is hidden or restored: counting again, rather than adding one, cannot drift."""

from __future__ import annotations

from datetime import datetime

from server.models import Group, Post, PostState

__all__ = ["recount_group", "recount_replies"]


async def recount_group(group: Group, *, last_post_at: datetime | None = None) -> None:
    """`post_count` counts visible threads; `last_post_at` moves on every new post or reply."""
    # Lock the group first: two posts stored at once (the inbox worker's chains side by side,
    # two workers) then count one after the other, the second seeing the first's committed
    # post, instead of each counting only its own and the count ending one short. NO KEY: the
    # posts' own inserts hold key locks on the group. (SQLite serialises writers.)
    if Group._meta.db.capabilities.dialect == "postgres":
        await Group.select_for_update(no_key=True).filter(id=group.id).only("id")
    count = await Post.filter(
        group_id=group.id, parent_id__isnull=True, state=PostState.PUBLISHED
    ).count()
    changes: dict[str, object] = {"post_count": count}
    if last_post_at is not None:
        changes["last_post_at"] = last_post_at
    await Group.filter(id=group.id).update(**changes)
    group.post_count = count


async def recount_replies(root_id: str, *, last_activity_at: datetime | None = None) -> None:
    # Lock the thread's first post, as `recount_group` locks the group, for the same reason:
    # two replies stored at once each counted without the other. Callers lock threads before
    # groups, each kind in id order, so two such transactions never wait on each other in turn.
    if Post._meta.db.capabilities.dialect == "postgres":
        await Post.select_for_update(no_key=True).filter(id=root_id).only("id")
    count = await Post.filter(root_id=root_id, state=PostState.PUBLISHED).count()
    changes: dict[str, object] = {"reply_count": count}
    if last_activity_at is not None:
        changes["last_activity_at"] = last_activity_at
    await Post.filter(id=root_id).update(**changes)
