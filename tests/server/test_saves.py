"""Saving posts: the member's list (through the read policy) and the credit a saved resource
earns its author."""

from __future__ import annotations

import pytest

from server import events
from server.models import Account, Credit, CreditKind, GroupVisibility, Membership, SavedPost
from server.services import moderation, recognition, saves
from server.services.errors import NotFound
from server.services.recognition.standing import standing
from tests.helpers import join_as_member, make_account, make_group, make_post

pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture(autouse=True)
def subscribed(database: None) -> None:
    recognition.register(events.bus)


async def world() -> tuple[Account, Account, object]:
    owner = await make_account("teacher")
    group = await make_group(owner, "physics")
    reader = await make_account("reader")
    await join_as_member(group, reader)
    return owner, reader, group


async def test_save__lists_newest_first_and_twice_is_once() -> None:
    owner, reader, group = await world()
    first = await make_post(owner, group, title="Kinematics")
    second = await make_post(owner, group, title="Dynamics")
    assert await saves.save(reader, first)
    assert await saves.save(reader, second)
    assert not await saves.save(reader, second)  # already saved
    page = await saves.list_saved(reader)
    assert [row.post.id for row in page.items] == [second.id, first.id]
    assert await saves.unsave(reader, first)
    assert not await saves.unsave(reader, first)
    assert [row.post.id for row in (await saves.list_saved(reader)).items] == [second.id]


async def test_save__only_what_one_may_read_and_the_list_follows_the_read_policy() -> None:
    owner = await make_account("teacher")
    inner = await make_group(owner, "inner", visibility=GroupVisibility.MEMBERS)
    reader = await make_account("reader")
    post = await make_post(owner, inner, title="Internal roadmap")
    # A non-member cannot save it
    with pytest.raises(NotFound):
        await saves.save(reader, post)
    assert not await SavedPost.exists(account=reader)
    # A member can; once they leave, it drops out of their list
    await join_as_member(inner, reader)
    await saves.save(reader, post)
    assert len((await saves.list_saved(reader)).items) == 1
    await Membership.filter(group=inner, actor_id=reader.actor_id).delete()
    assert (await saves.list_saved(reader)).items == []


async def test_save__a_removed_post_drops_out_of_the_list() -> None:
    owner, reader, group = await world()
    post = await make_post(owner, group, title="Soon gone")
    await saves.save(reader, post)
    await moderation.remove_post(await owner.actor, post, "Spam")  # type: ignore[misc]
    assert (await saves.list_saved(reader)).items == []


async def test_saved_resource__credits_its_author_once_per_saver_and_unsave_takes_it_back() -> None:
    owner, reader, group = await world()
    resource = await make_post(
        owner, group, kind="resource", title="The book", link_url="https://example.org/book"
    )
    await saves.save(reader, resource)
    await saves.unsave(reader, resource)
    await saves.save(reader, resource)
    credits = await Credit.filter(kind=CreditKind.RESOURCE_SAVED)
    assert [(c.earner_id, c.giver_id) for c in credits] == [(owner.actor_id, reader.actor_id)]  # type: ignore[attr-defined]
    assert await standing(owner.actor_id, reader) == 2
    await saves.unsave(reader, resource)
    assert await standing(owner.actor_id, reader) == 0


async def test_saved_resource__saving_ones_own_or_a_discussion_earns_nothing() -> None:
    owner, reader, group = await world()
    own = await make_post(
        owner, group, kind="resource", title="Mine", link_url="https://example.org/mine"
    )
    discussion = await make_post(reader, group, title="Let us talk")
    await saves.save(owner, own)
    await saves.save(owner, discussion)
    assert not await Credit.exists(kind=CreditKind.RESOURCE_SAVED)
