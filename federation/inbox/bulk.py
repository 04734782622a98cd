"""The inbox worker's bulk path: the ordinary posts of a claimed batch stored all at once.

Most of what a busy inbox receives is posts (and replies) by members into our groups. Handled
one by one, each costs a dozen statements (is it here, the ban, the membership, the insert,
the mentions, the group's count, the subscribers' writes…); `take_ordinary_posts` handles the
batch's ordinary ones with a few statements for all of them (`remote.ordinary_posts`, then
`remote.receive_posts` in one transaction), and leaves everything else to the one-by-one path,
which records exactly what it always has.

Which rows it takes: in each chain (`chains.split`: the rows that must be handled in order),
the longest run of rows from the start that are all readable Creates with their post embedded,
from a stored sender on a server that is not suspended, that `create.draft_create` places in a
group here, and that `remote.ordinary_posts` finds ordinary (to be stored and published at once,
as if the run's rows before it had been). So the rows it takes are the ones the one-by-one path
would have handled first in their chains, with the same result ("", handled); the rest of each
chain follows one by one, in order, after them (a reply to a post of the run finds its parent
stored). Nothing here fetches over the network but a sender's NodeInfo, which the one-by-one
path looks up first too. When the bulk transaction fails (a post stored by another worker at
the same moment…), it is rolled back whole and its rows go one by one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from federation.fetch import Fetcher
from federation.inbox._software import note_software
from federation.inbox.actors import RemoteActors
from federation.inbox.context import InboxContext, block_of
from federation.inbox.create import draft_create
from federation.inbox.memo import BatchMemo
from federation.inbox.parse import Create
from server.models import Actor, DomainBlockSeverity, InboxActivity, Post
from server.services import domain_blocks, remote
from server.settings import Settings

__all__ = ["take_ordinary_posts"]

log = logging.getLogger("lyceum.inbox")


async def take_ordinary_posts(
    settings: Settings,
    actors: RemoteActors,
    fetcher: Fetcher,
    chains: list[list[InboxActivity]],
    memo: BatchMemo,
) -> set[str]:
    """Store the ordinary posts leading the chains at once; the ids of the rows handled so
    (their outcome: handled). Never raises: on any failure, no row is taken."""
    try:
        with domain_blocks.remembering(memo.blocks):
            return await _take(settings, actors, fetcher, chains, memo)
    except Exception:
        log.exception("the inbox batch's posts could not be stored at once; one by one")
        return set()


@dataclass
class _Candidate:
    row: InboxActivity
    activity: Create
    actor: Actor
    draft: remote.PostDraft | None = None


async def _take(
    settings: Settings,
    actors: RemoteActors,
    fetcher: Fetcher,
    chains: list[list[InboxActivity]],
    memo: BatchMemo,
) -> set[str]:
    runs = [await _leading_creates(chain, fetcher, memo) for chain in chains]
    candidates = [candidate for run in runs for candidate in run]
    if not candidates:
        return set()
    posts, authors = await _referenced([candidate.activity for candidate in candidates], settings)
    for candidate in candidates:
        ctx = _Prefetched(settings, actors, candidate.actor, memo.groups, posts, authors)
        try:
            candidate.draft = await draft_create(ctx, candidate.activity)
        except Exception:  # noqa: S112 (the one-by-one path records why)
            continue
    drafted = [candidate for candidate in candidates if candidate.draft is not None]
    ordinary = await remote.ordinary_posts([c.draft for c in drafted if c.draft is not None])
    taken = {id(c) for c, yes in zip(drafted, ordinary, strict=True) if yes}
    chosen: list[_Candidate] = []
    for run in runs:
        for candidate in run:
            if id(candidate) not in taken:
                break  # the rest of the chain goes one by one, after this row
            chosen.append(candidate)
    if not chosen:
        return set()
    await remote.receive_posts([c.draft for c in chosen if c.draft is not None])
    return {candidate.row.id for candidate in chosen}


async def _leading_creates(
    chain: list[InboxActivity], fetcher: Fetcher, memo: BatchMemo
) -> list[_Candidate]:
    """The chain's first rows that are readable Creates of an embedded post, by a sender we
    have stored, on a server that is not suspended (as `InboxProcessor._handle` checks)."""
    run: list[_Candidate] = []
    for row in chain:
        if row.activity_type != "Create":
            break
        activity = memo.activity(row)
        if not isinstance(activity, Create) or activity.post is None:
            break
        actor = memo.actors.get(activity.actor) or await Actor.get_or_none(
            ap_id=activity.actor, domain__not=""
        )
        if actor is None:
            break
        memo.actors[activity.actor] = actor
        if await block_of(actor.domain) == DomainBlockSeverity.SUSPEND:
            break
        await note_software(fetcher, actor)
        run.append(_Candidate(row, activity, actor))
    return run


async def _referenced(
    activities: list[Create], settings: Settings
) -> tuple[dict[str, Post | None], dict[str, Actor | None]]:
    """The other servers' posts the batch's posts reply to (with their group and its actor)
    and the actors they mention, by id, each kind in one statement."""
    base = settings.base_url
    parents: set[str] = set()
    mentioned: set[str] = set()
    for activity in activities:
        note = activity.post
        assert note is not None
        if note.in_reply_to and not _is_local(note.in_reply_to, base):
            parents.add(note.in_reply_to)
        mentioned.update(href for href in note.mentions if not _is_local(href, base))
    posts: dict[str, Post | None] = dict.fromkeys(parents)
    if parents:
        for post in await Post.filter(ap_id__in=list(parents)).select_related("group__actor"):
            posts[post.ap_id or ""] = post
    authors: dict[str, Actor | None] = dict.fromkeys(mentioned)
    if mentioned:
        for actor in await Actor.filter(ap_id__in=list(mentioned)):
            authors[actor.ap_id or ""] = actor
    return posts, authors


def _is_local(url: str, base: str) -> bool:
    return url == base or url.startswith(base + "/")


@dataclass
class _Prefetched(InboxContext):
    """An `InboxContext` answering from what `_referenced` read for the whole batch."""

    posts: dict[str, Post | None] = field(default_factory=dict, repr=False)
    found_actors: dict[str, Actor | None] = field(default_factory=dict, repr=False)

    async def find_post(self, url: str) -> Post | None:
        if url in self.posts:
            return self.posts[url]
        return await super().find_post(url)

    async def find_actor(self, url: str) -> Actor | None:
        if url in self.found_actors:
            return self.found_actors[url]
        return await super().find_actor(url)
