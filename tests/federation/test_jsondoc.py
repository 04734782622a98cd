"""Bounded JSON reading: deep documents are refused as unreadable, never as a crash."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federation import jsondoc


def _nested(depth: int, *, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


def test_loads__reads_an_ordinary_activity() -> None:
    # Given an Announce of a Create of a Note (four levels)
    text = json.dumps({"type": "Announce", "object": {"type": "Create", "object": {"tag": [{}]}}})
    # Then it reads as it was written
    assert jsondoc.loads(text)["object"]["object"]["tag"] == [{}]


def test_loads__accepts_exactly_the_limit() -> None:
    assert jsondoc.loads(_nested(jsondoc.MAX_DEPTH)) is not None


def test_loads__refuses_one_level_past_the_limit() -> None:
    with pytest.raises(jsondoc.TooDeep):
        jsondoc.loads(_nested(jsondoc.MAX_DEPTH + 1))


@pytest.mark.parametrize("depth", [1_000, 10_000, 100_000])
def test_loads__refuses_very_deep_documents_as_unreadable(depth: int) -> None:
    # Python's own parser raises RecursionError at some depth; both paths end as TooDeep
    with pytest.raises(ValueError, match="deeper than"):
        jsondoc.loads(_nested(depth))


def test_loads__deep_objects_count_like_arrays() -> None:
    text = '{"a":' * (jsondoc.MAX_DEPTH + 1) + "1" + "}" * (jsondoc.MAX_DEPTH + 1)
    with pytest.raises(jsondoc.TooDeep):
        jsondoc.loads(text)


def test_loads__malformed_json_is_a_value_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        jsondoc.loads(b"{not json")


@given(
    st.recursive(st.none() | st.integers(), lambda c: st.lists(c) | st.dictionaries(st.text(), c))
)
def test_loads__round_trips_what_json_dumps_writes_within_the_limit(value: object) -> None:
    assert jsondoc.loads(json.dumps(value)) == value
