"""Generated activities of every type the inbox handles, validly signed: never a 5xx, a 4xx
stores nothing, and what is acknowledged goes through the worker without failing.

The values are the ones that broke real inboxes: ids that are not URLs, too long, on another
origin or holding NUL; NUL characters and lone surrogates in any text; documents nested far too
deep; arrays where strings belong; odd hosts and ports. Runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from federation.inbox import InboxProcessor
from server.models import Group, InboxActivity
from server.settings import Settings
from tests.federation._inbox_peer import (
    PUBLIC,
    RemotePeer,
    build_activity,
    deliver,
    group_url,
    join,
    post_activity,
    stored_counts,
)
from tests.helpers import make_account, make_group

BOB = "https://remote.example/users/bob"
GROUP = group_url("physics")
KNOWN_POST = f"{BOB}/statuses/known"
TYPES = [
    "Follow",
    "Undo",
    "Create",
    "Update",
    "Delete",
    "Like",
    "Dislike",
    "Announce",
    "Flag",
    "Accept",
    "Reject",
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Rate limits aside: every example comes from the same actor within seconds
    return settings.model_copy(
        update={
            "inbox_actor_rate_limit": "100000/minute",
            "inbox_domain_rate_limit": "100000/minute",
        }
    )


ODD_TEXT = st.text(
    alphabet=st.characters(codec=None, categories=None, blacklist_categories=()), max_size=30
) | st.sampled_from(["", "\x00", "a\x00b", "\ud800", "x\udfff", "\U0001f600", " "])

ODD_URLS = st.sampled_from(
    [
        f"{BOB}/x",
        "https://elsewhere.example/x",
        "http://remote.example:99999/x",
        "https://remote.example:0/x",
        "https://" + "h" * 300 + "/x",
        f"{BOB}/" + "a" * 2100,
        f"{BOB}/\x00",
        f"{BOB}/\ud800",
        "https://remote.example/a b",
        "ftp://remote.example/x",
        "https:///x",
        "https://[::1]/x",
        "https://[zz/x",
        "http://127.0.0.1:1/x",
        "urn:uuid:1",
        "as:Public",
        "",
    ]
)
ID = st.one_of(
    st.uuids().map(lambda u: f"{BOB}/activities/{u.hex}"),
    ODD_URLS,
    ODD_TEXT,
)
SCALAR: st.SearchStrategy[Any] = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), ODD_TEXT, ID
)


def _deep(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


ODD = st.one_of(
    SCALAR,
    st.lists(SCALAR, max_size=3),
    st.dictionaries(ODD_TEXT, SCALAR, max_size=3),
    st.integers(1, 100).map(_deep),
)


FREE_TEXT = st.text(max_size=30) | ODD_TEXT
N = st.uuids().map(lambda u: u.hex)  # distinct ids, so examples are not duplicates


@st.composite
def note(draw: st.DrawFn) -> dict[str, Any]:
    """A post bob could send: well formed, its text free."""
    document: dict[str, Any] = {
        "id": f"{BOB}/statuses/{draw(N)}",
        "type": draw(st.sampled_from(["Note", "Page", "Article", "Question"])),
        "attributedTo": draw(st.sampled_from([BOB, [BOB], {"id": BOB, "type": "Person"}])),
        "content": draw(FREE_TEXT),
        "to": draw(st.sampled_from([PUBLIC, "as:Public", [GROUP], GROUP, [PUBLIC, GROUP]])),
        "cc": draw(st.sampled_from([[], GROUP, f"{BOB}/followers"])),
    }
    if draw(st.booleans()):
        document["name"] = draw(FREE_TEXT)
    return document


def _object_for(kind: str) -> st.SearchStrategy[Any]:
    """What a well-formed activity of this type acts on."""
    status = N.map(lambda n: f"{BOB}/statuses/{n}") | st.just(KNOWN_POST)
    follow = N.map(
        lambda n: {"id": f"{BOB}/follows/{n}", "type": "Follow", "actor": BOB, "object": GROUP}
    )
    like = status.map(lambda s: {"id": f"{s}#like", "type": "Like", "actor": BOB, "object": s})
    ours = st.just(
        {
            "id": "http://lyceum.test/follows/1",
            "type": "Follow",
            "actor": "http://lyceum.test/u/ada",
            "object": "https://remote.example/c/main",
        }
    )
    return {
        "Follow": st.just(GROUP),
        "Undo": st.one_of(follow, like, N.map(lambda n: f"{BOB}/follows/{n}")),
        "Create": note(),
        "Update": note(),
        "Delete": st.one_of(status, status.map(lambda s: {"id": s, "type": "Tombstone"})),
        "Like": status,
        "Dislike": status,
        "Announce": st.one_of(status, note(), st.just("https://third.example/post/1")),
        "Flag": st.lists(status | st.just(BOB), min_size=1, max_size=3),
        "Accept": st.one_of(ours, st.just("http://lyceum.test/follows/1")),
        "Reject": st.one_of(ours, st.just("http://lyceum.test/follows/1")),
    }[kind]


def _known_post() -> dict[str, Any]:
    return {"id": KNOWN_POST, "type": "Note", "attributedTo": BOB, "content": "<p>Hi</p>"}


_serial = itertools.count()
ODD_KEYS = ["id", "actor", "object", "to", "cc", "audience", "content", "name", "summary", "tag"]
ODD_KEYS += ["inReplyTo", "attributedTo", "published", "url", "type"]


@st.composite
def activity(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """A well-formed activity of `kind` from bob, then none to three of its fields (or its
    object's) replaced by odd values."""
    document: dict[str, Any] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{BOB}/activities/{next(_serial)}",  # Hypothesis repeats values on purpose
        "type": kind,
        "actor": draw(st.sampled_from([BOB, {"id": BOB, "type": "Person"}])),
        "object": draw(_object_for(kind)),
    }
    for _ in range(draw(st.integers(0, 3))):
        target = document
        if isinstance(document["object"], dict) and draw(st.booleans()):
            target = document["object"]
        target[draw(st.sampled_from(ODD_KEYS))] = draw(ODD)
    return document


@pytest.mark.parametrize("kind", TYPES)
@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_inbox__generated_activities_never_fail(
    app: Starlette, peer: RemotePeer, kind: str, data: st.DataObject
) -> None:
    # Given a local open group, a remote member and a post of theirs in it
    bob = peer.add_actor("bob")
    if not await Group.all().exists():
        await make_group(await make_account("ada"), "physics")
        await join(app, peer, bob, "physics")
        post = {**_known_post(), "to": [PUBLIC], "cc": [GROUP]}
        assert await deliver(app, peer, build_activity(bob, "Create", post), bob) == ""
    document = data.draw(activity(kind))
    before = await stored_counts()
    # When the activity is POSTed, validly signed by bob
    response = await post_activity(app, document, bob)
    # Then the answer is never a 5xx, and a refusal stores nothing
    assert response.status_code < 500, response.text
    event(f"answered {response.status_code}")
    if response.status_code != 202:
        assert 400 <= response.status_code < 500
        assert await stored_counts() == before, "a refused request stored something"
        return
    # And what was acknowledged goes through the worker without failing
    for row in await InboxActivity.filter(processed_at__isnull=True):
        reason = await InboxProcessor(peer.runtime).process(row)
        assert not reason.startswith("failed"), reason
        event("handled" if not reason else f"dropped: {reason.split(':')[0][:40]}")
        stored = await InboxActivity.get(id=row.id)
        assert stored.processed_at is not None
