"""Every payload other servers really send goes through the inbox without a crash.

The corpus lives beside the project (`../shared/fixtures/activitypub`, see its README) and is
read in place, never copied. Each file is one test:
- activities are stored as inbox rows and handled by the worker, with the sender's actor
  document stubbed as a minimal one (their signatures cannot be checked: we hold none of their
  keys, so the signature check is the one step skipped). Each ends handled, or dropped with a
  recorded reason; never with an unexpected error. Activities we cannot read (no id, no actor)
  must be refused by the parser with a reason;
- actor documents go through the remote actor parser and are stored, or refused with a reason;
- posts go through the post parser;
- WebFinger, NodeInfo, collections and other documents are skipped by name, with the reason.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from federation.fetch import origin, origin_key
from federation.inbox import InboxProcessor
from federation.inbox.envelope import read_envelope
from federation.inbox.parse import POST_TYPES, ParseError, parse_activity
from federation.inbox.parse_actor import ACTOR_TYPES, parse_actor
from federation.inbox.parse_note import parse_post_object
from federation.runtime import FederationRuntime
from server.models import InboxActivity, inbox_dedup_key
from server.services.errors import Invalid
from server.services.remote import upsert_remote_actor
from server.settings import Settings
from tests.federation._inbox_peer import inbox_runtime

CORPUS = Path(__file__).parents[2].parent / "shared" / "fixtures" / "activitypub"
FILES = sorted(CORPUS.rglob("*.json")) if CORPUS.is_dir() else []
OTHER_OBJECTS = {"Tombstone", "Video", "Event", "ChatMessage", "Conversation", "Feed"}


class StubServer:
    """Answers any GET with a minimal actor document whose id is the URL asked for: a Group
    for the threadiverse's community paths, else a Person."""

    def handler(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        group = any(part in url for part in ("/c/", "/m/", "/category/", "/magazine"))
        kind = "Group" if group else "Person"
        document = {"id": url, "type": kind, "preferredUsername": "someone", "inbox": url}
        return httpx.Response(
            200, json=document, headers={"Content-Type": "application/activity+json"}
        )


@pytest.fixture
async def runtime(app: Starlette, settings: Settings) -> AsyncIterator[FederationRuntime]:
    runtime = await inbox_runtime(settings, StubServer())  # type: ignore[arg-type]
    try:
        yield runtime
    finally:
        await runtime.client.aclose()


def _load(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text())
    assert isinstance(document, dict)
    return document


def _kind(document: dict[str, Any]) -> str:
    kind = document.get("type")
    return kind if isinstance(kind, str) else ""


def _not_inbox_input(path: Path) -> bool:
    return path.stem.startswith(("collection-", "context-")) or any(
        marker in path.stem for marker in ("webfinger", "nodeinfo")
    )


@pytest.mark.skipif(not FILES, reason=f"the fixture corpus is not at {CORPUS}")
@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(CORPUS)) for p in FILES])
async def test_fixture__goes_through_the_inbox(path: Path, runtime: FederationRuntime) -> None:
    document = _load(path)
    kind = _kind(document)
    if _not_inbox_input(path):
        pytest.skip("WebFinger, NodeInfo, collection or context document: not inbox input")
    named_actor = path.stem.endswith("-actor") or "-actor-" in path.stem
    if kind in ACTOR_TYPES or (named_actor and "object" not in document):
        outcome = await _actor_outcome(document)
    elif kind in POST_TYPES and "object" not in document:
        outcome = "handled" if parse_post_object(document).id == document["id"] else "wrong id"
    elif kind in OTHER_OBJECTS:
        pytest.skip(f"a {kind} is an object, not something sent to an inbox on its own")
    else:
        outcome = await _activity_outcome(document, runtime)
    # Then it was handled, or refused on purpose with a reason; never failed
    assert outcome == "handled" or outcome.startswith("refused: "), outcome
    assert outcome != "refused: ", "a refusal must say why"


async def _actor_outcome(document: dict[str, Any]) -> str:
    try:
        actor = await upsert_remote_actor(parse_actor(document))
    except (ParseError, Invalid) as refusal:
        return f"refused: {refusal}"
    return "handled" if actor.ap_id == document["id"] else "stored under another id"


async def _activity_outcome(document: dict[str, Any], runtime: FederationRuntime) -> str:
    try:
        activity = parse_activity(document)
    except ParseError as refusal:
        return f"refused: {refusal}"
    # Stored as the inbox stores it, then handled by the worker
    row = await InboxActivity.create(
        ap_id=activity.id,
        dedup_key=inbox_dedup_key(origin_key(activity.actor), activity.id),
        actor_ap_id=activity.actor,
        activity_type=activity.type,
        payload=json.dumps(document),
    )
    reason = await InboxProcessor(runtime).process(row)
    if not (await InboxActivity.get(id=row.id)).processed_at:
        return f"left unprocessed: {reason}"
    if reason.startswith("failed"):
        return reason
    return f"refused: {reason}" if reason else "handled"


def _sent_activity(path: Path) -> bool:
    """A captured activity with real ids (documentation examples and Mbin's snapshots with
    `SCRUBBED_ID` placeholders are shapes only)."""
    if _not_inbox_input(path) or "scrubbed-" in path.stem or "doc-" in path.stem:
        return False
    document = _load(path)
    return "actor" in document and _kind(document) not in ACTOR_TYPES


SENT = [path for path in FILES if _sent_activity(path)]


@pytest.mark.skipif(not SENT, reason=f"the fixture corpus is not at {CORPUS}")
@pytest.mark.parametrize("path", SENT, ids=[str(p.relative_to(CORPUS)) for p in SENT])
def test_fixture__passes_the_inbox_door(path: Path) -> None:
    # Given an activity a real server sent (Announces of other servers' posts included)
    # When the inbox door reads it
    envelope = read_envelope(path.read_bytes())
    # Then it is storable, and its id is on its sender's origin
    assert origin(envelope["id"]) == origin(envelope["actor"])
