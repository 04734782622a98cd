"""The mail worker: claims due `OutgoingMail` rows with a lease, sends each over SMTP, and
records each outcome the moment it is known.

A row's life: `queued` (due at `next_attempt_at`) → claimed: `lease_until` set and `attempts`
counted up at once → sent over one SMTP connection kept open for the batch → `sent`, or `queued`
again after a backoff (`BACKOFF`), or `dead` with the reason: a permanent (5xx) refusal,
`max_attempts` tries, or a row that reached them without a recorded outcome. Dead rows are the
admin panel's /admin/mail list, from where an admin can queue them again.

No double sending: a worker sends its claimed rows one at a time and marks each sent before it
sends the next, so a worker killed at any point leaves at most one message sent but not marked
(the one in flight); it is sent again once its lease runs out. That one duplicate cannot be
closed without the SMTP server's help (there is no transaction spanning our database and its
queue). Claiming uses `FOR UPDATE SKIP LOCKED` on PostgreSQL, so any number of workers share the
queue without claiming a row twice; SQLite serialises writers, and one worker per SQLite
database is the supported shape.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise import Tortoise
from tortoise.expressions import F, Q

from server.leases import Leases
from server.models import MailState, OutgoingMail, utcnow
from server.services.mail import MailNotSent, SmtpConnection, build_message
from server.settings import Settings
from server.text import storable

__all__ = ["BACKOFF", "MailWorker"]

log = logging.getLogger("lyceum.mail")

# The wait before try n+1 after a failed try n (the last value repeats).
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
)
ERROR_MAX_CHARS = 500


@dataclass(frozen=True)
class Outcome:
    sent: bool
    error: str = ""
    permanent: bool = False


class MailWorker:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.batch_size = settings.mail_batch_size
        self.max_attempts = settings.mail_max_attempts
        self.lease = timedelta(seconds=settings.delivery_lease_seconds)
        self.poll_interval = settings.worker_poll_seconds
        self.leases = Leases(OutgoingMail, self.lease, state=MailState.QUEUED)
        self._connection = SmtpConnection(settings)

    async def run_once(self, stop: asyncio.Event | None = None) -> int:
        """Claim up to `batch_size` due messages and send them one by one, recording each;
        return how many were claimed. Once `stop` is set, the rest of the batch is handed back
        unsent (its claim undone), so stopping waits for one message at most."""
        async with self.leases.kept():
            rows = await self._claim(self.batch_size)
            for index, row in enumerate(rows):
                if stop is not None and stop.is_set():
                    await self._hand_back([rest.id for rest in rows[index:]])
                    break
                await self._record(row, await self._send(row))
        return len(rows)

    async def run_until_stopped(self, stop: asyncio.Event) -> None:
        """Send batches until `stop`; an idle worker looks again every `poll_interval`."""
        try:
            while not stop.is_set():
                try:
                    tried = await self.run_once(stop)
                except Exception:
                    log.exception("the mail worker failed; retrying after a pause")
                    tried = 0
                if tried == 0:
                    await asyncio.to_thread(self._connection.close)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=self.poll_interval)
        finally:
            await asyncio.to_thread(self._connection.close)

    async def _claim(self, limit: int) -> list[OutgoingMail]:
        now = utcnow()
        # An idle poll only reads: on SQLite even an UPDATE of no rows takes the write lock
        # that the delivery and inbox workers of the same process need.
        if not await OutgoingMail.filter(state=MailState.QUEUED, next_attempt_at__lte=now).exists():
            return []
        ids = await self.leases.claim(
            Q(state=MailState.QUEUED, next_attempt_at__lte=now),
            sql='"state" = $3 AND "next_attempt_at" <= $4',
            args=[MailState.QUEUED.value, now],
            order_by="next_attempt_at",
            limit=limit,
            max_attempts=self.max_attempts,
            give_up={"state": MailState.DEAD},
            reason_field="last_error",
        )
        if not ids:
            return []
        return list(await OutgoingMail.filter(id__in=ids).order_by("next_attempt_at", "id"))

    async def _hand_back(self, ids: list[str]) -> None:
        for row_id in ids:
            self.leases.release(row_id)
        await OutgoingMail.filter(id__in=ids, state=MailState.QUEUED).update(
            lease_until=None, attempts=F("attempts") - 1
        )

    def _build_and_send(self, row: OutgoingMail) -> None:
        """In a worker thread: the MIME message is built off the event loop too."""
        self._connection.send(
            build_message(
                self.settings,
                row.to_address,
                row.subject,
                row.text_body,
                html=row.html_body,
                unsubscribe_url=row.unsubscribe_url,
            )
        )

    async def _send(self, row: OutgoingMail) -> Outcome:
        if not self.settings.smtp_host:
            # The whole text, so that on a machine without mail the links in it can be followed.
            log.info(
                "No SMTP server is set; this mail was not sent.\nTo: %s\nSubject: %s\n\n%s",
                row.to_address,
                row.subject,
                row.text_body,
            )
            return Outcome(sent=True)
        try:
            await asyncio.to_thread(self._build_and_send, row)
        except MailNotSent as exc:
            return Outcome(False, str(exc)[:ERROR_MAX_CHARS], exc.permanent)
        except Exception as exc:  # a bug or an unencodable message: retrying may not help
            log.exception("mail %s failed unexpectedly", row.id)
            return Outcome(False, f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS])
        return Outcome(sent=True)

    async def _record(self, row: OutgoingMail, outcome: Outcome) -> None:
        self.leases.release(row.id)
        now = utcnow()
        if outcome.sent:
            try:
                await _mark_sent(row.id, now)
            except Exception:
                log.exception("could not record mail %s as sent", row.id)
            return
        changes: dict[str, object] = {"lease_until": None}
        if outcome.permanent or row.attempts >= self.max_attempts:
            changes.update(state=MailState.DEAD, last_error=storable(outcome.error))
        else:
            wait = BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
            changes.update(next_attempt_at=now + wait, last_error=storable(outcome.error))
        try:
            await OutgoingMail.filter(id=row.id).update(**changes)
        except Exception:
            # Its lease runs out and it is tried again: the one duplicate this design allows.
            log.exception("could not record the outcome of mail %s", row.id)


async def _mark_sent(row_id: str, now: datetime) -> None:
    """Record one message sent: the hot path of a digest run, one statement written by hand
    (building it through the query builder cost more than running it)."""
    connection = Tortoise.get_connection("default")
    postgres = connection.capabilities.dialect == "postgres"
    sql = _MARK_SENT_POSTGRES if postgres else _MARK_SENT_SQLITE
    sent_at = OutgoingMail._meta.fields_map["sent_at"].to_db_value(now, OutgoingMail)
    row_key = OutgoingMail._meta.fields_map["id"].to_db_value(row_id, OutgoingMail)
    await connection.execute_query(sql, [MailState.SENT.value, sent_at, row_key])


_MARK_SENT_SQLITE = (
    'UPDATE "outgoing_mail" SET "state" = ?, "sent_at" = ?, "last_error" = \'\','
    ' "lease_until" = NULL WHERE "id" = ?'
)
_MARK_SENT_POSTGRES = (
    'UPDATE "outgoing_mail" SET "state" = $1, "sent_at" = $2, "last_error" = \'\','
    ' "lease_until" = NULL WHERE "id" = $3'
)
