"""The top helpers a group's threads page shows, kept per group and month (`web.top_helpers`)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from server import events, expiring_memo, page_cache
from server.models import Credit, GroupVisibility
from server.services import posts, recognition
from tests.helpers import join_as_member, make_account, make_group, make_post
from web.top_helpers import KeptTopHelpers

pytestmark = pytest.mark.usefixtures("database")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(expiring_memo, "time", SimpleNamespace(monotonic=clock.monotonic))
    return clock


@pytest.fixture(autouse=True)
def subscribed(database: None) -> None:
    recognition.register(events.bus)  # credits written from likes
    page_cache.register(events.bus)  # and the kept pages, and what is kept with them, emptied


def helper_ids(helpers: recognition.TopHelpers) -> list[str]:
    return [helper.actor.id for helper in helpers.all_time]


async def test_kept__a_like_given_in_this_process_shows_at_once(clock: Clock) -> None:
    # Given a group's top helpers worked out while it had none
    owner = await make_account("olga")
    ada, bea = await make_account("ada"), await make_account("bea")
    group = await make_group(owner, "maths")
    for member in (ada, bea):
        await join_as_member(group, member)
    post = await make_post(ada, group)
    kept = KeptTopHelpers(seconds=60)
    assert helper_ids(await kept.of(group, bea)) == []
    # When Bea likes Ada's post here
    await posts.like(bea, post)
    # Then the next look shows Ada, though the kept answer had not expired
    assert helper_ids(await kept.of(group, bea)) == [ada.actor_id]


async def test_kept__answered_from_memory_until_it_expires(clock: Clock) -> None:
    # Given Ada's credit, counted once
    owner = await make_account("olga")
    ada, bea = await make_account("ada"), await make_account("bea")
    group = await make_group(owner, "maths")
    for member in (ada, bea):
        await join_as_member(group, member)
    await posts.like(bea, await make_post(ada, group))
    kept = KeptTopHelpers(seconds=10)
    assert helper_ids(await kept.of(group, owner)) == [ada.actor_id]
    # When the credits change where this process hears no event (as in another process)
    await Credit.all().delete()
    # Then another reader gets the kept answer within the seconds, and the new one after
    clock.now += 10
    assert helper_ids(await kept.of(group, bea)) == [ada.actor_id]
    clock.now += 0.001
    assert helper_ids(await kept.of(group, bea)) == []


async def test_kept__a_viewer_who_may_not_read_the_group_gets_nothing_even_when_kept(
    clock: Clock,
) -> None:
    # Given a members-only group whose top helpers a member had worked out
    owner = await make_account("olga")
    ada, bea, outsider = [await make_account(name) for name in ("ada", "bea", "out")]
    group = await make_group(owner, "inner", visibility=GroupVisibility.MEMBERS)
    for member in (ada, bea):
        await join_as_member(group, member)
    await posts.like(bea, await make_post(ada, group))
    kept = KeptTopHelpers(seconds=60)
    assert helper_ids(await kept.of(group, bea)) == [ada.actor_id]
    # When someone outside it, or a visitor, asks
    for stranger in (outsider, None):
        hidden = await kept.of(group, stranger)
        # Then they get nothing
        assert (hidden.month, hidden.all_time) == ([], [])
