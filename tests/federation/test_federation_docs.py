"""docs/federation.md shows what we serve; its examples are real answers, checked here.

The section between the `examples` markers is generated from requests to the app over fixed data.
After changing a renderer, regenerate it with
`LYCEUM_TEST_UPDATE_DOCS=1 .venv/bin/pytest tests/federation/test_federation_docs.py`.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx

from server.content import render_markdown
from server.models import (
    Account,
    Actor,
    ActorKind,
    Group,
    JoinPolicy,
    MemberRole,
    Membership,
    MembershipState,
    Post,
    PostHashtag,
    PostKind,
    PostState,
)

DOC = Path(__file__).parent.parent.parent / "docs" / "federation.md"
START, END = "<!-- examples:start -->", "<!-- examples:end -->"
PEM = "-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----\n"
WHEN = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
ADA, PHYSICS, INSTANCE = (
    "01jn0000000000000000000ada",
    "01jn00000000000000physics0",
    "01jn000000000000000actor00",
)
POST, REPLY, GONE = (
    "01jn00000000000000000post1",
    "01jn0000000000000000reply1",
    "01jn00000000000000000gone1",
)

EXAMPLES = [
    ("GET", "/.well-known/webfinger?resource=acct:physics@lyceum.test", "application/jrd+json"),
    ("GET", "/.well-known/host-meta", "*/*"),
    ("GET", "/.well-known/nodeinfo", "*/*"),
    ("GET", "/nodeinfo/2.1", "*/*"),
    ("GET", "/g/physics", "application/activity+json"),
    ("GET", "/u/ada", "application/activity+json"),
    ("GET", "/actor", "application/activity+json"),
    ("GET", f"/p/{POST}", "application/activity+json"),
    ("GET", f"/p/{REPLY}", "application/activity+json"),
    ("GET", f"/p/{GONE}", "application/activity+json"),
    ("GET", f"/g/physics/announces/{POST}", "application/activity+json"),
    ("GET", "/g/physics/outbox", "application/activity+json"),
    ("GET", "/g/physics/outbox?page=true", "application/activity+json"),
    ("GET", "/g/physics/followers?page=true", "application/activity+json"),
    ("GET", "/g/physics/moderators", "application/activity+json"),
    ("GET", "/g/physics/featured", "application/activity+json"),
    ("GET", f"/p/{POST}/replies?page=true", "application/activity+json"),
]


async def _fixed_data() -> None:
    """A person, an approval group with rules, a pinned post with a reply, a deleted post."""
    ada = await Actor.create(
        id=ADA,
        kind=ActorKind.PERSON,
        username="ada",
        display_name="Ada Lovelace",
        summary_html="<p>Teaches physics.</p>",
        public_key_pem=PEM,
    )
    await Account.create(actor=ada, email="ada@example.org", password_hash="-")
    group_actor = await Actor.create(
        id=PHYSICS,
        kind=ActorKind.GROUP,
        username="physics",
        display_name="Physics Circle",
        public_key_pem=PEM,
    )
    await Actor.create(
        id=INSTANCE, kind=ActorKind.APPLICATION, username="actor", public_key_pem=PEM
    )
    description, rules = "We read *Feynman* together.", "Be kind."
    group = await Group.create(
        actor=group_actor,
        description_source=description,
        description_html=render_markdown(description).html,
        rules_source=rules,
        rules_html=render_markdown(rules).html,
        join_policy=JoinPolicy.APPROVAL,
    )
    await Membership.create(
        group=group, actor=ada, role=MemberRole.OWNER, state=MembershipState.ACCEPTED
    )
    source = "Start with volume 1, chapter 4. #physics"
    await Post.create(
        id=POST,
        group=group,
        author=ada,
        kind=PostKind.RESOURCE,
        title="The Feynman Lectures",
        source=source,
        content_html=render_markdown(source).html,
        link_url="https://www.feynmanlectures.caltech.edu/",
        pinned_at=WHEN,
        reply_count=1,
    )
    await PostHashtag.create(post_id=POST, tag="physics")
    await Post.create(
        id=REPLY,
        group=group,
        author=ada,
        kind=PostKind.REPLY,
        parent_id=POST,
        root_id=POST,
        depth=1,
        source="Chapter 4 is on energy.",
        content_html=render_markdown("Chapter 4 is on energy.").html,
    )
    await Post.create(
        id=GONE,
        group=group,
        author=ada,
        kind=PostKind.DISCUSSION,
        title="Oops",
        state=PostState.DELETED,
        deleted_at=WHEN,
    )
    for model in (Actor, Group, Post):
        await model.all().update(created_at=WHEN)


async def _generate(client: httpx.AsyncClient) -> str:
    await _fixed_data()
    blocks = []
    for method, path, accept in EXAMPLES:
        response = await client.request(method, path, headers={"Accept": accept})
        content_type = response.headers["content-type"]
        if "json" in content_type:
            document = response.json()
            if "software" in document:
                document["software"]["version"] = "0.1.0"
            body, language = json.dumps(document, indent=2, ensure_ascii=False), "json"
        else:
            body, language = response.text.strip(), "xml"
        blocks.append(
            f"`{method} {path}` (Accept: `{accept}`) → **{response.status_code}**, "
            f"`{content_type}`\n\n```{language}\n{body}\n```\n"
        )
    return "\n".join(blocks)


async def test_federation_docs__examples_are_what_we_serve(client: httpx.AsyncClient) -> None:
    # Given fixed data, when every documented request is made
    generated = await _generate(client)
    text = DOC.read_text()
    before, _, rest = text.partition(START)
    current, _, after = rest.partition(END)
    if os.environ.get("LYCEUM_TEST_UPDATE_DOCS") == "1":
        DOC.write_text(f"{before}{START}\n{generated}{END}{after}")
        current = f"\n{generated}"
    # Then the docs show exactly the answers
    assert END in text, "docs/federation.md lacks its examples markers"
    assert current == f"\n{generated}", (
        "docs/federation.md examples are stale; regenerate them (see this module's docstring)"
    )


def test_federation_docs__names_every_route() -> None:
    from federation.document_cache import DocumentCache
    from federation.routes import as2_routes, federation_routes
    from server.settings import Settings

    text = DOC.read_text()
    settings = Settings(base_url="http://lyceum.test")
    documents = DocumentCache()
    paths = [
        getattr(route, "path", "")
        for route in [*federation_routes(settings, documents), *as2_routes(settings, documents)]
    ]
    missing = [path for path in paths if re.sub(r"\{(\w+)(:\w+)?\}", r"<\1>", path) not in text]
    assert not missing, f"docs/federation.md does not mention: {missing}"


def _handled_section() -> str:
    text = DOC.read_text()
    return text[text.index("## What we handle") :]


def test_docs__every_handled_activity_type_has_a_section_with_an_example() -> None:
    from federation.inbox.dispatch import HANDLERS

    section = _handled_section()
    handled = sorted({activity_type for activity_type, _ in HANDLERS})
    missing = [t for t in handled if f"\n### {t}\n" not in section]
    assert not missing, f"docs/federation.md 'What we handle' lacks: {missing}"
    for activity_type in handled:
        body = section.split(f"\n### {activity_type}\n", 1)[1].split("\n### ", 1)[0]
        example = body.split("```json\n", 1)[1].split("\n```", 1)[0]
        # The example parses as JSON and is of the type it documents
        assert json.loads(example)["type"] == activity_type


def test_docs__every_sent_activity_type_is_named() -> None:
    text = DOC.read_text()
    sent = text[text.index("## What we send") : text.index("## What we handle")]
    for activity_type in ("Accept", "Reject", "Announce", "Create", "Update", "Delete", "Undo"):
        assert f"`{activity_type}" in sent or f"{{{activity_type}" in sent, activity_type
