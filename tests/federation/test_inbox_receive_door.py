"""The inbox door's edges (`receive.Inbox`): which inbox, how big, which media type, the exact
request target that was signed, a limited (not suspended) domain, federation switched off.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from federation.httpsig import CavageAuth, Rfc9421Auth
from federation.inbox.receive import MAX_BODY_BYTES
from server.app import create_app
from server.models import (
    DomainBlock,
    DomainBlockSeverity,
    DomainHealth,
    InboxActivity,
    inbox_dedup_key,
    utcnow,
)
from server.settings import Settings
from tests.conftest import BASE_URL
from tests.federation._inbox_peer import (
    AS2,
    RemotePeer,
    asgi_post,
    build_follow_activity,
    group_url,
    post_activity,
    stored_counts,
)
from tests.helpers import make_account, make_group


def _padded_to(size: int, activity: dict[str, Any]) -> bytes:
    """The activity as JSON of exactly `size` bytes (a `pad` field takes the rest)."""
    bare = json.dumps({**activity, "pad": ""}).encode()
    body = json.dumps({**activity, "pad": "x" * (size - len(bare))}).encode()
    assert len(body) == size
    return body


@pytest.mark.parametrize(("size", "status"), [(MAX_BODY_BYTES, 202), (MAX_BODY_BYTES + 1, 413)])
async def test_inbox__body_cap_is_exactly_max_body_bytes(
    app: Starlette, peer: RemotePeer, size: int, status: int
) -> None:
    bob = peer.add_actor("bob")
    body = _padded_to(size, build_follow_activity(bob, group_url("x")))
    response = await post_activity(app, body, bob)
    assert response.status_code == status, response.text


async def _stream(app: Starlette, body: bytes, chunk: int) -> int:
    """POST `body` through ASGI in chunks, with no Content-Length; the status."""
    messages = [
        {"type": "http.request", "body": body[i : i + chunk], "more_body": i + chunk < len(body)}
        for i in range(0, len(body), chunk)
    ]
    return await asgi_post(app, messages)


@pytest.mark.parametrize(("size", "status"), [(MAX_BODY_BYTES, 400), (MAX_BODY_BYTES + 1, 413)])
async def test_inbox__streamed_body_cap_is_exactly_max_body_bytes(
    app: Starlette, size: int, status: int
) -> None:
    # Given a body sent in chunks with no declared length (unsigned: 400 once read whole)
    before = await stored_counts()
    status_seen = await _stream(app, b" " * size, 64 * 1024)
    # Then exactly MAX_BODY_BYTES are read, one more is refused; nothing is stored either way
    assert status_seen == status
    assert await stored_counts() == before


async def test_inbox__body_cut_off_by_the_client_is_400(app: Starlette) -> None:
    # Given a client that sends half a body and goes away
    before = await stored_counts()
    status = await asgi_post(app, [{"type": "http.request", "body": b"{", "more_body": True}])
    # Then the request is refused as incomplete, and nothing stored
    assert status == 400
    assert await stored_counts() == before


async def test_inbox__declared_length_over_the_cap_is_413_before_reading(app: Starlette) -> None:
    # Given a request that declares more than the cap (whatever it then sends)
    headers = {"content-type": AS2, "content-length": str(MAX_BODY_BYTES + 1)}
    body = {"type": "http.request", "body": b"{}", "more_body": False}
    # Then it is refused on its declaration
    assert await asgi_post(app, [body], headers=headers) == 413


async def test_inbox__no_content_type_is_415(app: Starlette) -> None:
    body = {"type": "http.request", "body": b"{}", "more_body": False}
    assert await asgi_post(app, [body], headers={}) == 415


@pytest.mark.parametrize(
    "content_type",
    [
        "application/ld+json",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        "application/activity+json; charset=utf-8",
        "Application/Activity+JSON",
    ],
)
async def test_inbox__both_media_types_with_parameters_are_accepted(
    app: Starlette, peer: RemotePeer, content_type: str
) -> None:
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("x"))
    response = await post_activity(app, follow, bob, content_type=content_type)
    assert response.status_code == 202, response.text


@pytest.mark.parametrize("content_type", ["application/json", "", "text/activity+json"])
async def test_inbox__other_media_types_are_415(
    app: Starlette, peer: RemotePeer, content_type: str
) -> None:
    bob = peer.add_actor("bob")
    response = await post_activity(
        app, build_follow_activity(bob, group_url("x")), bob, content_type=content_type
    )
    assert response.status_code == 415


@pytest.mark.parametrize(
    ("path", "status"),
    [("/u/ada/inbox", 202), ("/g/physics/inbox", 202), ("/u/physics/inbox", 404)],
    ids=["person", "group", "group-name-as-person"],
)
async def test_inbox__person_and_group_inboxes_name_their_own_kind(
    app: Starlette, peer: RemotePeer, path: str, status: int
) -> None:
    # Given ada, and her group "physics"
    await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    # When a Follow is POSTed to an inbox under each kind's path
    response = await post_activity(
        app, build_follow_activity(bob, group_url("physics")), bob, path=path
    )
    # Then only a name of that kind has an inbox there
    assert response.status_code == status, response.text


async def test_inbox__group_name_under_person_path_stores_nothing(
    app: Starlette, peer: RemotePeer
) -> None:
    await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    before = await stored_counts()
    follow = build_follow_activity(bob, group_url("physics"))
    assert (await post_activity(app, follow, bob, path="/u/physics/inbox")).status_code == 404
    assert await stored_counts() == before


@pytest.mark.parametrize("path", ["/inbox?from=relay", "/u/%61da/inbox"])
async def test_inbox__verifies_the_target_exactly_as_sent(
    app: Starlette, peer: RemotePeer, path: str
) -> None:
    # Given a request signed over a target with a query, or with an escaped character
    await make_account("ada")
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("x"))
    # When it is POSTed there
    response = await post_activity(app, follow, bob, path=path)
    # Then the signature verifies against the target as sent, not a decoded copy
    assert response.status_code == 202, response.text


async def test_inbox__signature_for_another_query_is_401(app: Starlette, peer: RemotePeer) -> None:
    # Given a request signed for /inbox?a=1, then sent to /inbox?a=2
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("x"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL
    ) as client:
        signed = next(
            CavageAuth(bob.key_id, bob.private_pem).sync_auth_flow(
                client.build_request(
                    "POST", "/inbox?a=1", json=follow, headers={"Content-Type": AS2}
                )
            )
        )
        moved = httpx.Request(
            "POST", f"{BASE_URL}/inbox?a=2", headers=signed.headers, content=signed.content
        )
        response = await client.send(moved)
    # Then the target does not match what was signed
    assert response.status_code == 401
    assert not await InboxActivity.filter(ap_id=follow["id"]).exists()


async def test_inbox__limited_domain_is_still_heard(app: Starlette, peer: RemotePeer) -> None:
    # Given remote.example is limited (not suspended)
    await DomainBlock.create(domain="remote.example", severity=DomainBlockSeverity.LIMIT)
    bob = peer.add_actor("bob")
    # Then its activities are stored (the worker applies the limit)
    response = await post_activity(app, build_follow_activity(bob, group_url("x")), bob)
    assert response.status_code == 202, response.text


async def test_inbox__marks_a_domain_alive_once_a_minute_not_per_activity(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given remote.example, once unreachable, was marked alive by an activity a moment ago
    await DomainHealth.create(domain="remote.example", unavailable_since=utcnow())
    bob = peer.add_actor("bob")
    assert (await post_activity(app, build_follow_activity(bob, group_url("x")), bob)).is_success
    health = await DomainHealth.get(domain="remote.example")
    assert health.unavailable_since is None
    # And the delivery worker has since found it unreachable
    down = utcnow()
    await DomainHealth.filter(domain="remote.example").update(unavailable_since=down)
    # When another activity comes from it within the minute
    assert (await post_activity(app, build_follow_activity(bob, group_url("y")), bob)).is_success
    # Then the health row is not written again for it (the inbox remembers it marked it)
    assert (await DomainHealth.get(domain="remote.example")).unavailable_since == down


async def test_inbox__without_federation_running_is_503(app: Starlette, peer: RemotePeer) -> None:
    # Given an instance whose federation runtime is not running
    bob = peer.add_actor("bob")
    app.state.federation = None
    before = await stored_counts()
    # When a signed activity arrives
    response = await post_activity(app, build_follow_activity(bob, group_url("x")), bob)
    # Then it is refused for now, and nothing is stored
    assert response.status_code == 503
    assert await stored_counts() == before


async def test_inbox__rfc9421_signature_over_the_whole_target_uri_is_accepted(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given an RFC 9421 signature, which covers the full @target-uri (no query here)
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("x"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL
    ) as client:
        request = client.build_request("POST", "/inbox", json=follow, headers={"Content-Type": AS2})
        signed = next(Rfc9421Auth(bob.key_id, bob.private_pem).sync_auth_flow(request))
        response = await client.send(signed)
    # Then the inbox rebuilds that URI exactly (no stray "?") and takes the activity
    assert response.status_code == 202, response.text


async def test_inbox__the_signature_window_is_the_instance_setting(
    settings: Settings, database: None, peer: RemotePeer
) -> None:
    # Given an instance that allows signatures one minute old at most
    narrow = create_app(
        settings.model_copy(update={"signature_window_seconds": 60}), manage_database=False
    )
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("x"))
    ten_minutes_ago = datetime.now(UTC) - timedelta(minutes=10)
    # When a request signed ten minutes ago arrives (inside the default hour)
    response = await post_activity(narrow, follow, bob, clock=ten_minutes_ago)
    # Then it is refused as too old
    assert response.status_code == 401
    assert "10 minutes old" in response.text


async def test_inbox__an_app_that_never_started_federation_is_503(
    app: Starlette, peer: RemotePeer
) -> None:
    bob = peer.add_actor("bob")
    del app.state.federation
    response = await post_activity(app, build_follow_activity(bob, group_url("x")), bob)
    assert response.status_code == 503


async def test_inbox__stores_the_activity_under_its_signers_origin(
    app: Starlette, peer: RemotePeer
) -> None:
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("x"))
    assert (await post_activity(app, follow, bob)).status_code == 202
    row = await InboxActivity.get(ap_id=follow["id"])
    assert row.origin == "https://remote.example:443"
    assert row.dedup_key == inbox_dedup_key("https://remote.example:443", follow["id"])
