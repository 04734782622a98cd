"""Who listens to domain events, decided once for every kind of Lyceum process.

Subscribers run inside the transaction of the change that publishes the event (server.events),
so they must be subscribed in *every* process that changes the domain: the web processes (pages
and the inbox's own checks) and the federation workers (an incoming Follow, post or reply is
handled there). `create_app` and `lyceum worker` both call `subscribe_all`; a worker built any
other way would accept no follower and announce no post.
"""

from __future__ import annotations

from federation import document_cache
from federation.delivery import wake
from federation.inbox import receive
from federation.outbox import register as register_outbox
from federation.runtime import BackgroundWork, FederationRuntime
from server import events, mail, page_cache
from server.mail.scheduler import DigestScheduler
from server.mail.worker import MailWorker
from server.services import notifications, recognition, search
from server.services.insights import RollupWorker
from server.services.insights import dirty as insights_dirty
from server.settings import Settings

__all__ = ["background_work", "subscribe_all", "worker_runtime"]


def subscribe_all(bus: events.EventBus, settings: Settings) -> None:
    """Subscribe notifications, mail, the search index, the credits ledger, the analytics
    rollups' marks, the federation outbox, the cached actor documents and pages, the inboxes'
    memory of domain blocks and the workers' wake-up to `bus` (a second call changes nothing but the
    outbox's settings)."""
    notifications.register(bus)
    mail.register(bus, settings)
    search.register(bus, settings.search_language)
    recognition.register(bus)
    insights_dirty.register(bus)
    register_outbox(bus, settings)
    document_cache.register(bus)
    page_cache.register(bus)
    receive.register(bus)
    bus.subscribe(events.FederationWorkRequeued, wake.on_work_requeued)


def background_work(settings: Settings) -> list[BackgroundWork]:
    """The worker's work beside federation's: sending queued mail, scheduling digests,
    granting badges and keeping the organisers' analytics rollups current."""
    return [
        MailWorker(settings).run_until_stopped,
        DigestScheduler(settings).run_until_stopped,
        recognition.BadgeGranter(settings).run_until_stopped,
        RollupWorker(settings).run_until_stopped,
    ]


def worker_runtime(settings: Settings) -> FederationRuntime:
    """What `lyceum worker` runs: the federation workers and the mail ones, with every
    subscriber in place."""
    subscribe_all(events.bus, settings)
    return FederationRuntime(settings, other_work=background_work(settings))
