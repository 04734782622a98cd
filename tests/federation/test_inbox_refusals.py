"""Refusals logged at INFO, a few lines a minute per host (federation/inbox/refusals.py)."""

from __future__ import annotations

import logging

import pytest
from starlette.applications import Starlette

from federation.inbox import receive
from federation.inbox.refusals import RefusalLog
from tests.federation._inbox_peer import (
    RemotePeer,
    asgi_post,
    build_follow_activity,
    group_url,
    post_activity,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_refusal_log__limits_lines_per_host_and_counts_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a log allowing two lines a minute per host
    clock = Clock()
    refusals = RefusalLog(per_minute=2, clock=clock, logger=logging.getLogger("test.refusals"))
    caplog.set_level(logging.INFO, "test.refusals")
    # When one host is refused five times and another once, then the first again a minute on
    for _ in range(5):
        refusals("spam.example", "400 The body is not UTF-8 JSON.")
    refusals("fine.example", "401 Signature refused")
    clock.now += 60
    refusals("spam.example", "413 too big")
    # Then two lines for the first host, one for the other, then the count and the new line
    assert [record.getMessage() for record in caplog.records] == [
        "refused spam.example: 400 The body is not UTF-8 JSON.",
        "refused spam.example: 400 The body is not UTF-8 JSON.",
        "refused fine.example: 401 Signature refused",
        "refused spam.example: … and 3 more in the last minute",
        "refused spam.example: 413 too big",
    ]
    assert {record.levelno for record in caplog.records} == {logging.INFO}


async def test_inbox__every_refusal_is_logged_with_its_host(
    app: Starlette,
    peer: RemotePeer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a fresh refusal log (other tests' refusals do not count against this one's hosts)
    monkeypatch.setattr(receive, "log_refusal", RefusalLog())
    caplog.set_level(logging.INFO, "lyceum.inbox")
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("x"))
    # When a 415, a 400 and a 401 come from remote.example
    await post_activity(app, follow, bob, content_type="text/plain")
    await post_activity(app, {**follow, "object": "x"}, bob)
    await post_activity(app, follow, None)
    # Then each is logged at INFO against the sender's host
    lines = [r.getMessage() for r in caplog.records if r.name == "lyceum.inbox"]
    assert lines == [
        "refused remote.example: 415 Send application/activity+json or application/ld+json.",
        "refused remote.example: 400 The object id must be an http(s) URL of at most 2048 "
        "characters.",
        "refused remote.example: 401 Signature refused: the request is not signed",
    ]


@pytest.mark.parametrize(
    ("signature", "client", "host"),
    [
        ('keyId="https://keys.example/actor#main-key",signature="x"', None, "keys.example"),
        ('keyid="https://keys.example:8443/actor#k",signature="x"', None, "keys.example:8443"),
        ('keyId="",signature="x"', ("192.0.2.7", 1234), "192.0.2.7"),
        ("", ("192.0.2.7", 1234), "192.0.2.7"),
        ("", None, "(unknown host)"),
    ],
    ids=["keyId", "lower-case-keyid", "empty-keyId", "unsigned", "no-client-address"],
)
async def test_inbox__refusal_before_the_body_is_read_names_the_key_host_else_the_client(
    app: Starlette,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    signature: str,
    client: tuple[str, int] | None,
    host: str,
) -> None:
    # Given a fresh refusal log
    monkeypatch.setattr(receive, "log_refusal", RefusalLog())
    caplog.set_level(logging.INFO, "lyceum.inbox")
    # When a request with no activity to read (a 415) comes with this signature and client
    headers = {"content-type": "text/plain", **({"signature": signature} if signature else {})}
    body = {"type": "http.request", "body": b"{}", "more_body": False}
    assert await asgi_post(app, [body], headers=headers, client=client) == 415
    # Then the refusal is logged against the signing key's server, else the client's address
    lines = [r.getMessage() for r in caplog.records if r.name == "lyceum.inbox"]
    assert lines == [f"refused {host}: 415 Send application/activity+json or application/ld+json."]
