"""The delivery worker against a real loopback receiver that fails, throttles and recovers."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from federation.delivery import DeliveryWorker, enqueue
from federation.delivery.policy import backoff
from federation.delivery.worker import mark_domain_alive
from server.models import (
    Actor,
    ActorKind,
    Delivery,
    DeliveryState,
    DomainBlock,
    DomainHealth,
    utcnow,
)
from tests.federation.loopback import serve


class Receiver:
    """Answers each POST with the next scripted (status, headers); records bodies."""

    def __init__(self, script: list[tuple[int, dict[str, str]]]) -> None:
        self.script = script
        self.bodies: list[bytes] = []

    async def inbox(self, request: Request) -> Response:
        self.bodies.append(await request.body())
        status, headers = self.script.pop(0) if self.script else (202, {})
        return Response(status_code=status, headers=headers)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/inbox", self.inbox, methods=["POST"])])


@pytest.fixture
async def signer_actor(database: None) -> Actor:
    return await Actor.create(kind=ActorKind.GROUP, username="physics")


def no_signature(_: Actor) -> httpx.Auth:
    return httpx.Auth()


async def make_worker() -> tuple[DeliveryWorker, httpx.AsyncClient]:
    client = httpx.AsyncClient(timeout=5)
    return DeliveryWorker(client, no_signature, allow_http=True), client


async def due_now() -> None:
    """Move every queued row's next attempt to now, as time passing would."""
    await Delivery.filter(state=DeliveryState.QUEUED).update(next_attempt_at=utcnow())


ACTIVITY = {"id": "http://lyceum.test/activities/1", "type": "Announce"}


async def test_worker__delivers_and_marks_done(signer_actor: Actor) -> None:
    receiver = Receiver([])
    async with serve(receiver.app()) as base:
        # Given one activity queued for one inbox
        await enqueue(ACTIVITY, signer_actor.id, [f"{base}/inbox"])
        worker, client = await make_worker()
        # When the worker runs once
        async with client:
            assert await worker.run_once() == 1
    # Then the receiver got the exact body and the row is done
    assert receiver.bodies == [b'{"id":"http://lyceum.test/activities/1","type":"Announce"}']
    row = await Delivery.get()
    assert (row.state, row.attempts, row.last_status) == (DeliveryState.DONE, 1, 202)


async def test_worker__500_then_recovery(signer_actor: Actor) -> None:
    receiver = Receiver([(500, {}), (502, {})])
    async with serve(receiver.app()) as base:
        await enqueue(ACTIVITY, signer_actor.id, [f"{base}/inbox"])
        worker, client = await make_worker()
        async with client:
            # When the first try fails with 500
            before = utcnow()
            await worker.run_once()
            row = await Delivery.get()
            # Then it is queued again after the backoff, not sent again at once
            assert row.state == DeliveryState.QUEUED and row.last_status == 500
            assert row.next_attempt_at >= before + backoff(1)
            assert await worker.run_once() == 0
            # When time passes twice (a 502, then success)
            await due_now()
            await worker.run_once()
            await due_now()
            await worker.run_once()
    row = await Delivery.get()
    assert (row.state, row.attempts) == (DeliveryState.DONE, 3)
    assert len(receiver.bodies) == 3
    health = await DomainHealth.get(domain=row.domain)
    assert health.first_failure_at is None and health.last_success_at is not None


async def test_worker__429_honours_retry_after(signer_actor: Actor) -> None:
    receiver = Receiver([(429, {"Retry-After": "600"})])
    async with serve(receiver.app()) as base:
        await enqueue(ACTIVITY, signer_actor.id, [f"{base}/inbox"])
        worker, client = await make_worker()
        async with client:
            before = utcnow()
            await worker.run_once()
    row = await Delivery.get()
    assert row.state == DeliveryState.QUEUED and row.last_status == 429
    assert before + timedelta(seconds=600) <= row.next_attempt_at
    assert row.next_attempt_at <= utcnow() + timedelta(seconds=600)


