"""`ExpiringMemo`: a bounded map in a process's memory whose entries expire.

For answers a process may give again for a few seconds without asking the database (a verified
key, a domain block, a group's top helpers): each entry expires `seconds` after it was written,
and past `size` entries the one written longest ago goes. Emptied at once by `clear` (as
`ProcessMemos` does when a domain event may have made it stale).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["ExpiringMemo"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ExpiringMemo(Generic[K, V]):
    def __init__(self, seconds: float, size: int) -> None:
        self.seconds = seconds
        self.size = size
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            del self._entries[key]
            return None
        return entry[1]

    def put(self, key: K, value: V) -> None:
        if self.seconds <= 0:  # kept for no time: not kept
            return
        self._entries[key] = (time.monotonic() + self.seconds, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def forget(self, key: K) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
