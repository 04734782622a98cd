"""The date range a report covers: read from `from`/`to` (YYYY-MM-DD, both days included)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from server.services.errors import DomainError
from server.services.insights._sql import week_start

__all__ = ["DEFAULT_DAYS", "EARLIEST", "MAX_DAYS", "BadRange", "DateRange", "parse_range"]

DEFAULT_DAYS = 90
MAX_DAYS = 731  # two years (one of them a leap year)
EARLIEST = date(2000, 1, 1)


class BadRange(DomainError):
    """A date range that cannot be read or makes no sense (400, with the reason)."""

    status = 400


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date  # included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def weeks(self) -> list[date]:
        """The Mondays of the weeks the range touches, oldest first."""
        first, last = week_start(self.start), week_start(self.end)
        return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]

    def query(self) -> str:
        return f"from={self.start.isoformat()}&to={self.end.isoformat()}"


def _read(name: str, text: str | None, default: date) -> date:
    if text is None or text == "":
        return default
    if len(text) != 10:
        raise BadRange(f"“{name}” must be a date written as YYYY-MM-DD.")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRange(f"“{name}” must be a date written as YYYY-MM-DD.") from None


def parse_range(start: str | None, end: str | None, today: date) -> DateRange:
    """The range asked for; by default the last `DEFAULT_DAYS` days up to today."""
    last = _read("to", end, today)
    first = _read("from", start, last - timedelta(days=DEFAULT_DAYS - 1))
    if first < EARLIEST or last < EARLIEST:
        raise BadRange(f"Reports start on {EARLIEST.isoformat()} at the earliest.")
    if last > today:
        raise BadRange("“to” cannot be after today.")
    if first > last:
        raise BadRange("“from” must be on or before “to”.")
    if (last - first).days + 1 > MAX_DAYS:
        raise BadRange(f"A report covers at most {MAX_DAYS} days; choose a shorter range.")
    return DateRange(first, last)
