"""The group directory: finding active groups by words and by topic.

Groups are listed by recent activity (their last post, or their creation for groups nobody has
posted in yet), then by size, so that a living group is found before a large silent one. Pages
are numbered rather than cursor-based because that order is computed and not unique.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import F, Q, Subquery
from tortoise.functions import Coalesce, Count

from server.models import Actor, Group, GroupState, GroupTopic
from server.services.errors import Invalid
from server.services.groups import TOPIC_MAX_CHARS, parse_topics
from server.services.reading import listable_groups

MAX_QUERY_CHARS = 100
MAX_LISTED_TOPICS = 40


@dataclass(frozen=True)
class DirectoryEntry:
    group: Group
    topics: list[str]


@dataclass(frozen=True)
class DirectoryPage:
    entries: list[DirectoryEntry]
    total: int
    page: int
    page_size: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.total


@dataclass(frozen=True)
class TopicCount:
    name: str
    count: int


def normalise_query(text: str) -> str:
    """Collapse whitespace; raise Invalid (field `q`) for a query too long to be a search."""
    text = " ".join(text.split())
    if len(text) > MAX_QUERY_CHARS:
        raise Invalid({"q": f"Search with at most {MAX_QUERY_CHARS} characters."})
    return text


def normalise_topic(text: str) -> str:
    """A topic as stored (see `parse_topics`), or "" for none."""
    topics = parse_topics(text.replace(",", " "))
    return topics[0] if topics else ""


async def search_groups(
    text: str = "", *, topic: str = "", page: int = 1, page_size: int = 20
) -> DirectoryPage:
    """One page of active groups whose name, handle or description contains `text`."""
    text = normalise_query(text)
    topic = normalise_topic(topic)
    page = max(page, 1)
    # Members-only groups are listed too (not their content), so people can ask to join.
    query = Group.filter(listable_groups(None))
    if text:
        # A subquery rather than a join, so that no column name in the ordering is ambiguous.
        named = Actor.filter(Q(display_name__icontains=text) | Q(username__icontains=text))
        query = query.filter(
            Q(actor_id__in=Subquery(named.values("id"))) | Q(description_source__icontains=text)
        )
    if len(topic) > TOPIC_MAX_CHARS:  # no group can carry it (and the column would refuse it)
        return DirectoryPage([], 0, page, page_size)
    if topic:
        tagged = await GroupTopic.filter(topic__name=topic).values_list("group_id", flat=True)
        query = query.filter(id__in=list(tagged))
    total = await query.count()
    groups = (
        await query.annotate(activity=Coalesce(F("last_post_at"), F("created_at")))
        .order_by("-activity", "-member_count", "id")
        .offset((page - 1) * page_size)
        .limit(page_size)
        .prefetch_related("actor")
    )
    topics = await _topics_by_group([group.id for group in groups])
    entries = [DirectoryEntry(group, topics.get(group.id, [])) for group in groups]
    return DirectoryPage(entries, total, page, page_size)


async def topic_counts(limit: int = MAX_LISTED_TOPICS) -> list[TopicCount]:
    """The most used topics among active groups, with how many groups carry each."""
    rows = (
        await GroupTopic.filter(group__state=GroupState.ACTIVE)
        .annotate(count=Count("id"))
        .group_by("topic__name")
        .order_by("-count", "topic__name")
        .limit(limit)
        .values("topic__name", "count")
    )
    return [TopicCount(str(row["topic__name"]), int(row["count"])) for row in rows]


async def _topics_by_group(group_ids: list[str]) -> dict[str, list[str]]:
    if not group_ids:
        return {}
    rows = (
        await GroupTopic.filter(group_id__in=group_ids)
        .order_by("topic__name")
        .values("group_id", "topic__name")
    )
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(str(row["group_id"]), []).append(str(row["topic__name"]))
    return found
