"""Who may read what: the one read policy every read path asks.

Pages, search, feeds, the front page, notifications, mail, OpenGraph tags and ActivityPub GETs
all decide visibility here, never by filtering by hand: a path that filters on its own is how
hidden content leaks. A reader may see:

- a group's content (posts, replies, resources, member list, feeds) when the group is active
  (not pending approval, not suspended) and either public, or members-only and the reader is an
  accepted member of it (its moderators are members too) or an admin of this instance;
- a post that is published, in a group whose content the reader may read. Held posts are
  readable by their author and the group's moderators only; removed and deleted posts by nobody
  (pages may still show a placeholder where visible replies hang under one, see `feeds.thread`).

A members-only group itself (its name, description, rules and how to join) stays listed in the
directory, so that people can find it and ask to join: `listable_groups` is that wider filter.

Another server reads through signed fetches: `can_server_read_group` admits the servers where
an accepted member of the group lives.
"""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q, Subquery

from server.models import (
    Account,
    Group,
    GroupState,
    GroupVisibility,
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
    "can_server_read_group",
    "is_members_only",
    "listable_groups",
    "openable_posts",
    "readable_groups",
    "readable_posts",
]


def is_members_only(group: Group) -> bool:
    return group.visibility == GroupVisibility.MEMBERS


def listable_groups(viewer: Account | None) -> Q:
    """A filter on `Group` for the groups whose name and description the viewer may see (the
    directory lists members-only groups too, so people can ask to join; not their content)."""
    return Q(state=GroupState.ACTIVE)


def _member_of(viewer: Account) -> Any:
    return Subquery(
        Membership.filter(actor_id=viewer.actor_id, state=MembershipState.ACCEPTED).values(
            "group_id"
        )
    )


def _content_visible(viewer: Account | None, group: str, group_id: str) -> Q:
    """The part of the policy that depends on the group's visibility: `group` prefixes the
    group's fields, `group_id` names the group's id (subqueries, not joins, so that no column
    name in a caller's ordering becomes ambiguous)."""
    visible = Q(**{f"{group}visibility": GroupVisibility.PUBLIC})
    if viewer is None:
        return visible
    member: dict[str, Any] = {f"{group_id}__in": _member_of(viewer)}
    visible |= Q(**member)
    if viewer.is_admin:  # admins read every group hosted here
        local = Subquery(Group.filter(actor__domain="").values("id"))
        hosted: dict[str, Any] = {f"{group_id}__in": local}
        visible |= Q(**hosted)
    return visible


def readable_groups(viewer: Account | None) -> Q:
    """A filter on `Group` for the groups whose content the viewer may read."""
    return Q(_content_visible(viewer, "", "id"), state=GroupState.ACTIVE)


def readable_posts(viewer: Account | None, *, prefix: str = "") -> Q:
    """A filter on `Post` for the posts the viewer may find, list and count (held posts are
    never listed: their author and moderators reach them through the moderation pages).

    `prefix` reaches posts through a relation, e.g. `prefix="post__"` on `Notification`."""
    return Q(
        _content_visible(viewer, f"{prefix}group__", f"{prefix}group_id"),
        **{f"{prefix}state": PostState.PUBLISHED, f"{prefix}group__state": GroupState.ACTIVE},
    )


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
    """Whether the viewer may read the group's content (posts, members, feeds)."""
    if group.state != GroupState.ACTIVE:
        return False
    if not is_members_only(group):
        return True
    if viewer is None:
        return False
    if await Membership.filter(
        group_id=group.id, actor_id=viewer.actor_id, state=MembershipState.ACCEPTED
    ).exists():
        return True
    return viewer.is_admin and await group_roles.is_admin_here(group, viewer.actor_id)


async def can_server_read_group(domain: str, group: Group) -> bool:
    """Whether another server (by domain) may fetch the group's content: always for a public
    group, and for a members-only one when an accepted member of it lives there."""
    if group.state != GroupState.ACTIVE:
        return False
    if not is_members_only(group):
        return True
    if not domain:
        return False
    return await Membership.filter(
        group_id=group.id,
        state=MembershipState.ACCEPTED,
        actor__domain=domain.lower(),
        actor__suspended_at__isnull=True,
    ).exists()


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