async def test_worker__410_is_final(signer_actor: Actor) -> None:
    receiver = Receiver([(410, {})])
    async with serve(receiver.app()) as base:
        await enqueue(ACTIVITY, signer_actor.id, [f"{base}/inbox"])
        worker, client = await make_worker()
        async with client:
            await worker.run_once()
            await due_now()
            assert await worker.run_once() == 0
    row = await Delivery.get()
    assert (row.state, row.last_status) == (DeliveryState.FAILED, 410)
    assert "refused" in row.last_error


async def test_worker__network_error_backs_off(signer_actor: Actor) -> None:
    # Given an inbox on a port where nothing listens
    async with serve(Receiver([]).app()) as base:
        dead = base
    await enqueue(ACTIVITY, signer_actor.id, [f"{dead}/inbox"])
    worker, client = await make_worker()
    async with client:
        await worker.run_once()
    row = await Delivery.get()
    assert row.state == DeliveryState.QUEUED and row.last_status is None
    assert "ConnectError" in row.last_error


async def test_worker__domain_failing_for_days_becomes_unavailable_and_revives(
    signer_actor: Actor,
) -> None:
    receiver = Receiver([(500, {})])
    async with serve(receiver.app()) as base:
        await enqueue(ACTIVITY, signer_actor.id, [f"{base}/inbox"])
        domain = (await Delivery.get()).domain
        # Given the domain has been failing for three days
        await DomainHealth.create(domain=domain, first_failure_at=utcnow() - timedelta(days=3))
        worker, client = await make_worker()
        async with client:
            # When another delivery to it fails
            await worker.run_once()
        # Then it is unavailable, its queue is dropped, and nothing new is queued for it
        health = await DomainHealth.get(domain=domain)
        assert health.unavailable_since is not None
        assert (await Delivery.get()).state == DeliveryState.FAILED
        assert await enqueue(ACTIVITY, signer_actor.id, [f"{base}/inbox"]) == 0
        # When the domain contacts us again, deliveries resume
        await mark_domain_alive(domain)
        assert await enqueue(ACTIVITY, signer_actor.id, [f"{base}/inbox"]) == 1


async def test_enqueue__deduplicates_inboxes_and_skips_suspended_domains(
    signer_actor: Actor,
) -> None:
    await DomainBlock.create(domain="spam.example")
    written = await enqueue(
        ACTIVITY,
        signer_actor.id,
        [
            "https://a.example/inbox",
            "https://a.example/inbox",
            "https://b.example/users/x/inbox",
            "https://spam.example/inbox",
            "",
        ],
    )
    assert written == 2
    assert sorted(await Delivery.all().values_list("inbox_url", flat=True)) == [
        "https://a.example/inbox",
        "https://b.example/users/x/inbox",
    ]


async def test_enqueue__a_suspended_host_covers_its_ports_and_one_insert_queues_the_rest(
    signer_actor: Actor,
) -> None:
    # Given a suspended host and forty followers' servers
    await DomainBlock.create(domain="spam.example")
    inboxes = [f"https://f{n}.example/inbox" for n in range(40)]
    # When an activity is queued for them and for the host on another port
    written = await enqueue(ACTIVITY, signer_actor.id, [*inboxes, "https://spam.example:8443/i"])
    # Then each follower's server gets one row, the same body, and the host none
    rows = await Delivery.all()
    assert written == len(rows) == len(inboxes)
    assert sorted(row.inbox_url for row in rows) == sorted(inboxes)
    assert {row.payload for row in rows} == {json.dumps(ACTIVITY, separators=(",", ":"))}
    assert len({row.id for row in rows}) == len(inboxes)


