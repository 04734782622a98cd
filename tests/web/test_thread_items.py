"""`thread_items`: a list's items as `thread_item` renders them, kept by what they show."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jinja2 import Environment

from server.models import PostKind
from server.services.listed import ListedActor, ListedGroup, ListedThread
from web import templating, thread_items
from web.templating import build_templates
from web.thread_items import ThreadItems


def a_thread(number: int = 1, **changes: Any) -> ListedThread:
    now = datetime.now(UTC)
    thread = ListedThread(
        id=f"01JTHREAD{number:017d}",
        kind=PostKind.QUESTION,
        title=f"Why do primes <{number}> thin out?",
        link_url="",
        content_html="<p>The whole post.</p>",
        accepted_answer_id=None,
        pinned_at=None,
        created_at=now - timedelta(days=2),
        last_activity_at=now - timedelta(hours=3),
        reply_count=2,
        like_count=1,
        author=ListedActor("ada", "", "Ada", "", None),
        group=ListedGroup(ListedActor("maths", "", "Maths", "", None)),
    )
    return dataclasses.replace(thread, **changes)


@pytest.fixture
def env() -> Environment:
    return build_templates().env


def as_the_macro(env: Environment, thread: Any, excerpt: str, **options: Any) -> str:
    macro = env.get_template("posts/_macros.html").module.thread_item  # type: ignore[attr-defined]
    return str(macro(thread, excerpt=excerpt, **options))


def test_thread_items__render_each_thread_as_the_macro_does(env: Environment) -> None:
    threads = [a_thread(1), a_thread(2, kind=PostKind.RESOURCE, link_url="https://ex.org/a")]
    excerpts = {threads[0].id: "Primes & gaps", threads[1].id: "A link"}
    items = ThreadItems(env)
    expected = "".join(
        as_the_macro(env, thread, excerpts[thread.id], show_group=True, level=2)
        for thread in threads
    )
    for _ in range(2):  # rendered, then kept
        assert str(items(threads, excerpts, show_group=True, level=2)) == expected
    assert "&lt;1&gt;" in expected and "Primes &amp; gaps" in expected


@pytest.mark.parametrize(
    "change",
    [
        {"reply_count": 3},
        {"like_count": 7},
        {"title": "Renamed"},
        {"accepted_answer_id": "01JANSWER"},
        {"author": ListedActor("ada", "", "Ada Lovelace", "", None)},
        {"group": ListedGroup(ListedActor("maths", "", "Number theory", "", None))},
    ],
)
def test_thread_items__a_changed_thread_is_rendered_again(
    env: Environment, change: dict[str, Any]
) -> None:
    items = ThreadItems(env)
    before = a_thread()
    after = dataclasses.replace(before, **change)
    items([before], {}, show_group=True)
    assert str(items([after], {}, show_group=True)) == as_the_macro(env, after, "", show_group=True)


def test_thread_items__a_new_excerpt_or_other_options_render_again(env: Environment) -> None:
    items = ThreadItems(env)
    thread = a_thread()
    items([thread], {thread.id: "old words"})
    assert "new words" in items([thread], {thread.id: "new words"})
    assert str(items([thread], {}, show_group=True, level=2)) == as_the_macro(
        env, thread, "", show_group=True, level=2
    )


def test_thread_items__the_passing_time_renders_again(
    env: Environment, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread = a_thread()
    assert thread.last_activity_at is not None
    seen_at = thread.last_activity_at + timedelta(hours=3)

    class Clock(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Clock:
            return cls.fromtimestamp(seen_at.timestamp(), tz)

    monkeypatch.setattr(templating, "datetime", Clock)
    items = ThreadItems(env)
    assert "3 hours ago" in items([thread], {})
    seen_at += timedelta(hours=1)
    shown = items([thread], {})
    assert "4 hours ago" in shown and "3 hours ago" not in shown


def test_thread_items__keep_at_most_their_limit_and_no_post_html(
    env: Environment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(thread_items, "ITEMS_KEPT", 3)
    items = ThreadItems(env)
    threads = [a_thread(number) for number in range(5)]
    items(threads, {})
    assert len(items._kept) == 3

    held = [part for key in items._kept for part in key[0]]
    assert threads[0].content_html not in held  # the post's HTML is not kept


def test_thread_items__models_are_rendered_every_time(env: Environment) -> None:
    """Anything but a frozen record (a model: mutable, hashed by its id) is never kept."""

    @dataclasses.dataclass
    class Mutable:
        thread: ListedThread

        def __getattr__(self, name: str) -> Any:
            return getattr(self.thread, name)

    items = ThreadItems(env)
    shown = Mutable(a_thread())
    assert "2 replies" in items([shown], {})
    shown.thread = dataclasses.replace(shown.thread, reply_count=5)
    assert "5 replies" in items([shown], {})
    assert not items._kept
