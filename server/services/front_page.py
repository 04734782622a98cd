"""What the front page shows: the instance's groups by activity, answered questions and new
resources for visitors; a member's unanswered questions in their groups.

Everything is asked of the one read policy (`server/services/reading.py`) for the viewer.
"""

from __future__ import annotations

from tortoise.expressions import F, Subquery
from tortoise.functions import Coalesce
from tortoise.queryset import QuerySet

from server.models import Account, Actor, Group, Membership, MembershipState, Post, PostKind
from server.services import _prepared
from server.services.listed import ListedThread, listed_rows, stand_in
from server.services.reading import readable_groups, readable_posts

__all__ = ["active_groups", "new_resources", "recently_answered", "unanswered_in_my_groups"]

LISTED = 6


async def active_groups(viewer: Account | None, *, limit: int = LISTED) -> list[Group]:
    """This instance's groups, most active first (latest post, or creation for a group nobody
    has posted in yet; then the larger), as the group directory orders them."""
    return (
        # A subquery rather than a join, so that no column name in the ordering is ambiguous.
        await Group.filter(
            readable_groups(viewer), actor_id__in=Subquery(Actor.filter(domain="").values("id"))
        )
        .annotate(activity=Coalesce(F("last_post_at"), F("created_at")))
        .order_by("-activity", "-member_count", "id")
        .limit(limit)
        .prefetch_related("actor")  # not a join: `created_at` would be ambiguous
    )


async def recently_answered(viewer: Account | None, *, limit: int = LISTED) -> list[Post]:
    """Questions with an accepted answer in this instance's groups, latest activity first."""
    return (
        await Post.filter(
            readable_posts(viewer),
            group__actor__domain="",
            kind=PostKind.QUESTION,
            parent_id__isnull=True,
            accepted_answer_id__isnull=False,
        )
        .select_related("author", "group__actor")
        .order_by("-last_activity_at", "-id")
        .limit(limit)
    )


async def new_resources(viewer: Account | None, *, limit: int = LISTED) -> list[Post]:
    """The newest resources shared in this instance's groups."""
    return (
        await Post.filter(
            readable_posts(viewer),
            group__actor__domain="",
            kind=PostKind.RESOURCE,
            parent_id__isnull=True,
        )
        .select_related("author", "group__actor")
        .order_by("-created_at", "-id")
        .limit(limit)
    )


async def unanswered_in_my_groups(account: Account, *, limit: int = LISTED) -> list[ListedThread]:
    """Questions without an accepted answer in the groups the member belongs to, newest first:
    the cries for help they might answer (as the list shows them, `listed`)."""
    group_ids: list[str] = await _prepared.run(
        "member's groups",
        lambda actor: Membership.filter(actor_id=actor, state=MembershipState.ACCEPTED).values_list(
            "group_id", flat=True
        ),
        actor=account.actor_id,
    )
    if not group_ids:
        return []
    groups = {f"group{number}": str(group_id) for number, group_id in enumerate(group_ids)}

    def unanswered(actor: str, **groups: str) -> QuerySet[Post]:
        return (
            Post.filter(
                readable_posts(stand_in(account, actor)),
                group_id__in=list(groups.values()),
                kind=PostKind.QUESTION,
                parent_id__isnull=True,
                accepted_answer_id__isnull=True,
            )
            .order_by("-created_at", "-id")
            .limit(limit)
        )

    shape = ("unanswered in my groups", len(groups), account.is_admin, limit)
    return await listed_rows(shape, unanswered, True, actor=account.actor_id, **groups)