async def test_enqueue__writes_each_row_due_now_untried_and_unleased(signer_actor: Actor) -> None:
    # When an activity is queued for three servers
    before = utcnow()
    inboxes = [f"https://f{n}.example/inbox" for n in range(3)]
    assert await enqueue(ACTIVITY, signer_actor.id, inboxes) == 3
    after = utcnow()
    # Then every row is a complete, fresh row of its own
    rows = await Delivery.all().order_by("inbox_url")
    assert [(row.inbox_url, row.domain) for row in rows] == [
        (inbox, f"f{n}.example") for n, inbox in enumerate(inboxes)
    ]
    for row in rows:
        assert (row.activity_id, row.signer_id) == (ACTIVITY["id"], signer_actor.id)
        assert (row.state, row.attempts, row.last_status, row.last_error) == (
            DeliveryState.QUEUED,
            0,
            None,
            "",
        )
        assert row.lease_until is None and row.finished_at is None
        assert before <= row.next_attempt_at <= after and before <= row.created_at <= after
    assert len({row.id for row in rows}) == 3


async def test_worker__plain_http_inbox_is_refused_unless_allowed(signer_actor: Actor) -> None:
    receiver = Receiver([])
    async with serve(receiver.app()) as base:
        await enqueue(ACTIVITY, signer_actor.id, [f"{base}/inbox"])
        async with httpx.AsyncClient() as client:
            # When a production worker (https only) meets an http:// inbox
            await DeliveryWorker(client, no_signature).run_once()
    # Then nothing is sent and the row fails for good with the reason
    assert receiver.bodies == []
    row = await Delivery.get()
    assert row.state == DeliveryState.FAILED
    assert "LYCEUM_FEDERATION_ALLOW_HTTP" in row.last_error


async def test_worker__refused_address_is_final(signer_actor: Actor) -> None:
    from federation.fetch import make_client

    receiver = Receiver([])
    async with serve(receiver.app()) as base:
        await enqueue(ACTIVITY, signer_actor.id, [f"{base}/inbox"])
        # Given the guarded client that refuses loopback (no allow-list)
        async with make_client() as client:
            await DeliveryWorker(client, no_signature, allow_http=True).run_once()
    assert receiver.bodies == []
    row = await Delivery.get()
    assert row.state == DeliveryState.FAILED
    assert "RefusedAddress" in row.last_error


async def test_worker__looks_up_a_signer_once_for_a_batch_that_starts_together(
    signer_actor: Actor,
) -> None:
    receiver = Receiver([])
    made: list[str] = []

    def counting_signer(actor: Actor) -> httpx.Auth:
        made.append(actor.id)
        return httpx.Auth()

    async with serve(receiver.app()) as base:
        # Given one activity queued for ten inboxes, all delivered at once
        await enqueue(ACTIVITY, signer_actor.id, [f"{base}/inbox?n={n}" for n in range(10)])
        client = httpx.AsyncClient(timeout=5)
        worker = DeliveryWorker(client, counting_signer, concurrency=16, allow_http=True)
        # When the worker runs once
        async with client:
            assert await worker.run_once() == 10
    # Then every inbox got the activity, signed by a signer made once
    assert len(receiver.bodies) == 10
    assert made == [signer_actor.id]


async def test_worker__a_failed_signer_lookup_is_tried_again_for_later_deliveries(
    signer_actor: Actor,
) -> None:
    receiver = Receiver([])
    attempts: list[str] = []

    def signer_failing_once(actor: Actor) -> httpx.Auth:
        attempts.append(actor.id)
        if len(attempts) == 1:
            raise ValueError("the key could not be read")
        return httpx.Auth()

    async with serve(receiver.app()) as base:
        client = httpx.AsyncClient(timeout=5)
        worker = DeliveryWorker(client, signer_failing_once, allow_http=True)
        async with client:
            # Given a delivery whose signer could not be made
            await enqueue(ACTIVITY, signer_actor.id, [f"{base}/inbox?n=1"])
            assert await worker.run_once() == 1
            # When another delivery by the same actor comes
            await enqueue(ACTIVITY, signer_actor.id, [f"{base}/inbox?n=2"])
            assert await worker.run_once() == 1
    # Then the signer was made again, and that delivery went out
    assert attempts == [signer_actor.id, signer_actor.id]
    assert len(receiver.bodies) == 1
