"""Telling a receiving server's family from its NodeInfo, and the outbox's public surface."""

from __future__ import annotations

from types import ModuleType

import httpx
import pytest

import federation.outbox
from federation.fetch import Fetcher
from federation.outbox import (
    cached_software,
    detect_software,
    group_audience,
    is_threadiverse,
    register,
)
from server import events
from server.models import Delivery
from server.services import groups
from server.settings import Settings
from tests.helpers import make_account, make_group, make_remote_actor


def nodeinfo_server(name: str, calls: list[str]) -> httpx.AsyncClient:
    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        host = request.url.host
        if request.url.path == "/.well-known/nodeinfo":
            schema = "http://nodeinfo.diaspora.software/ns/schema/"
            return httpx.Response(
                200,
                json={
                    "links": [
                        {"rel": f"{schema}2.0", "href": f"https://{host}/nodeinfo/2.0"},
                        {"rel": f"{schema}2.1", "href": f"https://{host}/nodeinfo/2.1"},
                    ]
                },
            )
        if request.url.path == "/nodeinfo/2.1":
            return httpx.Response(200, json={"version": "2.1", "software": {"name": name}})
        return httpx.Response(404)

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


async def test_detect_software__reads_newest_nodeinfo_and_caches_it() -> None:
    # Given a server that links NodeInfo 2.0 and 2.1
    calls: list[str] = []
    async with nodeinfo_server("PieFed", calls) as client:
        # When its software is detected twice
        first = await detect_software(Fetcher(client), "piefed-detect.example")
        second = await detect_software(Fetcher(client), "piefed-detect.example")
    # Then the 2.1 document's name is read once, lower-cased, and kept in memory
    assert (first, second) == ("piefed", "piefed")
    assert calls == ["/.well-known/nodeinfo", "/nodeinfo/2.1"]
    assert cached_software("PIEFED-DETECT.example") == "piefed"
    assert is_threadiverse(first)


async def test_detect_software__unreachable_nodeinfo_is_unknown() -> None:
    # Given a server without NodeInfo
    missing = httpx.MockTransport(lambda _: httpx.Response(404))
    async with httpx.AsyncClient(transport=missing) as client:
        # When its software is detected
        found = await detect_software(Fetcher(client), "bare-detect.example")
    # Then it is unknown (treated as microblog) and nothing is cached
    assert found == ""
    assert cached_software("bare-detect.example") == ""


@pytest.mark.parametrize(
    ("name", "threadiverse"),
    [("lemmy", True), ("Mbin", True), ("nodebb", True), ("mastodon", False), ("", False)],
)
def test_is_threadiverse__by_software_name(name: str, threadiverse: bool) -> None:
    assert is_threadiverse(name) is threadiverse


async def test_group_audience__falls_back_to_the_lookup(database: None) -> None:
    # Given a follower whose row has no software, on a server the lookup knows as Lemmy
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    bob = await make_remote_actor("bob", "lemmy.example")
    await groups.request_membership(group, bob)
    # When the group's audience is computed
    audience = await group_audience(group.id, lambda domain: {"lemmy.example": "lemmy"}[domain])
    # Then that inbox counts as threadiverse
    assert audience.threadiverse == ("https://lemmy.example/inbox",)
    assert audience.microblog == ()


async def test_register__twice_subscribes_once(settings: Settings, database: None) -> None:
    # Given the outbox registered twice on the bus (two apps in one process)
    register(events.bus, settings)
    register(events.bus, settings)
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    alice = await make_remote_actor("alice", "mastodon.example")
    # When a Follow is accepted
    await groups.request_membership(group, alice, follow_ap_id="https://mastodon.example/f/1")
    # Then one Accept is queued, not two
    assert await Delivery.all().count() == 1


def test_outbox__exports_what_it_declares() -> None:
    # Its modules are reached by name (`outbox.posts`); everything else public is declared.
    public = {
        name
        for name, value in vars(federation.outbox).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert set(federation.outbox.__all__) == public
