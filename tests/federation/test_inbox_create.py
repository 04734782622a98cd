"""`Create` of a post or reply into a local group (federation/inbox/create.py)."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette

from server import events
from server.models import (
    Ban,
    Notification,
    NotificationKind,
    Post,
    PostHashtag,
    PostingPolicy,
    PostKind,
    PostMention,
)
from tests.federation._inbox_peer import (
    PUBLIC,
    EventLog,
    RemotePeer,
    build_activity,
    build_note,
    deliver,
    group_url,
    join,
)
from tests.helpers import make_account, make_group, make_post

PHYSICS = group_url("physics")


async def test_handle_create__mastodon_note_becomes_a_thread(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a group and a follower on a Takahē/Mastodon-like server
    group = await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    log = EventLog(events.PostCreated)
    # When they post a Note mentioning the group, `to` as a compact IRI and `cc` a bare string
    note = build_note(
        bob,
        content='<p><a href="http://lyceum.test/g/physics" class="mention">@physics</a> '
        "Why is the sky blue? It puzzles me<br>More later</p><script>x()</script>",
        to="as:Public",
        cc=f"{bob.id}/followers",
        tag=[
            {"type": "Mention", "href": PHYSICS, "name": "@physics@lyceum.test"},
            {"type": "Hashtag", "name": "#Optics"},
        ],
    )
    outcome = await deliver(app, peer, build_activity(bob, "Create", note), bob)
    # Then a discussion is stored, titled from its first line, sanitised, tagged and announced
    assert outcome == ""
    post = await Post.get(ap_id=note["id"])
    assert (post.group_id, post.kind, post.parent_id) == (group.id, PostKind.DISCUSSION, None)
    assert post.title == "Why is the sky blue? It puzzles me"
    assert "<script>" not in post.content_html and "Why is the sky blue" in post.content_html
    assert post.remote_url == note["url"]
    assert await PostHashtag.filter(post=post).values_list("tag", flat=True) == ["optics"]
    assert await PostMention.filter(post=post, actor_id=group.actor_id).exists()
    assert log.seen == [events.PostCreated(post.id)]


async def test_handle_create__lemmy_page_keeps_title_and_link(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a Lemmy user following the group
    await make_group(await make_account("ada"), "physics")
    alice = peer.add_actor("alice")
    await join(app, peer, alice, "physics")
    page = {
        **build_note(alice, content="<p>A good read</p>", to=[PHYSICS, PUBLIC]),
        "type": "Page",
        "name": "Feynman lectures online",
        "audience": PHYSICS,
        "attachment": [{"type": "Link", "href": "https://feynmanlectures.caltech.edu/"}],
    }
    # When the Page arrives addressed to the group through `audience`
    assert await deliver(app, peer, build_activity(alice, "Create", page), alice) == ""
    # Then it is a resource with the Page's title and link
    post = await Post.get(ap_id=page["id"])
    assert (post.kind, post.title) == (PostKind.RESOURCE, "Feynman lectures online")
    assert post.link_url == "https://feynmanlectures.caltech.edu/"


async def test_handle_create__reply_goes_under_its_parent_and_notifies(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a thread started here by ada, and a remote follower
    ada = await make_account("ada")
    group = await make_group(ada, "physics")
    thread = await make_post(ada, group, title="Light", body="What is light?")
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    # When bob replies to it (no group in the addressing: the parent decides)
    reply = build_note(
        bob, content="<p>Waves, mostly.</p>", inReplyTo=f"http://lyceum.test/p/{thread.id}"
    )
    assert await deliver(app, peer, build_activity(bob, "Create", reply), bob) == ""
    # Then the reply sits under the thread and ada is notified
    stored = await Post.get(ap_id=reply["id"])
    assert (stored.kind, stored.parent_id, stored.root_id, stored.depth) == (
        PostKind.REPLY,
        thread.id,
        thread.id,
        1,
    )
    assert (await Post.get(id=thread.id)).reply_count == 1
    assert await Notification.filter(
        recipient=ada, kind=NotificationKind.REPLY, post=stored
    ).exists()


async def test_handle_create__reply_to_a_remote_reply_nests(
    app: Starlette, peer: RemotePeer
) -> None:
    ada = await make_account("ada")
    group = await make_group(ada, "physics")
    thread = await make_post(ada, group)
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    first = build_note(bob, inReplyTo=f"http://lyceum.test/p/{thread.id}")
    second = build_note(bob, inReplyTo=first["id"])
    assert await deliver(app, peer, build_activity(bob, "Create", first), bob) == ""
    assert await deliver(app, peer, build_activity(bob, "Create", second), bob) == ""
    nested = await Post.get(ap_id=second["id"])
    assert (nested.root_id, nested.depth) == (thread.id, 2)


async def test_handle_create__object_sent_by_id_is_fetched(
    app: Starlette, peer: RemotePeer
) -> None:
    await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    note = build_note(bob, cc=[PHYSICS])
    peer.add_object(note)
    assert await deliver(app, peer, build_activity(bob, "Create", note["id"], to=PUBLIC), bob) == ""
    assert await Post.filter(ap_id=note["id"]).exists()


async def test_handle_create__same_post_twice_is_stored_once(
    app: Starlette, peer: RemotePeer
) -> None:
    await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    note = build_note(bob, cc=[PHYSICS])
    assert await deliver(app, peer, build_activity(bob, "Create", note), bob) == ""
    assert await deliver(app, peer, build_activity(bob, "Create", note), bob) == ""
    assert await Post.filter(ap_id=note["id"]).count() == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"to": [f"{PHYSICS}"]}, "only public posts are shared in groups"),
        ({"cc": [], "tag": []}, "the post is addressed to no group here"),
        ({"attributedTo": "https://remote.example/users/eve"}, "not attributed to the actor"),
        ({"id": "https://other.example/notes/1"}, "is not on the actor's server"),
        ({"inReplyTo": "https://other.example/notes/9"}, "which is not here"),
    ],
    ids=["direct", "no-group", "other-author", "other-origin", "unknown-parent"],
)
async def test_handle_create__refused_shapes_store_nothing(
    app: Starlette, peer: RemotePeer, change: dict[str, object], reason: str
) -> None:
    # Given a follower of the group
    await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    # When they send a post that is not for the group, or not theirs to send
    note = {**build_note(bob, cc=[PHYSICS]), **change}
    activity = build_activity(bob, "Create", note, to=note["to"], cc=note.get("cc", []))
    outcome = await deliver(app, peer, activity, bob)
    # Then nothing is stored and the reason is recorded
    assert reason in outcome
    assert await Post.all().count() == 0


async def test_handle_create__non_member_is_refused(app: Starlette, peer: RemotePeer) -> None:
    await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    outcome = await deliver(
        app, peer, build_activity(bob, "Create", build_note(bob, cc=PHYSICS)), bob
    )
    assert outcome == "refused: The author does not follow (is not a member of) this group."
    assert await Post.all().count() == 0


async def test_handle_create__banned_member_is_refused(app: Starlette, peer: RemotePeer) -> None:
    group = await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    from server.models import Actor

    await Ban.create(group=group, actor=await Actor.get(ap_id=bob.id))
    outcome = await deliver(
        app, peer, build_activity(bob, "Create", build_note(bob, cc=PHYSICS)), bob
    )
    assert outcome.startswith("refused: This author cannot post in this group")
    assert await Post.all().count() == 0


async def test_handle_create__moderators_only_group_takes_replies_not_threads(
    app: Starlette, peer: RemotePeer
) -> None:
    ada = await make_account("ada")
    group = await make_group(ada, "physics", posting_policy=PostingPolicy.MODERATORS)
    thread = await make_post(ada, group)
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    top = build_note(bob, cc=PHYSICS)
    reply = build_note(bob, inReplyTo=f"http://lyceum.test/p/{thread.id}")
    assert await deliver(app, peer, build_activity(bob, "Create", top), bob) == (
        "refused: Only moderators start threads in this group."
    )
    assert await deliver(app, peer, build_activity(bob, "Create", reply), bob) == ""
