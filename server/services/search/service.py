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
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from server.models import (
    Account,
    AccountState,
    Actor,
    ActorKind,
    Group,
    Post,
    PostHashtag,
    PostKind,
)
from server.services import reading
from server.services.errors import Invalid
from server.services.search._backends import Match, backend_for
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
SIDE_RESULTS = 5
SNIPPET_CHARS = 200
KINDS = ("question", "discussion", "resource", "reply")
ANSWERED = ("", "yes", "no")
HANDLE = re.compile(r"@?([a-z0-9_]{1,64})(?:@([a-z0-9.-]{1,255}))?", re.IGNORECASE)
BAD_CURSOR = "That page link is broken; start again from the first page."
_WORD = re.compile(r"[^\W_]+")


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
class Segment:
    """A piece of a snippet; `match` pieces are the words that matched."""

    text: str
    match: bool


@dataclass(frozen=True)
class PostHit:
    post: Post
    snippet: tuple[Segment, ...]
    title: tuple[Segment, ...]


@dataclass
class SearchPage:
    terms: SearchTerms
    posts: list[PostHit] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    people: list[Actor] = field(default_factory=list)
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
    readable = Post.filter(reading.readable_posts(viewer), *_filters(query))
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
        page.groups = await _groups(viewer, terms)
        page.people = await _people(terms)
        page.tags = await _tags(viewer, terms)
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
    readable = Post.filter(reading.readable_posts(viewer), kind=PostKind.QUESTION)
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
    readable: QuerySet[Post],
    terms: SearchTerms,
    *,
    language: str,
    any_word: bool,
    newest: bool,
    after: tuple[float | None, str | None],
    limit: int,
) -> list[tuple[str, float]]:
    sql, params = _sql_of(readable.values_list("id", flat=True))
    db = Post._meta.db
    request = Match(sql, params, terms.words, any_word, newest, after[0], after[1], limit)
    return [(hit.post_id, hit.rank) for hit in await backend_for(db, language).match(db, request)]


def _sql_of(queryset: Any) -> tuple[str, list[Any]]:
    """The parameterised SQL of a Tortoise query (what it would run itself)."""
    queryset._choose_db_if_not_chosen()
    queryset._make_query()
    sql, params = queryset.query.get_parameterized_sql()
    return str(sql), list(params)


async def _post_hits(ids: list[str], terms: SearchTerms) -> list[PostHit]:
    # `ids` came through the read policy (`_match`): only those are loaded.
    found = {
        post.id: post
        for post in await Post.filter(id__in=ids).select_related("group__actor", "author", "root")
    }
    hits: list[PostHit] = []
    for post_id in ids:
        post = found.get(post_id)
        if post is None:
            continue
        text = document_text(post.content_html)
        hits.append(
            PostHit(post, highlight(text, terms, SNIPPET_CHARS), highlight(post.title, terms, 0))
        )
    return hits


def _name_filter(terms: SearchTerms, *fields_: str) -> Q:
    combined = Q()
    for word in terms.words:
        any_field = Q(**{f"{fields_[0]}__icontains": word}, join_type=Q.OR)
        for name in fields_[1:]:
            any_field |= Q(**{f"{name}__icontains": word})
        combined &= any_field
    return combined


async def _groups(viewer: Account | None, terms: SearchTerms) -> list[Group]:
    return (
        await Group.filter(
            reading.readable_groups(viewer),
            _name_filter(terms, "actor__username", "actor__display_name", "description_source"),
        )
        .select_related("actor")
        .order_by("-member_count", "id")
        .limit(SIDE_RESULTS)
    )


async def _people(terms: SearchTerms) -> list[Actor]:
    # The people with a public profile: local accounts that are active, and remote people
    # who are not suspended here.
    local = Q(domain="", account__state=AccountState.ACTIVE)
    remote = Q(domain__not="")
    return (
        await Actor.filter(
            local | remote,
            _name_filter(terms, "username", "display_name"),
            kind=ActorKind.PERSON,
            suspended_at__isnull=True,
            deleted_at__isnull=True,
        )
        .order_by("username", "id")
        .limit(SIDE_RESULTS)
    )


async def _tags(viewer: Account | None, terms: SearchTerms) -> list[str]:
    tags = (
        await PostHashtag.filter(
            reading.readable_posts(viewer, prefix="post__"), tag__in=list(terms.words)
        )
        .distinct()
        .values_list("tag", flat=True)
    )
    return sorted({str(tag) for tag in tags})


def highlight(text: str, terms: SearchTerms, width: int) -> tuple[Segment, ...]:
    """`text` cut to about `width` characters around the first matching word (0: all of it),
    split into matching and other segments."""
    seen: dict[str, bool] = {}  # posts repeat words: decide each distinct word once
    matching: list[re.Match[str]] = []
    cut = bool(width) and len(text) > width
    for word in _WORD.finditer(text):
        if cut and matching and word.start() > matching[0].start() + width:
            break  # past the end of the snippet, which starts before the first match
        folded = word.group(0).casefold()
        found = seen.get(folded)
        if found is None:
            found = seen[folded] = _matches(folded, terms.words)
        if found:
            matching.append(word)
    if width and len(text) > width:
        start = max(0, matching[0].start() - width // 4) if matching else 0
        start = text.rfind(" ", 0, start) + 1 if start else 0
        end = min(len(text), start + width)
        prefix = "…" if start else ""
        suffix = "…" if end < len(text) else ""
    else:
        start, end, prefix, suffix = 0, len(text), "", ""
    segments: list[Segment] = [Segment(prefix, False)] if prefix else []
    at = start
    for word in matching:
        if word.start() < start or word.end() > end:
            continue
        segments.append(Segment(text[at : word.start()], False))
        segments.append(Segment(word.group(0), True))
        at = word.end()
    segments.append(Segment(text[at:end] + suffix, False))
    return tuple(segment for segment in segments if segment.text)


def _matches(word: str, terms: tuple[str, ...]) -> bool:
    # The index stems words (English) and we do not: a word matches a term that begins with it
    # or that it begins with, from four letters on.
    return any(
        word == term
        or (len(term) >= 4 and word.startswith(term[:-1]))
        or (len(word) >= 4 and term.startswith(word))
        for term in terms
    )


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
