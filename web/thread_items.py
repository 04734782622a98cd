"""`{{ thread_items(threads, excerpts) }}`: a list's `thread_item`s, each rendered once per look.

/home and the members' front page show the same threads to everybody in the same groups, again
and again, and rendering one item (four macro calls, a dozen escapes) costs more than reading
its row. An item is kept by everything it shows: the thread's record without its HTML (the
excerpt stands for it), the list's options and the "5 minutes ago" of its time. So an edit, a
new reply, a renamed author or the passing minute each make a new key, and no process ever has
to be told that a kept item went stale. Only `ListedThread` records are kept: a model is
mutable, and its hash is only its id.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from server.services.listed import ListedThread

__all__ = ["ITEMS_KEPT", "ThreadItems"]

ITEMS_KEPT = 2048  # a few KB each: the rendered item and a record without its HTML


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
            key = (
                dataclasses.replace(thread, content_html=""),
                excerpt,
                show_group,
                level,
                timeago(thread.last_activity_at or thread.created_at),
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

    def clear(self) -> None:
        self._kept.clear()
