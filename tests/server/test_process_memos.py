"""Memos of a process emptied on domain events (server/process_memos.py)."""

from __future__ import annotations

import gc

from server import events
from server.process_memos import ProcessMemos


class _Memo:
    def __init__(self) -> None:
        self.entries = {"key": "value"}

    def clear(self) -> None:
        self.entries.clear()


async def test_process_memos__an_event_given_empties_every_live_memo() -> None:
    # Given two memos of one kind, subscribed to one event on a bus of their own
    memos: ProcessMemos[_Memo] = ProcessMemos([events.InstanceUpdated])
    first, second = _Memo(), _Memo()
    memos.add(first)
    memos.add(second)
    bus = events.EventBus()
    memos.register(bus)
    # When another event is published, nothing is emptied; when that one is, both are
    await bus.publish(events.DomainBlockChanged(domain="spam.example"))
    assert first.entries and second.entries
    await bus.publish(events.InstanceUpdated())
    assert not first.entries and not second.entries


def test_process_memos__a_memo_dropped_elsewhere_is_not_kept() -> None:
    memos: ProcessMemos[_Memo] = ProcessMemos([events.InstanceUpdated])
    memo = _Memo()
    memos.add(memo)
    assert len(memos._live) == 1
    del memo
    gc.collect()
    assert len(memos._live) == 0
