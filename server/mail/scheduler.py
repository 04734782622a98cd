"""The digest scheduler, run by the worker: finds members whose digest is due, queues it (when
the period has anything in it) and sets their next digest time, a batch of members per
transaction. When a batch fails, its members are tried one by one, and a member whose digest
still fails has it skipped (logged) so that it cannot hold the others back.

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

from server.mail._digest_batch import DigestBatch
from server.mail.digest import digest_sections
from server.mail.preferences import next_digest_time
from server.mail.queue import PREFERENCES_PATH
from server.mail.render import render_mail
from server.mail.unsubscribe import unsubscribe_url
from server.models import (
    Account,
    AccountState,
    DigestFrequency,
    MailPreferences,
    OutgoingMail,
    utcnow,
)
from server.services import instance
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
        if not due:
            return 0
        try:
            await self._handle_batch([str(preferences_id) for preferences_id in due], now)
        except Exception:
            log.exception("a digest batch failed; handling its members one at a time")
            for preferences_id in due:
                try:
                    await self._handle_batch([str(preferences_id)], now)
                except Exception:
                    log.exception("the digest of preferences %s failed; skipped", preferences_id)
                    await self._skip(str(preferences_id), now)
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

    async def _handle_batch(self, preferences_ids: list[str], now: datetime) -> None:
        """Every due digest of the batch in one transaction: the shared reads once, the mail
        rows in one insert (keys queued before are skipped), the new schedules in one update."""
        async with in_transaction():
            due_rows = await (
                MailPreferences.filter(id__in=preferences_ids, next_digest_at__lte=now)
                .select_for_update()
                .order_by("next_digest_at")
            )
            accounts = {
                str(account.id): account
                for account in await Account.filter(
                    id__in=[row.account_id for row in due_rows], state=AccountState.ACTIVE
                ).select_related("actor")
            }
            wanted = [
                (row, accounts[str(row.account_id)])
                for row in due_rows
                if row.digest != DigestFrequency.NEVER
                and not row.no_email
                and str(row.account_id) in accounts
                and accounts[str(row.account_id)].email
            ]
            windows = [
                (account, (self._since(row, due_at), due_at))
                for row, account in wanted
                if (due_at := row.next_digest_at) is not None
            ]
            batch = await DigestBatch.load(windows)
            instance_name = await instance.instance_name()
            mails: list[OutgoingMail] = []
            for row, account in wanted:
                assert row.next_digest_at is not None
                mail = await self._build_digest(
                    row, account, row.next_digest_at, batch, instance_name
                )
                if mail is not None:
                    mails.append(mail)
            queued_before = {
                str(key)
                for key in await OutgoingMail.filter(
                    dedup_key__in=[mail.dedup_key for mail in mails]
                ).values_list("dedup_key", flat=True)
            }
            new_mails = [mail for mail in mails if mail.dedup_key not in queued_before]
            if new_mails:
                await OutgoingMail.bulk_create(new_mails, batch_size=200)
            for row in due_rows:
                due_at = row.next_digest_at
                assert due_at is not None
                row.last_digest_at = due_at
                row.next_digest_at = next_digest_time(row, after=max(due_at, now))
            if due_rows:
                await MailPreferences.bulk_update(
                    due_rows, fields=["last_digest_at", "next_digest_at"], batch_size=200
                )

    @staticmethod
    def _since(preferences: MailPreferences, due_at: datetime) -> datetime:
        since = due_at - PERIODS[preferences.digest]
        if preferences.last_digest_at is not None and preferences.last_digest_at > since:
            since = preferences.last_digest_at
        return since

    async def _build_digest(
        self,
        preferences: MailPreferences,
        account: Account,
        due_at: datetime,
        batch: DigestBatch,
        instance_name: str,
    ) -> OutgoingMail | None:
        sections = await digest_sections(
            self.settings,
            account,
            preferences,
            since=self._since(preferences, due_at),
            until=due_at,
            batch=batch,
        )
        if not sections:
            return None
        when = "today" if preferences.digest == DigestFrequency.DAILY else "this week"
        unsubscribe = unsubscribe_url(self.settings, account.id)
        mail = render_mail(
            "digest",
            f"Your {preferences.digest.value} digest from {instance_name}",
            sections=sections,
            period=when,
            instance_name=instance_name,
            preferences_url=self.settings.url(PREFERENCES_PATH),
            unsubscribe_url=unsubscribe,
            name=account.actor.name,
        )
        return OutgoingMail(
            account=account,
            to_address=account.email,
            kind="digest",
            dedup_key=_dedup_key(account, due_at),
            subject=mail.subject[:300],
            text_body=mail.text,
            html_body=mail.html,
            unsubscribe_url=unsubscribe,
            next_attempt_at=utcnow(),
        )

    async def _skip(self, preferences_id: str, now: datetime) -> None:
        """Move a failing member's schedule on to their next digest."""
        row = await MailPreferences.get_or_none(id=preferences_id)
        if row is not None and row.next_digest_at is not None and row.next_digest_at <= now:
            row.next_digest_at = next_digest_time(row, after=now)
            await row.save(update_fields=["next_digest_at"])


def _dedup_key(account: Account, due_at: datetime) -> str:
    return f"digest:{account.id}:{due_at.astimezone(UTC):%Y%m%dT%H%MZ}"
