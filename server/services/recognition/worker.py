"""The badge granter, run by the worker beside the mail workers (`assembly.background_work`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from server.services.recognition.badges import grant_builtin
from server.settings import Settings

__all__ = ["BadgeGranter"]

log = logging.getLogger("lyceum.recognition")

POLL_SECONDS = 60.0


class BadgeGranter:
    def __init__(self, settings: Settings) -> None:
        # Badges are no emergency: once a minute keeps an idle granter off a busy database.
        self.poll_interval = max(settings.worker_poll_seconds, POLL_SECONDS)

    async def run_once(self) -> int:
        return await grant_builtin()

    async def run_until_stopped(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("granting badges failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.poll_interval)
