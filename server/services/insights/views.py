"""Thread page views, counted per thread and day: no address, no reader, only a number.

A page view only adds to a dictionary in memory; `flush` writes the counts with one upsert per
batch (`views = views + n`) and marks the days for the rollups. The web app flushes every
`FLUSH_SECONDS` and when it stops, so at most that much counting is lost if a process dies
(bench/analytics.py measures this against one upsert per view).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from datetime import date

from tortoise.transactions import in_transaction

from server.models import Post, new_id, utcnow
from server.services.insights import dirty
from server.services.insights._sql import row_placeholders

__all__ = ["FLUSH_SECONDS", "ViewCounter", "is_counted_agent"]

log = logging.getLogger("lyceum.insights")

FLUSH_SECONDS = 30.0
BATCH = 200
# Crawlers, link previews and scripts: what is not a person reading (a substring of the lowered
# User-Agent). Browsers that hide themselves are counted; the figure is an estimate.
_NOT_READERS = (
    "bot",
    "crawl",
    "spider",
    "slurp",
    "preview",
    "fetch",
    "curl",
    "wget",
    "python",
    "httpx",
    "http-client",
    "okhttp",
    "headless",
    "lighthouse",
    "mastodon",
    "pleroma",
    "misskey",
    "lemmy",
)


def is_counted_agent(user_agent: str) -> bool:
    """Whether a request with this User-Agent counts as a person reading."""
    lowered = user_agent.lower()
    return bool(lowered.strip()) and not any(word in lowered for word in _NOT_READERS)


class ViewCounter:
    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str, date]] = Counter()

    @property
    def pending(self) -> int:
        return sum(self._counts.values())

    def record(self, thread_id: str, group_id: str, day: date | None = None) -> None:
        self._counts[(thread_id, group_id, day or utcnow().date())] += 1

    async def flush(self) -> int:
        """Write the counts gathered so far; return how many views were written. On failure the
        counts are kept for the next flush."""
        counts, self._counts = self._counts, Counter()
        if not counts:
            return 0
        try:
            return await _write(counts)
        except Exception:
            self._counts.update(counts)
            raise

    async def run_until_stopped(self, stop: asyncio.Event) -> None:
        """Flush every `FLUSH_SECONDS`, and once more when `stop` is set."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=FLUSH_SECONDS)
            try:
                await self.flush()
            except Exception:
                log.exception("could not write %d page views; keeping them", self.pending)


async def _write(counts: Counter[tuple[str, str, date]]) -> int:
    thread_ids = {thread for thread, _, _ in counts}
    existing = {
        str(i) for i in await Post.filter(id__in=list(thread_ids)).values_list("id", flat=True)
    }
    rows = [(key, n) for key, n in counts.items() if key[0] in existing]
    now = utcnow()
    async with in_transaction() as db:
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            sql = (
                'INSERT INTO "thread_view_day" ("id", "created_at", "thread_id", "group_id", "day",'  # noqa: S608
                f' "views") VALUES {row_placeholders(db, len(batch), 6)}'
                ' ON CONFLICT ("thread_id", "day") DO UPDATE'
                ' SET "views" = "thread_view_day"."views" + EXCLUDED."views"'
            )
            params: list[object] = []
            for (thread, group, day), n in batch:
                params += [new_id(), now, thread, group, day, n]
            await db.execute_query(sql, params)
        await dirty.mark_days({(group, day) for (_, group, day), _ in rows}, db)
    return sum(n for _, n in rows)
