"""Which of a batch's activities must be handled in order, and which may run side by side.

`split(rows)` answers the rows in chains, each in the order the rows arrived: two rows share a
chain when they share their actor or any id one names (the activity's own, its object's, what
it replies to, its target, the actor or author of an embedded object), directly or through
other rows of the batch. So a Create and the Delete, Update, Like or reply of its post, a
Follow and its Undo, an actor's activities and its own Update or Delete, and a group's Announce
and the author's own Create of the post fall in one chain; unrelated activities do not. A row
whose payload cannot be read is a chain of its own (the worker records why).

`documents`: the rows' parsed payloads by row id, when the caller has them (the worker reads
each row once: `readable.read_rows`); None for a row that is not JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from server.models import InboxActivity

__all__ = ["split"]

NAMING_KEYS = ("id", "actor", "object", "inReplyTo", "target", "attributedTo")
MAX_DEPTH = 4  # Announce{Create{Note{inReplyTo}}} is as deep as real shapes go


def split(
    rows: list[InboxActivity], documents: Mapping[str, Any] | None = None
) -> list[list[InboxActivity]]:
    """The rows in chains; each chain keeps the rows' order, the first chains hold the oldest."""
    parent = list(range(len(rows)))

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    owner: dict[str, int] = {}
    for n, row in enumerate(rows):
        document = documents[row.id] if documents is not None else _parsed(row.payload)
        for name in _names(row, document):
            if name in owner:
                first, this = root(owner[name]), root(n)
                parent[max(first, this)] = min(first, this)
            else:
                owner[name] = n
    chains: dict[int, list[InboxActivity]] = {}
    for n, row in enumerate(rows):
        chains.setdefault(root(n), []).append(row)
    return list(chains.values())


def _parsed(payload: str) -> Any:
    try:
        return json.loads(payload)
    except ValueError:
        return None


def _names(row: InboxActivity, document: Any) -> set[str]:
    names = {row.actor_ap_id, row.ap_id}
    if document is not None:
        _collect(document, names, 0)
    return names


def _collect(value: Any, names: set[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    if isinstance(value, str):
        names.add(value)
    elif isinstance(value, list):
        for item in value[:64]:  # a bounded look: more only costs time, never order
            _collect(item, names, depth + 1)
    elif isinstance(value, dict):
        for key in NAMING_KEYS:
            item = value.get(key)
            if item is not None:
                _collect(item, names, depth + 1)
