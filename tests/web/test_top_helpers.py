"""The top helpers a group's threads page shows, kept per group and month (`web.top_helpers`)."""

from __future__ import annotations

import pytest

from server import events, page_cache
from server.models import Account, Credit, Group, GroupVisibility
from server.services import posts, recognition
from tests.conftest import MemoClock
from tests.helpers import join_as_member, make_account, make_group, make_post
from web.top_helpers import KeptTopHelpers

pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture(autouse=True)
def subscribed(database: None) -> None:
    recognition.register(events.bus)  # credits written from likes
    page_cache.register(events.bus)  # and the kept pages, and what is kept with them, emptied


def helper_ids(helpers: recognition.TopHelpers) -> list[str]:
    return [helper.actor.id for helper in helpers.all_time]


async def group_of_ada_and_bea(**options: object) -> tuple[Account, Group, Account, Account]:
    """Olga's group, Ada and Bea its members, and a post of Ada's in it."""
    owner = await make_account("olga")
    ada, bea = await make_account("ada"), await make_account("bea")
    group = await make_group(owner, "maths", **options)
    for member in (ada, bea):
        await join_as_member(group, member)
    return owner, group, ada, bea


async def test_kept__a_like_given_in_this_process_shows_at_once(memo_clock: MemoClock) -> None:
    # Given a group's top helpers worked out while it had none
    _, group, ada, bea = await group_of_ada_and_bea()
    post = await make_post(ada, group)
    kept = KeptTopHelpers(seconds=60)
    assert helper_ids(await kept.of(group, bea)) == []
    # When Bea likes Ada's post here
    await posts.like(bea, post)
    # Then the next look shows Ada, though the kept answer had not expired
    assert helper_ids(await kept.of(group, bea)) == [ada.actor_id]


async def test_kept__answered_from_memory_until_it_expires(memo_clock: MemoClock) -> None:
    # Given Ada's credit, counted once
    owner, group, ada, bea = await group_of_ada_and_bea()
    await posts.like(bea, await make_post(ada, group))
    kept = KeptTopHelpers(seconds=10)
    assert helper_ids(await kept.of(group, owner)) == [ada.actor_id]
    # When the credits change where this process hears no event (as in another process)
    await Credit.all().delete()
    # Then another reader gets the kept answer within the seconds, and the new one after
    memo_clock.now += 10
    assert helper_ids(await kept.of(group, bea)) == [ada.actor_id]
    memo_clock.now += 0.001
    assert helper_ids(await kept.of(group, bea)) == []


async def test_kept__a_viewer_who_may_not_read_the_group_gets_nothing_even_when_kept(
    memo_clock: MemoClock,
) -> None:
    # Given a members-only group whose top helpers a member had worked out
    _, group, ada, bea = await group_of_ada_and_bea(visibility=GroupVisibility.MEMBERS)
    outsider = await make_account("out")
    await posts.like(bea, await make_post(ada, group))
    kept = KeptTopHelpers(seconds=60)
    assert helper_ids(await kept.of(group, bea)) == [ada.actor_id]
    # When someone outside it, or a visitor, asks
    for stranger in (outsider, None):
        hidden = await kept.of(group, stranger)
        # Then they get nothing
        assert (hidden.month, hidden.all_time) == ([], [])
