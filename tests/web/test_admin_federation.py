"""The federation health page: admins only; figures, failing domains, and retrying now."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from server.models import (
    AuditEntry,
    Delivery,
    DeliveryState,
    DomainHealth,
    InboxActivity,
    inbox_dedup_key,
    utcnow,
)
from tests.helpers import csrf, log_in, make_account

PAGE = "/admin/federation"


async def _waiting(signer_id: str, domain: str, *, status: int = 503) -> Delivery:
    return await Delivery.create(
        activity_id="https://lyceum.test/a/1",
        payload="{}",
        signer_id=signer_id,
        inbox_url=f"https://{domain}/inbox",
        domain=domain,
        next_attempt_at=utcnow() + timedelta(hours=1),
        attempts=3,
        last_status=status,
        last_error=f"HTTP {status}",
    )


async def _admin(client: httpx.AsyncClient) -> str:
    admin = await make_account("ada", admin=True)
    await log_in(client, "ada")
    return admin.actor_id


async def test_federation_page__sends_visitors_to_log_in(client: httpx.AsyncClient) -> None:
    response = await client.get(PAGE)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={PAGE}"


async def test_federation_page__is_403_for_members(client: httpx.AsyncClient) -> None:
    await make_account("bob")
    await log_in(client, "bob")
    assert (await client.get(PAGE)).status_code == 403


async def test_federation_page__shows_queue_and_failing_domains(client: httpx.AsyncClient) -> None:
    # Given a failing domain with two deliveries waiting and an unavailable one
    signer = await _admin(client)
    now = utcnow()
    await DomainHealth.create(domain="slow.example", first_failure_at=now - timedelta(hours=2))
    await DomainHealth.create(
        domain="gone.example", first_failure_at=now - timedelta(days=3), unavailable_since=now
    )
    await _waiting(signer, "slow.example", status=502)
    await _waiting(signer, "slow.example", status=503)
    # When the admin opens the page
    response = await client.get(PAGE)
    # Then it shows the queue, and each domain with a button to retry it
    assert response.status_code == 200
    html = response.text
    assert html.count("<h1") == 1
    assert f'href="{PAGE}" aria-current="page"' in html
    assert "<dt>Waiting to retry</dt><dd>2</dd>" in html
    assert '<th scope="row">slow.example</th>' in html
    assert "HTTP 50" in html
    assert '<th scope="row">gone.example</th>' in html
    for domain in ("slow.example", "gone.example"):
        assert f'action="/admin/federation/domains/{domain}/retry"' in html
        assert f'aria-label="Retry deliveries to {domain} now"' in html
    assert 'action="/admin/federation/retry"' in html


async def test_federation_page__with_nothing_failing_says_so(client: httpx.AsyncClient) -> None:
    await _admin(client)
    html = (await client.get(PAGE)).text
    assert "No domain is failing" in html
    assert "No domain is marked unavailable" in html
    assert 'action="/admin/federation/retry"' not in html


async def test_retry_now__makes_the_domain_due_and_is_audited(client: httpx.AsyncClient) -> None:
    # Given a domain with a delivery waiting, and another domain's
    signer = await _admin(client)
    await DomainHealth.create(domain="slow.example", first_failure_at=utcnow())
    row = await _waiting(signer, "slow.example")
    other = await _waiting(signer, "other.example")
    # When the admin presses "Retry now" for it
    token = await csrf(client, PAGE)
    response = await client.post(
        "/admin/federation/domains/slow.example/retry", data={"csrf_token": token}
    )
    # Then they are sent back with a notice, the row is due, the other still waits
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "deliveries to slow.example will be tried again" in page.text
    assert (await Delivery.get(id=row.id)).next_attempt_at <= utcnow()
    assert (await Delivery.get(id=other.id)).next_attempt_at == other.next_attempt_at
    entry = await AuditEntry.get(action="federation.retry")
    assert (entry.actor_id, entry.target_id) == (signer, "slow.example")


async def test_retry_all__makes_every_waiting_delivery_due(client: httpx.AsyncClient) -> None:
    signer = await _admin(client)
    rows = [await _waiting(signer, domain) for domain in ("a.example", "b.example")]
    token = await csrf(client, PAGE)
    response = await client.post("/admin/federation/retry", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}?notice=retried-all"
    for row in rows:
        assert (await Delivery.get(id=row.id)).next_attempt_at <= utcnow()
    assert await AuditEntry.filter(action="federation.retry").count() == 1


@pytest.mark.parametrize(
    ("path", "with_token", "status"),
    [
        ("/admin/federation/domains/nowhere.example/retry", True, 404),
        ("/admin/federation/domains/slow.example/retry", False, 403),
        ("/admin/federation/retry", False, 403),
    ],
)
async def test_retry__bad_requests_are_refused_and_change_nothing(
    client: httpx.AsyncClient, path: str, with_token: bool, status: int
) -> None:
    # Given a waiting delivery
    signer = await _admin(client)
    await DomainHealth.create(
        domain="slow.example", first_failure_at=utcnow(), unavailable_since=utcnow()
    )
    row = await _waiting(signer, "slow.example")
    # When a retry names an unknown domain, or comes with a forged CSRF token
    data = {"csrf_token": await csrf(client, PAGE) if with_token else "forged"}
    response = await client.post(path, data=data)
    # Then it is refused, and nothing changed
    assert response.status_code == status
    assert (await Delivery.get(id=row.id)).next_attempt_at == row.next_attempt_at
    assert (await DomainHealth.get(domain="slow.example")).unavailable_since is not None
    assert await AuditEntry.all().count() == 0


async def test_retry__is_403_for_members_and_changes_nothing(client: httpx.AsyncClient) -> None:
    admin = await make_account("ada", admin=True)
    row = await _waiting(admin.actor_id, "slow.example")
    await make_account("bob")
    await log_in(client, "bob")
    token = await csrf(client, "/")
    for path in ("/admin/federation/retry", "/admin/federation/domains/slow.example/retry"):
        response = await client.post(path, data={"csrf_token": token})
        assert response.status_code == 403
    assert (await Delivery.get(id=row.id)).next_attempt_at == row.next_attempt_at


async def _given_up(signer_id: str) -> Delivery:
    return await Delivery.create(
        activity_id="https://lyceum.test/a/given-up",
        payload="{}",
        signer_id=signer_id,
        inbox_url="https://gone.example/inbox",
        domain="gone.example",
        state=DeliveryState.FAILED,
        next_attempt_at=utcnow(),
        finished_at=utcnow(),
        attempts=16,
        last_status=503,
        last_error="HTTP 503: gave up after 16 tries",
    )


async def _dead() -> InboxActivity:
    return await InboxActivity.create(
        ap_id="https://remote.example/activities/dead",
        origin="https://remote.example",
        dedup_key=inbox_dedup_key(
            "https://remote.example", "https://remote.example/activities/dead"
        ),
        actor_ap_id="https://remote.example/users/bob",
        activity_type="Create",
        payload="{}",
        attempts=5,
        error="failed: RuntimeError: boom",
        dead_at=utcnow(),
    )


async def test_federation_page__lists_what_was_given_up_with_retry_buttons(
    client: httpx.AsyncClient,
) -> None:
    # Given a delivery given up and a dead received activity
    signer = await _admin(client)
    delivery = await _given_up(signer)
    dead = await _dead()
    # When the admin opens the page
    html = (await client.get(PAGE)).text
    # Then both are listed with their reason and attempts, each with a Retry button, and one
    # button retries them all
    assert "HTTP 503: gave up after 16 tries" in html
    assert "failed: RuntimeError: boom" in html
    assert "<td>16</td>" in html and "<td>5</td>" in html
    assert f'action="/admin/federation/deliveries/{delivery.id}/retry"' in html
    assert f'action="/admin/federation/inbox/{dead.id}/retry"' in html
    assert 'action="/admin/federation/given-up/retry"' in html


async def test_federation_page__with_nothing_given_up_says_so(client: httpx.AsyncClient) -> None:
    await _admin(client)
    html = (await client.get(PAGE)).text
    assert "No delivery was given up" in html
    assert "No received activity failed every try" in html
    assert 'action="/admin/federation/given-up/retry"' not in html


async def test_retry_given_up_row__queues_it_again_and_is_audited(
    client: httpx.AsyncClient,
) -> None:
    # Given a delivery given up and a dead received activity
    signer = await _admin(client)
    delivery = await _given_up(signer)
    dead = await _dead()
    token = await csrf(client, PAGE)
    # When the admin presses Retry on each
    for path in (
        f"/admin/federation/deliveries/{delivery.id}/retry",
        f"/admin/federation/inbox/{dead.id}/retry",
    ):
        response = await client.post(path, data={"csrf_token": token})
        assert response.status_code == 303
        assert "will be" in (await client.get(response.headers["location"])).text
    # Then both are back in the queue, and each retry is audited
    row = await Delivery.get(id=delivery.id)
    assert (row.state, row.attempts) == (DeliveryState.QUEUED, 0)
    assert (await InboxActivity.get(id=dead.id)).dead_at is None
    assert await AuditEntry.filter(action="federation.retry").count() == 2


async def test_retry_all_given_up__queues_everything_again(client: httpx.AsyncClient) -> None:
    signer = await _admin(client)
    delivery = await _given_up(signer)
    dead = await _dead()
    token = await csrf(client, PAGE)
    response = await client.post("/admin/federation/given-up/retry", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}?notice=retried-given-up"
    assert (await Delivery.get(id=delivery.id)).state == DeliveryState.QUEUED
    assert (await InboxActivity.get(id=dead.id)).dead_at is None


@pytest.mark.parametrize(
    ("kind", "with_token", "status"), [("live", True, 404), ("dead", False, 403)]
)
async def test_retry_given_up_row__bad_requests_change_nothing(
    client: httpx.AsyncClient, kind: str, with_token: bool, status: int
) -> None:
    # Given a waiting delivery and a given-up one
    signer = await _admin(client)
    live = await _waiting(signer, "slow.example")
    delivery = await _given_up(signer)
    target = live if kind == "live" else delivery
    # When a retry names a delivery that is not given up, or has a forged CSRF token
    data = {"csrf_token": await csrf(client, PAGE) if with_token else "forged"}
    response = await client.post(f"/admin/federation/deliveries/{target.id}/retry", data=data)
    # Then it is refused, and nothing changed
    assert response.status_code == status
    assert (await Delivery.get(id=delivery.id)).state == DeliveryState.FAILED
    assert (await Delivery.get(id=live.id)).attempts == live.attempts
    assert await AuditEntry.all().count() == 0
