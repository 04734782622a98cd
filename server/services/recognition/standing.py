"""Standing and "top helpers": sums over the credits others gave, computed when asked.

What counts:
- only credits whose post the viewer may read (`reading.readable_posts`): removed, deleted or
  held content earns nothing, and a members-only group's credits count only for its readers;
- never a credit whose giver is its earner;
- likes from one remote domain are capped per earner and scope (a group, or the instance): they
  count at most as much as all the earner's points from every other source (this instance and
  other domains), or `DOMAIN_LIKE_FLOOR` points when that is more. So a farm of accounts on one
  server cannot outweigh what the rest of the community confirmed, while a member whose likes
  mostly come from one friendly server still gets a little for them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import F, Q
from tortoise.functions import Sum

from server.models import Account, Actor, Credit, CreditKind, Group, utcnow
from server.services import reading

__all__ = [
    "DOMAIN_LIKE_FLOOR",
    "Helper",
    "TopHelpers",
    "capped_total",
    "counted_credits",
    "standing",
    "top_helpers",
]

DOMAIN_LIKE_FLOOR = 5
TOP_HELPERS = 5


@dataclass(frozen=True)
class Helper:
    actor: Actor
    points: int


@dataclass(frozen=True)
class TopHelpers:
    month: list[Helper]
    all_time: list[Helper]


def counted_credits(viewer: Account | None) -> Q:
    """A filter on `Credit` for the credits that count for this viewer (see the module text):
    the read policy decides which posts still earn (a credit's group is its post's)."""
    return Q(
        Q(giver_id__isnull=True) | ~Q(giver_id=F("earner_id")),
        reading.readable_posts(viewer, prefix="post__"),
    )


def capped_total(parts: Iterable[tuple[str, str, int]]) -> int:
    """One earner's points from `(giver_domain, kind, points)` sums, with the domain cap."""
    parts = list(parts)
    total = sum(points for _, _, points in parts)
    from_domain: dict[str, int] = defaultdict(int)
    likes_from_domain: dict[str, int] = defaultdict(int)
    for domain, kind, points in parts:
        from_domain[domain] += points
        if domain and kind == CreditKind.LIKE_RECEIVED:
            likes_from_domain[domain] += points
    capped = total
    for domain, likes in likes_from_domain.items():
        allowed = max(DOMAIN_LIKE_FLOOR, total - from_domain[domain])
        capped -= max(0, likes - allowed)
    return capped


async def _totals(query: Q) -> dict[str, int]:
    rows = await (
        Credit.filter(query)
        .annotate(total=Sum("points"))
        .group_by("earner_id", "giver_domain", "kind")
        .values("earner_id", "giver_domain", "kind", "total")
    )
    parts: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for row in rows:
        parts[str(row["earner_id"])].append(
            (row["giver_domain"], str(row["kind"]), int(row["total"] or 0))
        )
    return {earner: capped_total(earned) for earner, earned in parts.items()}


async def standing(actor_id: str, viewer: Account | None, *, group: Group | None = None) -> int:
    """The person's points in one group, or across the instance (the groups `viewer` reads)."""
    query = counted_credits(viewer) & Q(earner_id=actor_id)
    if group is not None:
        query &= Q(group_id=group.id)
    return (await _totals(query)).get(actor_id, 0)


async def top_helpers(
    group: Group, viewer: Account | None, *, now: datetime | None = None
) -> TopHelpers:
    """The group's most credited people this calendar month (UTC) and of all time; nothing for
    a viewer who may not read the group."""
    if not await reading.can_read_group(viewer, group):
        return TopHelpers([], [])
    start = (now or utcnow()).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    in_group = counted_credits(viewer) & Q(group_id=group.id)
    month = await _totals(in_group & Q(created_at__gte=start))
    all_time = await _totals(in_group)
    best_month, best_ever = _best(month), _best(all_time)
    ids = {earner for earner, _ in best_month + best_ever}
    # A suspended person is not held up as an example.
    shown = await Actor.filter(id__in=ids, suspended_at__isnull=True)
    actors = {actor.id: actor for actor in shown}
    return TopHelpers(
        [Helper(actors[earner], points) for earner, points in best_month if earner in actors],
        [Helper(actors[earner], points) for earner, points in best_ever if earner in actors],
    )


def _best(totals: dict[str, int]) -> list[tuple[str, int]]:
    ranked = sorted(
        ((earner, points) for earner, points in totals.items() if points > 0),
        key=lambda item: (-item[1], item[0]),
    )
    return ranked[:TOP_HELPERS]
