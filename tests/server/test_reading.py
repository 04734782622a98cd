"""The read policy: which groups and posts a viewer may find, list and read."""

from __future__ import annotations

import pytest

from server.models import Group, GroupState, Post, PostState
from server.services import reading
from tests.helpers import join_as_member, make_account, make_group, make_post

pytestmark = pytest.mark.usefixtures("database")


async def listed_titles() -> set[str]:
    posts = await Post.filter(reading.readable_posts(None)).values_list("title", flat=True)
    return set(posts)


async def test_readable_posts__only_published_posts_of_active_groups() -> None:
    # Given posts in every state, and one in a suspended group
    owner = await make_account("olga")
    group = await make_group(owner, "maths")
    other = await make_group(owner, "physics")
    for state in PostState:
        post = await make_post(owner, group, title=f"in {state.value}")
        await Post.filter(id=post.id).update(state=state)
    await make_post(owner, other, title="in a suspended group")
    await Group.filter(id=other.id).update(state=GroupState.SUSPENDED)

    # Then only the published post of the active group is listed
    assert await listed_titles() == {"in published"}


async def test_can_read_post__held_post_reaches_its_author_and_moderators_only() -> None:
    # Given a member's held post
    owner = await make_account("olga")
    member = await make_account("member")
    stranger = await make_account("stranger")
    group = await make_group(owner, "maths")
    await join_as_member(group, member)
    post = await make_post(member, group, title="held")
    await Post.filter(id=post.id).update(state=PostState.HELD)
    post = await Post.get(id=post.id)

    # Then its author and the group's owner read it; nobody else does
    assert await reading.can_read_post(member, post)
    assert await reading.can_read_post(owner, post)
    assert not await reading.can_read_post(stranger, post)
    assert not await reading.can_read_post(None, post)


async def test_can_read_post__nothing_in_a_suspended_group() -> None:
    owner = await make_account("olga")
    group = await make_group(owner, "maths")
    post = await make_post(owner, group, title="visible")
    assert await reading.can_read_post(None, await Post.get(id=post.id))

    await Group.filter(id=group.id).update(state=GroupState.SUSPENDED)

    assert not await reading.can_read_post(owner, await Post.get(id=post.id))
    assert not await reading.can_read_group(None, await Group.get(id=group.id))
