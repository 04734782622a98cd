"""Rate limits for entry points (log-in, sign-up, posting, inbox), backed by `limits`.

Counters live in memory by default, or in Redis when several processes must share them.
`hot_path_limits` serves the inbox, which counts every activity at well over 1,000 a second:
with `memory://` storage it counts in a plain dict (`LocalCounts`), because `limits`' in-memory
storage starts an expiry task (and, for moving windows, a thread) per hit, which cost the inbox
benchmark a fifth of its throughput.
"""

from __future__ import annotations

import math
import time
from functools import lru_cache
from typing import Protocol

from limits import parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from server.services.errors import RateLimited

# Parsing "300/minute" costs more than counting a hit in memory; rules are few and never change.
_parse = lru_cache(maxsize=64)(parse)


class RateLimits:
    def __init__(self, storage_uri: str) -> None:
        uri = storage_uri if storage_uri.startswith("async+") else "async+" + storage_uri
        storage = storage_from_string(uri)
        assert isinstance(storage, Storage)
        self._limiter = MovingWindowRateLimiter(storage)

    async def hit(self, rule: str, *keys: str, message: str) -> None:
        """Count one attempt against `rule` (e.g. "10/minute") for these keys; raise when over."""
        item = _parse(rule)
        if not await self._limiter.hit(item, *keys):
            stats = await self._limiter.get_window_stats(item, *keys)
            retry_after = max(1, math.ceil(stats.reset_time - time.time()))
            raise RateLimited(message, retry_after)

    async def check(self, rule: str, *keys: str, message: str) -> None:
        """Raise when `rule` is already used up for these keys, without counting an attempt.

        For limits on what succeeds (sign-ups): check before the work, `hit` after it.
        """
        item = _parse(rule)
        if not await self._limiter.test(item, *keys):
            stats = await self._limiter.get_window_stats(item, *keys)
            retry_after = max(1, math.ceil(stats.reset_time - time.time()))
            raise RateLimited(message, retry_after)

    async def clear(self, rule: str, *keys: str) -> None:
        await self._limiter.clear(_parse(rule), *keys)


class Limits(Protocol):
    async def hit(self, rule: str, *keys: str, message: str) -> None: ...


class LocalCounts:
    """Fixed windows counted in this process: one dict entry per key, updated in place.

    A window is the rule's period aligned to the clock (as `limits` aligns fixed windows), so up
    to twice the rule can pass where two windows meet: fine for stopping floods. Entries of
    ended windows are swept when the dict reaches `max_keys` entries, or twice what the last
    sweep left (so that many live keys do not make every new one sweep).
    """

    def __init__(self, max_keys: int = 10_000) -> None:
        self.max_keys = max_keys
        self._sweep_at = max_keys
        self._counts: dict[tuple[str, ...], tuple[int, int]] = {}

    async def hit(self, rule: str, *keys: str, message: str) -> None:
        item = _parse(rule)
        period = item.get_expiry()
        now = time.time()
        window = int(now // period)  # the number of the current window since the epoch
        key = (rule, *keys)
        counted_window, count = self._counts.get(key, (window, 0))
        count = count + 1 if counted_window == window else 1
        if count == 1 and len(self._counts) >= self._sweep_at:
            self._sweep(now)
        self._counts[key] = (window, count)
        if count > item.amount:
            raise RateLimited(message, max(1, math.ceil((window + 1) * period - now)))

    def _sweep(self, now: float) -> None:
        for key, (window, _) in list(self._counts.items()):
            if (window + 1) * _parse(key[0]).get_expiry() <= now:
                del self._counts[key]
        self._sweep_at = max(self.max_keys, 2 * len(self._counts))


def hot_path_limits(storage_uri: str) -> Limits:
    """Per-process counts for `memory://` (they are per process there anyway), else `limits`."""
    if storage_uri.removeprefix("async+").startswith("memory://"):
        return LocalCounts()
    return RateLimits(storage_uri)
