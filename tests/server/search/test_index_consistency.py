"""The index follows every change of a post: edit, delete, removal, restore, suspension, domain
block, and posts that arrive over federation. Each test looks at the index itself (what it
matches among all posts, whatever their state) and at what a visitor finds."""

from __future__ import annotations

import pytest

from server.models import Actor, DomainBlockSeverity, Post
from server.services import domain_blocks, groups, moderation, posts, remote, search, users
from server.services.search._sql import compiled, ids_of
from server.services.search.service import _match
from server.services.search.terms import parse_terms
from tests.helpers import make_account, make_group, make_post, make_remote_actor
from tests.server.search.conftest import LANGUAGE

pytestmark = pytest.mark.usefixtures("database")


async def indexed(word: str) -> set[str]:
    """The posts whose index entry matches `word`, read policy aside."""
    every_post = compiled(Post._meta.db, "every post", lambda: ids_of(Post.all()))
    hits = await _match(
        every_post,
        parse_terms(word),
        language=LANGUAGE,
        any_word=False,
        newest=True,
        after=(None, None),
        limit=100,
    )
    return {post_id for post_id, _ in hits}


async def visible(word: str) -> set[str]:
    page = await search.search(None, search.SearchQuery(text=word), language=LANGUAGE)
    return {hit.post.id for hit in page.posts}


async def test_index__edit_replaces_the_old_words() -> None:
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    post = await make_post(olga, group, title="Eigenvalues", body="spectral")
    await posts.edit_post(olga, post, title="Determinants", source="cofactor")
    assert await indexed("eigenvalues") == set() and await indexed("spectral") == set()
    assert await indexed("cofactor") == {post.id} == await visible("determinants")


async def test_index__delete_drops_the_entry() -> None:
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    post = await make_post(olga, group, title="Eigenvalues")
    await posts.delete_post(olga, post)
    assert await indexed("eigenvalues") == set() == await visible("eigenvalues")


async def test_index__removal_drops_it_and_restore_brings_it_back() -> None:
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    post = await make_post(olga, group, title="Eigenvalues")
    await moderation.remove_post(olga.actor, post, "off topic")
    assert await indexed("eigenvalues") == set() == await visible("eigenvalues")
    await moderation.restore_post(olga.actor, await Post.get(id=post.id))
    assert await indexed("eigenvalues") == {post.id} == await visible("eigenvalues")


async def test_index__suspension_hides_and_unsuspension_restores() -> None:
    admin = await make_account("ada", admin=True)
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    post = await make_post(olga, group, title="Eigenvalues")
    await users.suspend_actor(admin.actor, olga.actor, "spam")
    assert await indexed("eigenvalues") == set() == await visible("eigenvalues")
    await users.unsuspend_actor(admin.actor, await Actor.get(id=olga.actor_id))
    assert await indexed("eigenvalues") == {post.id} == await visible("eigenvalues")


async def remote_post(group: groups.Group, html: str) -> tuple[Actor, Post]:
    alice = await make_remote_actor("alice", "mastodon.example")
    await groups.request_membership(group, alice, follow_ap_id="https://mastodon.example/f/1")
    incoming = remote.IncomingPost(ap_id="https://mastodon.example/notes/1", content_html=html)
    return alice, await remote.receive_post(alice, group, incoming)


async def test_index__remote_posts_are_indexed_and_follow_their_edits() -> None:
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    alice, post = await remote_post(group, "<p>Greetings about <b>manifolds</b></p>")
    assert await indexed("manifolds") == {post.id} == await visible("manifolds")
    edited = remote.IncomingPost(
        ap_id="https://mastodon.example/notes/1", content_html="<p>Now about sheaves</p>"
    )
    await remote.update_remote_post(alice, post, edited)
    assert await indexed("manifolds") == set()
    assert await visible("sheaves") == {post.id}


async def test_index__a_domain_block_hides_its_posts_for_good() -> None:
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    _, post = await remote_post(group, "<p>manifolds</p>")
    await domain_blocks.block_domain("mastodon.example", DomainBlockSeverity.SUSPEND)
    assert await indexed("manifolds") == set() == await visible("manifolds")
    # Lifting the block leaves hidden posts removed (domain_blocks), so they stay unfound
    await domain_blocks.unblock_domain(None, "mastodon.example")
    assert await indexed("manifolds") == set() == await visible("manifolds")
    assert post.id


async def test_index__put_many_indexes_new_and_known_posts_as_put_does() -> None:
    # Given two posts, one of them already indexed under other words
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    first = await make_post(olga, group, title="Eigenvalues")
    second = await make_post(olga, group, title="Quaternions")
    db = Post._meta.db
    backend = search._backends.backend_for(db, LANGUAGE)
    await backend.drop(db, second.id)
    # When both are put at once, the first with new words (its last document twice)
    await backend.put_many(
        db,
        [
            search._backends.Document(first.id, "Topology", "old", "", ""),
            search._backends.Document(second.id, "Quaternions", "rotations", "", ""),
            search._backends.Document(first.id, "Topology", "manifolds", "", ""),
        ],
    )
    # Then each is found by its latest words only, as one `put` each would leave it
    assert await indexed("eigenvalues") == set() and await indexed("old") == set()
    assert await indexed("manifolds") == {first.id} == await indexed("topology")
    assert await indexed("rotations") == {second.id}
