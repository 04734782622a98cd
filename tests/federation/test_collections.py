"""Collections: a group's outbox, followers, featured and moderators, a post's replies."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from server.models import Actor, MembershipState, PostState, utcnow
from server.services import groups
from tests.helpers import make_account, make_group, make_post_row

AS2 = {"Accept": "application/activity+json"}
GROUP = "http://lyceum.test/g/physics"


async def _get(client: httpx.AsyncClient, url: str) -> dict[str, object]:
    response = await client.get(url, headers=AS2)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/activity+json"
    document: dict[str, object] = response.json()
    assert document["id"] == url, "a document's id must be the URL it was fetched from"
    return document


@contextmanager
def count_queries() -> Iterator[list[str]]:
    """Every SQL statement Tortoise sends while the block runs."""
    queries: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if message.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
                queries.append(message)

    logger = logging.getLogger("tortoise.db_client")
    handler, level = Collect(level=logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield queries
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_outbox__pages_through_every_top_level_post(client: httpx.AsyncClient) -> None:
    # Given a group with 25 posts (pages hold 20), one removed post and one reply
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    posts = [await make_post_row(owner, group, title=f"Post {n}") for n in range(25)]
    await make_post_row(owner, group, title="Gone", state=PostState.REMOVED)
    await make_post_row(owner, group, parent=posts[0], source="A reply")
    # When a peer reads the outbox
    outbox = await _get(client, f"{GROUP}/outbox")
    # Then it counts the visible top-level posts and links the first page
    assert outbox["type"] == "OrderedCollection"
    assert outbox["totalItems"] == 25
    first = await _get(client, str(outbox["first"]))
    assert first["type"] == "OrderedCollectionPage"
    assert first["partOf"] == f"{GROUP}/outbox"
    assert "prev" not in first
    second = await _get(client, str(first["next"]))
    assert "next" not in second
    # And the pages hold every post once, newest (highest id) first
    items = [*first["orderedItems"], *second["orderedItems"]]  # type: ignore[misc]
    announced = [item["object"]["object"]["id"] for item in items]
    expected = [f"http://lyceum.test/p/{p.id}" for p in sorted(posts, key=lambda p: p.id)][::-1]
    assert announced == expected
    # And going back from the second page gives the first page again
    back = await _get(client, str(second["prev"]))
    assert back["orderedItems"] == first["orderedItems"]
    assert "prev" not in back


async def test_outbox__items_are_announced_creates_of_notes(client: httpx.AsyncClient) -> None:
    # Given a resource post with a hashtag
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    post = await make_post_row(
        owner,
        group,
        title="Feynman's lectures",
        source="Read them #physics",
        hashtags=("physics",),
        link_url="https://example.org/feynman",
        kind="resource",
    )
    # When a peer reads the first page of the outbox
    page = await _get(client, f"{GROUP}/outbox?page=true")
    [announce] = page["orderedItems"]  # type: ignore[misc]
    # Then the group announces the author's Create of a Note (FEP-1b12)
    note_id = f"http://lyceum.test/p/{post.id}"
    assert announce["type"] == "Announce"
    assert announce["id"] == f"{GROUP}/announces/{post.id}/create"
    assert announce["actor"] == GROUP
    assert announce["audience"] == GROUP
    assert "@context" not in announce
    create = announce["object"]
    assert create["type"] == "Create"
    assert create["id"] == f"{note_id}/create"
    assert create["actor"] == "http://lyceum.test/u/ada"
    note = create["object"]
    assert note["type"] == "Note"
    assert note["id"] == note["url"] == note_id
    assert note["name"] == "Feynman's lectures"
    assert note["content"].startswith("<p><strong>Feynman&#x27;s lectures</strong></p>")
    assert "https://example.org/feynman" in note["content"]
    assert note["context"] == note["audience"] == GROUP
    assert note["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert note["cc"] == [GROUP, f"{GROUP}/followers"]
    assert note["inReplyTo"] is None
    assert {"type": "Mention", "href": GROUP, "name": "@physics@lyceum.test"} in note["tag"]
    assert {
        "type": "Hashtag",
        "href": "http://lyceum.test/tags/physics",
        "name": "#physics",
    } in note["tag"]
    assert note["replies"]["id"] == f"{note_id}/replies"


async def test_outbox__page_costs_the_same_queries_for_2_or_20_posts(
    client: httpx.AsyncClient,
) -> None:
    # Given two groups, one with 2 posts and one with 20, each with tags and a mention
    owner = await make_account("ada")
    small = await make_group(owner, "small")
    big = await make_group(owner, "big")
    bob = await Actor.get(username="ada")
    for group, count in ((small, 2), (big, 20)):
        for n in range(count):
            post = await make_post_row(owner, group, title=f"P{n}", hashtags=("a", "b"))
            await post.mentions.create(actor=bob)  # type: ignore[attr-defined]
    # When a peer reads the first page of each outbox
    with count_queries() as small_queries:
        await _get(client, "http://lyceum.test/g/small/outbox?page=true")
    with count_queries() as big_queries:
        big_page = await _get(client, "http://lyceum.test/g/big/outbox?page=true")
    # Then both cost the same few queries (no query per item)
    assert len(big_page["orderedItems"]) == 20  # type: ignore[arg-type]
    assert len(big_queries) == len(small_queries), (small_queries, big_queries)
    assert 0 < len(big_queries) <= 8


async def test_followers__lists_accepted_members(client: httpx.AsyncClient) -> None:
    # Given a group with its owner, a member and a pending request
    owner = await make_account("ada")
    bob = await make_account("bob")
    carol = await make_account("carol")
    group = await make_group(owner, "physics")
    await groups.request_membership(group, bob.actor)
    pending = await groups.request_membership(group, carol.actor)
    pending.state = MembershipState.PENDING
    await pending.save()
    # When a peer reads the followers
    collection = await _get(client, f"{GROUP}/followers")
    page = await _get(client, str(collection["first"]))
    # Then the accepted members are listed by actor id
    assert collection["totalItems"] == 2
    assert sorted(page["orderedItems"]) == [  # type: ignore[type-var]
        "http://lyceum.test/u/ada",
        "http://lyceum.test/u/bob",
    ]


async def test_moderators__lists_owner_and_moderators(client: httpx.AsyncClient) -> None:
    owner = await make_account("ada")
    bob = await make_account("bob")
    await make_account("carol")
    group = await make_group(owner, "physics")
    await groups.request_membership(group, bob.actor)
    await groups.set_role(group, owner.actor, bob.actor_id, groups.MemberRole.MODERATOR)
    document = await _get(client, f"{GROUP}/moderators")
    assert document["type"] == "OrderedCollection"
    assert document["orderedItems"] == ["http://lyceum.test/u/ada", "http://lyceum.test/u/bob"]


async def test_featured__lists_pinned_posts(client: httpx.AsyncClient) -> None:
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    pinned = await make_post_row(owner, group, title="Pinned", pinned_at=utcnow())
    await make_post_row(owner, group, title="Not pinned")
    document = await _get(client, f"{GROUP}/featured")
    assert document["totalItems"] == 1
    [note] = document["orderedItems"]  # type: ignore[misc]
    assert note["id"] == f"http://lyceum.test/p/{pinned.id}"
    assert note["stickied"] is True


async def test_replies__lists_direct_replies_oldest_first(client: httpx.AsyncClient) -> None:
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    post = await make_post_row(owner, group)
    first = await make_post_row(owner, group, parent=post, source="One")
    second = await make_post_row(owner, group, parent=first, source="Nested")
    post.reply_count = 1
    await post.save()
    url = f"http://lyceum.test/p/{post.id}/replies"
    collection = await _get(client, url)
    page = await _get(client, str(collection["first"]))
    assert collection["totalItems"] == 1
    assert page["orderedItems"] == [f"http://lyceum.test/p/{first.id}"]
    # And the reply's Note answers to its parent
    note = await _get(client, f"http://lyceum.test/p/{second.id}")
    assert note["inReplyTo"] == f"http://lyceum.test/p/{first.id}"
    assert "name" not in note


async def test_person_collections__are_counted_but_empty(client: httpx.AsyncClient) -> None:
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    await make_post_row(owner, group)
    outbox = await _get(client, "http://lyceum.test/u/ada/outbox")
    followers = await _get(client, "http://lyceum.test/u/ada/followers")
    assert (outbox["totalItems"], outbox["orderedItems"]) == (1, [])
    assert (followers["totalItems"], followers["orderedItems"]) == (0, [])


async def test_collections__bad_cursor_is_400(client: httpx.AsyncClient) -> None:
    owner = await make_account("ada")
    await make_group(owner, "physics")
    for query in ("page=true&after=nope", "page=true&after=" + "a" * 26 + "&before=" + "b" * 26):
        response = await client.get(f"/g/physics/outbox?{query}", headers=AS2)
        assert response.status_code == 400
        assert "error" in response.json()


async def test_collections__unknown_group_is_404(client: httpx.AsyncClient) -> None:
    for name in ("outbox", "followers", "featured", "moderators"):
        response = await client.get(f"/g/nothing/{name}", headers=AS2)
        assert response.status_code == 404
