"""RateLimits and the inbox's LocalCounts: counting attempts per key, and the Retry-After."""

from __future__ import annotations

import pytest

from server.ratelimit import LocalCounts, RateLimits, hot_path_limits
from server.services.errors import RateLimited


async def test_hit__over_the_rule_raises_with_seconds_to_wait() -> None:
    limits = RateLimits("memory://")
    await limits.hit("2/minute", "inbox-actor", "bob", message="Too many.")
    await limits.hit("2/minute", "inbox-actor", "bob", message="Too many.")
    with pytest.raises(RateLimited) as refused:
        await limits.hit("2/minute", "inbox-actor", "bob", message="Too many.")
    assert refused.value.message == "Too many."
    assert 0 < refused.value.retry_after <= 60
    assert refused.value.status == 429


async def test_hit__keys_are_counted_apart() -> None:
    limits = RateLimits("memory://")
    await limits.hit("1/minute", "inbox-actor", "bob", message="x")
    await limits.hit("1/minute", "inbox-actor", "carol", message="x")
    await limits.hit("1/minute", "inbox-domain", "bob", message="x")
    with pytest.raises(RateLimited):
        await limits.hit("1/minute", "inbox-actor", "bob", message="x")


async def test_check__does_not_count_and_clear_forgets() -> None:
    limits = RateLimits("memory://")
    for _ in range(3):
        await limits.check("1/hour", "signup", "192.0.2.1", message="x")
    await limits.hit("1/hour", "signup", "192.0.2.1", message="x")
    with pytest.raises(RateLimited):
        await limits.check("1/hour", "signup", "192.0.2.1", message="x")
    await limits.clear("1/hour", "signup", "192.0.2.1")
    await limits.check("1/hour", "signup", "192.0.2.1", message="x")


async def test_local_counts__over_the_rule_raises_until_the_window_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a clock 50 s into a minute, and two hits a minute allowed
    clock = [1_000_010.0]  # 1,000,010 = 16,666 minutes and 50 s since the epoch
    monkeypatch.setattr("server.ratelimit.time.time", lambda: clock[0])
    counts = LocalCounts()
    await counts.hit("2/minute", "inbox-actor", "bob", message="Too many.")
    await counts.hit("2/minute", "inbox-actor", "bob", message="Too many.")
    # When a third comes in the same minute
    with pytest.raises(RateLimited) as refused:
        await counts.hit("2/minute", "inbox-actor", "bob", message="Too many.")
    # Then it is refused until the minute ends, 10 s later; other keys are counted apart
    assert (refused.value.message, refused.value.retry_after) == ("Too many.", 10)
    await counts.hit("2/minute", "inbox-actor", "carol", message="Too many.")
    # And in the next minute bob may send again
    clock[0] += 10
    await counts.hit("2/minute", "inbox-actor", "bob", message="Too many.")


async def test_local_counts__sweeps_ended_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1_000_000.0]
    monkeypatch.setattr("server.ratelimit.time.time", lambda: clock[0])
    counts = LocalCounts(max_keys=3)
    for name in ("a", "b", "c"):
        await counts.hit("5/second", "k", name, message="x")
    clock[0] += 2  # their windows ended
    await counts.hit("5/second", "k", "d", message="x")
    assert list(counts._counts) == [("5/second", "k", "d")]


def test_hot_path_limits__counts_in_process_for_memory_storage_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert isinstance(hot_path_limits("memory://"), LocalCounts)
    assert isinstance(hot_path_limits("async+memory://"), LocalCounts)
    # (no Redis client is installed here: record which storage `limits` would be given)
    monkeypatch.setattr("server.ratelimit.RateLimits", lambda uri: ("limits", uri))
    shared = hot_path_limits("redis://127.0.0.1:6379")
    assert shared == ("limits", "redis://127.0.0.1:6379")
