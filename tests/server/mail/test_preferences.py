"""Mail preferences (server/mail/preferences.py): validation and the next digest time, in the
member's zone and across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.mail.preferences import PreferenceChanges, next_digest_time, save_preferences
from server.models import DigestFrequency, MailPreferences
from server.services.errors import Invalid
from tests.helpers import make_account


def prefs(**values: object) -> MailPreferences:
    return MailPreferences(**values)


def test_next_digest__daily_at_the_local_hour_across_a_dst_change() -> None:
    # New York moved from EST (UTC-5) to EDT (UTC-4) on 2026-03-08 at 02:00.
    daily = prefs(digest=DigestFrequency.DAILY, digest_hour=8, time_zone="America/New_York")
    before = next_digest_time(daily, after=datetime(2026, 3, 7, 14, 0, tzinfo=UTC))
    after = next_digest_time(daily, after=before)  # type: ignore[arg-type]
    assert before == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)  # 08:00 EDT, the day of the change
    assert after == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    earlier = next_digest_time(daily, after=datetime(2026, 3, 6, 14, 0, tzinfo=UTC))
    assert earlier == datetime(2026, 3, 7, 13, 0, tzinfo=UTC)  # 08:00 EST


def test_next_digest__an_hour_skipped_by_the_clocks_falls_after_the_jump() -> None:
    daily = prefs(digest=DigestFrequency.DAILY, digest_hour=2, time_zone="America/New_York")
    moment = next_digest_time(daily, after=datetime(2026, 3, 8, 5, 0, tzinfo=UTC))
    assert moment == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT


def test_next_digest__weekly_on_the_chosen_weekday() -> None:
    weekly = prefs(
        digest=DigestFrequency.WEEKLY, digest_hour=18, digest_weekday=4, time_zone="Asia/Tokyo"
    )
    # 2026-12-04 is a Friday; 18:00 in Tokyo is 09:00 UTC.
    assert next_digest_time(weekly, after=datetime(2026, 12, 1, 0, 0, tzinfo=UTC)) == datetime(
        2026, 12, 4, 9, 0, tzinfo=UTC
    )
    assert next_digest_time(weekly, after=datetime(2026, 12, 4, 9, 0, tzinfo=UTC)) == datetime(
        2026, 12, 11, 9, 0, tzinfo=UTC
    )


def test_next_digest__none_without_a_digest() -> None:
    assert next_digest_time(prefs(digest=DigestFrequency.NEVER), after=datetime.now(UTC)) is None


def changes(**values: object) -> PreferenceChanges:
    base: dict[str, object] = {
        "no_email": False,
        "replies": "immediate",
        "mentions": "daily",
        "answers": "weekly",
        "moderation": "never",
        "digest": "daily",
        "digest_hour": 7,
        "digest_weekday": 2,
        "time_zone": "Europe/Paris",
    }
    return PreferenceChanges(**(base | values))  # type: ignore[arg-type]


async def test_save__stores_the_choices_and_schedules_the_digest(database: None) -> None:
    account = await make_account("ada")
    await save_preferences(account, changes())
    row = await MailPreferences.get(account=account)
    assert (row.mentions, row.time_zone, row.digest_hour) == ("daily", "Europe/Paris", 7)
    assert row.next_digest_at is not None
    assert row.next_digest_at.astimezone(UTC).minute == 0


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"digest_hour": 24}, "digest_hour"),
        ({"digest_weekday": -1}, "digest_weekday"),
        ({"replies": "hourly"}, "replies"),
        ({"digest": "monthly"}, "digest"),
    ],
)
async def test_save__refuses_what_it_cannot_keep_and_changes_nothing(
    database: None, bad: dict[str, object], field: str
) -> None:
    account = await make_account("ada")
    with pytest.raises(Invalid) as refused:
        await save_preferences(account, changes(**bad))
    assert field in refused.value.errors
    assert not await MailPreferences.filter(account=account).exists()
