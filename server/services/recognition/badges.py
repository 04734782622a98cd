"""Badges: the built-in ones the worker grants by rule, and custom ones admins give.

Built-in badges (granted once, never taken back by the worker: a badge records a moment):

| badge | scope | rule |
|---|---|---|
| First accepted answer | group | one of their answers in the group was accepted |
| 10 accepted answers | instance | 10 of their answers were accepted, in any group |
| 50 accepted answers | instance | 50, likewise |
| Pinned resource | group | a moderator pinned a resource they shared in the group |
| Welcomer | group | they gave the first reply to 5 newcomers' questions in the group |
| A year in the group | group | they have been an accepted member of the group for 365 days |

Answers and resources count as `standing` counts them: only credits from someone else, on
content still published. Each award's `dedup_key` (`badge:actor:group`) makes granting twice,
or by two workers at once, a no-op; the award and its notification (`BadgeAwarded`) commit
together, so the member hears of it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from server import events
from server.models import (
    Account,
    Badge,
    BadgeAward,
    Credit,
    CreditKind,
    GroupState,
    Membership,
    MembershipState,
    PostState,
    utcnow,
)

__all__ = ["BUILTIN", "BuiltinBadge", "award", "award_key", "ensure_builtin", "grant_builtin"]


@dataclass(frozen=True)
class BuiltinBadge:
    slug: str
    name: str
    description: str
    per_group: bool
    kind: CreditKind | None  # the credits counted; None for the year of membership
    threshold: int = 1


BUILTIN = (
    BuiltinBadge(
        "first-accepted-answer",
        "First accepted answer",
        "One of their answers in this group was accepted.",
        per_group=True,
        kind=CreditKind.ANSWER_ACCEPTED,
    ),
    BuiltinBadge(
        "accepted-answers-10",
        "10 accepted answers",
        "Ten of their answers were accepted, across the groups here.",
        per_group=False,
        kind=CreditKind.ANSWER_ACCEPTED,
        threshold=10,
    ),
    BuiltinBadge(
        "accepted-answers-50",
        "50 accepted answers",
        "Fifty of their answers were accepted, across the groups here.",
        per_group=False,
        kind=CreditKind.ANSWER_ACCEPTED,
        threshold=50,
    ),
    BuiltinBadge(
        "pinned-resource",
        "Pinned resource",
        "A moderator pinned a resource they shared in this group.",
        per_group=True,
        kind=CreditKind.RESOURCE_PINNED,
    ),
    BuiltinBadge(
        "welcomer",
        "Welcomer",
        "They were the first to answer five newcomers' questions in this group.",
        per_group=True,
        kind=CreditKind.NEWCOMER_WELCOMED,
        threshold=5,
    ),
    BuiltinBadge(
        "member-year",
        "A year in the group",
        "They have been a member of this group for a year.",
        per_group=True,
        kind=None,
    ),
)

YEAR = timedelta(days=365)


def award_key(badge_id: str, actor_id: str, group_id: str | None) -> str:
    return f"{badge_id}:{actor_id}:{group_id or ''}"


async def ensure_builtin() -> dict[str, Badge]:
    """The built-in badges' rows, created on first use (by whichever worker comes first)."""
    stored = {badge.slug: badge for badge in await Badge.filter(builtin=True)}
    for rule in BUILTIN:
        if rule.slug in stored:
            continue
        try:
            async with in_transaction():
                stored[rule.slug] = await Badge.create(
                    slug=rule.slug, name=rule.name, description=rule.description, builtin=True
                )
        except IntegrityError:
            stored[rule.slug] = await Badge.get(slug=rule.slug)
    return stored


async def grant_builtin(now: datetime | None = None) -> int:
    """Grant every built-in badge someone has earned and does not hold; returns how many."""
    badges = await ensure_builtin()
    keys = await BadgeAward.filter(badge_id__in=[b.id for b in badges.values()]).values_list(
        "dedup_key", flat=True
    )
    held = {str(key) for key in keys}
    granted = 0
    for rule in BUILTIN:
        badge = badges[rule.slug]
        for actor_id, group_id in await _earned(rule, now or utcnow()):
            if award_key(badge.id, actor_id, group_id) in held:
                continue
            if await award(badge, actor_id, group_id, reason=rule.description):
                granted += 1
    return granted


async def award(
    badge: Badge,
    actor_id: str,
    group_id: str | None,
    *,
    reason: str = "",
    by: Account | None = None,
) -> BadgeAward | None:
    """Give the badge, with its notification, in one transaction; None when already held."""
    try:
        async with in_transaction():
            granted = await BadgeAward.create(
                badge=badge,
                actor_id=actor_id,
                group_id=group_id,
                awarded_by=by,
                reason=reason,
                dedup_key=award_key(badge.id, actor_id, group_id),
            )
            await events.bus.publish(events.BadgeAwarded(granted.id))
    except IntegrityError:
        return None  # held already, perhaps granted a moment ago by another worker
    return granted


async def _earned(rule: BuiltinBadge, now: datetime) -> list[tuple[str, str | None]]:
    if rule.kind is None:
        members = await Membership.filter(
            Q(decided_at__lte=now - YEAR) | Q(decided_at__isnull=True, created_at__lte=now - YEAR),
            state=MembershipState.ACCEPTED,
            group__state=GroupState.ACTIVE,
            actor__suspended_at__isnull=True,
        ).values_list("actor_id", "group_id")
        return [(str(actor_id), str(group_id)) for actor_id, group_id in members]
    by = ["earner_id", "group_id"] if rule.per_group else ["earner_id"]
    rows = await (
        Credit.filter(
            Q(giver_id__isnull=True) | ~Q(giver_id=F("earner_id")),
            kind=rule.kind,
            post__state=PostState.PUBLISHED,
            group__state=GroupState.ACTIVE,
        )
        .annotate(count=Count("id"))
        .group_by(*by)
        .values(*by, "count")
    )
    return [
        (str(row["earner_id"]), str(row["group_id"]) if rule.per_group else None)
        for row in rows
        if row["count"] >= rule.threshold
    ]
