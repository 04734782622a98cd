"""The two index backends: SQLite FTS5 and PostgreSQL `tsvector` with a GIN index.

Both keep one index entry per published post (title, body, tags, link) and answer one question:
which of the posts in a given subquery (the readable, filtered posts, built by the caller from
`server.services.reading`) match these words, best or newest first, after a cursor. The
subquery comes in as parameterised SQL, so visibility is decided by the read policy at query
time, whatever the index holds.

SQLite: `search_post` maps each post id to an integer rowid of the FTS5 table
`search_post_text` (FTS5 rows are addressed by integer rowids; post ids are ULID strings).
PostgreSQL: `search_post` holds the post id and its weighted `tsvector` (`document`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tortoise.backends.base.client import BaseDBAsyncClient

__all__ = ["RANK_WINDOW", "Backend", "Document", "Hit", "backend_for"]

RANK_WINDOW = 2000
"""How many of the newest matching posts are ranked by relevance."""

CANDIDATES_PER_RESULT = 4
"""How many of the best-ranked matches per result the read policy is first asked about
(SQLite)."""


@dataclass(frozen=True)
class Document:
    """What is indexed of one post, as plain text."""

    post_id: str
    title: str
    body: str
    tags: str
    link: str


@dataclass(frozen=True)
class Hit:
    post_id: str
    rank: float  # lower is better on both backends


@dataclass(frozen=True)
class Match:
    """A match request: `words` all present (`any_word`: at least one), within `readable`."""

    readable_sql: str
    readable_params: list[Any]
    words: tuple[str, ...]
    any_word: bool
    newest: bool
    after_rank: float | None
    after_id: str | None
    limit: int


class Backend(Protocol):
    async def put(self, db: BaseDBAsyncClient, doc: Document) -> None: ...

    async def put_many(self, db: BaseDBAsyncClient, docs: list[Document]) -> None: ...

    async def drop(self, db: BaseDBAsyncClient, post_id: str) -> None: ...

    async def match(self, db: BaseDBAsyncClient, request: Match) -> list[Hit]: ...


class _Params:
    """Placeholders numbered after the readable subquery's own (`?` on SQLite, `$n` on PG)."""

    def __init__(self, first: list[Any], *, numbered: bool) -> None:
        self.values = list(first)
        self.numbered = numbered

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self.numbered else "?"


def _keyset(request: Match, p: _Params) -> tuple[str, str]:
    """The WHERE clause after a cursor, and the ORDER BY, over `hits(id, rank)`."""
    if request.newest:
        where = f"WHERE id < {p(request.after_id)}" if request.after_id else ""
        return where, "ORDER BY id DESC"
    if request.after_id is not None and request.after_rank is not None:
        rank = p(request.after_rank)
        where = f"WHERE (rank > {rank} OR (rank = {p(request.after_rank)} AND id > "
        where += f"{p(request.after_id)}))"
    else:
        where = ""
    return where, "ORDER BY rank, id"


