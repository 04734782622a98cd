"""OpenGraph and Twitter card tags on group, post and profile pages (web/open_graph.py): link
previews with absolute URLs from the base URL, and none for a post the viewer may not read."""

from __future__ import annotations

import httpx
from lxml import html as lxml_html

from server import events
from server.models import Actor, Group, Post, PostState
from server.services import moderation
from tests.conftest import BASE_URL
from tests.helpers import join_as_member, log_in, make_account, make_group, make_post, make_reply


def meta_tags(page: str) -> dict[str, str]:
    """og:* and twitter:* tags of the page's <head>, by property or name."""
    tags: dict[str, str] = {}
    for meta in lxml_html.fromstring(page).xpath("//head/meta"):
        key = meta.get("property") or meta.get("name") or ""
        if key.startswith(("og:", "twitter:")):
            assert key not in tags, f"{key} twice"
            tags[key] = meta.get("content")
    return tags


async def a_group_with_a_post() -> tuple[Group, Post]:
    ada = await make_account("ada", display_name="Ada Lovelace")
    group = await make_group(
        ada, "maths", name="Maths circle", description="We do _proofs_ and **sums**."
    )
    post = await make_post(ada, group, title="Why proofs?", body="Because *rigour* matters.")
    return group, post


async def test_open_graph__group_page_previews_the_group(client: httpx.AsyncClient) -> None:
    await a_group_with_a_post()
    for path in ("/g/maths", "/g/maths/about"):
        tags = meta_tags((await client.get(path)).text)
        assert tags["og:title"] == "Maths circle"
        assert tags["og:description"] == "We do proofs and sums."  # plain text, no markup
        assert tags["og:url"] == f"{BASE_URL}/g/maths"
        assert tags["og:type"] == "website"
        assert tags["og:site_name"]
        assert tags["twitter:card"] == "summary"


async def test_open_graph__images_are_absolute_and_remote_ones_proxied(
    client: httpx.AsyncClient,
) -> None:
    # Given a group with an uploaded avatar, and a person whose avatar is remote
    group, _ = await a_group_with_a_post()
    await Actor.filter(id=group.actor_id).update(avatar_path="ab/cd.webp")
    ada = await Actor.get(username="ada", domain="")
    await Actor.filter(id=ada.id).update(icon_url="https://cdn.example/ada.png")
    group_tags = meta_tags((await client.get("/g/maths", headers={"Host": "evil.example"})).text)
    assert group_tags["og:image"] == f"{BASE_URL}/media/ab/cd.webp"
    person = meta_tags((await client.get("/u/ada")).text)
    assert person["og:image"].startswith(f"{BASE_URL}/proxy/media/")
    # A banner makes the large card
    await Group.filter(id=group.id).update(banner_path="ef/gh.webp")
    await events.bus.publish(events.GroupUpdated(group.id))  # as `update_group` does
    tags = meta_tags((await client.get("/g/maths")).text)
    assert tags["og:image"] == f"{BASE_URL}/media/ef/gh.webp"
    assert tags["twitter:card"] == "summary_large_image"


async def test_open_graph__post_page_previews_the_post(client: httpx.AsyncClient) -> None:
    _, post = await a_group_with_a_post()
    tags = meta_tags((await client.get(f"/p/{post.id}")).text)
    assert tags["og:title"] == "Why proofs?"
    assert tags["og:description"] == "Because rigour matters."
    assert tags["og:url"] == f"{BASE_URL}/p/{post.id}"
    assert tags["og:type"] == "article"


async def test_open_graph__a_reply_is_titled_by_its_thread(client: httpx.AsyncClient) -> None:
    group, post = await a_group_with_a_post()
    bob = await make_account("bob")
    await join_as_member(group, bob)
    reply = await make_reply(bob, post, "Rigour is *kind*.")
    tags = meta_tags((await client.get(f"/p/{reply.id}")).text)
    assert tags["og:title"] == "Re: Why proofs?"
    assert tags["og:description"] == "Rigour is kind."
    assert tags["og:url"] == f"{BASE_URL}/p/{reply.id}"


async def test_open_graph__no_tags_for_a_post_the_viewer_may_not_read(
    client: httpx.AsyncClient,
) -> None:
    # Given a thread whose root is removed, with a visible reply keeping the page alive
    group, post = await a_group_with_a_post()
    bob = await make_account("bob")
    await join_as_member(group, bob)
    reply = await make_reply(bob, post, "Still here")
    ada = await Actor.get(username="ada", domain="")
    await moderation.remove_post(ada, post, "off topic")
    # Then the removed post's page says nothing of it in previews
    page = await client.get(f"/p/{post.id}")
    assert page.status_code == 200
    assert meta_tags(page.text) == {}
    assert "Why proofs?" not in page.text
    # and the reply's preview does not carry the removed thread's title
    tags = meta_tags((await client.get(f"/p/{reply.id}")).text)
    assert tags["og:title"] == "Maths circle"


async def test_open_graph__a_held_post_previews_only_for_its_author(
    client: httpx.AsyncClient,
) -> None:
    group, post = await a_group_with_a_post()
    bob = await make_account("bob")
    await join_as_member(group, bob)
    reply = await make_reply(bob, post, "Waiting")
    await Post.filter(id=reply.id).update(state=PostState.HELD)
    # A visitor gets no page (nothing of the held reply can be shown)...
    assert meta_tags((await client.get(f"/p/{reply.id}")).text) == {}
    # ...its author, who may read it, does
    await log_in(client, "bob")
    tags = meta_tags((await client.get(f"/p/{reply.id}")).text)
    assert tags["og:description"] == "Waiting"


async def test_open_graph__profile_page_previews_the_person(client: httpx.AsyncClient) -> None:
    await a_group_with_a_post()
    tags = meta_tags((await client.get("/u/ada")).text)
    assert tags["og:title"] == "Ada Lovelace (@ada@lyceum.test)"
    assert tags["og:url"] == f"{BASE_URL}/u/ada"
    assert tags["og:type"] == "profile"
    assert "og:image" not in tags  # no avatar: no image rather than a broken one


async def test_open_graph__a_hidden_group_has_no_tags_even_for_its_moderators(
    client: httpx.AsyncClient,
) -> None:
    group, _ = await a_group_with_a_post()
    await Group.filter(id=group.id).update(state="suspended")
    await log_in(client, "ada")
    page = await client.get("/g/maths")
    assert page.status_code == 200
    assert meta_tags(page.text) == {}
    assert not lxml_html.fromstring(page.text).xpath('//head/link[@rel="alternate"]')
