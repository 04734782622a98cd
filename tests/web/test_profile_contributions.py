"""Contributions on profiles (`/u/{handle}`, for people here and elsewhere) and on the group's
member list: tabs, counts, paging, and what the read policy hides."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest
from lxml import html as lxml_html

from server.models import Account, Group, Membership, MembershipState, Post, PostState
from server.services import posts
from tests.helpers import (
    join_as_member,
    make_account,
    make_group,
    make_post,
    make_post_row,
    make_remote_actor,
    make_reply,
)


def tree(response: httpx.Response) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(response.text)


def words(element: lxml_html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def tabs(response: httpx.Response) -> dict[str, str]:
    """Each tab's label and count, as shown."""
    links = tree(response).xpath('//nav[@aria-label="Contributions"]/a')
    return {words(link).rsplit(" ", 1)[0]: words(link).rsplit(" ", 1)[1] for link in links}


def listed(response: httpx.Response) -> list[str]:
    return [
        words(link)
        for link in tree(response).xpath('//ul[contains(@class, "contribution-list")]/li/a[1]')
    ]


@pytest.fixture
async def group(database: None) -> Group:
    """physics, where ada asked a question, olga answered it (accepted), and ada shared a
    resource and started a discussion."""
    olga = await make_account("olga")
    ada = await make_account("ada", display_name="Ada")
    group = await make_group(olga, "physics")
    await join_as_member(group, ada)
    question = await make_post(ada, group, kind="question", title="Why is the sky blue?")
    answer = await make_reply(olga, question, "Rayleigh scattering")
    await posts.accept_answer(question, answer, ada)
    await make_post(ada, group, kind="resource", title="Optics notes", link_url="https://o.example")
    await make_post(ada, group, title="Welcome, all")
    return group


async def test_profile__counts_every_tab_and_lists_the_chosen_one(
    client: httpx.AsyncClient, group: Group
) -> None:
    page = await client.get("/u/ada")
    assert page.status_code == 200
    assert tabs(page) == {
        "Posts": "1",
        "Questions": "1",
        "Accepted answers": "0",
        "Replies": "0",
        "Resources": "1",
    }
    assert listed(page) == ["Welcome, all"]
    assert listed(await client.get("/u/ada?tab=questions")) == ["Why is the sky blue?"]
    olga = await client.get("/u/olga?tab=answers")
    assert tabs(olga)["Accepted answers"] == "1"
    assert listed(olga) == ["Reply to “Why is the sky blue?”"]
    current = tree(olga).xpath('//nav[@aria-label="Contributions"]/a[@aria-current="page"]')
    assert [words(link) for link in current] == ["Accepted answers 1"]


async def test_profile__held_and_removed_posts_are_neither_listed_nor_counted(
    client: httpx.AsyncClient, group: Group
) -> None:
    await Post.filter(title="Welcome, all").update(state=PostState.REMOVED)
    await Post.filter(title="Optics notes").update(state=PostState.HELD)
    page = await client.get("/u/ada")
    assert (tabs(page)["Posts"], tabs(page)["Resources"]) == ("0", "0")
    assert listed(page) == []
    assert listed(await client.get("/u/ada?tab=resources")) == []


async def test_profile__pages_older_contributions(client: httpx.AsyncClient, group: Group) -> None:
    ada = await Account.get(actor__username="ada")
    for number in range(25):  # the page size is 20
        await make_post_row(ada, group, title=f"Note {number:02}")
    first = await client.get("/u/ada")
    assert len(listed(first)) == 20
    [older] = tree(first).xpath('//a[@rel="next"]/@href')
    second = await client.get(older)
    assert len(listed(second)) == 6
    assert not set(listed(first)) & set(listed(second))


@pytest.mark.parametrize(("query", "status"), [("tab=likes", 404), ("cursor=forged!", 400)])
async def test_profile__unknown_tabs_and_forged_cursors_are_refused(
    client: httpx.AsyncClient, group: Group, query: str, status: int
) -> None:
    assert (await client.get(f"/u/ada?{query}")).status_code == status


async def test_profile__a_person_from_another_server_has_a_page_too(
    client: httpx.AsyncClient, group: Group
) -> None:
    zed = await make_remote_actor("Zed", "far.example")
    await Membership.create(group=group, actor=zed, state=MembershipState.ACCEPTED)
    await make_post_row(SimpleNamespace(actor_id=zed.id), group, title="Hello from afar")  # type: ignore[arg-type]
    page = await client.get("/u/Zed@far.example")
    assert page.status_code == 200
    [handle] = tree(page).xpath(
        '//header[contains(@class, "profile-header")]//p[contains(@class, "handle")]'
    )
    assert words(handle) == "@Zed@far.example"
    assert listed(page) == ["Hello from afar"]
    assert tree(page).xpath('//a[normalize-space()="View on their server"]/@href') == [
        "https://far.example/users/Zed"
    ]
    assert (await client.get("/u/nobody@far.example")).status_code == 404
    # The member list links to it
    members = tree(await client.get("/g/physics/members"))
    assert "/u/Zed@far.example" in members.xpath('//a[@class="person"]/@href')


async def test_member_list__shows_what_each_member_contributed_here(
    client: httpx.AsyncClient, group: Group
) -> None:
    other = await make_group(await make_account("ben"), "chess")
    ada = await Account.get(actor__username="ada")
    await join_as_member(other, ada)
    await make_post_row(ada, other, title="Elsewhere")
    page = tree(await client.get("/g/physics/members"))
    rows = {
        words(item.xpath('.//a[@class="person"]')[0]): words(
            item.xpath('.//span[contains(@class, "contributed")]')[0]
        )
        for item in page.xpath("//ul[contains(@class, 'people')]/li")
    }
    assert rows == {
        "olga": "0 posts · 0 questions · 1 reply · 1 accepted answer · 0 resources",
        "Ada": "1 post · 1 question · 0 replies · 0 accepted answers · 1 resource",
    }
