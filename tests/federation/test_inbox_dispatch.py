"""The dispatch table and the inbox worker's bookkeeping (dispatch.py, processor.py)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from starlette.applications import Starlette

from federation.inbox import InboxProcessor
from federation.inbox.dispatch import handler_for
from federation.inbox.parse import parse_activity
from federation.inbox.processor import MAX_ATTEMPTS
from server.models import InboxActivity, inbox_dedup_key, utcnow
from tests.federation._inbox_peer import (
    RemotePeer,
    build_activity,
    deliver,
    post_activity,
)


@pytest.mark.parametrize(
    ("kind", "obj", "reason"),
    [
        ("Lock", "https://remote.example/post/1", "unsupported: Lock"),
        ("Move", "https://remote.example/users/bob", "unsupported: Move"),
        (
            "Create",
            {"id": "https://remote.example/m/1", "type": "ChatMessage"},
            "unsupported: Create(ChatMessage)",
        ),
    ],
)
async def test_dispatch__unknown_types_are_acknowledged_and_dropped(
    app: Starlette, peer: RemotePeer, kind: str, obj: object, reason: str
) -> None:
    bob = peer.add_actor("bob")
    assert await deliver(app, peer, build_activity(bob, kind, obj), bob) == reason  # type: ignore[arg-type]


def test_handler_for__reads_activity_and_object_types() -> None:
    actor = "https://r.example/u/b"
    undo_like = {
        "id": f"{actor}/1",
        "type": "Undo",
        "actor": actor,
        "object": {"id": f"{actor}/0", "type": "Like", "actor": actor, "object": "x"},
    }
    handler = handler_for(parse_activity(undo_like))
    assert handler is not None and handler.__name__ == "handle_undo_react"


async def test_processor__unreadable_row_is_closed_with_the_reason(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a stored row whose payload is not an activity we can read
    await InboxActivity.create(
        ap_id="https://r.example/1",
        dedup_key=inbox_dedup_key("https://r.example", "https://r.example/1"),
        actor_ap_id="x",
        activity_type="Create",
        payload=json.dumps({"id": "https://r.example/1", "type": "Create", "actor": "x"}),
    )
    # When the worker runs
    assert await InboxProcessor(peer.runtime).run_once() == 1
    # Then it is processed, with the reason, and not claimed again
    row = await InboxActivity.get()
    assert row.error == "unreadable: the Create's object has no id"
    assert await InboxProcessor(peer.runtime).run_once() == 0


async def test_processor__unexpected_failure_backs_off_then_gives_up(
    app: Starlette, peer: RemotePeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an activity whose handling crashes (a bug, a database hiccup)
    bob = peer.add_actor("bob")
    lock = build_activity(bob, "Lock", "https://remote.example/x")
    assert (await post_activity(app, lock, bob)).status_code == 202

    async def crash(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("federation.inbox.processor.dispatch", crash)
    processor = InboxProcessor(peer.runtime)
    # When the worker runs, the row is leased away for a backoff, still unprocessed
    assert await processor.run_once() == 1
    row = await InboxActivity.get(ap_id=lock["id"])
    assert (row.processed_at, row.attempts, row.error) == (None, 1, "failed: RuntimeError: boom")
    assert row.lease_until is not None and row.lease_until > utcnow() + timedelta(minutes=1)
    assert await processor.run_once() == 0
    # And after the last attempt it is dead-lettered with the error, and not claimed again
    await InboxActivity.filter(id=row.id).update(attempts=MAX_ATTEMPTS - 1, lease_until=None)
    assert await processor.run_once() == 1
    row = await InboxActivity.get(id=row.id)
    assert (row.processed_at, row.attempts) == (None, MAX_ATTEMPTS)
    assert row.dead_at is not None and row.error == "failed: RuntimeError: boom"
    assert await processor.run_once() == 0


async def test_processor__run_until_stopped_processes_then_stops(
    app: Starlette, peer: RemotePeer
) -> None:
    import asyncio

    bob = peer.add_actor("bob")
    lock = build_activity(bob, "Lock", "https://remote.example/x")
    assert (await post_activity(app, lock, bob)).status_code == 202
    stop = asyncio.Event()
    processor = InboxProcessor(peer.runtime, poll_interval=0.01)
    task = asyncio.create_task(processor.run_until_stopped(stop))
    for _ in range(500):  # bounded wait for the worker to take the row
        if (await InboxActivity.get(ap_id=lock["id"])).processed_at is not None:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert (await InboxActivity.get(ap_id=lock["id"])).error == "unsupported: Lock"