class SqliteBackend:
    async def put(self, db: BaseDBAsyncClient, doc: Document) -> None:
        await db.execute_query(
            "INSERT INTO search_post (post_id) VALUES (?) ON CONFLICT (post_id) DO NOTHING",
            [doc.post_id],
        )
        _, rows = await db.execute_query(
            "SELECT id FROM search_post WHERE post_id = ?", [doc.post_id]
        )
        rowid = rows[0][0]
        await db.execute_query("DELETE FROM search_post_text WHERE rowid = ?", [rowid])
        await db.execute_query(
            "INSERT INTO search_post_text (rowid, title, body, tags, link) VALUES (?, ?, ?, ?, ?)",
            [rowid, doc.title, doc.body, doc.tags, doc.link],
        )

    async def put_many(self, db: BaseDBAsyncClient, docs: list[Document]) -> None:
        """`put` for many documents with four statements in all (the inbox worker's batch)."""
        if not docs:
            return
        ids = list(dict.fromkeys(doc.post_id for doc in docs))
        await db.execute_many(
            "INSERT INTO search_post (post_id) VALUES (?) ON CONFLICT (post_id) DO NOTHING",
            [[post_id] for post_id in ids],
        )
        marks = ", ".join("?" for _ in ids)
        _, rows = await db.execute_query(
            f"SELECT id, post_id FROM search_post WHERE post_id IN ({marks})",  # noqa: S608
            ids,
        )
        rowids = {row[1]: row[0] for row in rows}
        await db.execute_query(
            f"DELETE FROM search_post_text WHERE rowid IN ({marks})",  # noqa: S608
            [rowids[post_id] for post_id in ids],
        )
        latest = {doc.post_id: doc for doc in docs}  # the last document of a post wins, as in put
        await db.execute_many(
            "INSERT INTO search_post_text (rowid, title, body, tags, link) VALUES (?, ?, ?, ?, ?)",
            [
                [rowids[post_id], doc.title, doc.body, doc.tags, doc.link]
                for post_id, doc in latest.items()
            ],
        )

    async def drop(self, db: BaseDBAsyncClient, post_id: str) -> None:
        await db.execute_query(
            "DELETE FROM search_post_text WHERE rowid IN "
            "(SELECT id FROM search_post WHERE post_id = ?)",
            [post_id],
        )
        # The row mapping the post to its rowid stays: a restored post keeps its place.

    async def match(self, db: BaseDBAsyncClient, request: Match) -> list[Hit]:
        # Each word is an FTS5 string ("..."), so no operator in it is ever parsed; words hold
        # no double quote (see terms.py), and the whole expression is still a parameter.
        joiner = " OR " if request.any_word else " AND "
        expression = joiner.join(f'"{word}"' for word in request.words)
        if request.newest:
            p = _Params(request.readable_params, numbered=False)
            return await self._newest(db, request, p, expression)
        # The read policy is asked about the best few candidates first; only when fewer of
        # them than a page are readable is it asked about the whole ranked window. Either
        # way the page is the best readable matches: any readable match left out of the
        # candidates ranks below all of them.
        hits = await self._ranked(db, request, expression, request.limit * CANDIDATES_PER_RESULT)
        if len(hits) < request.limit:
            hits = await self._ranked(db, request, expression, RANK_WINDOW)
        return hits

    async def _ranked(
        self, db: BaseDBAsyncClient, request: Match, expression: str, candidates: int
    ) -> list[Hit]:
        p = _Params(request.readable_params, numbered=False)
        # bm25 costs about 10 µs a match: only the newest RANK_WINDOW matches are ranked, so a
        # word found in most posts still answers in milliseconds. FTS5 streams rowids in order,
        # and rowids follow the order posts were first indexed.
        # Composed of fixed SQL, the read policy's own SQL and placeholders only.
        sql = (
            f"WITH readable(id) AS ({request.readable_sql}), ranked AS ("  # noqa: S608
            " SELECT k.post_id AS id, w.rank AS rank FROM ("
            "  SELECT rowid, bm25(search_post_text, 10.0, 1.0, 4.0, 1.0) AS rank"
            f"  FROM search_post_text WHERE search_post_text MATCH {p(expression)}"
            f"  ORDER BY rowid DESC LIMIT {p(RANK_WINDOW)}) w"
            " JOIN search_post k ON k.id = w.rowid)"
        )
        where, order = _keyset(request, p)
        sql += (
            f", candidates AS (SELECT id, rank FROM ranked {where} {order}"  # noqa: S608
            f" LIMIT {p(candidates)})"
            " SELECT id, rank FROM candidates"
            " WHERE EXISTS (SELECT 1 FROM readable r WHERE r.id = candidates.id)"
            f" {order} LIMIT {p(request.limit)}"
        )
        _, rows = await db.execute_query(sql, p.values)
        return [Hit(row[0], float(row[1])) for row in rows]

    async def _newest(
        self, db: BaseDBAsyncClient, request: Match, p: _Params, expression: str
    ) -> list[Hit]:
        # Newest first by rowid (the order posts were first indexed, kept across edits and
        # removals), so SQLite walks the matches from the newest and stops at the limit.
        matching = p(expression)  # placeholders must come in the order of the SQL text
        after = ""
        if request.after_id:
            key = p(request.after_id)
            after = (
                f" AND search_post_text.rowid < (SELECT id FROM search_post WHERE post_id = {key})"  # noqa: S608
            )
        sql = (
            f"WITH readable(id) AS ({request.readable_sql})"  # noqa: S608
            " SELECT k.post_id AS id, 0.0 AS rank"
            " FROM search_post_text JOIN search_post k ON k.id = search_post_text.rowid"
            " JOIN readable r ON r.id = k.post_id"
            f" WHERE search_post_text MATCH {matching}{after}"
            f" ORDER BY search_post_text.rowid DESC LIMIT {p(request.limit)}"
        )
        _, rows = await db.execute_query(sql, p.values)
        return [Hit(row[0], float(row[1])) for row in rows]


