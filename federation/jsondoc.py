"""Reading JSON from other servers with a bound on nesting.

Activities and actors nest a few levels deep; a document nested thousands of levels deep is an
attack (Python's parser raises `RecursionError` on it, and recursive readers after it would too).
`loads` refuses it as `TooDeep`, a `ValueError`, like any other unreadable document.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_DEPTH", "TooDeep", "loads"]

MAX_DEPTH = 64  # real activities nest under 10 levels (an Announce of a Create of a Note: 4)


class TooDeep(ValueError):
    """The document nests arrays and objects deeper than `MAX_DEPTH`."""


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse `text` as JSON; `ValueError` (`TooDeep` for nesting) when it cannot be read."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise TooDeep(f"The document nests deeper than {max_depth} levels.") from None
    if _brackets(text) > max_depth and _depth_exceeds(data, max_depth):
        raise TooDeep(f"The document nests deeper than {max_depth} levels.")
    return data


def _brackets(text: str | bytes) -> int:
    """How many arrays and objects the text opens at most (brackets in strings count too): a
    document opening no more than `max_depth` cannot nest deeper, and needs no walk."""
    if isinstance(text, str):
        return text.count("{") + text.count("[")
    return text.count(b"{") + text.count(b"[")


def _depth_exceeds(data: Any, max_depth: int) -> bool:
    """Walk without recursion, so a deep document cannot exhaust the stack here either."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
