"""The inbox endpoints: size, type, shape, block, signature, owner and origin checks, then 202.

Every refusal is checked twice: the status with its reason, and that nothing was stored.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from federation.delivery import wake
from federation.inbox import InboxProcessor
from federation.inbox.context import block_of
from federation.inbox.group_commit import DUPLICATE, STORED, GroupCommit
from federation.inbox.receive import (
    MAX_BODY_BYTES,
    STATE_CHANGING,
    _is_our_host,
)
from federation.inbox.replay import SeenSignatures
from server.models import (
    Actor,
    DomainBlock,
    DomainBlockSeverity,
    DomainHealth,
    InboxActivity,
    Membership,
    inbox_dedup_key,
    utcnow,
)
from tests.federation._inbox_peer import (
    OTHER_PRIVATE,
    OTHER_PUBLIC,
    RemotePeer,
    build_activity,
    build_follow_activity,
    build_note,
    connected_peer,
    group_url,
    post_activity,
    stored_counts,
)
from tests.helpers import make_account, make_group


async def test_inbox__signed_follow_is_stored_and_acknowledged(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a remote person, and their domain marked unavailable for delivery
    bob = peer.add_actor("bob")
    await DomainHealth.create(domain="remote.example", unavailable_since=utcnow())
    follow = build_follow_activity(bob, group_url("physics"))
    # When they POST a signed Follow to the shared inbox
    response = await post_activity(app, follow, bob)
    # Then it is acknowledged, stored once for the worker, and the domain is alive again
    assert response.status_code == 202
    row = await InboxActivity.get(ap_id=follow["id"])
    assert (row.actor_ap_id, row.activity_type, row.processed_at) == (bob.id, "Follow", None)
    assert json.loads(row.payload) == follow
    health = await DomainHealth.get(domain="remote.example")
    assert health.unavailable_since is None
    # And the actor was fetched with a signed GET and stored with its key
    actor = await Actor.get(ap_id=bob.id)
    assert (actor.username, actor.domain, actor.key_id) == ("bob", "remote.example", bob.key_id)
    assert "signature" in peer.requests[0].headers


async def test_inbox__group_inbox_verifies_its_own_path(app: Starlette, peer: RemotePeer) -> None:
    # Given a local group
    await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    # When a Follow is POSTed to the group's own inbox
    response = await post_activity(
        app, build_follow_activity(bob, group_url("physics")), bob, path="/g/physics/inbox"
    )
    # Then the signature over that path verifies
    assert response.status_code == 202, response.text


async def test_inbox__unknown_group_inbox_is_404(app: Starlette, peer: RemotePeer) -> None:
    bob = peer.add_actor("bob")
    before = await stored_counts()
    response = await post_activity(
        app, build_follow_activity(bob, group_url("nope")), bob, path="/g/nope/inbox"
    )
    assert response.status_code == 404
    assert await stored_counts() == before


async def _refused(app: Starlette, body: object, signer: object, **kwargs: object) -> str:
    before = await stored_counts()
    response = await post_activity(app, body, signer, **kwargs)  # type: ignore[arg-type]
    assert await stored_counts() == before, "a refused request stored something"
    return f"{response.status_code} {response.json()['error']}"


async def test_inbox__unsigned_request_is_401(app: Starlette, peer: RemotePeer) -> None:
    bob = peer.add_actor("bob")
    # When a Follow arrives without a signature
    outcome = await _refused(app, build_follow_activity(bob, group_url("x")), None)
    # Then 401 says why, and nothing is stored
    assert outcome == "401 Signature refused: the request is not signed"


async def test_inbox__tampered_body_is_401(app: Starlette, peer: RemotePeer) -> None:
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("x"))
    changed = json.dumps({**follow, "object": group_url("other")}).encode()
    outcome = await _refused(app, follow, bob, tamper=changed)
    assert outcome == "401 Signature refused: the Digest header does not match the body"


async def test_inbox__stale_date_is_401(app: Starlette, peer: RemotePeer) -> None:
    bob = peer.add_actor("bob")
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    outcome = await _refused(
        app, build_follow_activity(bob, group_url("x")), bob, clock=two_hours_ago
    )
    assert outcome == "401 Signature refused: the date is 2 hours old"


async def test_inbox__signature_by_another_key_is_401(app: Starlette, peer: RemotePeer) -> None:
    # Given bob's document publishes his key, but the request is signed with another one
    bob = peer.add_actor("bob")
    forged = type(bob)(bob.id, bob.key_id, OTHER_PRIVATE, OTHER_PUBLIC)
    outcome = await _refused(app, build_follow_activity(bob, group_url("x")), forged)
    assert outcome == f"401 Signature refused: the signature does not match key {bob.key_id}"


async def test_inbox__key_of_another_actor_is_401(app: Starlette, peer: RemotePeer) -> None:
    # Given mallory signs, validly, an activity claiming to be bob's
    bob = peer.add_actor("bob")
    mallory = peer.add_actor("mallory", private_pem=OTHER_PRIVATE, public_pem=OTHER_PUBLIC)
    outcome = await _refused(app, build_follow_activity(bob, group_url("x")), mallory)
    assert outcome == f"401 The key {mallory.key_id} belongs to {mallory.id}, not to {bob.id}."


async def test_inbox__unknown_key_is_401(app: Starlette, peer: RemotePeer) -> None:
    ghost = type(peer.add_actor("bob"))(
        "https://remote.example/users/ghost",
        "https://remote.example/users/ghost#main-key",
        OTHER_PRIVATE,
        OTHER_PUBLIC,
    )
    outcome = await _refused(app, build_follow_activity(ghost, group_url("x")), ghost)
    assert outcome.startswith("401 Signature refused: the key ")
    assert "(404)" in outcome


async def test_inbox__activity_id_on_another_server_is_401(
    app: Starlette, peer: RemotePeer
) -> None:
    bob = peer.add_actor("bob")
    follow = {**build_follow_activity(bob, group_url("x")), "id": "https://elsewhere.example/f/1"}
    outcome = await _refused(app, follow, bob)
    assert outcome == "401 The activity id is not on the actor's server."


async def test_inbox__announce_with_a_foreign_id_is_401(app: Starlette, peer: RemotePeer) -> None:
    # Given a group elsewhere "announcing" under an id on a third server (a squat on its ids)
    lemmy = peer.add_actor("main", kind="Group")
    announce = {
        **build_activity(lemmy, "Announce", "https://third.example/post/1"),
        "id": "https://third.example/activities/like/1",
    }
    # Then it is refused like any other activity whose id is not the signer's
    outcome = await _refused(app, announce, lemmy)
    assert outcome == "401 The activity id is not on the actor's server."


async def test_inbox__announce_of_another_servers_post_is_accepted(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a group announcing, under its own id, a post that lives on a third server
    lemmy = peer.add_actor("main", kind="Group")
    announce = build_activity(lemmy, "Announce", "https://third.example/post/1")
    response = await post_activity(app, announce, lemmy)
    assert response.status_code == 202, response.text


async def test_inbox__squatted_id_cannot_shadow_the_real_activity(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given bob's post, and mallory on another server who guesses the id of its Delete
    bob = peer.add_actor("bob")
    async with connected_peer(app, peer.runtime.settings, "https://evil.example") as evil:
        mallory = evil.add_actor("mallory", private_pem=OTHER_PRIVATE, public_pem=OTHER_PUBLIC)
        evil.documents.update(peer.documents)
        peer.documents.update(evil.documents)
        status = f"{bob.id}/statuses/1"
        squat = {**build_activity(mallory, "Delete", status), "id": f"{status}#delete"}
        # When mallory posts it first
        outcome = await _refused(app, squat, mallory)
        # Then it is refused, and bob's real Delete with that id is stored afterwards
        assert outcome == "401 The activity id is not on the actor's server."
        real = {**build_activity(bob, "Delete", status), "id": f"{status}#delete"}
        assert (await post_activity(app, real, bob)).status_code == 202
    assert await InboxActivity.filter(ap_id=f"{status}#delete").count() == 1


async def test_group_commit__same_id_from_two_origins_is_stored_twice(database: None) -> None:
    # Given one id, sent once by its own server and once by another
    writer = GroupCommit(SeenSignatures(3600))
    ap_id = "https://remote.example/users/bob/statuses/1#delete"

    def row(sender: str) -> InboxActivity:
        return InboxActivity(
            ap_id=ap_id,
            origin=sender,
            dedup_key=inbox_dedup_key(sender, ap_id),
            actor_ap_id=f"{sender}/users/x",
            activity_type="Delete",
            payload="{}",
        )

    # When both are written, and the first again
    real = await writer.insert(row("https://remote.example:443"))
    squat = await writer.insert(row("https://evil.example:443"))
    again = await writer.insert(row("https://remote.example:443"))
    # Then each origin's row is stored, and the repeat is known as a duplicate
    assert (real, squat, again) == (STORED, STORED, DUPLICATE)
    assert await InboxActivity.filter(ap_id=ap_id).count() == 2


async def test_inbox__rotated_key_is_refetched(app: Starlette, peer: RemotePeer) -> None:
    # Given bob's old key is cached here, and he has since moved to a new key
    old = peer.add_actor("bob")
    assert (await post_activity(app, build_follow_activity(old, group_url("x")), old)).is_success
    new = peer.add_actor("bob", private_pem=OTHER_PRIVATE, public_pem=OTHER_PUBLIC)
    # When he signs with the new key (same key id)
    response = await post_activity(app, build_follow_activity(new, group_url("x")), new)
    # Then the key is fetched again and the request accepted
    assert response.status_code == 202, response.text
    assert (await Actor.get(ap_id=new.id)).public_key_pem.strip() == OTHER_PUBLIC.strip()


async def test_inbox__duplicate_id_is_acknowledged_once(app: Starlette, peer: RemotePeer) -> None:
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("x"))
    first = await post_activity(app, follow, bob)
    second = await post_activity(app, follow, bob)  # signed afresh, as a peer's retry is
    assert (first.status_code, second.status_code) == (202, 202)
    assert await InboxActivity.filter(ap_id=follow["id"]).count() == 1


async def test_inbox__processed_create_resent_is_not_queued_again(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a Create the worker has handled
    bob = peer.add_actor("bob")
    create = build_activity(bob, "Create", build_note(bob))
    assert (await post_activity(app, create, bob)).status_code == 202
    await InboxProcessor(peer.runtime).run_once()
    before = await InboxActivity.get(ap_id=create["id"])
    # When the same id comes again with another body
    changed = {**create, "object": build_note(bob, content="<p>Changed</p>")}
    response = await post_activity(app, changed, bob)
    # Then it is acknowledged as a duplicate: not queued again, and the body kept
    assert response.status_code == 202
    after = await InboxActivity.get(ap_id=create["id"])
    assert after.processed_at is not None
    assert (after.payload, after.processed_at) == (before.payload, before.processed_at)


async def test_inbox__unprocessed_follow_resent_is_not_stored_again(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a Follow still waiting for the worker
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("x"))
    assert (await post_activity(app, follow, bob)).status_code == 202
    # When it comes again with another body before the worker ran
    changed = {**follow, "object": group_url("other")}
    assert (await post_activity(app, changed, bob)).status_code == 202
    # Then the waiting row is left as it was
    row = await InboxActivity.get(ap_id=follow["id"])
    assert json.loads(row.payload) == follow


@pytest.mark.parametrize("kind", sorted(STATE_CHANGING))
async def test_inbox__processed_state_change_resent_is_queued_again(
    app: Starlette, peer: RemotePeer, kind: str
) -> None:
    # Given a state-changing activity the worker has handled
    bob = peer.add_actor("bob")
    activity = build_activity(bob, kind, f"{bob.id}/statuses/1")
    assert (await post_activity(app, activity, bob)).status_code == 202
    await InboxProcessor(peer.runtime).run_once()
    # When the same id comes again
    changed = {**activity, "object": f"{bob.id}/statuses/2"}
    response = await post_activity(app, changed, bob)
    # Then it is stored again, with the body just sent, for the worker to apply
    assert response.status_code == 202
    row = await InboxActivity.get(ap_id=activity["id"])
    assert (row.processed_at, row.attempts, row.error) == (None, 0, "")
    assert json.loads(row.payload) == changed


async def test_inbox__resent_id_of_another_type_is_not_queued_again(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a Like the worker has handled
    bob = peer.add_actor("bob")
    like = build_activity(bob, "Like", f"{bob.id}/statuses/1")
    assert (await post_activity(app, like, bob)).status_code == 202
    await InboxProcessor(peer.runtime).run_once()
    # When its id comes again as a state-changing type
    response = await post_activity(app, {**like, "type": "Delete"}, bob)
    # Then the stored Like is left alone
    assert response.status_code == 202
    row = await InboxActivity.get(ap_id=like["id"])
    assert (row.activity_type, row.processed_at is not None) == ("Like", True)


async def test_inbox__oversized_body_is_413(app: Starlette, peer: RemotePeer) -> None:
    bob = peer.add_actor("bob")
    padded = {**build_follow_activity(bob, group_url("x")), "pad": "x" * MAX_BODY_BYTES}
    outcome = await _refused(app, padded, bob)
    assert outcome == f"413 The body is larger than {MAX_BODY_BYTES} bytes."


async def test_inbox__oversized_stream_without_length_is_413(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a chunked body that declares no length
    import httpx

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * 100_000

    before = await stored_counts()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://lyceum.test"
    ) as client:
        response = await client.post(
            "/inbox", content=chunks(), headers={"Content-Type": "application/activity+json"}
        )
    # Then the inbox stops reading at the cap
    assert response.status_code == 413
    assert await stored_counts() == before


async def test_inbox__wrong_content_type_is_415(app: Starlette, peer: RemotePeer) -> None:
    bob = peer.add_actor("bob")
    outcome = await _refused(
        app, build_follow_activity(bob, group_url("x")), bob, content_type="text/plain"
    )
    assert outcome == "415 Send application/activity+json or application/ld+json."


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "The body is not UTF-8 JSON."),
        (b"[1, 2]", "The body is not a JSON object."),
        (b'{"type": "Follow", "actor": "https://remote.example/users/bob"}', "needs a string id"),
        (b'{"id": "https://remote.example/1", "type": "Follow"}', "needs an actor id"),
        (b'{"id": "urn:x", "type": "Follow", "actor": "https://r.example/u"}', "http(s) URL"),
    ],
    ids=["not-json", "array", "no-id", "no-actor", "urn-id"],
)
async def test_inbox__malformed_activity_is_400(
    app: Starlette, peer: RemotePeer, body: bytes, reason: str
) -> None:
    bob = peer.add_actor("bob")
    outcome = await _refused(app, body, bob)
    assert outcome.startswith("400 ")
    assert reason in outcome


async def test_inbox__suspended_domain_is_403(app: Starlette, peer: RemotePeer) -> None:
    # Given the peer's domain is suspended
    await DomainBlock.create(domain="remote.example", severity=DomainBlockSeverity.SUSPEND)
    bob = peer.add_actor("bob")
    outcome = await _refused(app, build_follow_activity(bob, group_url("x")), bob)
    assert outcome == "403 The domain remote.example is blocked here."
    assert peer.requests == []  # not even its key was fetched


async def test_block_of__covers_subdomains_but_not_bare_suffixes(database: None) -> None:
    # Given a suspended domain and a limited one
    await DomainBlock.create(domain="bad.example", severity=DomainBlockSeverity.SUSPEND)
    await DomainBlock.create(domain="meh.example", severity=DomainBlockSeverity.LIMIT)
    # Then subdomains (and ports) share their parent's block, and unrelated domains have none
    assert await block_of("eu.bad.example:8443") == DomainBlockSeverity.SUSPEND
    assert await block_of("meh.example") == DomainBlockSeverity.LIMIT
    assert await block_of("notbad.example") is None


async def test_inbox__process_now_option_handles_inline(app: Starlette, peer: RemotePeer) -> None:
    # Given the app set to process activities as they arrive (tests, small instances)
    app.state.inbox_process_now = True
    lock = build_activity(peer.add_actor("bob"), "Lock", "https://remote.example/post/1")
    # When an activity arrives
    response = await post_activity(app, lock, peer.add_actor("bob"))
    # Then it has been handled before the 202
    assert response.status_code == 202
    row = await InboxActivity.get(ap_id=lock["id"])
    assert (row.processed_at is not None, row.error) == (True, "unsupported: Lock")


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
KEYS = ["id", "type", "actor", "object", "to", "cc", "audience", "content", "tag", "inReplyTo"]
TYPES = ["Follow", "Undo", "Create", "Update", "Delete", "Like", "Announce", "Flag", "Lock", ""]


@st.composite
def activity_like(draw: st.DrawFn) -> dict[str, object]:
    actor = "https://remote.example/users/bob"
    body: dict[str, object] = draw(st.dictionaries(st.sampled_from(KEYS), JSONISH, max_size=6))
    if draw(st.booleans()):
        body["actor"] = actor
    if draw(st.booleans()):
        body["id"] = f"{actor}/activities/{draw(st.integers(0, 10**9))}"
    if draw(st.booleans()):
        body["type"] = draw(st.sampled_from(TYPES))
    return body


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=activity_like())
async def test_inbox__arbitrary_signed_bodies_never_fail(
    app: Starlette, peer: RemotePeer, body: dict[str, object]
) -> None:
    # Given any JSON object, validly signed by a known actor
    bob = peer.add_actor("bob")
    before = await stored_counts()
    # When it is POSTed and the worker runs
    response = await post_activity(app, body, bob)
    outcome = await InboxProcessor(peer.runtime).run_once()
    # Then the inbox answers with a 2xx or 4xx, and stores only what it acknowledged
    assert response.status_code in (202, 400, 401), response.text
    if response.status_code != 202:
        assert await stored_counts() == before
    rows = await InboxActivity.filter(error__startswith="failed").count()
    assert rows == 0, "the worker crashed on an input"
    assert outcome <= 1


async def test_inbox__signed_for_another_host_is_401(app: Starlette, peer: RemotePeer) -> None:
    # Given a request validly signed, host header included, for another server
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("x"))
    # When it is replayed here
    outcome = await _refused(app, follow, bob, path="http://other.example/inbox")
    # Then it is refused before anything is stored
    assert outcome == "401 The request was signed for another host."


@pytest.mark.parametrize(
    ("host", "base_url", "ours"),
    [
        ("lyceum.test", "http://lyceum.test", True),
        ("lyceum.test:80", "http://lyceum.test", True),
        ("LYCEUM.test", "http://lyceum.test", True),
        ("lyceum.test:8080", "http://lyceum.test", False),
        ("lyceum.test", "https://lyceum.test:8443", False),
        ("lyceum.test:8443", "https://lyceum.test:8443", True),
        ("lyceum.test:443", "https://lyceum.test", True),
        ("lyceum.test:80", "https://lyceum.test", False),
        ("other.test", "https://lyceum.test", False),
        ("lyceum.test.evil", "https://lyceum.test", False),
        ("", "https://lyceum.test", False),
        ("lyceum.test:99999", "https://lyceum.test", False),
        ("[::1]:8000", "http://[::1]:8000", True),
    ],
)
def test_is_our_host__port_optional_only_when_default(host: str, base_url: str, ours: bool) -> None:
    assert _is_our_host(host, base_url) is ours


async def test_inbox__exact_replay_is_401(app: Starlette, peer: RemotePeer) -> None:
    # Given a Follow accepted a moment ago
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("x"))
    moment = datetime.now(UTC)
    assert (await post_activity(app, follow, bob, clock=moment)).status_code == 202
    # When the very same signed request comes again (a capture replayed)
    outcome = await _refused(app, follow, bob, clock=moment)
    # Then it is refused
    assert outcome == "401 The signature was seen before: a replayed request."


async def test_inbox__fresh_signature_of_the_same_follow_is_accepted(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a Follow accepted a moment ago
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("x"))
    moment = datetime.now(UTC)
    assert (await post_activity(app, follow, bob, clock=moment)).status_code == 202
    # When it is signed again with a new date
    again = await post_activity(app, follow, bob, clock=moment + timedelta(seconds=1))
    # Then it is accepted
    assert again.status_code == 202, again.text


async def test_inbox__captured_follow_cannot_resubscribe_after_its_undo(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given bob followed the group, then undid it
    await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("physics"))
    moment = datetime.now(UTC)
    assert (await post_activity(app, follow, bob, clock=moment)).status_code == 202
    await InboxProcessor(peer.runtime).run_once()
    undo = build_activity(bob, "Undo", follow)
    assert (await post_activity(app, undo, bob)).status_code == 202
    await InboxProcessor(peer.runtime).run_once()
    assert not await Membership.filter(actor__ap_id=bob.id).exists()
    # When someone who captured the Follow request replays it byte for byte
    outcome = await _refused(app, follow, bob, clock=moment)
    # Then it is refused and bob stays out
    assert outcome == "401 The signature was seen before: a replayed request."
    await InboxProcessor(peer.runtime).run_once()
    assert not await Membership.filter(actor__ap_id=bob.id).exists()


async def test_inbox__remembers_verified_keys(app: Starlette, peer: RemotePeer) -> None:
    # Given bob's key was fetched for his first activity
    bob = peer.add_actor("bob")
    first = await post_activity(app, build_follow_activity(bob, group_url("x")), bob)
    assert first.status_code == 202
    fetched = len(peer.requests)
    # And the stored copy of his key is gone (so only the inbox's memory still holds it)
    await Actor.filter(ap_id=bob.id).update(public_key_pem="")
    # When he sends another
    second = await post_activity(app, build_follow_activity(bob, group_url("y")), bob)
    # Then it verifies with the remembered key and owner, without asking his server again
    assert second.status_code == 202, second.text
    assert len(peer.requests) == fetched


async def test_inbox__remembered_key_still_checks_its_owner(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given mallory's key is remembered from her own activity
    bob = peer.add_actor("bob")
    mallory = peer.add_actor("mallory", private_pem=OTHER_PRIVATE, public_pem=OTHER_PUBLIC)
    own = await post_activity(app, build_follow_activity(mallory, group_url("x")), mallory)
    assert own.status_code == 202
    # When she signs, with that key, an activity claiming to be bob's
    outcome = await _refused(app, build_follow_activity(bob, group_url("x")), mallory)
    # Then the remembered owner is still compared with the actor
    assert outcome == f"401 The key {mallory.key_id} belongs to {mallory.id}, not to {bob.id}."


async def test_inbox__a_stored_activity_wakes_the_inbox_workers_a_refused_one_does_not(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given an idle inbox worker's wake event (as `InboxProcessor` subscribes it)
    woken = asyncio.Event()
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("physics"))
    with wake.subscribed(wake.INBOX, woken):
        # When an unsigned copy is refused
        assert (await post_activity(app, follow, None)).status_code == 401
        # Then no worker is woken
        assert not woken.is_set()
        # When the signed Follow is stored
        assert (await post_activity(app, follow, bob)).status_code == 202
    # Then the workers are woken for it
    assert woken.is_set()
