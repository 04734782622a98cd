"""The digest scheduler, run by the worker: finds members whose digest is due, queues it (when
the period has anything in it) and sets their next digest time, one member per transaction.

Each member's digest is keyed by its scheduled time (`digest:<account>:<time>`), and the queued
row and the new schedule commit together: a run repeated after a crash queues nothing twice.
On PostgreSQL the member's preferences row is locked while their digest is built, so two
workers never build the same digest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from server.mail.digest import digest_sections
from server.mail.preferences import next_digest_time
from server.mail.queue import mail_context, queue_mail
from server.mail.render import render_mail
from server.mail.unsubscribe import unsubscribe_url
from server.models import (
    Account,
    AccountState,
    DigestFrequency,
    MailPreferences,
    utcnow,
)
from server.settings import Settings

__all__ = ["DigestScheduler"]

log = logging.getLogger("lyceum.mail")

POLL_SECONDS = 60.0
PERIODS = {DigestFrequency.DAILY: timedelta(days=1), DigestFrequency.WEEKLY: timedelta(days=7)}


class DigestScheduler:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.batch_size = settings.digest_batch_size
        # Digests are due on the hour: looking once a minute is plenty, and keeps an idle
        # scheduler's queries off a SQLite database the other workers are writing to.
        self.poll_interval = max(settings.worker_poll_seconds, POLL_SECONDS)

    async def run_once(self, now: datetime | None = None) -> int:
        """Schedule members who have no schedule yet, then handle up to `batch_size` due
        digests; return how many members' digests were due."""
        now = now or utcnow()
        await self._schedule_new_members(now)
        due = await (
            MailPreferences.filter(next_digest_at__lte=now)
            .order_by("next_digest_at")
            .limit(self.batch_size)
            .values_list("id", flat=True)
        )
        for preferences_id in due:
            try:
                await self._handle(str(preferences_id), now)
            except Exception:
                log.exception("the digest of preferences %s failed", preferences_id)
        return len(due)

    async def run_until_stopped(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:
                log.exception("the digest scheduler failed; retrying after a pause")
                handled = 0
            if handled < self.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.poll_interval)

    async def _schedule_new_members(self, now: datetime) -> None:
        """Members who never chose get the default preferences row, and so a schedule."""
        new = await (
            Account.filter(state=AccountState.ACTIVE)
            .exclude(id__in=Subquery(MailPreferences.all().values("account_id")))
            .limit(self.batch_size)
            .values_list("id", flat=True)
        )
        rows = []
        for account_id in new:
            row = MailPreferences(account_id=account_id)
            row.next_digest_at = next_digest_time(row, after=now)
            rows.append(row)
        if rows:
            await MailPreferences.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        for row in (
            await MailPreferences.filter(next_digest_at=None)
            .exclude(digest=DigestFrequency.NEVER)
            .limit(self.batch_size)
        ):
            row.next_digest_at = next_digest_time(row, after=now)
            await row.save(update_fields=["next_digest_at"])

    async def _handle(self, preferences_id: str, now: datetime) -> None:
        async with in_transaction():
            preferences = (
                await MailPreferences.filter(id=preferences_id).select_for_update().first()
            )
            if preferences is None or preferences.next_digest_at is None:
                return
            due_at = preferences.next_digest_at
            if due_at > now:  # another worker did it meanwhile
                return
            if preferences.digest != DigestFrequency.NEVER:
                await self._queue_digest(preferences, due_at)
            preferences.last_digest_at = due_at
            # Digests missed while no worker ran are not sent one by one: the next is the
            # first one due after now.
            preferences.next_digest_at = next_digest_time(preferences, after=max(due_at, now))
            await preferences.save(update_fields=["last_digest_at", "next_digest_at"])

    async def _queue_digest(self, preferences: MailPreferences, due_at: datetime) -> None:
        account = await Account.get_or_none(
            id=preferences.account_id, state=AccountState.ACTIVE
        ).select_related("actor")
        if account is None or not account.email or preferences.no_email:
            return
        period = PERIODS[preferences.digest]
        since = due_at - period
        if preferences.last_digest_at is not None and preferences.last_digest_at > since:
            since = preferences.last_digest_at
        sections = await digest_sections(
            self.settings, account, preferences, since=since, until=due_at
        )
        if not sections:
            return  # nothing happened: no mail
        when = "today" if preferences.digest == DigestFrequency.DAILY else "this week"
        instance_context = await mail_context(self.settings, account)
        mail = render_mail(
            "digest",
            f"Your {preferences.digest.value} digest from {instance_context['instance_name']}",
            sections=sections,
            period=when,
            **instance_context,
        )
        await queue_mail(
            account=account,
            to_address=account.email,
            kind="digest",
            dedup_key=f"digest:{account.id}:{due_at.astimezone(UTC):%Y%m%dT%H%MZ}",
            mail=mail,
            unsubscribe=unsubscribe_url(self.settings, account.id),
        )
