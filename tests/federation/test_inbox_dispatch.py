"""The dispatch table and the inbox worker's bookkeeping (dispatch.py, processor.py)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from starlette.applications import Starlette

from federation.inbox import InboxProcessor
from federation.inbox import processor as processor_module
from federation.inbox.dispatch import dispatch, handler_for
from federation.inbox.parse import parse_activity
from federation.inbox.processor import MAX_ATTEMPTS
from federation.inbox.refusals import RefusalLog
from server import leases
from server.models import InboxActivity, inbox_dedup_key, utcnow
from tests.federation._inbox_peer import (
    RemotePeer,
    build_activity,
    deliver,
    post_activity,
)
from tests.refusing_writes import break_updates_of


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


# --- one failing row never stops a batch (processor.py) ----------------------------------------

BATCH = 5
MIDDLE = 2  # the row that fails
BAD_TEXT = "bad\x00id \ud800!"  # what a database cannot store: a NUL byte, a lone surrogate


async def store_batch(peer: RemotePeer, middle: dict[str, Any] | None = None) -> list[str]:
    """Five stored Lock activities from bob (each dropped as unsupported when handled), the
    middle one replaced by `middle` if given; returns their row ids, oldest first."""
    bob = peer.add_actor("bob")
    ids = []
    for n in range(BATCH):
        activity = build_activity(bob, "Lock", f"https://remote.example/x/{n}")
        if n == MIDDLE and middle is not None:
            activity = middle
        ap_id = f"https://remote.example/activities/{n}"
        row = await InboxActivity.create(
            ap_id=ap_id,
            origin="https://remote.example",
            dedup_key=inbox_dedup_key("https://remote.example", ap_id),
            actor_ap_id=bob.id,
            activity_type="Lock",
            payload=json.dumps(activity),  # ensure_ascii: NUL and surrogates travel as escapes
            created_at=utcnow() + timedelta(milliseconds=n),
        )
        ids.append(row.id)
    return ids


async def assert_others_processed(ids: list[str]) -> None:
    others = await InboxActivity.filter(id__in=ids[:MIDDLE] + ids[MIDDLE + 1 :])
    assert [(row.processed_at is not None, row.attempts, row.error) for row in others] == [
        (True, 1, "unsupported: Lock")
    ] * (BATCH - 1)


async def test_processor_batch__a_handler_that_raises_fails_only_its_row(
    app: Starlette, peer: RemotePeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a batch whose middle activity's handler raises, with text a database cannot store
    ids = await store_batch(peer)

    async def crash_on_middle(context: Any, activity: Any) -> None:
        if activity.object.id == f"https://remote.example/x/{MIDDLE}":
            raise RuntimeError(BAD_TEXT)
        await dispatch(context, activity)

    monkeypatch.setattr(processor_module, "dispatch", crash_on_middle)
    # When the worker runs
    assert await InboxProcessor(peer.runtime).run_once() == BATCH
    # Then that row backs off with its error, made storable; every other row is handled
    row = await InboxActivity.get(id=ids[MIDDLE])
    assert (row.processed_at, row.attempts) == (None, 1)
    assert row.error == "failed: RuntimeError: badid \ufffd!"
    assert row.lease_until is not None and row.lease_until > utcnow() + timedelta(minutes=1)
    await assert_others_processed(ids)


async def test_processor_batch__ids_with_nul_and_lone_surrogates_are_recorded_storably(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a batch whose middle activity's ids hold a NUL byte and a lone surrogate
    actor = f"https://remote.example/users/{BAD_TEXT}"
    middle = {"id": f"https://remote.example/{BAD_TEXT}", "type": "Like", "actor": actor}
    middle["object"] = f"https://remote.example/{BAD_TEXT}/post"
    ids = await store_batch(peer, middle)
    # When the worker runs
    assert await InboxProcessor(peer.runtime).run_once() == BATCH
    # Then that row is dropped as unreadable, with its reason
    row = await InboxActivity.get(id=ids[MIDDLE])
    assert row.processed_at is not None
    assert row.error == "unreadable: it holds a NUL byte or a lone surrogate"
    # And every other row is handled
    await assert_others_processed(ids)


async def test_processor_batch__a_row_whose_record_fails_costs_only_itself(
    app: Starlette, peer: RemotePeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a batch whose middle row's outcome cannot be written
    ids = await store_batch(peer)
    break_updates_of(monkeypatch, InboxActivity, ids[MIDDLE])
    # When the worker runs
    assert await InboxProcessor(peer.runtime).run_once() == BATCH
    monkeypatch.undo()
    # Then that row keeps its lease and its counted try, to be taken up when the lease ends
    row = await InboxActivity.get(id=ids[MIDDLE])
    assert (row.processed_at, row.attempts) == (None, 1)
    assert row.lease_until is not None and row.lease_until > utcnow()
    # And every other row got its outcome
    await assert_others_processed(ids)


async def test_processor_batch__a_row_never_recorded_is_dead_after_max_attempts(
    app: Starlette, peer: RemotePeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a row whose outcome can never be written
    ids = await store_batch(peer)
    break_updates_of(monkeypatch, InboxActivity, ids[MIDDLE])
    processor = InboxProcessor(peer.runtime)
    rounds = 0
    # When the worker claims it again each time its lease runs out
    while await processor.run_once():
        rounds += 1
        assert rounds <= MAX_ATTEMPTS + 1, "the row is claimed forever"
        await InboxActivity.filter(processed_at__isnull=True).update(
            lease_until=utcnow() - timedelta(seconds=1)
        )
    monkeypatch.undo()
    # Then it was tried MAX_ATTEMPTS times, then dead-lettered with the reason
    row = await InboxActivity.get(id=ids[MIDDLE])
    assert (row.processed_at, row.attempts) == (None, MAX_ATTEMPTS)
    assert row.dead_at is not None
    assert row.error == leases.UNRECORDED.format(attempts=MAX_ATTEMPTS)
    await assert_others_processed(ids)


async def test_processor__logs_a_dropped_activity_with_its_host_once_a_minute(
    app: Starlette,
    peer: RemotePeer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given five activities from one host that will each be dropped
    await store_batch(peer)
    # And a refusal log of its own that lets one line a minute through per host
    monkeypatch.setattr(processor_module, "log_refusal", RefusalLog(per_minute=1))
    # When the worker handles them
    with caplog.at_level(logging.INFO, logger="lyceum.inbox"):
        assert await InboxProcessor(peer.runtime).run_once() == BATCH
    # Then one INFO line names the host and the reason, and the rest are held back
    lines = [r.getMessage() for r in caplog.records if r.name == "lyceum.inbox"]
    assert lines == ["refused remote.example: dropped by the worker: unsupported: Lock"]
