"""Search finds, shows and counts only what the viewer may read, even when the index is stale:
each test hides something behind the index's back (a direct update publishes no event), so it
fails if the read policy is not asked at query time."""

from __future__ import annotations

import pytest

from server.models import Actor, Group, GroupState, GroupVisibility, Post, PostState, utcnow
from server.services import groups, search
from server.services.search import SearchQuery
from tests.helpers import join_as_member, make_account, make_group, make_post, make_reply
from tests.server.search.conftest import LANGUAGE

pytestmark = pytest.mark.usefixtures("database")


async def page_for(text: str, viewer: object = None) -> search.SearchPage:
    return await search.search(viewer, SearchQuery(text=text), language=LANGUAGE)  # type: ignore[arg-type]


@pytest.mark.parametrize("state", [PostState.REMOVED, PostState.DELETED, PostState.HELD])
async def test_search__a_post_that_is_not_published_is_never_found(state: PostState) -> None:
    # Given an indexed post, hidden without the index knowing
    olga = await make_account("olga")
    member = await make_account("member")
    group = await make_group(olga, "maths")
    await join_as_member(group, member)
    post = await make_post(member, group, title="Eigenvalues", body="#spectral")
    await Post.filter(id=post.id).update(state=state)
    # Then neither a visitor, nor its author, nor a moderator finds it, its tag, or a similar one
    for viewer in (None, member, olga):
        page = await page_for("eigenvalues spectral", viewer)
        assert page.posts == []
        assert (await page_for("spectral", viewer)).tags == []
        assert await search.similar_questions(viewer, "eigenvalues", language=LANGUAGE) == []


async def test_search__nothing_of_a_suspended_group_is_found() -> None:
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    question = await make_post(olga, group, kind="question", title="Eigenvalues")
    await make_reply(olga, question, "eigenvalues again")
    await Group.filter(id=group.id).update(state=GroupState.SUSPENDED)
    page = await page_for("eigenvalues", olga)
    assert page.posts == [] and page.next_cursor is None
    assert (await page_for("maths", olga)).groups == []
    assert await search.similar_questions(olga, "eigenvalues", language=LANGUAGE) == []


async def test_search__hidden_posts_are_not_counted_in_paging() -> None:
    # Given 21 matching posts of which one is hidden behind the index's back
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    made = [await make_post(olga, group, title=f"Prime {n}") for n in range(21)]
    await Post.filter(id=made[0].id).update(state=PostState.REMOVED)
    # Then the first page holds the 20 readable ones and offers no further page
    page = await page_for("prime")
    assert len(page.posts) == 20 and page.next_cursor is None


async def test_search__suspended_and_unapproved_people_are_not_found() -> None:
    await make_account("olga", display_name="Olga Visible")
    hidden = await make_account("hidden", display_name="Olga Hidden")
    await Actor.filter(id=hidden.actor_id).update(suspended_at=utcnow())
    assert [actor.username for actor in (await page_for("olga")).people] == ["olga"]


async def test_search__members_only_group_is_for_its_members_and_not_after_leaving() -> None:
    # Given a members-only group with a post and a tag, and a member who searched before
    olga = await make_account("olga")
    member = await make_account("member")
    outsider = await make_account("outsider")
    sysop = await make_account("sysop", admin=True)
    inner = await make_group(olga, "inner", visibility=GroupVisibility.MEMBERS)
    await join_as_member(inner, member)
    secret = await make_post(olga, inner, title="Xylophonic scales", body="#xylophonic")
    for viewer in (member, olga, sysop):
        page = await page_for("xylophonic", viewer)
        assert [hit.post.id for hit in page.posts] == [secret.id] and page.tags == ["xylophonic"]
    assert [g.actor.username for g in (await page_for("inner", member)).groups] == ["inner"]
    # Then visitors and outsiders find neither the post, nor its tag, nor the group's content
    for viewer in (None, outsider):
        page = await page_for("xylophonic", viewer)
        assert page.posts == [] and page.tags == [] and page.next_cursor is None
        assert (await page_for("inner", viewer)).groups == []
        assert await search.similar_questions(viewer, "xylophonic", language=LANGUAGE) == []
    # When the member leaves, the same viewer stops finding it at once
    await groups.leave_group(inner, member.actor_id)
    page = await page_for("xylophonic", member)
    assert page.posts == [] and page.tags == []


async def test_search__finds_readable_matches_ranked_below_many_it_may_not_read() -> None:
    # Given more unreadable matches ranked first (title matches in a members-only group) than
    # the read policy is first asked about, and readable ones ranked after them (body matches)
    olga = await make_account("olga")
    inner = await make_group(olga, "inner", visibility=GroupVisibility.MEMBERS)
    outer = await make_group(olga, "outer")
    for n in range(search.service.PAGE_SIZE * 4 + 5):
        await make_post(olga, inner, title=f"Lemma {n}")
    public = {
        (await make_post(olga, outer, title=f"Note {n}", body="a lemma")).id for n in range(3)
    }
    # Then a visitor finds the readable ones
    page = await page_for("lemma")
    assert {hit.post.id for hit in page.posts} == public and page.next_cursor is None
