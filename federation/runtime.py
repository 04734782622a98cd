"""What federation needs while the app runs: one HTTP client, one fetcher, and the workers.

Built once per process in the lifespan (never a client per request); the CLI's `worker` command
builds the same runtime without the web app. On PostgreSQL the worker also listens for queued
work (`wake.listen`), so it starts on new rows at once instead of at its next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Sequence
from datetime import timedelta
from typing import Any

import httpx

from federation import urls
from federation.delivery import DeliveryWorker, wake
from federation.delivery.sender import AiohttpSender
from federation.fetch import Fetcher, make_client
from federation.httpsig import CavageAuth
from federation.httpsig.signing_processes import SigningProcesses
from server.models import Actor
from server.settings import Settings

log = logging.getLogger("lyceum.federation")

# Other work the worker runs beside federation's (the mail worker, the digest scheduler): each
# runs until the event it is given is set.
DELIVERY_CONNECTIONS = 256  # beyond the worker's concurrency: never what holds it back

BackgroundWork = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


class FederationRuntime:
    def __init__(self, settings: Settings, *, other_work: Sequence[BackgroundWork] = ()) -> None:
        self.settings = settings
        self.other_work = list(other_work)
        networks = [n.strip() for n in settings.federation_allowed_networks.split(",") if n.strip()]
        self.client = make_client(
            allowed_networks=networks, extra_ca_bundle=settings.federation_ca_bundle or None
        )
        self.fetcher = Fetcher(self.client, allow_http=settings.federation_allow_http)
        # Deliveries go out over their own aiohttp session, everything else over `client`
        # (README, "Outgoing HTTP"); both refuse the same addresses.
        self.delivery = DeliveryWorker(
            AiohttpSender(
                allowed_networks=networks,
                extra_ca_bundle=settings.federation_ca_bundle or None,
                limit=max(DELIVERY_CONNECTIONS, settings.delivery_concurrency),
                signing=SigningProcesses(settings.delivery_signing_processes),
            ),
            self.signer_for,
            concurrency=settings.delivery_concurrency,
            allow_http=settings.federation_allow_http,
            lease=timedelta(seconds=settings.delivery_lease_seconds),
            poll_interval=settings.worker_poll_seconds,
        )
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def signer_for(self, actor: Actor) -> httpx.Auth:
        """Outgoing requests are signed draft-cavage rsa-sha256, what every peer verifies."""
        return CavageAuth(urls.key_id(self.settings, actor), actor.private_key_pem)

    def start_worker(self) -> None:
        """Start delivery and inbox processing as background tasks of this process."""
        self._stop.clear()
        self._tasks = [asyncio.create_task(work) for work in self._work()]

    @property
    def worker_running(self) -> bool:
        return bool(self._tasks) and not any(task.done() for task in self._tasks)

    async def run_worker(self) -> None:
        """Deliver and process incoming activities until `stop()` (the `lyceum worker` loop)."""
        await asyncio.gather(*self._work())

    def _work(self) -> list[Coroutine[Any, Any, None]]:
        from federation.inbox import InboxProcessor  # the inbox builds on this runtime

        processor = InboxProcessor(
            self,
            lease=timedelta(seconds=self.settings.delivery_lease_seconds),
            poll_interval=self.settings.worker_poll_seconds,
        )
        work = [
            self.delivery.run_until_stopped(self._stop),
            processor.run_until_stopped(self._stop),
            *(work(self._stop) for work in self.other_work),
        ]
        database_url = self.settings.resolved_database_url
        if wake.is_postgres(database_url):
            work.append(wake.listen(database_url, self._stop))
        return work

    def stop(self) -> None:
        self._stop.set()

    async def aclose(self) -> None:
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self.delivery.sender.aclose()
        await self.client.aclose()
