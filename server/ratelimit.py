"""Rate limits for entry points (log-in, sign-up, posting, inbox), backed by `limits`.

Counters live in memory by default, or in Redis when several processes must share them.
"""

from __future__ import annotations

import math
import time

from limits import parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from server.services.errors import RateLimited


class RateLimits:
    def __init__(self, storage_uri: str) -> None:
        uri = storage_uri if storage_uri.startswith("async+") else "async+" + storage_uri
        storage = storage_from_string(uri)
        assert isinstance(storage, Storage)
        self._limiter = MovingWindowRateLimiter(storage)

    async def hit(self, rule: str, *keys: str, message: str) -> None:
        """Count one attempt against `rule` (e.g. "10/minute") for these keys; raise when over."""
        item = parse(rule)
        if not await self._limiter.hit(item, *keys):
            stats = await self._limiter.get_window_stats(item, *keys)
            retry_after = max(1, math.ceil(stats.reset_time - time.time()))
            raise RateLimited(message, retry_after)

    async def check(self, rule: str, *keys: str, message: str) -> None:
        """Raise when `rule` is already used up for these keys, without counting an attempt.

        For limits on what succeeds (sign-ups): check before the work, `hit` after it.
        """
        item = parse(rule)
        if not await self._limiter.test(item, *keys):
            stats = await self._limiter.get_window_stats(item, *keys)
            retry_after = max(1, math.ceil(stats.reset_time - time.time()))
            raise RateLimited(message, retry_after)

    async def clear(self, rule: str, *keys: str) -> None:
        await self._limiter.clear(parse(rule), *keys)
