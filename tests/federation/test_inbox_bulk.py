"""The inbox worker's bulk path (federation/inbox/bulk.py): a batch's ordinary posts stored
together must end exactly as the one-by-one path ends them: each row's recorded outcome, the
posts stored (state, parent, hold), the groups' and threads' counts and the Announces queued.

Each scenario runs twice in one database, into two fresh groups alike: once with the bulk path
switched off (every row one by one, as before it existed), once as the worker runs; what each
run leaves is compared, with the run's own ids replaced by the scenario's positions."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from federation.inbox import InboxProcessor, create
from federation.inbox import processor as processor_module
from server import events
from server.models import Actor, Delivery, Group, InboxActivity, Post
from server.services import bans, remote
from tests.federation._inbox_peer import (
    PeerActor,
    RemotePeer,
    build_activity,
    build_note,
    deliver,
    group_url,
    join,
    post_activity,
)
from tests.helpers import make_account, make_group

AUTHORS = ("member", "other", "banned", "outsider")  # outsider: never a member
KINDS = (
    "post",  # a new post into the group
    "again",  # the post of an earlier row (or the one stored before the batch) sent again
    "reply_stored",  # a reply to the post stored before the batch
    "reply_earlier",  # a reply to an earlier row's post
    "reply_missing",  # a reply to a post that is nowhere
    "explode",  # a post whose handling raises
    "delete",  # the author's Delete of an earlier row's post
)
EXPLODE = "explode-on-handling"
_runs = itertools.count()

Op = tuple[str, str, int]  # kind, author, which earlier row (for again / reply / delete)


@contextmanager
def exploding() -> Iterator[None]:
    """Posts saying EXPLODE raise when placed, in either path (as any unexpected error)."""
    check = create.check_authorship

    def checked(ctx: Any, note: Any) -> None:
        if EXPLODE in note.content:
            raise RuntimeError("the handling blew up")
        check(ctx, note)

    with mock.patch.object(create, "check_authorship", checked):
        yield


async def _nothing_in_bulk(*args: Any) -> set[str]:
    return set()


async def run(
    app: Starlette, peer: RemotePeer, ops: list[Op], *, bulk: bool, hold_first: bool = False
) -> dict[str, Any]:
    """Send `ops` as one batch into a fresh group; what it left, in the scenario's terms."""
    n = next(_runs)
    handle = f"g{n}"
    owner = await make_account(f"owner{n}")
    group = await make_group(owner, handle, hold_first_posts=hold_first)
    actors = {name: peer.add_actor(name) for name in AUTHORS}
    for name in ("member", "other", "banned"):
        await join(app, peer, actors[name], handle)
    # With hold_first, "other" has no published post yet: its first one is held.
    known = build_note(actors["member"], cc=group_url(handle))
    if hold_first:
        await Group.filter(id=group.id).update(hold_first_posts=False)
    assert (
        await deliver(
            app, peer, build_activity(actors["member"], "Create", known), actors["member"]
        )
        == ""
    )
    if hold_first:
        await Group.filter(id=group.id).update(hold_first_posts=True)
    banned = await Actor.get(ap_id=actors["banned"].id)
    await bans.ban(await Actor.get(id=owner.actor_id), await Group.get(id=group.id), banned)
    notes: list[dict[str, Any]] = []
    sent: list[dict[str, Any]] = []
    signers: list[PeerActor] = []
    names = {known["id"]: "known"}
    for position, (kind, author_name, which) in enumerate(ops):
        author = actors[author_name]
        earlier = notes[which % len(notes)] if notes else known
        note = build_note(author, cc=group_url(handle))
        if kind == "again":
            note = earlier
        elif kind == "reply_stored":
            note["inReplyTo"] = known["id"]
        elif kind == "reply_earlier":
            note["inReplyTo"] = earlier["id"]
        elif kind == "reply_missing":
            note["inReplyTo"] = f"{author.id}/statuses/missing-{n}"
            names[note["inReplyTo"]] = "missing"
        elif kind == "explode":
            note["content"] = f"<p>{EXPLODE}</p>"
        if kind == "delete":
            author = next(a for a in actors.values() if a.id == earlier["attributedTo"])
            activity = build_activity(author, "Delete", {"id": earlier["id"], "type": "Tombstone"})
        else:
            notes.append(note)
            names.setdefault(note["id"], f"note{position}")
            activity = build_activity(author, "Create", note)
        sent.append(activity)
        signers.append(author)
        names[activity["id"]] = f"activity{position}"
    for activity, signer in zip(sent, signers, strict=True):
        assert (await post_activity(app, activity, signer)).status_code == 202
    with (
        exploding(),
        mock.patch.object(
            processor_module,
            "take_ordinary_posts",
            processor_module.take_ordinary_posts if bulk else _nothing_in_bulk,
        ),
    ):
        assert await InboxProcessor(peer.runtime, batch_size=100).run_once() == len(sent)
    return await _what_was_left(handle, group.id, sent, names)


