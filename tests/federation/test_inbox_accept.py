"""`Accept` / `Reject` from actors we never followed (federation/inbox/accept.py).

Answers from groups we follow are covered in test_remote_groups_inbox.py."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette

from tests.federation._inbox_peer import RemotePeer, build_activity, deliver


@pytest.mark.parametrize("kind", ["Accept", "Reject"])
async def test_handle_response__from_an_untracked_group_is_dropped(
    app: Starlette, peer: RemotePeer, kind: str
) -> None:
    group = peer.add_actor("main", kind="Group")
    follow = {
        "id": "http://lyceum.test/follows/1",
        "type": "Follow",
        "actor": "http://lyceum.test/u/ada",
        "object": group.id,
    }
    outcome = await deliver(app, peer, build_activity(group, kind, follow), group)
    assert outcome == f"{kind} ignored: it comes from no group this instance follows"
