"""Snippets: a post's text cut around the words that matched, with those words marked.

The index stems words (English) and we do not: a word of the text matches a search term that
begins with it or that it begins with, from four letters on. One regular expression per set of
terms finds those words in the case-folded text; a text whose length changes when folded (a
"ß" becomes "ss") is walked word by word instead, so positions always refer to the text shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Segment", "highlight"]

_WORD = re.compile(r"[^\W_]+")
_LETTER = r"[^\W_]"
MIN_STEM = 4


@dataclass(frozen=True)
class Segment:
    """A piece of a snippet; `match` pieces are the words that matched."""

    text: str
    match: bool


def highlight(text: str, words: tuple[str, ...], width: int) -> tuple[Segment, ...]:
    """`text` cut to about `width` characters around the first matching word (0: all of it),
    split into matching and other segments. `words` are case-folded search terms."""
    cut = bool(width) and len(text) > width
    matching: list[tuple[int, int]] = []
    for start, end in _matching_words(text, words):
        if cut and matching and start > matching[0][0] + width:
            break  # past the end of the snippet, which starts before the first match
        matching.append((start, end))
    if cut:
        start = max(0, matching[0][0] - width // 4) if matching else 0
        start = text.rfind(" ", 0, start) + 1 if start else 0
        end = min(len(text), start + width)
        prefix = "…" if start else ""
        suffix = "…" if end < len(text) else ""
    else:
        start, end, prefix, suffix = 0, len(text), "", ""
    segments: list[Segment] = [Segment(prefix, False)] if prefix else []
    at = start
    for word_start, word_end in matching:
        if word_start < start or word_end > end:
            continue
        segments.append(Segment(text[at:word_start], False))
        segments.append(Segment(text[word_start:word_end], True))
        at = word_end
    segments.append(Segment(text[at:end] + suffix, False))
    return tuple(segment for segment in segments if segment.text)


def _matching_words(text: str, words: tuple[str, ...]) -> Iterator[tuple[int, int]]:
    if not words:
        return
    folded = text.casefold()
    if len(folded) == len(text):
        for found in _pattern(words).finditer(folded):
            yield found.span()
        return
    seen: dict[str, bool] = {}  # posts repeat words: decide each distinct word once
    for word in _WORD.finditer(text):
        folded_word = word.group(0).casefold()
        found_here = seen.get(folded_word)
        if found_here is None:
            found_here = seen[folded_word] = matches(folded_word, words)
        if found_here:
            yield word.span()


def matches(word: str, terms: tuple[str, ...]) -> bool:
    """Whether the case-folded `word` matches one of `terms` (the rule in the module's text)."""
    return any(
        word == term
        or (len(term) >= MIN_STEM and word.startswith(term[:-1]))
        or (len(word) >= MIN_STEM and term.startswith(word))
        for term in terms
    )


@lru_cache(maxsize=256)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    # The same rule as `matches`, over whole words: the term itself, any word that starts with
    # the term less its last letter, and the term's own beginnings of four letters or more.
    choices: set[str] = set()
    for term in terms:
        choices.add(re.escape(term))
        if len(term) >= MIN_STEM:
            choices.add(re.escape(term[:-1]) + _LETTER + "*")
        choices.update(re.escape(term[:size]) for size in range(MIN_STEM, len(term)))
    ordered = sorted(choices, key=len, reverse=True)
    return re.compile(rf"(?<!{_LETTER})(?:{'|'.join(ordered)})(?!{_LETTER})")
