"""Memos a process keeps in memory, emptied when a domain event may have made them stale.

Each web process keeps rendered documents, pages and the inbox's domain blocks for a while; an
event handled in the process (a post edited, a domain blocked) empties every live memo of the
kinds it may touch, at once. `ProcessMemos` is one such kind: it holds its memos weakly (an app
thrown away, as tests make many, takes its memos with it) and subscribes `forget` to the events
given. Other processes' memos expire on their own.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Generic, Protocol, TypeVar

from server import events

__all__ = ["Clearable", "ProcessMemos"]


class Clearable(Protocol):
    def clear(self) -> None: ...


M = TypeVar("M", bound=Clearable)


class ProcessMemos(Generic[M]):
    def __init__(self, changes: Iterable[type[events.Event]]) -> None:
        self.changes = tuple(changes)
        self._live: weakref.WeakSet[M] = weakref.WeakSet()

    def add(self, memo: M) -> None:
        self._live.add(memo)

    async def forget(self, event: events.Event) -> None:
        """Something a memo may show changed: empty every live one of this process."""
        for memo in list(self._live):
            memo.clear()

    def register(self, bus: events.EventBus) -> None:
        for change in self.changes:
            bus.subscribe(change, self.forget)
