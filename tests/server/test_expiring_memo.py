"""`ExpiringMemo`: bounded, expiring, emptied on demand."""

from __future__ import annotations

from server.expiring_memo import ExpiringMemo
from tests.conftest import MemoClock


def test_memo__keeps_an_entry_for_its_seconds_then_forgets_it(memo_clock: MemoClock) -> None:
    # Given an entry remembered for 60 s
    memo: ExpiringMemo[str, str] = ExpiringMemo(seconds=60.0, size=10)
    memo.put("key", "pem")
    # Then it is known until the 60 s are over, and not after
    memo_clock.now += 60.0
    assert memo.get("key") == "pem"
    memo_clock.now += 0.001
    assert memo.get("key") is None
    # And an expired entry stays gone, even when the clock is wound back
    memo_clock.now -= 30.0
    assert memo.get("key") is None


def test_memo__holds_at_most_its_size_dropping_the_oldest(memo_clock: MemoClock) -> None:
    # Given a memo of three entries, "a" written again last
    memo: ExpiringMemo[str, int] = ExpiringMemo(seconds=60.0, size=3)
    for name in ("a", "b", "c"):
        memo.put(name, 1)
    memo.put("a", 2)
    # When a fourth comes
    memo.put("d", 1)
    # Then the entry written longest ago goes, and only it
    assert [memo.get(name) for name in ("a", "b", "c", "d")] == [2, None, 1, 1]


def test_memo__forget_drops_one_entry(memo_clock: MemoClock) -> None:
    memo: ExpiringMemo[str, int] = ExpiringMemo(seconds=60.0, size=10)
    memo.put("a", 1)
    memo.put("b", 2)
    memo.forget("a")
    memo.forget("never-there")
    assert (memo.get("a"), memo.get("b")) == (None, 2)


def test_memo__kept_for_no_time_keeps_nothing(memo_clock: MemoClock) -> None:
    # Given a memo whose entries last 0 s (a cache turned off)
    memo: ExpiringMemo[str, int] = ExpiringMemo(seconds=0, size=10)
    # When an entry is written, Then it is not there even at the same instant
    memo.put("a", 1)
    assert memo.get("a") is None


def test_memo__clear_empties_it(memo_clock: MemoClock) -> None:
    memo: ExpiringMemo[str, int] = ExpiringMemo(seconds=60.0, size=10)
    memo.put("a", 1)
    memo.put("b", 2)
    memo.clear()
    assert (memo.get("a"), memo.get("b")) == (None, None)
