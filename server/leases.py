"""The rows a worker holds, kept leased while it works on them, and text fit to store.

A worker claims rows by setting `lease_until`; another worker may take a row once its lease has
run out. `Leases` renews the lease of every row still held every third of the lease, so a short
lease is safe however long a row takes, and a crashed worker's rows come back soon. A worker
releases a row (stops renewing it) just before it records the row's outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from tortoise.models import Model

from server.models import utcnow

__all__ = ["Leases"]

log = logging.getLogger("lyceum.leases")


class Leases:
    def __init__(self, model: type[Model], lease: timedelta, **still_open: Any) -> None:
        """`still_open`: the filter of rows whose work is not finished (only those are renewed)."""
        self.model = model
        self.lease = lease
        self.still_open = still_open
        self.held: set[str] = set()

    def hold(self, ids: list[str]) -> None:
        self.held.update(ids)

    def release(self, row_id: str) -> None:
        self.held.discard(row_id)

    async def renew(self) -> int:
        """Extend the lease of every row held; return how many were extended."""
        if not self.held:
            return 0
        return int(
            await self.model.filter(id__in=list(self.held), **self.still_open).update(
                lease_until=utcnow() + self.lease
            )
        )

    @contextlib.asynccontextmanager
    async def kept(self) -> AsyncIterator[None]:
        """Renew the held rows' leases in the background while the block runs."""
        heartbeat = asyncio.create_task(self._beat())
        try:
            yield
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _beat(self) -> None:
        interval = self.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)  # the heartbeat's period, not a wait for an event
            try:
                await self.renew()
            except Exception:
                log.exception("could not renew the leases of %d rows", len(self.held))
