"""The front page (web/routes/home.py): what a visitor learns about the instance, and what a
member finds waiting for them."""

from __future__ import annotations

import httpx
from lxml import html as lxml_html

from server.models import Post, PostState, RegistrationMode
from server.services import group_admin, groups, instance, posts
from server.services.instance import InstanceSettings
from tests.helpers import (
    join_as_member,
    log_in,
    make_account,
    make_group,
    make_post,
    make_reply,
)


def section(page: str, heading_id: str) -> lxml_html.HtmlElement:
    """The <section> labelled by the heading with this id."""
    tree = lxml_html.fromstring(page)
    [found] = tree.xpath(f'//section[@aria-labelledby="{heading_id}"]')
    return found


def titles(element: lxml_html.HtmlElement) -> list[str]:
    return [text.strip() for text in element.xpath(".//h3//a/text()")]


async def a_small_instance() -> dict[str, Post]:
    """Two groups: `quiet` (made first, no posts since) and `busy` (its posts are newer),
    an answered question, an unanswered one and a resource in `busy`."""
    ada = await make_account("ada", admin=True)
    bob = await make_account("bob")
    await instance.update_settings(
        ada.actor,
        InstanceSettings(name="Study Hall", description="We **learn** together.\n\n- maths"),
    )
    quiet = await make_group(ada, "quiet", name="Quiet corner")
    await make_post(ada, quiet, title="Old news")
    busy = await make_group(ada, "busy", name="Busy room")
    await join_as_member(busy, bob)
    answered = await make_post(bob, busy, kind="question", title="How do proofs work?")
    answer = await make_reply(ada, answered, "Step by step.")
    await posts.accept_answer(answered, answer, by=bob)
    open_question = await make_post(bob, busy, kind="question", title="What is a ring?")
    resource = await make_post(
        ada, busy, kind="resource", title="Proof book", link_url="https://example.org/proofs"
    )
    return {"answered": answered, "open": open_question, "resource": resource}


async def test_front_page__visitor_sees_the_description_rendered_as_markdown(
    client: httpx.AsyncClient,
) -> None:
    await a_small_instance()
    page = (await client.get("/")).text
    hero = lxml_html.fromstring(page).xpath('//section[@class="hero"]')[0]
    assert hero.xpath(".//strong/text()") == ["learn"]
    assert hero.xpath(".//li/text()") == ["maths"]
    assert "**learn**" not in page


async def test_front_page__visitor_sees_groups_most_active_first(
    client: httpx.AsyncClient,
) -> None:
    await a_small_instance()
    listed = section((await client.get("/")).text, "groups-heading")
    assert titles(listed) == ["Busy room", "Quiet corner"]


async def test_front_page__visitor_sees_answered_questions_and_new_resources(
    client: httpx.AsyncClient,
) -> None:
    await a_small_instance()
    page = (await client.get("/")).text
    assert titles(section(page, "answered-heading")) == ["How do proofs work?"]
    assert titles(section(page, "resources-heading")) == ["Proof book"]


async def test_front_page__hidden_content_is_not_listed(client: httpx.AsyncClient) -> None:
    # Given the answered question removed, the resource held, and the quiet group suspended
    made = await a_small_instance()
    await Post.filter(id=made["answered"].id).update(state=PostState.REMOVED)
    await Post.filter(id=made["resource"].id).update(state=PostState.HELD)
    carol = await make_account("carol", admin=True)
    await group_admin.suspend_group(carol.actor, await groups.get_group("quiet"), "spam")
    page = (await client.get("/")).text
    assert titles(section(page, "answered-heading")) == []
    assert titles(section(page, "resources-heading")) == []
    assert titles(section(page, "groups-heading")) == ["Busy room"]


async def test_front_page__visitor_learns_how_to_join_or_follow_from_mastodon(
    client: httpx.AsyncClient,
) -> None:
    await a_small_instance()
    join = section((await client.get("/")).text, "join-heading")
    assert join.xpath(".//code/text()") == ["@busy@lyceum.test"]
    assert join.xpath('.//a[@href="/signup"]')
    # invite-only: no sign-up link, and the fediverse way stays
    await instance.set_registration_mode(RegistrationMode.INVITE)
    join = section((await client.get("/")).text, "join-heading")
    assert not join.xpath('.//a[@href="/signup"]')
    assert join.xpath(".//code/text()") == ["@busy@lyceum.test"]


async def test_front_page__member_sees_their_feed_and_their_groups_unanswered_questions(
    client: httpx.AsyncClient,
) -> None:
    # Given bob, a member of `busy` only
    await a_small_instance()
    await log_in(client, "bob")
    page = (await client.get("/")).text
    # Then his groups' threads are there (not the group he is not in)
    feed = titles(section(page, "feed-heading"))
    assert feed[0] == "Proof book"
    assert set(feed) == {"Proof book", "What is a ring?", "How do proofs work?"}
    # and the unanswered questions of his groups, without the answered one
    assert titles(section(page, "unanswered-heading")) == ["What is a ring?"]
    # and the visitors' sections are not
    assert not lxml_html.fromstring(page).xpath('//section[@aria-labelledby="join-heading"]')


async def test_front_page__unanswered_questions_are_only_from_the_members_groups(
    client: httpx.AsyncClient,
) -> None:
    # Given a question in a group bob is not in
    await a_small_instance()
    carol = await make_account("carol")
    other = await make_group(carol, "other")
    await make_post(carol, other, kind="question", title="Elsewhere?")
    await log_in(client, "bob")
    page = (await client.get("/")).text
    assert titles(section(page, "unanswered-heading")) == ["What is a ring?"]


async def test_front_page__offers_the_instance_feeds(client: httpx.AsyncClient) -> None:
    page = lxml_html.fromstring((await client.get("/")).text)
    feeds = page.xpath('//head/link[@rel="alternate"]')
    assert {(link.get("type"), link.get("href")) for link in feeds} == {
        ("application/atom+xml", "/feed.atom"),
        ("application/rss+xml", "/feed.rss"),
    }


async def test_favicon__is_linked_and_served(client: httpx.AsyncClient) -> None:
    page = lxml_html.fromstring((await client.get("/")).text)
    [icon] = page.xpath('//head/link[@rel="icon"]')
    assert (await client.get(icon.get("href"))).status_code == 200
    response = await client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # the ICO header
