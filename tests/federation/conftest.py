"""Fixtures shared by the federation tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette

from server.settings import Settings
from tests.federation._inbox_peer import RemotePeer, connected_peer


@pytest.fixture
async def peer(app: Starlette, settings: Settings) -> AsyncIterator[RemotePeer]:
    """A fake remote server (actor documents over MockTransport) wired into the app's runtime."""
    async with connected_peer(app, settings) as peer:
        yield peer
