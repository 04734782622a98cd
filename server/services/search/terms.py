"""Turning what a visitor typed into search terms that no database can misread.

A query is reduced to words (runs of letters and digits, after NFKC normalisation and case
folding), so FTS5 operators (`"`, `*`, `NEAR(`, `-`, `:`), tsquery specials (`&`, `|`, `!`,
`<->`), NUL characters and lone surrogates never reach SQL: the backends quote each word, and
pass it as a parameter, on top of that.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from server.text import storable

__all__ = ["MAX_QUERY_CHARS", "MAX_TERMS", "SearchTerms", "parse_terms"]

MAX_QUERY_CHARS = 300
MAX_TERMS = 12
MAX_TERM_CHARS = 64

_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class SearchTerms:
    """The words to look for; `words` is empty when the query held none."""

    words: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.words)


def parse_terms(text: str) -> SearchTerms:
    """The distinct words of `text`, in order, at most `MAX_TERMS` of them (callers refuse
    queries longer than `MAX_QUERY_CHARS` before asking)."""
    normal = unicodedata.normalize("NFKC", storable(text)).casefold()
    words: list[str] = []
    for word in _WORD.findall(normal):
        word = word[:MAX_TERM_CHARS]
        if word not in words:
            words.append(word)
        if len(words) == MAX_TERMS:
            break
    return SearchTerms(tuple(words))