async def _what_was_left(
    handle: str, group_id: str, sent: list[dict[str, Any]], names: dict[str, str]
) -> dict[str, Any]:
    def named(text: str) -> str:
        for original, name in sorted(names.items(), key=lambda item: -len(item[0])):
            text = text.replace(original, name)
        return text.replace(handle, "<group>")

    rows = {row.ap_id: row for row in await InboxActivity.filter(ap_id__in=[a["id"] for a in sent])}
    outcomes = [(named(rows[a["id"]].error), rows[a["id"]].processed_at is not None) for a in sent]
    posts = await Post.filter(group_id=group_id).select_related("parent")
    stored = sorted(
        (
            named(post.ap_id or ""),
            post.state.value,
            post.held_reason,
            named(post.parent.ap_id or "") if post.parent else "",
            post.reply_count,
            post.depth,
        )
        for post in posts
    )
    group = await Group.get(id=group_id)
    deliveries = sorted(
        named(payload)
        for payload in await Delivery.filter(payload__contains=f"/g/{handle}").values_list(
            "payload", flat=True
        )
        if '"Announce"' in str(payload)
    )
    announced = sorted(
        name
        for name in names.values()
        if any(f'"{name}' in d or f'{name}"' in d for d in deliveries)
    )
    return {
        "outcomes": outcomes,
        "posts": stored,
        "post_count": group.post_count,
        "announced": announced,
        "deliveries": len(deliveries),
    }


async def test_bulk__a_mixed_batch_ends_as_one_by_one(app: Starlette, peer: RemotePeer) -> None:
    # Given a batch mixing good posts, a post sent twice, a post already stored, a banned
    # author, a non-member, a reply to a missing post, a reply to a post of the batch, a post
    # whose handling raises, and a Delete of one of the batch's posts
    ops: list[Op] = [
        ("post", "member", 0),
        ("post", "other", 0),
        ("again", "member", 0),
        ("again", "member", 99),  # 99 % 3: the post of row 2, itself row 0's
        ("post", "banned", 0),
        ("post", "outsider", 0),
        ("reply_stored", "other", 0),
        ("reply_missing", "member", 0),
        ("explode", "other", 0),
        ("reply_earlier", "member", 1),
        ("delete", "member", 0),
        ("post", "member", 0),
    ]
    taken: list[int] = []
    receive = remote.receive_posts

    async def counted(drafts: Any) -> Any:
        taken.append(len(drafts))
        return await receive(drafts)

    # When it is handled one by one, and (in a group alike) as the worker handles it
    one_by_one = await run(app, peer, ops, bulk=False)
    with mock.patch.object(remote, "receive_posts", counted):
        bulk = await run(app, peer, ops, bulk=True)
    # Then the bulk path stored some posts at once, and everything ended the same way
    assert (
        taken and taken[-1] >= 2
    )  # the batch's first posts (the last call: the setup's come first)
    assert bulk == one_by_one
    outcomes = [reason for reason, _ in bulk["outcomes"]]
    assert outcomes[0] == outcomes[1] == outcomes[2] == ""
    assert "banned" in outcomes[4] and "not a member" in outcomes[5]
    assert "not here" in outcomes[7] and outcomes[8].startswith("failed: RuntimeError")


