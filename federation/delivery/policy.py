"""The retry policy, in one table: what a delivery attempt's result means for the row.

| result                         | outcome                                               |
|--------------------------------|-------------------------------------------------------|
| 2xx                            | done                                                  |
| 429, 503                       | retry at Retry-After (seconds or HTTP date), else backoff |
| 401, 408, other 5xx            | retry with exponential backoff                        |
| network error, timeout         | retry with exponential backoff                        |
| other 4xx (400, 403, 404, 410…) | final failure: the receiver will never accept it      |
| refused before sending (0)     | final failure: a refused address or URL, a bad key    |
| MAX_ATTEMPTS reached           | final failure                                         |

The backoff follows Mastodon's delivery worker (attempt⁴ + 15 s), so 16 tries span about 2.3 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

MAX_ATTEMPTS = 16
MAX_RETRY_AFTER = timedelta(days=1)  # a peer cannot park our queue for longer than this


class Verdict(StrEnum):
    DONE = "done"
    RETRY = "retry"
    FINAL = "final"


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    next_attempt_at: datetime | None = None
    reason: str = ""


def backoff(attempts: int) -> timedelta:
    """Delay before the next try, after `attempts` failed tries (1 after the first failure)."""
    return timedelta(seconds=attempts**4 + 15)


def decide(
    status: int | None,
    attempts: int,
    now: datetime,
    retry_after: str | None = None,
    error: str = "",
) -> Outcome:
    """Map one attempt's result (`status` None for network errors) to what happens next.

    `attempts` counts tries made so far, including this one.
    """
    if status is not None and 200 <= status < 300:
        return Outcome(Verdict.DONE)
    if status == 0:
        return Outcome(Verdict.FINAL, reason=f"not sent: {error}")
    reason = f"HTTP {status}" if status is not None else (error or "network error")
    retryable = status is None or status in (401, 408, 429) or status >= 500
    if not retryable:
        return Outcome(Verdict.FINAL, reason=f"{reason}: the receiver refused it")
    if attempts >= MAX_ATTEMPTS:
        return Outcome(Verdict.FINAL, reason=f"{reason}: gave up after {attempts} tries")
    delay = backoff(attempts)
    if status in (429, 503) and retry_after:
        delay = _retry_after(retry_after, now) or delay
    return Outcome(Verdict.RETRY, now + delay, reason)


def _retry_after(value: str, now: datetime) -> timedelta | None:
    value = value.strip()
    if value.isdigit():
        delay = timedelta(seconds=int(value))
    else:
        try:
            delay = parsedate_to_datetime(value) - now
        except (TypeError, ValueError):
            return None
    return min(max(delay, timedelta(0)), MAX_RETRY_AFTER)
