"""What federation needs while the app runs: one HTTP client, one fetcher, the delivery worker.

Built once per process in the lifespan (never a client per request); the CLI's `worker` command
builds the same runtime without the web app.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx

from federation import urls
from federation.delivery import DeliveryWorker
from federation.fetch import Fetcher, make_client
from federation.httpsig import CavageAuth
from server.models import Actor
from server.settings import Settings

log = logging.getLogger("lyceum.federation")


class FederationRuntime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        networks = [n.strip() for n in settings.federation_allowed_networks.split(",") if n.strip()]
        self.client = make_client(
            allowed_networks=networks, extra_ca_bundle=settings.federation_ca_bundle or None
        )
        self.fetcher = Fetcher(self.client, allow_http=settings.federation_allow_http)
        self.delivery = DeliveryWorker(
            self.client, self.signer_for, allow_http=settings.federation_allow_http
        )
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def signer_for(self, actor: Actor) -> httpx.Auth:
        """Outgoing requests are signed draft-cavage rsa-sha256, what every peer verifies."""
        return CavageAuth(urls.key_id(self.settings, actor), actor.private_key_pem)

    def start_worker(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self.delivery.run_until_stopped(self._stop))

    async def run_worker(self) -> None:
        """Run the delivery worker in the foreground until cancelled (the `lyceum worker` loop)."""
        await self.delivery.run_until_stopped(self._stop)

    def stop(self) -> None:
        self._stop.set()

    async def aclose(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.client.aclose()
