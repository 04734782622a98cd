"""Full-text search: one domain service over two index backends (SQLite FTS5, PostgreSQL
`tsvector`), kept in the transaction of each post change and always filtered by the read
policy at query time."""

from server.services.search.index import backfill, rebuild, register
from server.services.search.service import (
    PostHit,
    SearchPage,
    SearchQuery,
    Segment,
    Sort,
    search,
    similar_questions,
)
from server.services.search.terms import MAX_QUERY_CHARS

__all__ = [
    "MAX_QUERY_CHARS",
    "PostHit",
    "SearchPage",
    "SearchQuery",
    "Segment",
    "Sort",
    "backfill",
    "rebuild",
    "register",
    "search",
    "similar_questions",
]
