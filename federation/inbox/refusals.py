"""One INFO line per refused inbox request or dropped activity, rate-limited per sender host.

An operator reads why a peer's activities do not arrive from these lines (logger
`lyceum.inbox`): `refused <host>: <reason>`. A host that sends garbage in a loop must not flood
the log, so each host gets at most `PER_MINUTE` lines a minute; past that its refusals are
counted, and its next line after the minute says how many were left out.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["PER_MINUTE", "RefusalLog", "log_refusal"]

PER_MINUTE = 10
MAX_HOSTS = 10_000  # hosts remembered at once; the least recent is forgotten first

log = logging.getLogger("lyceum.inbox")


class RefusalLog:
    def __init__(
        self,
        per_minute: int = PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger = log,
    ) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.logger = logger
        self._hosts: OrderedDict[str, list[float | int]] = OrderedDict()  # start, lines, left out

    def __call__(self, host: str, reason: str) -> None:
        now = self.clock()
        entry = self._hosts.get(host)
        if entry is None or now - entry[0] >= 60:
            if entry is not None and entry[2]:
                self.logger.info("refused %s: … and %d more in the last minute", host, entry[2])
            entry = [now, 0, 0]
            self._hosts[host] = entry
        self._hosts.move_to_end(host)
        while len(self._hosts) > MAX_HOSTS:
            self._hosts.popitem(last=False)
        if entry[1] < self.per_minute:
            entry[1] += 1
            self.logger.info("refused %s: %s", host or "(unknown host)", reason)
        else:
            entry[2] += 1


log_refusal = RefusalLog()
"""The process-wide log: `log_refusal(host, reason)`; the inbox and its worker share it."""
