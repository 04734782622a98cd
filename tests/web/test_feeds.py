"""Public feeds (web/routes/syndication.py): RSS and Atom for the instance, each group (all, or
one kind), each tag and each person; valid, public content only, absolute links."""

from __future__ import annotations

import httpx
import pytest

from server.models import Actor, Post, PostState
from server.services import group_admin, moderation, posts
from tests.conftest import BASE_URL
from tests.helpers import join_as_member, make_account, make_group, make_post, make_reply
from tests.web._feed_check import check_atom, check_rss

FEEDS = [
    "/feed.atom",
    "/feed.rss",
    "/g/maths/feed.atom",
    "/g/maths/feed.rss",
    "/tags/algebra/feed.atom",
    "/tags/algebra/feed.rss",
    "/u/ada/feed.atom",
    "/u/ada/feed.rss",
]


def check(path: str, body: bytes) -> object:
    return check_atom(body) if path.endswith(".atom") else check_rss(body)


async def a_group_with_posts() -> tuple[Post, Post]:
    """@ada's group `maths` with a #algebra question and a reply to it by @bob."""
    ada = await make_account("ada", display_name="Ada Lovelace")
    bob = await make_account("bob")
    group = await make_group(ada, "maths", name="Maths circle")
    await join_as_member(group, bob)
    question = await make_post(
        ada, group, kind="question", title="Why #algebra?", body="See **this** and #algebra."
    )
    reply = await make_reply(bob, question, "Because #algebra generalises.")
    return question, reply


@pytest.mark.parametrize("path", FEEDS)
async def test_feed__is_valid_and_lists_the_public_posts_with_absolute_links(
    client: httpx.AsyncClient, path: str
) -> None:
    # Given a question with a reply
    question, _ = await a_group_with_posts()
    # When a reader fetches the feed
    response = await client.get(path, headers={"Accept": "*/*"})
    # Then it is a valid feed of its kind, cacheable, whose entries link to thread pages
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/atom+xml" if path.endswith(".atom") else "application/rss+xml"
    )
    assert response.headers["cache-control"] == "public, max-age=300"
    parsed = check(path, response.content)
    links = {entry.link for entry in parsed.entries}
    assert f"{BASE_URL}/p/{question.id}" in links
    assert all(link.startswith(f"{BASE_URL}/p/") for link in links)


async def test_feed__entry_holds_sanitised_html_author_and_times(
    client: httpx.AsyncClient,
) -> None:
    await a_group_with_posts()
    parsed = check_atom((await client.get("/g/maths/feed.atom")).content)
    [entry] = parsed.entries
    assert entry.title == "Why #algebra?"
    assert entry.author == "Ada Lovelace"
    assert entry.author_detail.href == f"{BASE_URL}/u/ada"
    assert "<strong>this</strong>" in entry.content[0].value
    # the hashtag's link, relative on our pages, is absolute in the feed
    assert f'href="{BASE_URL}/tags/algebra"' in entry.content[0].value
    assert entry.published_parsed is not None and entry.updated_parsed is not None


async def test_feed__replies_are_titled_by_their_thread(client: httpx.AsyncClient) -> None:
    await a_group_with_posts()
    parsed = check_rss((await client.get("/u/bob/feed.rss")).content)
    assert [entry.title for entry in parsed.entries] == ["Re: Why #algebra?"]


async def test_group_feed__kind_filters_questions_and_resources(
    client: httpx.AsyncClient,
) -> None:
    # Given a question, a discussion and a resource
    question, _ = await a_group_with_posts()
    ada = await make_account("carol")
    group = await question.group
    await join_as_member(group, ada)
    talk = await make_post(ada, group, title="Coffee?")
    link = await make_post(
        ada, group, kind="resource", title="A book", link_url="https://example.org/book"
    )
    # Then each kind's feed holds that kind only, and the resource's link is in its content
    for kind, expected in (("question", question), ("resource", link), ("discussion", talk)):
        parsed = check_atom((await client.get(f"/g/maths/feed.atom?kind={kind}")).content)
        assert [entry.link for entry in parsed.entries] == [f"{BASE_URL}/p/{expected.id}"]
    resource = check_rss((await client.get("/g/maths/feed.rss?kind=resource")).content)
    assert 'href="https://example.org/book"' in resource.entries[0].description
    assert resource.feed.link == f"{BASE_URL}/g/maths?kind=resource"  # the page, not the feed
    everything = check_atom((await client.get("/g/maths/feed.atom")).content)
    assert len(everything.entries) == 3  # threads only: the reply is not one


@pytest.mark.parametrize(
    "path",
    [
        "/g/nosuchgroup/feed.atom",
        "/g/nosuchgroup/feed.rss",
        "/u/nobody/feed.atom",
        "/tags/neverused/feed.rss",
        "/tags/not-a-tag/feed.atom",
        "/g/maths@elsewhere.example/feed.atom",
    ],
)
async def test_feed__unknown_group_person_or_tag_is_404(
    client: httpx.AsyncClient, path: str
) -> None:
    await a_group_with_posts()
    assert (await client.get(path)).status_code == 404


