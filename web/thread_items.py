"""`{{ thread_items(threads, excerpts) }}`: a list's `thread_item`s, each rendered once per look.

/home, the members' front page and a group's threads show the same threads to everybody in the
same groups, again and again, and rendering one item (four macro calls, a dozen escapes) costs
more than reading its row. An item is kept by everything it shows: the fields of the thread's
record but its HTML (the excerpt stands for it), the list's options and the "5 minutes ago" of
its time. So an edit, a new reply, a renamed author or the passing minute each make a new key,
and no process ever has to be told that a kept item went stale. Only `ListedThread` records are
kept: a model is mutable, and its hash is only its id.
"""

from __future__ import annotations

import dataclasses
import operator
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from server.services.listed import ListedThread

__all__ = ["ITEMS_KEPT", "ThreadItems"]

ITEMS_KEPT = 2048  # a few KB each: the rendered item and what it shows

# What an item shows of its thread: every field of the record but the post's HTML, in a tuple
# (made in C; a field added to the record is in it too).
_shown = operator.attrgetter(
    *(field.name for field in dataclasses.fields(ListedThread) if field.name != "content_html")
)


class _Key(list[Hashable]):
    """A key whose hash is worked out once (a kept item is looked up, then moved to the end),
    as `functools.lru_cache` keeps its keys. Never changed once made."""

    __slots__ = ("_hash",)

    def __init__(self, parts: tuple[Hashable, ...]) -> None:
        super().__init__(parts)
        self._hash = hash(parts)

    def __hash__(self) -> int:  # type: ignore[override]
        return self._hash


class ThreadItems:
    """The template global: renders through the `thread_item` macro of posts/_macros.html."""

    def __init__(self, env: Environment) -> None:
        self._env = env
        self._kept: OrderedDict[Hashable, Markup] = OrderedDict()

    def __call__(
        self,
        threads: Sequence[Any],
        excerpts: Mapping[str, str],
        *,
        show_group: bool = False,
        level: int = 3,
    ) -> Markup:
        macro = self._env.get_template("posts/_macros.html").module.thread_item  # type: ignore[attr-defined]
        timeago = self._env.filters["timeago"]  # as the macro's `when` writes it
        items = []
        for thread in threads:
            excerpt = excerpts.get(thread.id, "")
            if not isinstance(thread, ListedThread):
                items.append(macro(thread, show_group=show_group, excerpt=excerpt, level=level))
                continue
            key = _Key(
                (
                    _shown(thread),
                    excerpt,
                    show_group,
                    level,
                    timeago(thread.last_activity_at or thread.created_at),
                )
            )
            item = self._kept.get(key)
            if item is None:
                item = macro(thread, show_group=show_group, excerpt=excerpt, level=level)
                self._kept[key] = item
                if len(self._kept) > ITEMS_KEPT:
                    self._kept.popitem(last=False)
            else:
                self._kept.move_to_end(key)
            items.append(item)
        return Markup("").join(items)
