"""Reading what the served documents show: local actors, posts with their relations, pages.

Documents are read-only views, so the adapter reads the models directly; every change still
goes through `server.services`. Lists load their relations in bulk (`select_related` for
one-to-one links, `prefetch_related` for tags and mentions), so rendering a page costs the same
few queries whatever its length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from federation import urls
from federation.render import render_note
from federation.render.privacy import for_group
from server.models import (
    Account,
    AccountState,
    Actor,
    ActorKind,
    Group,
    GroupState,
    Post,
)
from server.settings import Settings

M = TypeVar("M", bound=Model)

ROW_ID_RE = re.compile(r"^[0-9a-z]{26}$")
# What `note_of` reads from a post; load posts with these before rendering them.
NOTE_SELECT = ("author", "group__actor", "parent")
NOTE_PREFETCH = ("hashtags", "mentions__actor")


class BadCursor(ValueError):
    """A page cursor that is not a row id, or both `after` and `before` at once."""


async def active_group(name: str) -> Group | None:
    """A local group that is visible (active), with its actor."""
    return (
        await Group.filter(actor__username=name.lower(), actor__domain="", state=GroupState.ACTIVE)
        .select_related("actor")
        .first()
    )


async def active_person(name: str) -> Actor | None:
    """A local person whose account is active and not suspended.

    Pending and suspended people answer 404, never 410: Mastodon deletes an actor that answers
    410, while a suspension may be lifted.
    """
    account = (
        await Account.filter(
            actor__username=name.lower(), actor__domain="", state=AccountState.ACTIVE
        )
        .select_related("actor")
        .first()
    )
    if account is None or account.actor.suspended_at is not None:
        return None
    return account.actor


async def deleted_person(name: str) -> Actor | None:
    """A local person whose account was deleted: its URL answers 410 for good."""
    return await Actor.get_or_none(
        username=name.lower(), domain="", kind=ActorKind.PERSON, deleted_at__isnull=False
    )


async def local_post(post_id: str) -> Post | None:
    """A post written here, in an active group, in any state, loaded for `note_of`."""
    if not ROW_ID_RE.fullmatch(post_id):
        return None
    return (
        await Post.filter(
            id=post_id, ap_id__isnull=True, author__domain="", group__state=GroupState.ACTIVE
        )
        .select_related(*NOTE_SELECT)
        .prefetch_related(*NOTE_PREFETCH)
        .first()
    )


def note_of(settings: Settings, post: Post, *, with_context: bool = True) -> dict[str, Any]:
    """Render a local post loaded with NOTE_SELECT and NOTE_PREFETCH (addressed to the
    group's followers only when the group is members-only)."""
    parent = post.parent
    note = render_note(
        settings,
        post,
        author=post.author,
        group_actor=post.group.actor,
        in_reply_to=urls.post_id(settings, parent) if parent is not None else None,
        hashtags=[link.tag for link in _prefetched(post, "hashtags")],
        mentions=[link.actor for link in _prefetched(post, "mentions")],
        with_context=with_context,
    )
    return for_group(settings, post.group, note)


def _prefetched(post: Post, relation: str) -> list[Any]:
    # The models declare no reverse relations, so the type checker cannot see these attributes.
    return list(getattr(post, relation))


@dataclass(frozen=True)
class KeysetPage(Generic[M]):
    rows: list[M]
    next_after: str | None  # cursor of the following page, None on the last one
    prev_before: str | None  # cursor of the preceding page, None on the first one


def parse_cursors(query_params: Any) -> tuple[str | None, str | None]:
    """`after` and `before` from a page URL; BadCursor when malformed."""
    after = query_params.get("after") or None
    before = query_params.get("before") or None
    if after and before:
        raise BadCursor("use either after or before")
    for cursor in (after, before):
        if cursor is not None and not ROW_ID_RE.fullmatch(cursor):
            raise BadCursor("not a page cursor")
    return after, before


async def keyset_page(
    query: QuerySet[M],
    *,
    newest_first: bool,
    after: str | None,
    before: str | None,
    limit: int,
) -> KeysetPage[M]:
    """A page of `query` ordered by row id (ULIDs sort by creation time).

    `after` gives the rows that follow that row in the collection's order, `before` the rows
    that precede it. One query either way: one row more than the page tells whether more exist.
    """
    forward, backward = ("-id", "id") if newest_first else ("id", "-id")
    if before:
        query = query.filter(id__gt=before) if newest_first else query.filter(id__lt=before)
        rows = list(await query.order_by(backward).limit(limit + 1))
        more_before = len(rows) > limit
        rows = rows[:limit][::-1]
        return KeysetPage(
            rows,
            next_after=str(rows[-1].pk) if rows else None,
            prev_before=str(rows[0].pk) if rows and more_before else None,
        )
    if after:
        query = query.filter(id__lt=after) if newest_first else query.filter(id__gt=after)
    rows = list(await query.order_by(forward).limit(limit + 1))
    more_after = len(rows) > limit
    rows = rows[:limit]
    return KeysetPage(
        rows,
        next_after=str(rows[-1].pk) if rows and more_after else None,
        prev_before=str(rows[0].pk) if rows and after else None,
    )
