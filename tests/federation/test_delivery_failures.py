"""One failing row never stops a delivery batch: each kind of failure, put in the middle of a
batch, costs only its own row, and every other row gets its outcome (worker.py).

Runs on SQLite and on PostgreSQL (`LYCEUM_TEST_DATABASE=postgres`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from federation.delivery import DeliveryWorker, enqueue
from federation.delivery import worker as worker_module
from federation.delivery.policy import MAX_ATTEMPTS
from server import leases
from server.models import Actor, ActorKind, Delivery, DeliveryState, utcnow
from tests.federation.loopback import serve
from tests.refusing_writes import Unrecordable, break_updates_of

BATCH = 5
MIDDLE = 2  # the row that fails
BAD_TEXT = "bad\x00key \ud800!"  # what a database cannot store: a NUL byte, a lone surrogate


@dataclass
class Batch:
    worker: DeliveryWorker
    rows: list[Delivery]  # in inbox order; rows[MIDDLE] is the one that fails
    broken_signer: bool = False  # the middle row's signer raises

    @property
    def middle(self) -> Delivery:
        return self.rows[MIDDLE]

    async def others(self) -> list[Delivery]:
        ids = [row.id for n, row in enumerate(self.rows) if n != MIDDLE]
        return list(await Delivery.filter(id__in=ids))


def failing_receiver() -> Starlette:
    async def inbox(request: Request) -> Response:
        fails = request.path_params["n"] == str(MIDDLE)
        return Response(status_code=500 if fails else 202)

    return Starlette(routes=[Route("/inbox/{n}", inbox, methods=["POST"])])


@pytest.fixture
async def batch(database: None) -> AsyncIterator[Batch]:
    """Five rows queued for five inboxes of a loopback receiver that fails `/inbox/2` with a 500;
    the middle row is signed by "broken", whose signer raises when `batch.broken_signer`."""
    async with serve(failing_receiver()) as base, httpx.AsyncClient(timeout=5) as client:
        good = await Actor.create(kind=ActorKind.GROUP, username="physics")
        broken = await Actor.create(kind=ActorKind.GROUP, username="broken")
        for n in range(BATCH):
            signer = broken if n == MIDDLE else good
            activity = {"id": f"http://lyceum.test/activities/{n}", "type": "Announce"}
            assert await enqueue(activity, signer.id, [f"{base}/inbox/{n}"]) == 1
        rows = list(await Delivery.all().order_by("activity_id"))

        def signer_for(actor: Actor) -> httpx.Auth:
            if actor.username == "broken" and made.broken_signer:
                raise ValueError(BAD_TEXT)
            return httpx.Auth()

        made = Batch(DeliveryWorker(client, signer_for, allow_http=True), rows)
        yield made


async def assert_others_done(batch: Batch) -> None:
    others = await batch.others()
    assert [(row.state, row.attempts, row.lease_until) for row in others] == [
        (DeliveryState.DONE, 1, None)
    ] * (BATCH - 1)


async def test_delivery_batch__a_signer_that_raises_fails_only_its_row_with_storable_text(
    batch: Batch,
) -> None:
    # Given a batch whose middle row's signer raises with a NUL byte and a lone surrogate
    batch.broken_signer = True
    # When the worker runs
    assert await batch.worker.run_once() == BATCH
    # Then that row is given up with its reason, made storable; every other row is done
    row = await Delivery.get(id=batch.middle.id)
    assert (row.state, row.attempts, row.last_status) == (DeliveryState.FAILED, 1, 0)
    assert row.last_error == "not sent: ValueError: badkey \ufffd!"
    await assert_others_done(batch)


async def test_delivery_batch__an_http_error_backs_off_only_its_row(batch: Batch) -> None:
    # Given a batch whose middle inbox answers 500
    # When the worker runs
    assert await batch.worker.run_once() == BATCH
    # Then that row waits for its retry; every other row is done
    row = await Delivery.get(id=batch.middle.id)
    assert (row.state, row.attempts, row.last_status) == (DeliveryState.QUEUED, 1, 500)
    assert row.next_attempt_at > utcnow() and row.lease_until is None
    await assert_others_done(batch)


async def test_delivery_batch__an_unexpected_exception_backs_off_only_its_row(
    batch: Batch, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a bug that makes sending the middle row raise
    deliver = DeliveryWorker._deliver

    async def buggy(self: DeliveryWorker, row: Delivery) -> Any:
        if row.id == batch.middle.id:
            raise RuntimeError(f"bug {BAD_TEXT}")
        return await deliver(self, row)

    monkeypatch.setattr(DeliveryWorker, "_deliver", buggy)
    # When the worker runs
    assert await batch.worker.run_once() == BATCH
    # Then that row is retried later with the error, made storable; every other row is done
    row = await Delivery.get(id=batch.middle.id)
    assert (row.state, row.attempts) == (DeliveryState.QUEUED, 1)
    assert row.last_error == "RuntimeError: bug badkey \ufffd!"
    assert row.next_attempt_at > utcnow()
    await assert_others_done(batch)


@pytest.mark.parametrize("outcome", ["success", "failure"])
async def test_delivery_batch__a_row_whose_record_fails_costs_only_itself(
    batch: Batch, monkeypatch: pytest.MonkeyPatch, outcome: str
) -> None:
    # Given a batch whose middle row's outcome cannot be written (a success, or a final failure)
    batch.broken_signer = outcome == "failure"
    if outcome == "success":
        await Delivery.filter(id=batch.middle.id).update(inbox_url=batch.rows[0].inbox_url)
    break_updates_of(monkeypatch, Delivery, batch.middle.id)
    # When the worker runs
    assert await batch.worker.run_once() == BATCH
    # Then that row keeps its lease and its counted try, to be taken up when the lease ends
    monkeypatch.undo()
    row = await Delivery.get(id=batch.middle.id)
    assert (row.state, row.attempts) == (DeliveryState.QUEUED, 1)
    assert row.lease_until is not None and row.lease_until > utcnow()
    # And every other row got its outcome
    await assert_others_done(batch)


async def test_delivery_batch__a_row_never_recorded_is_given_up_after_max_attempts(
    batch: Batch, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a row whose outcome can never be written
    break_updates_of(monkeypatch, Delivery, batch.middle.id)
    rounds = 0
    # When the worker claims it again each time its lease runs out
    while await batch.worker.run_once():
        rounds += 1
        assert rounds <= MAX_ATTEMPTS + 1, "the row is claimed forever"
        await Delivery.filter(state=DeliveryState.QUEUED).update(
            lease_until=utcnow() - timedelta(seconds=1), next_attempt_at=utcnow()
        )
    # Then it was tried MAX_ATTEMPTS times, then given up with the reason
    monkeypatch.undo()
    row = await Delivery.get(id=batch.middle.id)
    assert (row.state, row.attempts) == (DeliveryState.FAILED, MAX_ATTEMPTS)
    assert row.last_error == leases.UNRECORDED.format(attempts=MAX_ATTEMPTS)
    await assert_others_done(batch)


async def test_delivery_batch__a_failed_group_write_falls_back_to_one_row_at_a_time(
    batch: Batch, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given successes written together, where writing the middle row fails
    mark_done = worker_module._mark_done
    await Delivery.filter(id=batch.middle.id).update(inbox_url=batch.rows[0].inbox_url)

    async def refusing(ids: list[str], status: int | None, now: Any) -> None:
        if batch.middle.id in ids:
            raise Unrecordable("the database refused this row")
        await mark_done(ids, status, now)

    monkeypatch.setattr(worker_module, "_mark_done", refusing)
    # When the worker runs
    assert await batch.worker.run_once() == BATCH
    # Then every other success is recorded
    await assert_others_done(batch)
    assert (await Delivery.get(id=batch.middle.id)).state == DeliveryState.QUEUED


def attempts(outcome: str) -> float:
    from server.metrics import PROCESS

    value = PROCESS.get_sample_value("lyceum_delivery_attempts_total", {"outcome": outcome})
    assert value is not None
    return value


async def test_delivery_batch__each_attempt_is_counted_by_its_outcome(batch: Batch) -> None:
    # Given a batch whose middle row's inbox answers 500
    before = {outcome: attempts(outcome) for outcome in ("done", "retry", "final")}
    # When the worker runs it, then runs the middle row again for its last try
    assert await batch.worker.run_once() == BATCH
    await Delivery.filter(id=batch.middle.id).update(
        next_attempt_at=utcnow(), attempts=MAX_ATTEMPTS - 1
    )
    assert await batch.worker.run_once() == 1
    # Then the metrics count four done, one retry, then one given up
    counted = {outcome: attempts(outcome) - before[outcome] for outcome in before}
    assert counted == {"done": BATCH - 1, "retry": 1, "final": 1}
