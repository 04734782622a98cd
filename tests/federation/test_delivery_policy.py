"""The retry table of FEDERATION.md, row by row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from federation.delivery.policy import MAX_ATTEMPTS, Verdict, backoff, decide

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_decide__2xx_is_done(status: int) -> None:
    assert decide(status, 1, NOW).verdict == Verdict.DONE


@pytest.mark.parametrize("status", [400, 403, 404, 405, 410, 413, 422])
def test_decide__other_4xx_is_final(status: int) -> None:
    outcome = decide(status, 1, NOW)
    assert outcome.verdict == Verdict.FINAL
    assert f"HTTP {status}" in outcome.reason


@pytest.mark.parametrize("status", [401, 408, 500, 502, 504, None])
def test_decide__5xx_401_408_and_network_errors_back_off(status: int | None) -> None:
    outcome = decide(status, 3, NOW, error="ConnectError")
    assert outcome.verdict == Verdict.RETRY
    assert outcome.next_attempt_at == NOW + backoff(3)


@pytest.mark.parametrize("status", [429, 503])
def test_decide__retry_after_seconds_is_honoured(status: int) -> None:
    outcome = decide(status, 1, NOW, retry_after="120")
    assert outcome.verdict == Verdict.RETRY
    assert outcome.next_attempt_at == NOW + timedelta(seconds=120)


def test_decide__retry_after_http_date_is_honoured() -> None:
    outcome = decide(429, 1, NOW, retry_after="Mon, 23 Nov 2026 12:05:00 GMT")
    assert outcome.next_attempt_at == NOW + timedelta(minutes=5)


def test_decide__retry_after_is_capped_at_a_day() -> None:
    outcome = decide(503, 1, NOW, retry_after=str(10 * 86400))
    assert outcome.next_attempt_at == NOW + timedelta(days=1)


def test_decide__unparseable_retry_after_falls_back_to_backoff() -> None:
    outcome = decide(429, 2, NOW, retry_after="soon")
    assert outcome.next_attempt_at == NOW + backoff(2)


def test_decide__gives_up_after_max_attempts() -> None:
    assert decide(500, MAX_ATTEMPTS - 1, NOW).verdict == Verdict.RETRY
    assert decide(500, MAX_ATTEMPTS, NOW).verdict == Verdict.FINAL


def test_backoff__sixteen_tries_span_two_to_three_days() -> None:
    total = sum((backoff(n) for n in range(1, MAX_ATTEMPTS)), timedelta())
    assert timedelta(days=2) <= total <= timedelta(days=3)