async def test_group_feed__a_kind_that_is_no_kind_is_400_and_others_ignored(
    client: httpx.AsyncClient,
) -> None:
    await a_group_with_posts()
    assert (await client.get("/g/maths/feed.atom?kind=reply")).status_code == 400
    assert (await client.get("/g/maths/feed.atom?kind=%00")).status_code == 400
    assert (await client.get("/g/maths/feed.atom?page=zz&cursor=x")).status_code == 200


async def test_feeds__removed_held_and_deleted_posts_never_appear(
    client: httpx.AsyncClient,
) -> None:
    # Given a published question, one removed by a moderator, one deleted by its author,
    # and one held for review (a group that holds first posts)
    question, reply = await a_group_with_posts()
    group = await question.group
    ada = await Actor.get(username="ada", domain="")
    removed = await make_post(await ada.account, group, title="Removed #algebra")
    await moderation.remove_post(ada, removed, "spam")
    deleted = await make_post(await ada.account, group, title="Deleted #algebra")
    await posts.delete_post(ada, deleted)
    held = await make_post(await ada.account, group, title="Held #algebra")
    await Post.filter(id=held.id).update(state=PostState.HELD)
    await moderation.remove_post(ada, reply, "off topic")
    hidden = {removed.id, deleted.id, held.id, reply.id}
    # Then no feed lists any of them
    for path in FEEDS:
        response = await client.get(path)
        if path.startswith("/u/bob"):
            continue
        links = {entry.link for entry in check(path, response.content).entries}
        assert links == {f"{BASE_URL}/p/{question.id}"}, path
        assert not {f"{BASE_URL}/p/{post_id}" for post_id in hidden} & links
    # and the person whose only reply was removed has an empty feed
    assert check_atom((await client.get("/u/bob/feed.atom")).content).entries == []


async def test_feeds__a_suspended_group_is_in_no_feed(client: httpx.AsyncClient) -> None:
    # Given a group with a post, suspended by an admin
    question, _ = await a_group_with_posts()
    admin = await make_account("dora", admin=True)
    await group_admin.suspend_group(admin.actor, await question.group, "spam ring")
    # Then its feeds are gone, and its posts are in no other feed
    assert (await client.get("/g/maths/feed.atom")).status_code == 404
    assert (await client.get("/tags/algebra/feed.atom")).status_code == 404
    for path in ("/feed.atom", "/feed.rss", "/u/ada/feed.atom", "/u/bob/feed.rss"):
        assert check(path, (await client.get(path)).content).entries == [], path


async def test_feeds__a_removed_thread_gives_no_title_to_its_replies(
    client: httpx.AsyncClient,
) -> None:
    # Given a thread removed by a moderator while one reply stays published
    question, _ = await a_group_with_posts()
    await Post.filter(id=question.id).update(state=PostState.REMOVED)
    # Then the reply's entry does not carry the removed thread's title
    parsed = check_atom((await client.get("/u/bob/feed.atom")).content)
    assert [entry.title for entry in parsed.entries] == ["A reply in Maths circle"]


async def test_feeds__urls_come_from_the_base_url_not_the_host(
    client: httpx.AsyncClient,
) -> None:
    question, _ = await a_group_with_posts()
    response = await client.get("/g/maths/feed.atom", headers={"Host": "evil.example"})
    parsed = check_atom(response.content)
    assert parsed.feed.id == f"{BASE_URL}/g/maths/feed.atom"
    assert parsed.entries[0].link == f"{BASE_URL}/p/{question.id}"
    assert "evil.example" not in response.text


async def test_feeds__a_remote_person_has_no_feed(client: httpx.AsyncClient) -> None:
    # Remote people have no page here, so no feed either: their own server has one.
    await Actor.create(kind="person", username="zed", domain="remote.example")
    assert (await client.get("/u/zed@remote.example/feed.atom")).status_code == 404
    assert (await client.get("/u/zed/feed.atom")).status_code == 404


async def test_feeds__an_empty_feed_is_as_new_as_its_subject(client: httpx.AsyncClient) -> None:
    # Given a group and a person with nothing posted yet
    owner = await make_account("ada")
    group = await make_group(owner, "maths")
    # Then their empty feeds say they were updated when the group or person began
    group_feed = check_atom((await client.get("/g/maths/feed.atom")).content)
    person_feed = check_atom((await client.get("/u/ada/feed.atom")).content)
    assert group_feed.entries == []
    assert person_feed.entries == []
    assert group_feed.feed.updated_parsed[:6] == group.created_at.utctimetuple()[:6]
    assert person_feed.feed.updated_parsed[:6] == owner.actor.created_at.utctimetuple()[:6]
