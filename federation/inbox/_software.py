"""Learning which software a sender's server runs (NodeInfo), for the outbox's Announce shape.

The outbox reads `Actor.software` inside the domain transaction and never asks the network, so
the inbox worker fills it in, outside any transaction, the first time a server's actor acts.
A server without NodeInfo is asked again a day later at the earliest, not on every activity.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from federation.fetch import Fetcher
from federation.outbox.software import detect_software
from server.models import Actor, utcnow
from server.services.remote import record_software

RETRY_AFTER = timedelta(days=1)
_last_try: dict[str, datetime] = {}


async def note_software(fetcher: Fetcher, actor: Actor) -> None:
    if actor.is_local or actor.software:
        return
    last = _last_try.get(actor.domain)
    if last is not None and utcnow() - last < RETRY_AFTER:
        return
    _last_try[actor.domain] = utcnow()
    scheme = urlsplit(actor.ap_id or "").scheme or "https"
    software = await detect_software(fetcher, actor.domain, scheme=scheme)
    if software:
        await record_software(actor.domain, software)
        actor.software = software
