"""Who may read what: the one read policy every read path asks.

Pages, search, feeds, the front page, notifications, mail, OpenGraph tags and ActivityPub GETs
all decide visibility here, never by filtering by hand: a path that filters on its own is how
hidden content leaks. Today a reader may see:

- a group that is active (not pending approval, not suspended);
- a post that is published, in such a group. Held posts are readable by their author and the
  group's moderators only; removed and deleted posts by nobody (pages may still show a
  placeholder where visible replies hang under one, see `feeds.thread`).

Members-only groups (readable by their members, moderators and admins) will be decided here too,
so every caller passes the viewer even where the answer does not depend on it yet.
"""

from __future__ import annotations

from tortoise.expressions import Q

from server.models import Account, Group, GroupState, Post, PostState
from server.services import groups as group_roles

__all__ = ["can_read_group", "can_read_post", "readable_groups", "readable_posts"]


def readable_groups(viewer: Account | None) -> Q:
    """A filter on `Group` for the groups the viewer may list and read."""
    return Q(state=GroupState.ACTIVE)


def readable_posts(viewer: Account | None, *, prefix: str = "") -> Q:
    """A filter on `Post` for the posts the viewer may find, list and count (held posts are
    never listed: their author and moderators reach them through the moderation pages).

    `prefix` reaches posts through a relation, e.g. `prefix="post__"` on `Notification`."""
    return Q(**{f"{prefix}state": PostState.PUBLISHED, f"{prefix}group__state": GroupState.ACTIVE})


async def can_read_group(viewer: Account | None, group: Group) -> bool:
    return group.state == GroupState.ACTIVE


async def can_read_post(viewer: Account | None, post: Post) -> bool:
    """Whether the viewer may read this one post (the group is loaded if need be)."""
    group = await post.group if not isinstance(post.group, Group) else post.group
    if not await can_read_group(viewer, group):
        return False
    if post.state == PostState.PUBLISHED:
        return True
    if post.state == PostState.HELD and viewer is not None:
        return post.author_id == viewer.actor_id or await group_roles.can_moderate(
            group, viewer.actor_id
        )
    return False
