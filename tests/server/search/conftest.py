"""The search index listens to the post events in these tests, as it does in every process."""

from __future__ import annotations

import pytest

from server import events
from server.services import search

LANGUAGE = "english"


@pytest.fixture(autouse=True)
def search_index(database: None) -> None:
    search.register(events.bus, LANGUAGE)
