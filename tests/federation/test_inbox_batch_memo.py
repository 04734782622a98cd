"""What the inbox worker reads once: a batch's senders, groups and domain blocks (`BatchMemo`
in federation/inbox/processor.py), and a received post, which its `PostCreated` subscribers
take from the event (`events.StoredPost`) instead of reading it again."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.applications import Starlette

from federation.inbox import InboxProcessor
from federation.inbox import processor as processor_module
from federation.inbox.dispatch import dispatch
from server.models import (
    Actor,
    AnalyticsDirty,
    Credit,
    CreditKind,
    Delivery,
    InboxActivity,
    Notification,
    NotificationKind,
    Post,
    PostKind,
    utcnow,
)
from server.services import search
from tests.federation._inbox_peer import (
    RemotePeer,
    build_activity,
    build_note,
    group_url,
    join,
    post_activity,
)
from tests.helpers import make_account, make_group, make_post

PHYSICS = group_url("physics")


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SELECT, INSERT, UPDATE and DELETE Tortoise sends while the block runs."""
    sent: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage().lstrip()
            if message.upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
                sent.append(message)

    logger = logging.getLogger("tortoise.db_client")
    handler, level = Collect(level=logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield sent
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _reading(sent: list[str], table: str, where: str = "") -> int:
    """Reads of `table` (a row's lock for an update, `FOR ... UPDATE`, is no read)."""
    return sum(
        1
        for statement in sent
        if statement.upper().startswith("SELECT") and f'FROM "{table}"' in statement
        if where in statement and " FOR NO KEY UPDATE" not in statement.upper()
    )


async def test_batch__posts_read_their_sender_group_and_block_once(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given four posts by bob, a member, stored for the worker
    await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    notes = [build_note(bob, cc=PHYSICS) for _ in range(4)]
    for note in notes:
        activity = build_activity(bob, "Create", note)
        assert (await post_activity(app, activity, bob)).status_code == 202
    # When the worker takes them in one batch
    with statements() as sent:
        assert await InboxProcessor(peer.runtime).run_once() == len(notes)
    # Then every post is stored, and bob, the group and bob's domain were each read once
    assert await Post.filter(ap_id__in=[note["id"] for note in notes]).count() == len(notes)
    assert _reading(sent, "actor", 'WHERE "ap_id"') == 1
    assert _reading(sent, "group") == 1
    block_looks = [s for s in sent if 'FROM "domain_block"' in s and '"severity"=' not in s]
    assert len(block_looks) == 1  # (the deliveries' own check, on SQLite, names the severity)


async def test_batch__a_row_of_another_kind_makes_the_next_rows_read_again(
    app: Starlette, peer: RemotePeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given bob's post, an activity of his that changes his actor here (as an Update or a
    # Delete can; this one suspends him), and his next post, in one batch
    await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    first, second = build_note(bob, cc=PHYSICS), build_note(bob, cc=PHYSICS)
    changing = build_activity(bob, "Lock", "https://remote.example/x/1")
    last = build_activity(bob, "Create", second)
    for activity in (build_activity(bob, "Create", first), changing, last):
        assert (await post_activity(app, activity, bob)).status_code == 202

    async def suspending(context: Any, activity: Any) -> None:
        if activity.id == changing["id"]:
            await Actor.filter(ap_id=bob.id).update(suspended_at=utcnow())
        await dispatch(context, activity)

    monkeypatch.setattr(processor_module, "dispatch", suspending)
    # When the worker takes them in one batch
    assert await InboxProcessor(peer.runtime).run_once() == 3
    # Then the first post is stored, and the second refused: bob was read again, suspended
    assert await Post.filter(ap_id=first["id"]).exists()
    assert not await Post.filter(ap_id=second["id"]).exists()
    refused = await InboxActivity.get(ap_id=last["id"])
    assert refused.processed_at is not None and "suspended" in refused.error


async def test_received_post__its_subscribers_do_not_read_it_again(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given bob, a member, whose post is stored for the worker
    await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    note = build_note(bob, cc=PHYSICS, tag=[{"type": "Hashtag", "name": "#optics"}])
    assert (await post_activity(app, build_activity(bob, "Create", note), bob)).status_code == 202
    # When the worker handles it
    with statements() as sent:
        assert await InboxProcessor(peer.runtime).run_once() == 1
    # Then the post was read once (is it here already?), yet indexed with its tag, its day
    # marked for the rollups and its Announce queued, as for any post
    post = await Post.get(ap_id=note["id"])
    assert _reading(sent, "post", 'WHERE "ap_id"') == 1
    assert _reading(sent, "post") == 2  # the other: the group's thread count
    language = peer.runtime.settings.search_language
    found = await search.search(None, search.SearchQuery(text="optics"), language=language)
    assert [hit.post.id for hit in found.posts] == [post.id]
    assert await AnalyticsDirty.filter(group_id=post.group_id).exists()
    assert await Delivery.filter(activity_id__contains=post.id).exists()


async def test_received_reply__welcomes_a_newcomer_as_a_local_reply_does(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given ada's first question in a group, and bob, a remote member
    ada = await make_account("ada")
    group = await make_group(ada, "physics")
    question = await make_post(ada, group, kind=PostKind.QUESTION.value, title="Why blue?")
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    # When bob's reply, the first answer, is handled
    reply = build_note(bob, inReplyTo=f"http://lyceum.test/p/{question.id}")
    assert (await post_activity(app, build_activity(bob, "Create", reply), bob)).status_code == 202
    assert await InboxProcessor(peer.runtime).run_once() == 1
    # Then bob earns the newcomer's welcome, and the question's day is marked for the rollups
    stored = await Post.get(ap_id=reply["id"])
    credit = await Credit.get(kind=CreditKind.NEWCOMER_WELCOMED)
    assert (credit.earner_id, credit.post_id, credit.giver_id) == (
        stored.author_id,
        stored.id,
        question.author_id,
    )
    assert await AnalyticsDirty.filter(group_id=group.id, day=question.created_at.date()).exists()


async def test_received_post__notifies_the_local_people_it_mentions(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given ada's group, and bob, a remote member
    ada = await make_account("ada")
    await make_group(ada, "physics")
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    # When bob's post, mentioning the group (as Mastodon addresses one) and ada, is handled
    mentions = [
        {"type": "Mention", "href": PHYSICS, "name": "@physics@lyceum.test"},
        {"type": "Mention", "href": "http://lyceum.test/u/ada", "name": "@ada@lyceum.test"},
    ]
    note = build_note(bob, cc=PHYSICS, tag=mentions)
    assert (await post_activity(app, build_activity(bob, "Create", note), bob)).status_code == 202
    assert await InboxProcessor(peer.runtime).run_once() == 1
    # Then ada is notified of the mention, once
    post = await Post.get(ap_id=note["id"])
    notified = await Notification.filter(post=post).values_list("recipient_id", "kind")
    assert notified == [(ada.id, NotificationKind.MENTION)]
