"""A group's top helpers as its threads page shows them, kept as long as a visitor's page.

Working them out sums every credit the group's posts earned, this month and of all time, so
its cost grows with the group's history; and every reader of the group gets the same answer
(the read policy lets a reader count the group's published posts, whoever reads). So the
answer is kept per group and month: `LYCEUM_PAGE_CACHE_SECONDS` at most, and emptied at once
by the events that empty this process's kept pages (a like, an accepted answer, a removal).
Members thus see the list as fresh as visitors, who get the whole page from the page cache.
"""

from __future__ import annotations

from server.expiring_memo import ExpiringMemo
from server.models import Account, Group, utcnow
from server.page_cache import empty_with_pages
from server.services import recognition
from server.services.reading import can_read_group

__all__ = ["GROUPS_KEPT", "KeptTopHelpers"]

GROUPS_KEPT = 1024


class KeptTopHelpers:
    def __init__(self, seconds: float) -> None:
        self._memo: ExpiringMemo[tuple[str, int, int], recognition.TopHelpers] = ExpiringMemo(
            seconds, GROUPS_KEPT
        )
        empty_with_pages(self._memo)

    async def of(self, group: Group, viewer: Account | None) -> recognition.TopHelpers:
        """`recognition.top_helpers(group, viewer)`, kept for the group's other readers."""
        if not await can_read_group(viewer, group):
            return recognition.TopHelpers([], [])
        now = utcnow()
        key = (group.id, now.year, now.month)  # "this month" is the calendar month, UTC
        found = self._memo.get(key)
        if found is None:
            found = await recognition.top_helpers(group, viewer, now=now)
            self._memo.put(key, found)
        return found
