"""Badges as pages show them: beside names in a thread, and on a person's profile."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from server.models import Account, BadgeAward, Group
from server.services import _prepared, reading
from server.services.recognition.standing import standing

__all__ = ["ProfileRecognition", "badges_in_group", "profile_badges", "profile_recognition"]


@dataclass(frozen=True)
class ProfileRecognition:
    points: int  # standing across the groups the viewer may read
    badges: list[BadgeAward]


async def badges_in_group(actor_ids: Iterable[str], group: Group) -> dict[str, list[BadgeAward]]:
    """The instance-wide badges and this group's badges of each person: one query for a whole
    thread. The page shows the group, so its badges tell a reader nothing new."""
    ids = list(dict.fromkeys(actor_ids))
    if not ids:
        return {}
    people = {f"actor{number}": actor_id for number, actor_id in enumerate(ids)}

    def build(group_id: str, **actors: str) -> QuerySet[BadgeAward]:
        return (
            BadgeAward.filter(
                Q(group_id__isnull=True) | Q(group_id=group_id), actor_id__in=list(actors.values())
            )
            .select_related("badge")
            .order_by("created_at")
        )

    awards: list[BadgeAward] = await _prepared.run(
        ("badges in group", len(ids)), build, group_id=group.id, **people
    )
    held: dict[str, list[BadgeAward]] = defaultdict(list)
    for given in awards:
        held[given.actor_id].append(given)
    return dict(held)


async def profile_badges(actor_id: str, viewer: Account | None) -> list[BadgeAward]:
    """A person's badges, newest first: instance-wide ones, and those of the groups the viewer
    may read (a members-only group's badges say where the person takes part)."""
    readable = Group.filter(reading.readable_groups(viewer)).values("id")
    return await (
        BadgeAward.filter(
            Q(group_id__isnull=True) | Q(group_id__in=Subquery(readable)), actor_id=actor_id
        )
        .select_related("badge", "group__actor")
        .order_by("-created_at")
    )


async def profile_recognition(actor_id: str, viewer: Account | None) -> ProfileRecognition:
    """What a profile shows of a person's recognition, as the viewer may see it."""
    return ProfileRecognition(
        await standing(actor_id, viewer), await profile_badges(actor_id, viewer)
    )
