"""A person's contributions (server/services/contributions.py): the kinds, the counts, paging,
and the read policy deciding what is listed and counted."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from server.models import Account, Group, GroupState, Post, PostState
from server.services import contributions, posts
from server.services.contributions import Counts, Tab
from server.services.errors import Invalid
from tests.helpers import join_as_member, make_account, make_group, make_post, make_reply


@dataclass
class World:
    owner: Account
    ada: Account
    group: Group
    other: Group
    question: Post
    answer: Post


@pytest.fixture
async def world(database: None) -> World:
    """Ada wrote one of each kind in `physics`, and a discussion in `chess`; olga accepted
    Ada's answer to her own question."""
    owner = await make_account("olga")
    ada = await make_account("ada")
    group = await make_group(owner, "physics")
    other = await make_group(owner, "chess")
    for g in (group, other):
        await join_as_member(g, ada)
    await make_post(ada, group, title="Ada's talk")
    await make_post(ada, group, kind="question", title="Ada asks")
    await make_post(ada, group, kind="resource", title="A book", link_url="https://b.example")
    question = await make_post(owner, group, kind="question", title="Olga asks")
    answer = await make_reply(ada, question, "Here is how")
    await make_reply(ada, question, "And more")
    await posts.accept_answer(question, answer, owner)
    await make_post(ada, other, title="Chess talk")
    return World(owner, ada, group, other, question, answer)


async def test_counts__one_per_kind_and_accepted_answers_apart(world: World) -> None:
    counts = await contributions.counts_for(None, world.ada.actor)
    assert counts == Counts(posts=2, questions=1, answers=1, replies=2, resources=1)


async def test_list__each_tab_lists_only_its_kind(world: World) -> None:
    page = await contributions.list_contributions(None, world.ada.actor, Tab.ANSWERS)
    assert [p.id for p in page.items] == [world.answer.id]
    page = await contributions.list_contributions(None, world.ada.actor, Tab.QUESTIONS)
    assert [p.title for p in page.items] == ["Ada asks"]
    page = await contributions.list_contributions(None, world.ada.actor, Tab.POSTS)
    assert [p.title for p in page.items] == ["Chess talk", "Ada's talk"]


async def test_list__pages_by_keyset_without_repeats(world: World) -> None:
    for number in range(5):
        await make_reply(world.ada, world.question, f"Reply {number}")
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = await contributions.list_contributions(
            None, world.ada.actor, Tab.REPLIES, cursor=cursor, limit=3
        )
        seen += [p.id for p in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7


async def test_list__a_forged_cursor_is_refused(world: World) -> None:
    with pytest.raises(Invalid):
        await contributions.list_contributions(None, world.ada.actor, Tab.POSTS, cursor="!!x")


async def test_read_policy__removed_posts_and_suspended_groups_are_neither_listed_nor_counted(
    world: World,
) -> None:
    # Given the accepted answer is removed, and the chess group suspended
    await Post.filter(id=world.answer.id).update(state=PostState.REMOVED)
    await Group.filter(id=world.other.id).update(state=GroupState.SUSPENDED)
    # Then neither shows, in the lists or in the counts
    counts = await contributions.counts_for(None, world.ada.actor)
    assert counts == Counts(posts=1, questions=1, answers=0, replies=1, resources=1)
    page = await contributions.list_contributions(None, world.ada.actor, Tab.POSTS)
    assert [p.title for p in page.items] == ["Ada's talk"]
    page = await contributions.list_contributions(None, world.ada.actor, Tab.ANSWERS)
    assert page.items == []


async def test_read_policy__an_answer_to_a_removed_question_is_not_counted(world: World) -> None:
    await Post.filter(id=world.question.id).update(state=PostState.REMOVED)
    counts = await contributions.counts_for(None, world.ada.actor)
    assert counts.answers == 0


async def test_counts_by_member__per_group_for_many_people_in_one_answer(world: World) -> None:
    ben = await make_account("ben")
    counts = await contributions.counts_by_member(
        None, world.group, [world.ada.actor_id, world.owner.actor_id, ben.actor_id]
    )
    assert counts[world.ada.actor_id] == Counts(
        posts=1, questions=1, answers=1, replies=2, resources=1
    )
    assert counts[world.owner.actor_id] == Counts(questions=1)
    assert ben.actor_id not in counts
    assert await contributions.counts_by_member(None, world.group, []) == {}
