"""A member's mail preferences: reading them (defaults for a member with no row), changing them,
and when their next digest is due.

Exceptions: `Invalid` (server.services.errors) for an unknown cadence, hour, weekday or zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from server.models import Account, DigestFrequency, MailCadence, MailPreferences, utcnow
from server.services.errors import Invalid

__all__ = [
    "PreferenceChanges",
    "next_digest_time",
    "preferences_of",
    "save_preferences",
    "valid_zone",
    "zone_names",
]

MAX_ZONE_CHARS = 64


@dataclass(frozen=True)
class PreferenceChanges:
    no_email: bool
    replies: str
    mentions: str
    answers: str
    moderation: str
    digest: str
    digest_hour: int
    digest_weekday: int
    time_zone: str


async def preferences_of(account: Account) -> MailPreferences:
    """The member's preferences; an unsaved row with the defaults when they never chose."""
    row = await MailPreferences.get_or_none(account=account)
    return row if row is not None else MailPreferences(account=account)


def zone_names() -> list[str]:
    return sorted(available_timezones())


def valid_zone(name: str) -> bool:
    if not name or len(name) > MAX_ZONE_CHARS or "\\" in name or name.startswith("/"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _checked(changes: PreferenceChanges) -> dict[str, object]:
    errors: dict[str, str] = {}
    cadences = {c.value for c in MailCadence}
    for name in ("replies", "mentions", "answers", "moderation"):
        if getattr(changes, name) not in cadences:
            errors[name] = "Choose at once, daily, weekly or never."
    if changes.digest not in {f.value for f in DigestFrequency}:
        errors["digest"] = "Choose daily, weekly or never."
    if not 0 <= changes.digest_hour <= 23:
        errors["digest_hour"] = "Choose an hour from 0 to 23."
    if not 0 <= changes.digest_weekday <= 6:
        errors["digest_weekday"] = "Choose a day of the week."
    if not valid_zone(changes.time_zone):
        errors["time_zone"] = "Choose a time zone from the list, such as Europe/Paris."
    if errors:
        raise Invalid(errors)
    return {
        "no_email": changes.no_email,
        "replies": MailCadence(changes.replies),
        "mentions": MailCadence(changes.mentions),
        "answers": MailCadence(changes.answers),
        "moderation": MailCadence(changes.moderation),
        "digest": DigestFrequency(changes.digest),
        "digest_hour": changes.digest_hour,
        "digest_weekday": changes.digest_weekday,
        "time_zone": changes.time_zone,
    }


async def save_preferences(account: Account, changes: PreferenceChanges) -> MailPreferences:
    """Validate and store the member's choices, and schedule their next digest."""
    values = _checked(changes)
    row = await preferences_of(account)
    for name, value in values.items():
        setattr(row, name, value)
    row.next_digest_at = next_digest_time(row, after=utcnow())
    await row.save()
    return row


def next_digest_time(preferences: MailPreferences, *, after: datetime) -> datetime | None:
    """The first moment after `after` when the member's local clock shows their digest hour (on
    their weekday, for weekly digests), in UTC; None when they want no digest.

    Days are counted on the member's wall calendar, so a DST change never moves the hour. An
    hour that does not exist that day (clocks jump over it) falls at the hour after the jump.
    """
    if preferences.digest == DigestFrequency.NEVER:
        return None
    zone = ZoneInfo(preferences.time_zone) if valid_zone(preferences.time_zone) else UTC
    local_day: date = after.astimezone(zone).date()
    for offset in range(9):
        day = local_day + timedelta(days=offset)
        if preferences.digest == DigestFrequency.WEEKLY and day.weekday() != (
            preferences.digest_weekday
        ):
            continue
        moment = datetime.combine(day, time(preferences.digest_hour), tzinfo=zone)
        moment_utc = moment.astimezone(UTC)
        if moment_utc > after:
            return moment_utc
    raise AssertionError("a daily or weekly time always falls within nine days")
