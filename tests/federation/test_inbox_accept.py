"""`Accept` / `Reject`: answers to follows we do not send yet (federation/inbox/accept.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette

from server.settings import Settings
from tests.federation._inbox_peer import RemotePeer, build_activity, connected_peer, deliver


@pytest.fixture
async def peer(app: Starlette, settings: Settings) -> AsyncIterator[RemotePeer]:
    async with connected_peer(app, settings) as peer:
        yield peer


@pytest.mark.parametrize("kind", ["Accept", "Reject"])
async def test_handle_response__is_acknowledged_and_dropped(
    app: Starlette, peer: RemotePeer, kind: str
) -> None:
    group = peer.add_actor("main", kind="Group")
    follow = {"id": "http://lyceum.test/follows/1", "type": "Follow", "actor": "x", "object": "y"}
    outcome = await deliver(app, peer, build_activity(group, kind, follow), group)
    assert outcome == f"{kind} ignored: this instance follows no remote groups yet"
