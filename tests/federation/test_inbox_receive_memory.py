"""What the inbox remembers between requests (`ExpiringMemo`): verified keys and their owners,
domains marked alive, domain blocks. Bounded, expiring, and forgotten when a key stops working.
"""

from __future__ import annotations

from starlette.applications import Starlette

from federation.inbox import receive
from server.models import Actor, DomainBlock, DomainBlockSeverity
from server.services import domain_blocks
from tests.conftest import MemoClock
from tests.federation._inbox_peer import (
    OTHER_PRIVATE,
    OTHER_PUBLIC,
    PeerActor,
    RemotePeer,
    build_follow_activity,
    group_url,
    post_activity,
)


async def test_inbox__a_key_whose_refetch_failed_is_not_remembered(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given bob's key is remembered (and no longer stored) after his first activity
    bob = peer.add_actor("bob")
    assert (await post_activity(app, build_follow_activity(bob, group_url("x")), bob)).is_success
    await Actor.filter(ap_id=bob.id).update(public_key_pem="")
    # And his server has since stopped publishing him
    del peer.documents[bob.id]
    # When a request under his key id fails to verify, and the key cannot be fetched again
    forged = PeerActor(bob.id, bob.key_id, OTHER_PRIVATE, OTHER_PUBLIC)
    refused = await post_activity(app, build_follow_activity(bob, group_url("x")), forged)
    assert refused.status_code == 401
    # Then the remembered key is dropped: his old key no longer verifies anything
    replayed = await post_activity(app, build_follow_activity(bob, group_url("y")), bob)
    assert replayed.status_code == 401, replayed.text


async def test_inbox__a_new_block_applies_once_the_remembered_one_expires(
    app: Starlette, peer: RemotePeer, memo_clock: MemoClock
) -> None:
    # Given remote.example was heard from (its absence of a block remembered)
    bob = peer.add_actor("bob")
    assert (await post_activity(app, build_follow_activity(bob, group_url("x")), bob)).is_success
    # When it is suspended, and the remembered answer has had its time
    await DomainBlock.create(domain="remote.example", severity=DomainBlockSeverity.SUSPEND)
    memo_clock.now += receive.BLOCK_MEMO_SECONDS + 1
    # Then its next activity is refused
    response = await post_activity(app, build_follow_activity(bob, group_url("y")), bob)
    assert response.status_code == 403


async def test_inbox__a_failed_refetch_leaves_the_stored_key_usable(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given bob's key is remembered and stored, and his server is down for a while
    bob = peer.add_actor("bob")
    assert (await post_activity(app, build_follow_activity(bob, group_url("x")), bob)).is_success
    del peer.documents[bob.id]
    # When a forged request under his key id fails, and so does fetching his key again
    forged = PeerActor(bob.id, bob.key_id, OTHER_PRIVATE, OTHER_PUBLIC)
    refused = await post_activity(app, build_follow_activity(bob, group_url("x")), forged)
    assert refused.status_code == 401
    # Then bob's own next request still verifies with his stored key (the failure left no
    # empty key remembered in its place)
    response = await post_activity(app, build_follow_activity(bob, group_url("y")), bob)
    assert response.status_code == 202, response.text


async def test_inbox__a_lifted_block_no_longer_refuses_the_next_activity(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given remote.example is suspended here, and the inbox has just refused it (and remembers)
    bob = peer.add_actor("bob")
    await domain_blocks.block_domain("remote.example", DomainBlockSeverity.SUSPEND)
    refused = await post_activity(app, build_follow_activity(bob, group_url("x")), bob)
    assert refused.status_code == 403
    # When an admin lifts the block
    await domain_blocks.unblock_domain(None, "remote.example")
    # Then its very next activity is taken, not refused for the rest of the remembered time
    # (a peer drops an activity refused with 403 for good)
    response = await post_activity(app, build_follow_activity(bob, group_url("y")), bob)
    assert response.status_code == 202, response.text


async def test_inbox__a_new_block_refuses_the_next_activity_in_the_same_process(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given remote.example was heard from (its absence of a block remembered)
    bob = peer.add_actor("bob")
    assert (await post_activity(app, build_follow_activity(bob, group_url("x")), bob)).is_success
    # When an admin here suspends it
    await domain_blocks.block_domain("remote.example", DomainBlockSeverity.SUSPEND)
    # Then its next activity is refused at once
    response = await post_activity(app, build_follow_activity(bob, group_url("y")), bob)
    assert response.status_code == 403
