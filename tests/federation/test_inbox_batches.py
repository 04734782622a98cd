"""The inbox worker's batches: chains of related rows, rows handled side by side, outcomes
recorded together (federation/inbox/chains.py, processor.py)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import pytest
from starlette.applications import Starlette
from tortoise import Tortoise

from federation.inbox import InboxProcessor
from federation.inbox import processor as processor_module
from federation.inbox.chains import split
from federation.inbox.dispatch import dispatch
from server.models import InboxActivity, Membership, Post, PostState, inbox_dedup_key
from tests.federation._inbox_peer import (
    RemotePeer,
    build_activity,
    build_follow_activity,
    build_note,
    build_undo_activity,
    group_url,
    join,
    post_activity,
)
from tests.helpers import make_account, make_group

PHYSICS = group_url("physics")


def _row(activity: dict[str, Any]) -> InboxActivity:
    return InboxActivity(
        ap_id=activity["id"],
        dedup_key=inbox_dedup_key("https://r.example", activity["id"]),
        actor_ap_id=activity["actor"],
        activity_type=activity["type"],
        payload=json.dumps(activity),
    )


def _activity(n: int, actor: str, kind: str, obj: Any) -> dict[str, Any]:
    return {"id": f"https://r.example/a/{n}", "type": kind, "actor": actor, "object": obj}


async def test_split__related_rows_share_a_chain_in_order(database: None) -> None:
    # Given a batch: x's post, y's like of it, z's unrelated post, x's delete of the post,
    # a reply by w to the post, v's follow and its undo, and an unreadable row
    x, y, z, w, v = (f"https://r.example/u/{name}" for name in "xyzwv")
    note = {"id": "https://r.example/n/1", "type": "Note", "attributedTo": x}
    follow = _activity(6, v, "Follow", PHYSICS)
    rows = [
        _row(_activity(1, x, "Create", note)),
        _row(_activity(2, y, "Like", note["id"])),
        _row(_activity(3, z, "Create", {"id": "https://r.example/n/2", "type": "Note"})),
        _row(_activity(4, x, "Delete", note["id"])),
        _row(_activity(5, w, "Create", {"id": "https://r.example/n/3", "inReplyTo": note["id"]})),
        _row(follow),
        _row(_activity(7, v, "Undo", follow)),
    ]
    unreadable = _row(_activity(8, "https://r.example/u/u", "Like", "x"))
    unreadable.payload = "{not json"
    # When it is split
    chains = split([*rows, unreadable])
    # Then related rows are one chain, in arrival order; the others are chains of their own
    assert [[row.ap_id[-1] for row in chain] for chain in chains] == [
        ["1", "2", "4", "5"],
        ["3"],
        ["6", "7"],
        ["8"],
    ]


async def test_processor_batch__a_create_then_its_delete_end_deleted(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given bob, a member, whose post and its deletion arrive in one batch, among others' posts
    await make_group(await make_account("ada"), "physics")
    bob, eve = peer.add_actor("bob"), peer.add_actor("eve")
    for actor in (bob, eve):
        await join(app, peer, actor, "physics")
    note = build_note(bob, cc=PHYSICS)
    others = [build_note(eve, cc=PHYSICS) for _ in range(3)]
    sent = [
        (build_activity(eve, "Create", others[0]), eve),
        (build_activity(bob, "Create", note), bob),
        (build_activity(eve, "Create", others[1]), eve),
        (build_activity(bob, "Delete", {"id": note["id"], "type": "Tombstone"}), bob),
        (build_activity(eve, "Create", others[2]), eve),
    ]
    for activity, signer in sent:
        assert (await post_activity(app, activity, signer)).status_code == 202
    # When the worker takes them in one batch
    assert await InboxProcessor(peer.runtime, concurrency=4).run_once() == len(sent)
    # Then the post was stored, then deleted, and the other posts stored; each row handled
    assert (await Post.get(ap_id=note["id"])).state == PostState.DELETED
    assert await Post.filter(ap_id__in=[o["id"] for o in others]).count() == len(others)
    rows = await InboxActivity.filter(ap_id__in=[a["id"] for a, _ in sent])
    assert {(row.processed_at is not None, row.error) for row in rows} == {(True, "")}


async def test_processor_batch__a_follow_then_its_undo_end_unfollowed(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given bob's follow and its undo in one batch, beside eve's follow
    group = await make_group(await make_account("ada"), "physics")
    bob, eve = peer.add_actor("bob"), peer.add_actor("eve")
    follow = build_follow_activity(bob, PHYSICS)
    sent = [
        (follow, bob),
        (build_follow_activity(eve, PHYSICS), eve),
        (build_undo_activity(bob, follow), bob),
    ]
    for activity, signer in sent:
        assert (await post_activity(app, activity, signer)).status_code == 202
    # When the worker takes them in one batch
    assert await InboxProcessor(peer.runtime, concurrency=4).run_once() == len(sent)
    # Then bob followed and stopped following, and eve follows
    assert not await Membership.filter(group=group, actor__ap_id=bob.id).exists()
    assert await Membership.filter(group=group, actor__ap_id=eve.id).exists()


async def test_processor_batch__a_poisoned_row_among_concurrent_chains_costs_only_itself(
    app: Starlette, peer: RemotePeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a batch of unrelated activities from five actors, one of which always crashes
    actors = [peer.add_actor(f"user{n}") for n in range(5)]
    sent = [build_activity(a, "Lock", f"https://remote.example/x/{a.id}") for a in actors]
    for activity, actor in zip(sent, actors, strict=True):
        assert (await post_activity(app, activity, actor)).status_code == 202
    poisoned = sent[2]["id"]

    async def crash_on_poisoned(context: Any, activity: Any) -> None:
        if activity.id == poisoned:
            raise RuntimeError("poisoned")
        await dispatch(context, activity)

    monkeypatch.setattr(processor_module, "dispatch", crash_on_poisoned)
    # When the worker handles them side by side
    assert await InboxProcessor(peer.runtime, concurrency=4).run_once() == len(sent)
    # Then the poisoned row backs off with its error, and every other row is handled
    rows = {row.ap_id: row for row in await InboxActivity.filter(ap_id__in=[s["id"] for s in sent])}
    assert (rows[poisoned].processed_at, rows[poisoned].error) == (
        None,
        "failed: RuntimeError: poisoned",
    )
    others = [rows[s["id"]] for s in sent if s["id"] != poisoned]
    assert [(row.processed_at is not None, row.error) for row in others] == [
        (True, "unsupported: Lock")
    ] * 4


async def test_processor_batch__two_workers_never_handle_a_row_twice(
    app: Starlette, peer: RemotePeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    if Tortoise.get_connection("default").capabilities.dialect != "postgres":
        pytest.skip("PostgreSQL only: SQLite has one worker")
    # Given many stored activities from several actors
    actors = [peer.add_actor(f"user{n}") for n in range(6)]
    sent = []
    for n in range(60):
        actor = actors[n % len(actors)]
        activity = build_activity(actor, "Lock", f"https://remote.example/x/{n}")
        assert (await post_activity(app, activity, actor)).status_code == 202
        sent.append(activity["id"])
    handled: Counter[str] = Counter()

    async def counting(context: Any, activity: Any) -> None:
        handled[activity.id] += 1
        await asyncio.sleep(0)  # let the other worker run meanwhile
        await dispatch(context, activity)

    monkeypatch.setattr(processor_module, "dispatch", counting)
    # When two workers with small batches take them at the same time until none is left
    workers = [InboxProcessor(peer.runtime, batch_size=7, concurrency=3) for _ in range(2)]

    async def drain(worker: InboxProcessor) -> int:
        total = 0
        while taken := await worker.run_once():
            total += taken
        return total

    taken = await asyncio.gather(*(drain(worker) for worker in workers))
    # Then every row was handled exactly once, and both workers took some
    assert handled == Counter(dict.fromkeys(sent, 1))
    assert sum(taken) == len(sent) and all(taken)
    assert await InboxActivity.filter(ap_id__in=sent, processed_at__isnull=True).count() == 0
