"""Searching posts, groups, people and tags, for one viewer.

Every result set starts from the read policy (`server.services.reading`): the index is asked
which of the posts the viewer may read match, so what the viewer may not read is never found,
shown or counted, even if the index were stale. Posts are keyset-paged (relevance: by rank,
then id; newest: by id, which is a ULID and so sorts by creation time).

Errors: `Invalid` (from `server.services.errors`) for a query that is too long, filters that
do not parse, or a broken page cursor.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from tortoise.expressions import Q

from server.models import Account, Post, PostKind
from server.read_connections import read_connection
from server.services import reading
from server.services.errors import Invalid
from server.services.listed import ListedActor, ListedGroup
from server.services.search._backends import Match, backend_for
from server.services.search._found import (
    SIDE_RESULTS,
    FoundPost,
    load_posts,
    load_side_lists,
)
from server.services.search._highlight import Segment, highlight
from server.services.search._sql import CompiledSql, compiled, ids_of, viewer_key
from server.services.search.index import document_text
from server.services.search.terms import MAX_QUERY_CHARS, SearchTerms, parse_terms
from server.text import is_storable

__all__ = [
    "PostHit",
    "SearchPage",
    "SearchQuery",
    "Segment",
    "Sort",
    "search",
    "similar_questions",
]

PAGE_SIZE = 20
SNIPPET_CHARS = 200
KINDS = ("question", "discussion", "resource", "reply")
ANSWERED = ("", "yes", "no")
HANDLE = re.compile(r"@?([a-z0-9_]{1,64})(?:@([a-z0-9.-]{1,255}))?", re.IGNORECASE)
BAD_CURSOR = "That page link is broken; start again from the first page."


class Sort(StrEnum):
    RELEVANCE = "relevance"
    NEWEST = "newest"


@dataclass(frozen=True)
class SearchQuery:
    """What a visitor asked for; every field is text as typed (checked by `search`)."""

    text: str = ""
    group: str = ""  # a group's handle: name, or name@domain
    kind: str = ""  # one of KINDS, or "" for any
    answered: str = ""  # "yes", "no" (questions only), or ""
    author: str = ""  # a person's handle
    since: str = ""  # YYYY-MM-DD, inclusive
    until: str = ""  # YYYY-MM-DD, inclusive
    sort: str = Sort.RELEVANCE
    cursor: str = ""


@dataclass(frozen=True)
class PostHit:
    post: FoundPost
    snippet: tuple[Segment, ...]
    title: tuple[Segment, ...]


@dataclass
class SearchPage:
    terms: SearchTerms
    posts: list[PostHit] = field(default_factory=list)
    groups: list[ListedGroup] = field(default_factory=list)
    people: list[ListedActor] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    next_cursor: str | None = None


async def search(viewer: Account | None, query: SearchQuery, *, language: str) -> SearchPage:
    """One page of posts matching `query` that `viewer` may read, and (on the first page) the
    groups, people and tags whose names match. Raises `Invalid` on bad input."""
    _check(query)
    terms = parse_terms(query.text)
    page = SearchPage(terms)
    if not terms:
        return page
    after_rank, after_id = _decode_cursor(query.cursor, Sort(query.sort))
    db = Post._meta.db
    filters = (query.group, query.author, query.kind, query.answered, query.since, query.until)
    readable = compiled(
        db,
        ("search", viewer_key(viewer), filters),
        lambda: ids_of(Post.filter(reading.readable_posts(viewer), *_filters(query))),
    )
    hits = await _match(
        readable,
        terms,
        language=language,
        any_word=False,
        newest=query.sort == Sort.NEWEST,
        after=(after_rank, after_id),
        limit=PAGE_SIZE + 1,
    )
    more = len(hits) > PAGE_SIZE
    hits = hits[:PAGE_SIZE]
    page.posts = await _post_hits([hit[0] for hit in hits], terms)
    if more and hits:
        page.next_cursor = _encode_cursor(Sort(query.sort), *hits[-1][::-1])
    if not query.cursor:
        async with read_connection(db) as reader:
            side = await load_side_lists(reader, viewer, terms.words)
        page.groups, page.people, page.tags = side.groups, side.people, side.tags
    return page


async def similar_questions(
    viewer: Account | None, title: str, *, language: str, limit: int = SIDE_RESULTS
) -> list[PostHit]:
    """The readable questions closest to `title`, answered ones first (any word may match)."""
    if len(title) > MAX_QUERY_CHARS or not is_storable(title):
        return []
    terms = parse_terms(title)
    if not terms:
        return []
    readable = compiled(
        Post._meta.db,
        ("similar", viewer_key(viewer)),
        lambda: ids_of(Post.filter(reading.readable_posts(viewer), kind=PostKind.QUESTION)),
    )
    hits = await _match(
        readable,
        terms,
        language=language,
        any_word=True,
        newest=False,
        after=(None, None),
        limit=limit * 4,
    )
    found = await _post_hits([post_id for post_id, _ in hits], terms)
    answered_first = sorted(found, key=lambda hit: hit.post.accepted_answer_id is None)
    return answered_first[:limit]


def _check(query: SearchQuery) -> None:
    errors: dict[str, str] = {}
    texts = {"q": query.text, "group": query.group, "author": query.author}
    for name, text in texts.items():
        if not is_storable(text):
            errors[name] = "Leave out control characters such as NUL."
    if len(query.text) > MAX_QUERY_CHARS:
        errors["q"] = f"Search with at most {MAX_QUERY_CHARS} characters."
    if query.kind not in ("", *KINDS):
        errors["kind"] = "Choose question, discussion, resource or reply."
    if query.answered not in ANSWERED:
        errors["answered"] = "Choose answered or unanswered."
    if query.sort not in set(Sort):
        errors["sort"] = "Sort by relevance or newest."
    for name in ("group", "author"):
        value = texts[name]
        if value and not HANDLE.fullmatch(value):
            errors[name] = "Give a handle such as name or name@example.org."
    for name in ("since", "until"):
        value = getattr(query, name)
        if value and _date(value) is None:
            errors[name] = "Give a date as YYYY-MM-DD."
    if errors:
        raise Invalid(errors)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def _handle(text: str) -> tuple[str, str]:
    found = HANDLE.fullmatch(text)
    assert found is not None
    return found.group(1).lower(), (found.group(2) or "").lower()


def _filters(query: SearchQuery) -> list[Q]:
    filters: list[Q] = []
    if query.group:
        name, domain = _handle(query.group)
        filters.append(Q(group__actor__username=name, group__actor__domain=domain))
    if query.author:
        name, domain = _handle(query.author)
        filters.append(Q(author__username=name, author__domain=domain))
    if query.kind == "reply":
        filters.append(Q(kind=PostKind.REPLY))
    elif query.kind:
        filters.append(Q(kind=PostKind(query.kind)) | Q(root__kind=PostKind(query.kind)))
    if query.answered:
        answered = query.answered == "yes"
        own = Q(kind=PostKind.QUESTION, accepted_answer_id__isnull=not answered)
        thread = Q(root__kind=PostKind.QUESTION, root__accepted_answer_id__isnull=not answered)
        filters.append(own | thread)
    if query.since:
        since = _date(query.since)
        assert since is not None
        filters.append(Q(created_at__gte=datetime.combine(since, time(), UTC)))
    if query.until:
        until = _date(query.until)
        assert until is not None
        filters.append(Q(created_at__lt=datetime.combine(until + timedelta(days=1), time(), UTC)))
    return filters


async def _match(
    readable: CompiledSql,
    terms: SearchTerms,
    *,
    language: str,
    any_word: bool,
    newest: bool,
    after: tuple[float | None, str | None],
    limit: int,
) -> list[tuple[str, float]]:
    sql, params = readable
    request = Match(sql, list(params), terms.words, any_word, newest, after[0], after[1], limit)
    async with read_connection(Post._meta.db) as db:
        hits = await backend_for(db, language).match(db, request)
    return [(hit.post_id, hit.rank) for hit in hits]


async def _post_hits(ids: list[str], terms: SearchTerms) -> list[PostHit]:
    # `ids` came through the read policy (`_match`): only those are loaded.
    async with read_connection(Post._meta.db) as db:
        found = await load_posts(db, ids)
    hits: list[PostHit] = []
    for post_id in ids:
        post = found.get(post_id)
        if post is None:
            continue
        text = document_text(post.content_html)
        snippet = highlight(text, terms.words, SNIPPET_CHARS)
        hits.append(PostHit(post, snippet, highlight(post.title, terms.words, 0)))
    return hits


def _encode_cursor(sort: Sort, rank: float, post_id: str) -> str:
    raw = f"{post_id}" if sort == Sort.NEWEST else f"{rank!r}|{post_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(text: str, sort: Sort) -> tuple[float | None, str | None]:
    if not text:
        return None, None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        if sort == Sort.NEWEST:
            rank_text, post_id = "0", raw
        else:
            rank_text, post_id = raw.split("|")
        rank = float(rank_text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Invalid({"cursor": BAD_CURSOR}) from None
    if not re.fullmatch(r"[0-9a-z]{26}", post_id) or rank != rank:  # rank != rank: NaN
        raise Invalid({"cursor": BAD_CURSOR})
    return (None if sort == Sort.NEWEST else rank), post_id
