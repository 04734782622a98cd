"""Row ids (server/models/_base.py `new_id`): lower-case ULIDs, in the order they were made."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ulid import ULID

from server.models import new_id
from server.models._base import _ulid_text


def test_new_id__is_a_ulid_of_the_moment_it_was_made() -> None:
    # Given the clock read just before and just after an id is made
    before = time.time_ns() // 1_000_000
    made = new_id()
    after = time.time_ns() // 1_000_000
    # Then it is 26 lower-case Crockford characters that python-ulid reads back, its time
    # between the two readings
    assert len(made) == 26 and made == made.lower()
    assert before <= ULID.from_str(made.upper()).milliseconds <= after


def test_new_id__ids_made_in_a_row_are_distinct_and_sort_in_that_order() -> None:
    # When many ids are made at once, most within the same millisecond
    made = [new_id() for _ in range(20_000)]
    # Then each is new and they sort as they were made (the randomness counts up within a
    # millisecond, as python-ulid's strict monotonic policy does)
    assert len(set(made)) == len(made)
    assert made == sorted(made)


def test_new_id__spells_every_bit_of_its_time_and_randomness_as_python_ulid_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a clock and random bytes that set high, low and mixed bits in both parts
    from server.models import _base

    for millisecond, randomness in [
        (1, b"\x00" * 9 + b"\x01"),
        ((1 << 48) - 1, b"\xff" * 10),
        (1_733_400_000_123, bytes(range(10, 20))),
    ]:
        monkeypatch.setattr(_base.time, "time_ns", lambda ms=millisecond: ms * 1_000_000)
        monkeypatch.setattr(_base.os, "urandom", lambda size, r=randomness: r[:size])
        monkeypatch.setattr(_base, "_previous", [0, 0])
        # When an id is made
        made = new_id()
        # Then it is python-ulid's spelling of those 128 bits, in lower case
        expected = ULID.from_bytes(millisecond.to_bytes(6, "big") + randomness)
        assert made == str(expected).lower()


@given(st.integers(min_value=0, max_value=(1 << 128) - 1))
def test_ulid_text__is_python_ulids_text_in_lower_case(value: int) -> None:
    # Given any 128-bit value (48 bits of time, 80 of randomness)
    # Then its text is python-ulid's, in lower case
    assert _ulid_text(value) == str(ULID.from_int(value)).lower()
