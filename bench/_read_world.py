"""The world the reads benchmark reads: 100,000 posts in 50 groups, stored in bulk.

Threads of every kind and their replies (some nested; two answered questions in five have an
accepted answer), several hundred authors (local people with
accounts and remote people on twenty servers), hashtags with a Zipf-like spread, memberships and
remote follows, and one member (`reader`) who belongs to ten groups, so that `/home` has content,
with a live session whose cookie the load generator sends.
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import TimestampSigner

from server.models import (
    Account,
    Actor,
    ActorKind,
    Group,
    Membership,
    MembershipState,
    Post,
    PostHashtag,
    PostKind,
    utcnow,
)
from server.models._base import new_id
from server.services import accounts, groups, sessions
from server.services.keys import generate_rsa_keypair
from server.services.passwords import hash_password
from server.settings import Settings

GROUPS = 50
LOCAL_AUTHORS = 300
REMOTE_AUTHORS = 200
REMOTE_SERVERS = 20
TAGS = 200
READER_GROUPS = 10
BATCH = 2000
WORDS = (
    "why",
    "how",
    "proof",
    "limit",
    "series",
    "prime",
    "graph",
    "vector",
    "matrix",
    "energy",
    "force",
    "wave",
    "cell",
    "gene",
    "code",
    "loop",
    "proof",
    "lemma",
    "theorem",
    "essay",
    "poem",
    "novel",
    "river",
    "city",
    "market",
    "price",
    "growth",
    "model",
    "data",
)


@dataclass(frozen=True)
class World:
    group_handles: list[str]
    thread_ids: list[str]
    tags: list[str]
    local_authors: list[str]
    session_cookie: str


def _text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high)))


async def _people(rng: random.Random) -> tuple[list[Actor], list[Actor]]:
    """Local people with accounts (one shared key pair and password hash: bulk speed) and
    remote people."""
    private_pem, public_pem = generate_rsa_keypair()
    password_hash = hash_password("bench password")
    local = [
        Actor(
            id=new_id(),
            kind=ActorKind.PERSON,
            username=f"author{n}",
            display_name=f"Author {n}",
            public_key_pem=public_pem,
            private_key_pem=private_pem,
        )
        for n in range(LOCAL_AUTHORS)
    ]
    remote = []
    for n in range(REMOTE_AUTHORS):
        server = f"https://server{n % REMOTE_SERVERS}.example"
        ap_id = f"{server}/users/remote{n}"
        remote.append(
            Actor(
                id=new_id(),
                kind=ActorKind.PERSON,
                username=f"remote{n}",
                domain=f"server{n % REMOTE_SERVERS}.example",
                display_name=f"Remote {n}",
                ap_id=ap_id,
                url=ap_id,
                inbox_url=f"{ap_id}/inbox",
                shared_inbox_url=f"{server}/inbox",
                key_id=f"{ap_id}#main-key",
                public_key_pem=public_pem,
                fetched_at=utcnow(),
            )
        )
    await Actor.bulk_create(local + remote, batch_size=BATCH)
    await Account.bulk_create(
        [
            Account(
                id=new_id(),
                actor_id=actor.id,
                email=f"{actor.username}@example.org",
                password_hash=password_hash,
            )
            for actor in local
        ],
        batch_size=BATCH,
    )
    del rng
    return local, remote


async def _memberships(
    rng: random.Random, group_list: list[Group], people: list[Actor], reader: Actor
) -> None:
    rows = []
    counts = {group.id: 1 for group in group_list}  # the owner
    for actor in people:
        for group in rng.sample(group_list, 5):
            rows.append(
                Membership(
                    id=new_id(),
                    group_id=group.id,
                    actor_id=actor.id,
                    state=MembershipState.ACCEPTED,
                    follow_ap_id=f"{actor.ap_id}#follow-{group.id}" if actor.ap_id else "",
                )
            )
            counts[group.id] += 1
    for group in group_list[:READER_GROUPS]:
        rows.append(
            Membership(
                id=new_id(), group_id=group.id, actor_id=reader.id, state=MembershipState.ACCEPTED
            )
        )
        counts[group.id] += 1
    await Membership.bulk_create(rows, batch_size=BATCH)
    for group_id, count in counts.items():
        await Group.filter(id=group_id).update(member_count=count)


async def _posts(
    rng: random.Random, total: int, group_list: list[Group], authors: list[Actor]
) -> tuple[list[str], list[str]]:
    """Threads (70 %) and replies (30 %, a fifth of them nested), oldest first over a year."""
    tags = [f"topic{n}" for n in range(TAGS)]
    tag_weights = [1 / (rank + 1) for rank in range(TAGS)]
    start = utcnow() - timedelta(days=365)
    step = timedelta(days=365) / total
    kinds = [PostKind.DISCUSSION, PostKind.QUESTION, PostKind.RESOURCE]
    made: list[Post] = []
    threads: list[Post] = []
    by_id: dict[str, Post] = {}
    hashtags: list[PostHashtag] = []
    for number in range(total):
        author = rng.choice(authors)
        when = start + step * number
        remote = {"ap_id": f"{author.ap_id}/notes/{number}"} if author.ap_id else {}
        if threads and rng.random() < 0.3:
            root = rng.choice(threads[-5000:])  # recent threads get the replies
            parent = root
            if root.reply_count and rng.random() < 0.2:
                parent = by_id.get(rng.choice(root._reply_ids)) or root  # type: ignore[attr-defined]
            post = Post(
                id=new_id(),
                group_id=root.group_id,
                author_id=author.id,
                kind=PostKind.REPLY,
                parent_id=parent.id,
                root_id=root.id,
                depth=parent.depth + 1,
                content_html=f"<p>{_text(rng, 10, 60)}</p>",
                created_at=when,
                last_activity_at=when,
                **remote,
            )
            root.reply_count += 1
            root.last_activity_at = when
            root._reply_ids.append(post.id)  # type: ignore[attr-defined]
        else:
            group = group_list[number % len(group_list)]
            post = Post(
                id=new_id(),
                group_id=group.id,
                author_id=author.id,
                kind=rng.choice(kinds),
                title=_text(rng, 3, 10).capitalize(),
                content_html=f"<p>{_text(rng, 20, 120)}</p>",
                created_at=when,
                last_activity_at=when,
                **remote,
            )
            post._reply_ids = []  # type: ignore[attr-defined]
            threads.append(post)
            if rng.random() < 0.3:
                for tag in set(rng.choices(tags, weights=tag_weights, k=rng.randint(1, 2))):
                    hashtags.append(PostHashtag(id=new_id(), post_id=post.id, tag=tag))
        by_id[post.id] = post
        made.append(post)
    await Post.bulk_create(made, batch_size=BATCH)
    await _accept_answers(rng, threads)
    await PostHashtag.bulk_create(hashtags, batch_size=BATCH)
    for group in group_list:
        await Group.filter(id=group.id).update(
            post_count=total // len(group_list), last_post_at=made[-1].created_at
        )
    return [post.id for post in threads], tags


async def _accept_answers(rng: random.Random, threads: list[Post]) -> None:
    """Two questions in five that got replies have an accepted answer (set once every reply is
    stored: the foreign key checks each statement)."""
    pairs = [
        (root._reply_ids[0], root.id)  # type: ignore[attr-defined]
        for root in threads
        if root.kind == PostKind.QUESTION and root._reply_ids and rng.random() < 0.4  # type: ignore[attr-defined]
    ]
    connection = Post._meta.db
    first, second = ("$1", "$2") if connection.capabilities.dialect == "postgres" else ("?", "?")
    await connection.execute_many(
        f'UPDATE "post" SET "accepted_answer_id" = {first} WHERE "id" = {second}',
        [list(pair) for pair in pairs],
    )


def session_cookie(settings: Settings, token: str) -> str:
    """The cookie Starlette's SessionMiddleware would set for a session holding `token`."""
    data = base64.b64encode(json.dumps({"session": token}).encode())
    signed = TimestampSigner(settings.resolved_secret_key).sign(data).decode()
    return f"lyceum_session={signed}"


async def build(settings: Settings, total: int, seed: int = 1) -> World:
    rng = random.Random(seed)
    owner = await accounts.create_account("organiser", "organiser@example.org", "bench password")
    reader = await accounts.create_account("reader", "reader@example.org", "bench password")
    await owner.fetch_related("actor")
    await reader.fetch_related("actor")
    group_list = [
        await groups.create_group(owner, groups.GroupForm(handle=f"group{n}", name=f"Group {n}"))
        for n in range(GROUPS)
    ]
    local, remote = await _people(rng)
    await _memberships(rng, group_list, local + remote, reader.actor)
    thread_ids, tags = await _posts(rng, total, group_list, local + remote)
    started = await sessions.start_session(reader, lifetime=timedelta(days=30))
    handles = []
    for group in group_list:
        await group.fetch_related("actor")
        handles.append(group.actor.username)
    return World(
        group_handles=handles,
        thread_ids=thread_ids,
        tags=tags,
        local_authors=[actor.username for actor in local],
        session_cookie=session_cookie(settings, started.token),
    )
