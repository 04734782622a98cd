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

from tortoise.expressions import Q, Subquery

from server.models import (
    Account,
    Group,
    GroupState,
    MemberRole,
    Membership,
    MembershipState,
    Post,
    PostState,
)
from server.services import groups as group_roles

__all__ = [
    "can_read_group",
    "can_read_post",
    "openable_posts",
    "readable_groups",
    "readable_posts",
]


def readable_groups(viewer: Account | None) -> Q:
    """A filter on `Group` for the groups the viewer may list and read."""
    return Q(state=GroupState.ACTIVE)


def readable_posts(viewer: Account | None, *, prefix: str = "") -> Q:
    """A filter on `Post` for the posts the viewer may find, list and count (held posts are
    never listed: their author and moderators reach them through the moderation pages).

    `prefix` reaches posts through a relation, e.g. `prefix="post__"` on `Notification`."""
    return Q(**{f"{prefix}state": PostState.PUBLISHED, f"{prefix}group__state": GroupState.ACTIVE})


def openable_posts(viewer: Account | None, *, prefix: str = "") -> Q:
    """A filter on `Post` for every post the viewer may open, as `can_read_post` decides one:
    the readable posts, and the held posts the viewer wrote or may review (what a notification
    of theirs may point at, though no list shows held posts)."""
    readable = readable_posts(viewer, prefix=prefix)
    if viewer is None:
        return readable
    moderated = Membership.filter(
        actor_id=viewer.actor_id,
        state=MembershipState.ACCEPTED,
        role__in=[MemberRole.OWNER, MemberRole.MODERATOR],
    ).values("group_id")
    in_moderated: dict[str, object] = {f"{prefix}group_id__in": Subquery(moderated)}
    reviewer = Q(**in_moderated)  # type: ignore[arg-type]
    if viewer.is_admin:  # admins moderate every group hosted here
        reviewer |= Q(**{f"{prefix}group__actor__domain": ""})
    held = Q(
        Q(**{f"{prefix}author_id": viewer.actor_id}) | reviewer,
        **{f"{prefix}state": PostState.HELD, f"{prefix}group__state": GroupState.ACTIVE},
    )
    return readable | held


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
