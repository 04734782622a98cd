"""The inbox door's answer to an id it has stored before (`receive._stored_before`).

A state-changing activity already handled (or given up on) is stored again, for the worker to
apply to the state as it is now; only that one row is reset, and nothing else is.
"""

from __future__ import annotations

import json
from datetime import timedelta

from starlette.applications import Starlette

from federation.inbox import InboxProcessor
from server.models import InboxActivity, utcnow
from tests.federation._inbox_peer import (
    RemotePeer,
    build_follow_activity,
    group_url,
    post_activity,
)
from tests.helpers import make_account, make_group


async def test_inbox__resent_follow_resets_only_its_own_row(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given two Follows of bob's, both handled by the worker
    bob = peer.add_actor("bob")
    first = build_follow_activity(bob, group_url("physics"))
    other = build_follow_activity(bob, group_url("chemistry"))
    for follow in (first, other):
        assert (await post_activity(app, follow, bob)).status_code == 202
    await InboxProcessor(peer.runtime).run_once()
    handled = await InboxActivity.get(ap_id=other["id"])
    assert handled.processed_at is not None
    # When the first is sent again
    assert (await post_activity(app, first, bob)).status_code == 202
    # Then only its row waits for the worker again; the other is left as it was
    assert (await InboxActivity.get(ap_id=first["id"])).processed_at is None
    untouched = await InboxActivity.get(ap_id=other["id"])
    assert (untouched.processed_at, untouched.payload) == (handled.processed_at, handled.payload)


async def test_inbox__resent_dead_follow_is_queued_again_without_its_lease(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a Follow the worker gave up on, its last lease still running
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("physics"))
    assert (await post_activity(app, follow, bob)).status_code == 202
    later = utcnow() + timedelta(minutes=10)
    await InboxActivity.filter(ap_id=follow["id"]).update(
        dead_at=utcnow(), lease_until=later, attempts=5, error="failed: boom"
    )
    # When bob's server sends it again
    changed = {**follow, "object": group_url("chemistry")}
    assert (await post_activity(app, changed, bob)).status_code == 202
    # Then it is alive again, with the new body, free for any worker now
    row = await InboxActivity.get(ap_id=follow["id"])
    assert (row.dead_at, row.lease_until, row.attempts, row.error) == (None, None, 0, "")
    assert json.loads(row.payload) == changed
    assert await InboxProcessor(peer.runtime).run_once() == 1


async def test_inbox__resent_follow_handled_with_a_lease_left_is_free_for_the_worker(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a Follow handled while its lease had time left
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("physics"))
    assert (await post_activity(app, follow, bob)).status_code == 202
    await InboxProcessor(peer.runtime).run_once()
    await InboxActivity.filter(ap_id=follow["id"]).update(
        lease_until=utcnow() + timedelta(minutes=10)
    )
    # When it is sent again
    assert (await post_activity(app, follow, bob)).status_code == 202
    # Then the worker takes it at once, not when that old lease ends
    assert (await InboxActivity.get(ap_id=follow["id"])).lease_until is None
    assert await InboxProcessor(peer.runtime).run_once() == 1


async def test_inbox__resent_follow_is_handled_before_the_202_when_processing_inline(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given an app that handles activities as they arrive, and a Follow it handled
    await make_group(await make_account("ada"), "physics")
    app.state.inbox_process_now = True
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("physics"))
    assert (await post_activity(app, follow, bob)).status_code == 202
    handled = await InboxActivity.get(ap_id=follow["id"])
    assert handled.processed_at is not None
    # When the same Follow comes again (a re-follow)
    assert (await post_activity(app, follow, bob)).status_code == 202
    # Then it has been handled again before the answer
    again = await InboxActivity.get(ap_id=follow["id"])
    assert again.processed_at is not None
    assert again.processed_at > handled.processed_at
