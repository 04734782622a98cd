"""The inbox's rate limits: per verified actor and per domain, 429 with Retry-After, nothing
stored; forged requests do not count. Each test's app has its own (in-memory) counters."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette

from server.models import InboxActivity
from server.settings import Settings
from tests.federation._inbox_peer import (
    OTHER_PRIVATE,
    OTHER_PUBLIC,
    PeerActor,
    RemotePeer,
    build_follow_activity,
    group_url,
    post_activity,
    stored_counts,
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Small limits: two activities a minute per actor, three per domain."""
    return settings.model_copy(
        update={"inbox_actor_rate_limit": "2/minute", "inbox_domain_rate_limit": "3/minute"}
    )


async def _send(app: Starlette, actor: PeerActor, signer: PeerActor | None = None) -> int:
    follow = build_follow_activity(actor, group_url("physics"))
    response = await post_activity(app, follow, signer or actor)
    return response.status_code


async def test_inbox_limit__one_actor_over_its_limit_gets_429(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given bob has sent his two activities this minute
    bob, carol = peer.add_actor("bob"), peer.add_actor("carol")
    assert [await _send(app, bob), await _send(app, bob)] == [202, 202]
    before = await stored_counts()
    # When he sends a third
    follow = build_follow_activity(bob, group_url("physics"))
    response = await post_activity(app, follow, bob)
    # Then it is refused with a reason and a Retry-After, and not stored
    assert response.status_code == 429
    assert 0 < int(response.headers["retry-after"]) <= 60
    assert response.json()["error"].startswith(
        f"Too many activities from {bob.id} (at most 2/minute)"
    )
    assert await stored_counts() == before
    assert not await InboxActivity.filter(ap_id=follow["id"]).exists()
    # And carol, on the same server, is still heard
    assert await _send(app, carol) == 202


async def test_inbox_limit__one_domain_over_its_limit_gets_429(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given three actors of remote.example have used up its three activities this minute
    actors = [peer.add_actor(name) for name in ("bob", "carol", "dave", "erin")]
    assert [await _send(app, actor) for actor in actors[:3]] == [202, 202, 202]
    before = await stored_counts()
    # When a fourth actor of that domain, within its own limit, sends one
    follow = build_follow_activity(actors[3], group_url("physics"))
    response = await post_activity(app, follow, actors[3])
    # Then the domain's limit refuses it
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "Too many activities from remote.example (at most 3/minute)" in response.json()["error"]
    assert await stored_counts() == before


async def test_inbox_limit__other_domains_are_counted_apart(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given remote.example has used up its limit
    for name in ("bob", "carol", "dave"):
        assert await _send(app, peer.add_actor(name)) == 202
    # When an actor of another domain (served by the same fake peer) sends one
    other = RemotePeer("https://elsewhere.example")
    zed = other.add_actor("zed")
    peer.documents.update(other.documents)
    # Then it is heard
    assert await _send(app, zed) == 202


async def test_inbox_limit__forged_requests_do_not_count(app: Starlette, peer: RemotePeer) -> None:
    # Given someone sends many requests claiming to be bob, signed with a key that is not his
    bob = peer.add_actor("bob")
    forged = PeerActor(bob.id, bob.key_id, OTHER_PRIVATE, OTHER_PUBLIC)
    for _ in range(4):
        assert await _send(app, bob, signer=forged) == 401
    # And unsigned ones
    for _ in range(4):
        follow = build_follow_activity(bob, group_url("physics"))
        assert (await post_activity(app, follow, None)).status_code == 401
    # When bob himself sends his two activities
    # Then both are accepted: the refused requests used none of his budget, nor his domain's
    assert [await _send(app, bob), await _send(app, bob)] == [202, 202]
