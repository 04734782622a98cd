"""Text every store and log line can hold: no NUL, no lone surrogate."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.text import (
    MAX_ID_CHARS,
    holds_unstorable,
    is_storable,
    is_storable_id,
    storable,
    without_surrogates,
    without_unstorable,
)


def test_storable__drops_nul_and_marks_lone_surrogates() -> None:
    assert storable("a\x00b\ud800c") == "ab\ufffdc"


def test_without_surrogates__keeps_nul_and_astral_characters() -> None:
    assert without_surrogates("\x00\U0001f600\udfff") == "\x00\U0001f600\ufffd"


def test_is_storable__tells_each_kind() -> None:
    assert is_storable("plain, and \U0001f600")
    assert not is_storable("a\x00b")
    assert not is_storable("a\udc80b")


@given(st.text(alphabet=st.characters(exclude_categories=())))
def test_storable__always_gives_text_utf8_and_postgresql_accept(text: str) -> None:
    mended = storable(text)
    assert is_storable(mended)
    mended.encode("utf-8")
    assert (mended == text) == is_storable(text)


def test_without_unstorable__drops_nul_and_lone_surrogates_only() -> None:
    assert without_unstorable("a\x00b\ud800c\U0001f600") == "abc\U0001f600"
    assert without_unstorable("plain") == "plain"


def test_is_storable_id__length_and_characters() -> None:
    url = "https://remote.example/"
    assert is_storable_id(url + "x" * (MAX_ID_CHARS - len(url)))
    assert not is_storable_id(url + "x" * (MAX_ID_CHARS - len(url) + 1))
    assert not is_storable_id(url + "\x00")
    assert not is_storable_id(url + "\udfff")


def test_holds_unstorable__finds_bad_text_in_any_key_or_string_at_any_depth() -> None:
    deep: object = "fine"
    for _ in range(10_000):  # deeper than Python's recursion limit
        deep = [deep]
    assert not holds_unstorable({"a": ["b", {"c": 1, "d": None}], "e": deep})
    assert holds_unstorable({"a": [{"b": "x\x00"}]})
    assert holds_unstorable({"a\ud800": 1})
    assert holds_unstorable([deep, "\udfff"])
