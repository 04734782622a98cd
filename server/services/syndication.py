"""What the public feeds (RSS and Atom) carry: the newest posts anyone may read, by scope.

Every list here asks the one read policy for an anonymous reader (`readable_posts(None)`), so
removed, held and deleted posts, and the posts of suspended groups, never reach a feed reader,
who cannot log in. Rendering the XML is the web adapter's job.

Scopes: the whole instance (threads in its own groups), one group (its threads, optionally of
one kind), one #tag (posts and replies carrying it), one local person (their posts and replies
in readable groups). Remote people have no page here and so no feed: their own server has one.
"""

from __future__ import annotations

from tortoise.queryset import QuerySet

from server.models import Account, Group, Post, PostKind
from server.services.feeds import TAG_RE
from server.services.reading import readable_posts

__all__ = [
    "FEED_ITEMS",
    "group_posts",
    "instance_posts",
    "person_posts",
    "tag_posts",
    "thread_titles",
]

FEED_ITEMS = 30  # what a feed reader polls: the newest few, never the archive


def _public() -> QuerySet[Post]:
    return Post.filter(readable_posts(None)).select_related("author", "group__actor")


async def _newest(query: QuerySet[Post], limit: int) -> list[Post]:
    return await query.order_by("-created_at", "-id").limit(limit)


async def instance_posts(*, limit: int = FEED_ITEMS) -> list[Post]:
    """The newest threads in this instance's own groups."""
    query = _public().filter(parent_id__isnull=True, group__actor__domain="")
    return await _newest(query, limit)


async def group_posts(
    group: Group, *, kind: PostKind | None = None, limit: int = FEED_ITEMS
) -> list[Post]:
    """The group's newest threads, of one kind (discussion, question, resource) if given."""
    query = _public().filter(group_id=group.id, parent_id__isnull=True)
    if kind is not None:
        query = query.filter(kind=kind)
    return await _newest(query, limit)


async def tag_posts(tag: str, *, limit: int = FEED_ITEMS) -> list[Post]:
    """The newest posts and replies carrying #tag (nothing for a string that is no tag)."""
    if not TAG_RE.fullmatch(tag):
        return []
    return await _newest(_public().filter(hashtags__tag=tag.lower()), limit)


async def person_posts(account: Account, *, limit: int = FEED_ITEMS) -> list[Post]:
    """A local person's newest posts and replies."""
    return await _newest(_public().filter(author_id=account.actor_id), limit)


async def thread_titles(items: list[Post]) -> dict[str, str]:
    """The titles of the threads these replies belong to, by thread id: only of threads an
    anonymous reader may read (a removed thread's title stays out of feeds)."""
    root_ids = {post.root_id for post in items if post.root_id}
    if not root_ids:
        return {}
    rows = await Post.filter(readable_posts(None), id__in=list(root_ids)).values_list("id", "title")
    return {str(root_id): str(title) for root_id, title in rows}