async def test_bulk__a_held_first_post_is_not_announced(app: Starlette, peer: RemotePeer) -> None:
    # Given a group holding first posts, where "other" has never posted and "member" has
    ops: list[Op] = [("post", "member", 0), ("post", "other", 0), ("post", "member", 0)]
    # When the batch is handled one by one, and as the worker does
    one_by_one = await run(app, peer, ops, bulk=False, hold_first=True)
    bulk = await run(app, peer, ops, bulk=True, hold_first=True)
    # Then other's post is held and not announced, in both
    assert bulk == one_by_one
    held = [post for post in bulk["posts"] if post[1] == "held"]
    assert [post[2] for post in held] == ["first_post"]
    assert "note1" not in bulk["announced"] and "note0" in bulk["announced"]


async def test_bulk__a_failed_bulk_write_leaves_every_row_to_the_one_by_one_path(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a batch of good posts, and a bulk write that fails
    ops: list[Op] = [("post", "member", 0), ("post", "other", 0), ("reply_stored", "member", 0)]

    async def broken(drafts: Any) -> Any:
        raise RuntimeError("the database went away")

    # When it is handled
    one_by_one = await run(app, peer, ops, bulk=False)
    with mock.patch.object(remote, "receive_posts", broken):
        bulk = await run(app, peer, ops, bulk=True)
    # Then every post was stored one by one, as if there were no bulk path
    assert bulk == one_by_one
    assert [reason for reason, _ in bulk["outcomes"]] == ["", "", ""]


async def test_publish_many__batch_handlers_get_the_list_others_each_event() -> None:
    # Given a bus with a subscriber that handles many at once and one that does not
    bus = events.EventBus()
    seen: list[tuple[str, Any]] = []

    async def one(event: events.Event) -> None:
        seen.append(("one", event))

    async def each(event: events.Event) -> None:
        seen.append(("each", event))

    async def many(published: Any) -> None:
        seen.append(("many", list(published)))

    bus.subscribe(events.PostCreated, one, many=many)
    bus.subscribe(events.PostCreated, each)
    bus.subscribe(events.PostDeleted, each)
    created = [events.PostCreated("a"), events.PostCreated("b")]
    deleted = events.PostDeleted("a")
    # When events are published together
    await bus.publish_many([*created, deleted])
    # Then the batch handler gets the run of PostCreated at once, the other each one, in order
    assert seen == [
        ("many", created),
        ("each", created[0]),
        ("each", created[1]),
        ("each", deleted),
    ]
    # And publishing one event still calls the plain handler
    seen.clear()
    await bus.publish(created[0])
    assert seen == [("one", created[0]), ("each", created[0])]


OPS = st.lists(
    st.tuples(st.sampled_from(KINDS), st.sampled_from(AUTHORS), st.integers(0, 20)),
    min_size=1,
    max_size=10,
)


@hypothesis_settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS, hold_first=st.booleans())
@pytest.mark.filterwarnings("ignore")
async def test_bulk__generated_batches_end_as_one_by_one(
    app: Starlette, peer: RemotePeer, ops: list[Op], hold_first: bool
) -> None:
    # Given any batch of posts, replies, resent posts, deletions and failures
    # When it is handled one by one, and as the worker handles it
    one_by_one = await run(app, peer, ops, bulk=False, hold_first=hold_first)
    bulk = await run(app, peer, ops, bulk=True, hold_first=hold_first)
    # Then every row's outcome, the posts, the counts and the Announces are the same
    assert bulk == one_by_one
