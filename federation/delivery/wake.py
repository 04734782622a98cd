"""Waking idle workers the moment work is queued, instead of at their next poll.

Two paths, both harmless when early or doubled (a woken worker that finds nothing due waits
again, and its poll stays the fallback):
- in this process: `notify_delivery()` / `notify_inbox()` set the wake event of every worker of
  this process that `subscribed()` to the channel (the embedded worker). On SQLite a
  transaction holds the only connection, so the woken worker's claim waits for the commit.
- across processes, on PostgreSQL: they also run `NOTIFY lyceum_delivery` / `NOTIFY
  lyceum_inbox` on the caller's connection. Inside a transaction PostgreSQL delivers it on
  commit, and never for a rollback. `listen()` keeps one connection per worker process that
  LISTENs to both channels and sets the same events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from tortoise import Tortoise

from server.events import Event, FederationWorkRequeued

__all__ = [
    "DELIVERY",
    "INBOX",
    "NOTIFY_DELIVERY",
    "NOTIFY_INBOX",
    "is_postgres",
    "listen",
    "notify_delivery",
    "notify_inbox",
    "on_work_requeued",
    "subscribed",
    "wake_here",
]

log = logging.getLogger("lyceum.federation")

DELIVERY = "lyceum_delivery"
INBOX = "lyceum_inbox"
# The NOTIFY of `notify_inbox` as an SQL expression, for a statement that stores inbox rows.
NOTIFY_INBOX = f"pg_notify('{INBOX}', '')"
NOTIFY_DELIVERY = f"pg_notify('{DELIVERY}', '')"
RECONNECT_SECONDS = 5.0

_events: dict[str, set[asyncio.Event]] = {DELIVERY: set(), INBOX: set()}


@contextlib.contextmanager
def subscribed(channel: str, event: asyncio.Event) -> Iterator[None]:
    """Set `event` whenever work is queued on `channel`, for as long as the block runs."""
    _events[channel].add(event)
    try:
        yield
    finally:
        _events[channel].discard(event)


async def notify_delivery() -> None:
    """Deliveries were queued (call it in the transaction that wrote them)."""
    await _notify(DELIVERY)


async def on_work_requeued(event: Event) -> None:
    """Subscriber of `FederationWorkRequeued`: an admin's retry is worked on at once."""
    assert isinstance(event, FederationWorkRequeued)
    if event.deliveries:
        await notify_delivery()
    if event.inbox:
        await notify_inbox()


async def notify_inbox() -> None:
    """Received activities were stored (call it once their rows are written)."""
    await _notify(INBOX)


async def _notify(channel: str) -> None:
    _wake_local(channel)
    connection = Tortoise.get_connection("default")  # the caller's transaction, if in one
    if connection.capabilities.dialect == "postgres":
        await connection.execute_script(f"NOTIFY {channel}")


def wake_here(channel: str) -> None:
    """Wake this process's workers only (the caller's statement NOTIFYs the others)."""
    _wake_local(channel)


def _wake_local(channel: str) -> None:
    for event in _events[channel]:
        event.set()


async def listen(database_url: str, stop: asyncio.Event) -> None:
    """Relay PostgreSQL notifications to this process's workers until `stop`; reconnects."""
    dsn = _asyncpg_dsn(database_url)
    while not stop.is_set():
        try:
            connection = await asyncpg.connect(dsn)
        except (OSError, asyncpg.PostgresError) as error:
            log.warning("cannot listen for queued work (%s); polling meanwhile", error)
        else:
            try:
                for channel in (DELIVERY, INBOX):
                    await connection.add_listener(channel, _relay)
                _wake_local(DELIVERY)  # anything queued while we were not listening
                _wake_local(INBOX)
                await _until_closed(connection, stop)
            finally:
                with contextlib.suppress(Exception):
                    await connection.close(timeout=2)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RECONNECT_SECONDS)


def _relay(connection: Any, pid: int, channel: str, payload: str) -> None:
    _wake_local(channel)


async def _until_closed(connection: Any, stop: asyncio.Event) -> None:
    lost = asyncio.Event()
    connection.add_termination_listener(lambda _: lost.set())
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def _asyncpg_dsn(database_url: str) -> str:
    """Tortoise's `postgres://…?minsize=…` as a plain libpq URL asyncpg accepts."""
    parts = urlsplit(database_url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))


def is_postgres(database_url: str) -> bool:
    return urlsplit(database_url).scheme in ("postgres", "postgresql", "asyncpg", "psycopg")