class PostgresBackend:
    def __init__(self, language: str) -> None:
        self.language = language

    UPSERT = (
        "INSERT INTO search_post (post_id, document) VALUES ($1, "
        "setweight(to_tsvector($2::regconfig, $3), 'A') || "
        "setweight(to_tsvector($2::regconfig, $4), 'B') || "
        "setweight(to_tsvector($2::regconfig, $5), 'C') || "
        "setweight(to_tsvector('simple'::regconfig, $6), 'D')) "
        "ON CONFLICT (post_id) DO UPDATE SET document = EXCLUDED.document"
    )

    def _values(self, doc: Document) -> list[str]:
        return [doc.post_id, self.language, doc.title, doc.tags, doc.body, doc.link]

    async def put(self, db: BaseDBAsyncClient, doc: Document) -> None:
        await db.execute_query(self.UPSERT, self._values(doc))

    async def put_many(self, db: BaseDBAsyncClient, docs: list[Document]) -> None:
        if docs:
            await db.execute_many(self.UPSERT, [self._values(doc) for doc in docs])

    async def drop(self, db: BaseDBAsyncClient, post_id: str) -> None:
        await db.execute_query("DELETE FROM search_post WHERE post_id = $1", [post_id])

    async def match(self, db: BaseDBAsyncClient, request: Match) -> list[Hit]:
        p = _Params(request.readable_params, numbered=True)
        language = p(self.language)
        # plainto_tsquery parses no operators; `||` between tsqueries is OR.
        if request.any_word:
            query = " || ".join(
                f"plainto_tsquery({language}::regconfig, {p(word)})" for word in request.words
            )
        else:
            query = f"plainto_tsquery({language}::regconfig, {p(' '.join(request.words))})"
        # The query is written out where it is used (its values are numbered placeholders,
        # given once), so that the planner sees the words and can tell a common word from a
        # rare one.
        # Composed of fixed SQL, the read policy's own SQL and placeholders only.
        sql = f"WITH readable(id) AS ({request.readable_sql})"
        if request.newest:  # no ranking: the page is the newest readable matches
            where, order = _keyset(request, p)
            sql += (
                ", hits AS (SELECT s.post_id AS id, 0.0::float8 AS rank"  # noqa: S608
                " FROM search_post s JOIN readable r ON r.id = s.post_id"
                f" WHERE s.document @@ ({query}))"
                f" SELECT id, rank FROM hits {where} {order} LIMIT {p(request.limit)}"
            )
        else:
            # As on SQLite, only the newest RANK_WINDOW matches are ranked. For a common word
            # the planner walks the primary key's index from the newest post and stops at the
            # window (ULIDs, digits and lower-case letters, sort by time in the usual
            # collations); for a rare one it reads the GIN
            # index and sorts the few matches. The ranked window is then read in order and
            # only as far as the page needs is checked against the read policy.
            window = p(RANK_WINDOW)
            sql += (
                ", window_ AS (SELECT w.post_id, w.document FROM search_post w"  # noqa: S608
                f" WHERE w.document @@ ({query}) ORDER BY w.post_id DESC LIMIT {window}),"
                " ranked AS (SELECT post_id AS id,"
                f" (-ts_rank(document, ({query})))::float8 AS rank FROM window_)"
            )
            where, order = _keyset(request, p)
            sql += (
                f" SELECT id, rank FROM (SELECT id, rank FROM ranked {where} {order}"  # noqa: S608
                f" LIMIT {window}) hits"
                " WHERE EXISTS (SELECT 1 FROM readable r WHERE r.id = hits.id)"
                f" {order} LIMIT {p(request.limit)}"
            )
        _, rows = await db.execute_query(sql, p.values)
        return [Hit(row["id"], float(row["rank"])) for row in rows]


def backend_for(db: BaseDBAsyncClient, language: str) -> Backend:
    if db.capabilities.dialect == "postgres":
        return PostgresBackend(language)
    return SqliteBackend()


def sqlite_tokenizer(language: str) -> str:
    """The FTS5 tokenizer for the instance's language (Porter stemming for English)."""
    base = "unicode61 remove_diacritics 2"
    return f"porter {base}" if language == "english" else base


def schema_statements(dialect: str, language: str) -> Sequence[str]:
    """The SQL that creates the index (migration 0006 and the benchmark use it)."""
    if dialect == "postgres":
        return (
            "CREATE TABLE IF NOT EXISTS search_post (post_id VARCHAR(26) NOT NULL PRIMARY KEY "
            "REFERENCES post (id) ON DELETE CASCADE, document TSVECTOR NOT NULL)",
            "CREATE INDEX IF NOT EXISTS search_post_document ON search_post USING GIN (document)",
        )
    return (
        "CREATE TABLE IF NOT EXISTS search_post (id INTEGER PRIMARY KEY, "
        "post_id VARCHAR(26) NOT NULL UNIQUE REFERENCES post (id) ON DELETE CASCADE)",
        "CREATE VIRTUAL TABLE IF NOT EXISTS search_post_text USING fts5("
        f"title, body, tags, link, tokenize = '{sqlite_tokenizer(language)}')",
    )


def drop_statements(dialect: str) -> Sequence[str]:
    if dialect == "postgres":
        return ("DROP TABLE IF EXISTS search_post",)
    return ("DROP TABLE IF EXISTS search_post_text", "DROP TABLE IF EXISTS search_post")
