"""`reading.openable_posts` (the filter notifications are listed and counted through) agrees with
`reading.can_read_post` for every kind of viewer and every state a post can be in."""

from __future__ import annotations

from server.models import Account, GroupState, MemberRole, Membership, Post, PostState
from server.services import reading
from tests.helpers import join_as_member, make_account, make_group, make_post


async def test_openable_posts__agrees_with_can_read_post(database: None) -> None:
    # Given posts in every state, in a group and in a suspended one
    owner = await make_account("olga")
    group = await make_group(owner, "physics")
    other_group = await make_group(owner, "chemistry")
    author, moderator, stranger = [await make_account(n) for n in ("ana", "mo", "stan")]
    admin = await make_account("grace", admin=True)
    for account in (author, moderator):
        await join_as_member(group, account)
        await join_as_member(other_group, account)
    await Membership.filter(group=group, actor_id=moderator.actor_id).update(
        role=MemberRole.MODERATOR
    )
    posts: list[Post] = []
    for where in (group, other_group):
        for state in (PostState.PUBLISHED, PostState.HELD, PostState.REMOVED, PostState.DELETED):
            post = await make_post(author, where, title=f"{state.value} in {where.id}")
            await Post.filter(id=post.id).update(state=state)
            posts.append(post)
    suspended = await make_group(owner, "suspended")
    await join_as_member(suspended, author)
    posts.append(await make_post(author, suspended, title="in a suspended group"))
    await type(suspended).filter(id=suspended.id).update(state=GroupState.SUSPENDED)
    ids = [post.id for post in posts]
    viewers: list[Account | None] = [None, author, moderator, stranger, admin, owner]
    for viewer in viewers:
        # When the filter and the one-post check are asked about each post
        filtered = set(
            await Post.filter(reading.openable_posts(viewer), id__in=ids).values_list(
                "id", flat=True
            )
        )
        checked = {
            post.id
            for post in await Post.filter(id__in=ids)
            if await reading.can_read_post(viewer, post)
        }
        # Then they agree
        name = viewer.actor_id if viewer else "anonymous"
        assert {str(i) for i in filtered} == checked, name
    # And the held post in the moderated group is openable by its moderator, not by a stranger
    held = posts[1]
    assert await reading.can_read_post(moderator, await Post.get(id=held.id))
    assert not await reading.can_read_post(stranger, await Post.get(id=held.id))
