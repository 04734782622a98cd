"""/metrics: off without a token, refused without it, and the queues' figures with it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.models import (
    Delivery,
    DeliveryState,
    InboxActivity,
    MailState,
    OutgoingMail,
    inbox_dedup_key,
    utcnow,
)
from server.settings import Settings
from tests.helpers import client_for, make_account

TOKEN = "scrape-" + "s" * 32


@pytest.fixture
async def scraper(settings: Settings, database: None) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(settings.model_copy(update={"metrics_token": TOKEN})) as client:
        yield client


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics__off_without_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
async def test_metrics__refused_without_the_token(
    scraper: httpx.AsyncClient, header: str | None
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = await scraper.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert "lyceum_" not in response.text


async def test_metrics__the_queues_as_stored(scraper: httpx.AsyncClient) -> None:
    # Given two deliveries due (one held by a worker) and one done, a received activity waiting,
    # and a queued mail
    account = await make_account("ada")
    now = utcnow()
    for state, lease in (
        (DeliveryState.QUEUED, now + timedelta(minutes=1)),
        (DeliveryState.QUEUED, None),
        (DeliveryState.DONE, None),
    ):
        await Delivery.create(
            activity_id="https://lyceum.test/a/1",
            payload="{}",
            signer_id=account.actor_id,
            inbox_url="https://remote.example/inbox",
            domain="remote.example",
            state=state,
            next_attempt_at=now - timedelta(minutes=5),
            lease_until=lease,
        )
    await InboxActivity.create(
        ap_id="https://remote.example/a/1",
        dedup_key=inbox_dedup_key("https://remote.example:443", "https://remote.example/a/1"),
        actor_ap_id="https://remote.example/users/bob",
        activity_type="Like",
        payload="{}",
    )
    await OutgoingMail.create(
        to_address="ada@example.org",
        kind="test",
        dedup_key="metrics-test",
        subject="Hello",
        text_body="Hello",
        next_attempt_at=now,
        state=MailState.QUEUED,
    )
    # When the scraper asks
    response = await scraper.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    # Then it gets the figures in Prometheus' text format
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    seen = samples(response.text)
    assert seen[("lyceum_deliveries", (("state", "queued"),))] == 2
    assert seen[("lyceum_deliveries", (("state", "done"),))] == 1
    assert seen[("lyceum_deliveries", (("state", "failed"),))] == 0
    assert seen[("lyceum_inbox_activities", (("result", "waiting"),))] == 1
    assert seen[("lyceum_mail", (("state", "queued"),))] == 1
    assert seen[("lyceum_leased_rows", (("queue", "delivery"),))] == 1
    assert seen[("lyceum_oldest_due_seconds", (("queue", "delivery"),))] >= 300
    assert seen[("lyceum_oldest_due_seconds", (("queue", "mail"),))] >= 0


async def test_metrics__request_latency_by_route_template(scraper: httpx.AsyncClient) -> None:
    await make_account("ada")
    await scraper.get("/u/ada")
    await scraper.get("/no/such/page")
    response = await scraper.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    seen = samples(response.text)
    count = "lyceum_request_seconds_count"
    profile = [k for k in seen if k[0] == count and ("route", "/u/{handle:handle}") in k[1]]
    unmatched = [k for k in seen if k[0] == count and ("route", "(unmatched)") in k[1]]
    assert profile and seen[profile[0]] == 1
    assert unmatched


async def test_metrics__responses_by_route_and_status(scraper: httpx.AsyncClient) -> None:
    # Given an unsigned post to the shared inbox (refused) and a page that does not exist
    refused = await scraper.post(
        "/inbox",
        content=b'{"type": "Like"}',
        headers={"Content-Type": "application/activity+json"},
    )
    await scraper.get("/no/such/page")
    # Then each answer is counted under its route and its status
    response = await scraper.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    seen = samples(response.text)
    inbox = (
        "lyceum_responses_total",
        (("method", "POST"), ("route", "/inbox"), ("status", str(refused.status_code))),
    )
    assert refused.status_code in (400, 401)
    assert seen[inbox] == 1
    missing = (
        "lyceum_responses_total",
        (("method", "GET"), ("route", "(unmatched)"), ("status", "404")),
    )
    assert seen[missing] == 1


async def test_metrics__delivery_attempts_by_outcome_are_on_the_page(
    scraper: httpx.AsyncClient,
) -> None:
    from server.metrics import DELIVERY_ATTEMPTS

    DELIVERY_ATTEMPTS.labels("retry").inc()
    response = await scraper.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    seen = samples(response.text)
    for outcome in ("done", "retry", "final"):
        key = ("lyceum_delivery_attempts_total", (("outcome", outcome),))
        assert seen[key] == DELIVERY_ATTEMPTS.labels(outcome)._value.get()
    assert seen[("lyceum_delivery_attempts_total", (("outcome", "retry"),))] >= 1
