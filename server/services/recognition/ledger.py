"""The credits ledger: one `Credit` row per confirmation someone else gave a member's post.

Credits are written by subscribers of the post events, in the transaction of the change (as the
search index is kept), so a credit exists exactly when its cause was committed:

- an answer accepted (by the asker or a moderator): `ANSWER_ACCEPTED` to the answer's author,
  taken back when it is un-marked or another answer is accepted;
- a like (never a dislike) from another person: `LIKE_RECEIVED`, one per giver and post, taken
  back by an unlike (so like/unlike loops earn at most one credit);
- a resource pinned by a moderator: `RESOURCE_PINNED` to its author, taken back by an unpin;
- a resource another member saved: `RESOURCE_SAVED`, one per saver and resource, taken back
  when they take it off their list;
- the first reply by someone else to a newcomer's question: `NEWCOMER_WELCOMED` to the reply's
  author. A newcomer's question is the asker's first question in that group.

Nobody credits themselves: a confirmation whose giver is the earner is not written (and
`standing` ignores any that were). Each credit's `dedup_key` makes repeated events harmless.
"""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server import events
from server.models import (
    Actor,
    Credit,
    CreditKind,
    Post,
    PostKind,
    PostState,
    Reaction,
    ReactionKind,
)

__all__ = ["POINTS", "register"]

# What each confirmation is worth. An accepted answer is the strongest signal a learning
# community has; a like is the cheapest to give, so it is worth least.
POINTS: dict[CreditKind, int] = {
    CreditKind.ANSWER_ACCEPTED: 10,
    CreditKind.RESOURCE_PINNED: 5,
    CreditKind.RESOURCE_SAVED: 2,
    CreditKind.NEWCOMER_WELCOMED: 3,
    CreditKind.LIKE_RECEIVED: 1,
}


def register(bus: events.EventBus) -> None:
    """Subscribe the ledger to the events that credit someone. Calling it twice subscribes once."""
    bus.subscribe(events.AnswerAccepted, _on_answer_accepted)
    bus.subscribe(events.AnswerUnaccepted, _on_answer_unaccepted)
    bus.subscribe(events.PostReacted, _on_post_reacted)
    bus.subscribe(events.PostUnreacted, _on_post_unreacted)
    bus.subscribe(events.PostPinned, _on_post_pinned)
    bus.subscribe(events.PostSaved, _on_post_saved)
    bus.subscribe(events.PostUnsaved, _on_post_unsaved)
    bus.subscribe(events.PostUnpinned, _on_post_unpinned)
    bus.subscribe(events.PostCreated, _on_post_created, many=_on_posts_created)


def _key(kind: CreditKind, post_id: str, giver_id: str = "") -> str:
    return f"{kind.value}:{post_id}:{giver_id}"


async def _credit(kind: CreditKind, post: Post, giver_id: str, *, key: str) -> None:
    """Write one credit to the post's author from `giver_id`, unless it is theirs or exists."""
    if post.author_id == giver_id or await Credit.exists(dedup_key=key):
        return
    giver = await Actor.get_or_none(id=giver_id).only("id", "domain")
    try:
        # A savepoint: on PostgreSQL a clash with a concurrent twin must not end the change.
        async with in_transaction():
            await Credit.create(
                earner_id=post.author_id,
                group_id=post.group_id,
                post_id=post.id,
                giver_id=giver_id if giver is not None else None,
                giver_domain=giver.domain if giver is not None else "",
                kind=kind,
                points=POINTS[kind],
                dedup_key=key,
            )
    except IntegrityError:
        pass  # the same confirmation, written by a concurrent event: once is enough


async def _uncredit(key: str) -> None:
    """Take a confirmation back (nothing happens when there is none)."""
    await Credit.filter(dedup_key=key).delete()


async def _on_answer_accepted(event: events.Event) -> None:
    assert isinstance(event, events.AnswerAccepted)
    answer = await Post.get_or_none(id=event.answer_id)
    if answer is not None:
        key = _key(CreditKind.ANSWER_ACCEPTED, answer.id)
        await _credit(CreditKind.ANSWER_ACCEPTED, answer, event.by_actor_id, key=key)


async def _on_answer_unaccepted(event: events.Event) -> None:
    assert isinstance(event, events.AnswerUnaccepted)
    await _uncredit(_key(CreditKind.ANSWER_ACCEPTED, event.answer_id))


async def _on_post_reacted(event: events.Event) -> None:
    assert isinstance(event, events.PostReacted)
    reaction = await Reaction.get_or_none(id=event.reaction_id).select_related("post")
    if reaction is None:
        return
    key = _key(CreditKind.LIKE_RECEIVED, reaction.post.id, reaction.actor_id)  # type: ignore[attr-defined]
    if reaction.kind == ReactionKind.LIKE:
        await _credit(CreditKind.LIKE_RECEIVED, reaction.post, reaction.actor_id, key=key)  # type: ignore[attr-defined]
    else:  # a like turned into a dislike
        await _uncredit(key)


async def _on_post_unreacted(event: events.Event) -> None:
    assert isinstance(event, events.PostUnreacted)
    await _uncredit(_key(CreditKind.LIKE_RECEIVED, event.post_id, event.actor_id))


async def _on_post_pinned(event: events.Event) -> None:
    assert isinstance(event, events.PostPinned)
    post = await Post.get_or_none(id=event.post_id)
    if post is not None and post.kind == PostKind.RESOURCE:
        key = _key(CreditKind.RESOURCE_PINNED, post.id)
        await _credit(CreditKind.RESOURCE_PINNED, post, event.moderator_id, key=key)


async def _on_post_unpinned(event: events.Event) -> None:
    assert isinstance(event, events.PostUnpinned)
    await _uncredit(_key(CreditKind.RESOURCE_PINNED, event.post_id))


async def _on_post_saved(event: events.Event) -> None:
    assert isinstance(event, events.PostSaved)
    post = await Post.get_or_none(id=event.post_id)
    if post is not None and post.kind == PostKind.RESOURCE:
        key = _key(CreditKind.RESOURCE_SAVED, post.id, event.actor_id)
        await _credit(CreditKind.RESOURCE_SAVED, post, event.actor_id, key=key)


async def _on_post_unsaved(event: events.Event) -> None:
    assert isinstance(event, events.PostUnsaved)
    await _uncredit(_key(CreditKind.RESOURCE_SAVED, event.post_id, event.actor_id))


async def _on_post_created(event: events.Event) -> None:
    """A published reply may be the first answer to a newcomer's question."""
    assert isinstance(event, events.PostCreated)
    if event.stored is not None:  # a thread (no root) needs no look at all
        reply: Post | None = event.stored.post
        root_id = event.stored.post.root_id
        root = await Post.get_or_none(id=root_id) if root_id else None
    else:
        reply = await Post.get_or_none(id=event.post_id).select_related("root")
        root = reply.root if reply is not None else None
    await _welcome(reply, root)


async def _on_posts_created(published: Sequence[events.Event]) -> None:
    """Posts created together (`EventBus.publish_many`): the questions they answer read at
    once, and only replies to questions looked at further."""
    root_ids = {
        e.stored.post.root_id
        for e in published
        if isinstance(e, events.PostCreated) and e.stored is not None and e.stored.post.root_id
    }
    roots = {str(p.id): p for p in await Post.filter(id__in=root_ids)} if root_ids else {}
    for event in published:
        assert isinstance(event, events.PostCreated)
        if event.stored is None:
            await _on_post_created(event)
            continue
        root_id = event.stored.post.root_id
        await _welcome(event.stored.post, roots.get(root_id) if root_id else None)


async def _welcome(reply: Post | None, root: Post | None) -> None:
    if reply is None or root is None or reply.state != PostState.PUBLISHED:
        return
    question = root
    if question.kind != PostKind.QUESTION or reply.author_id == question.author_id:
        return
    key = _key(CreditKind.NEWCOMER_WELCOMED, question.id)
    if await Credit.exists(dedup_key=key):
        return
    earlier_reply = (
        await Post.filter(
            root_id=question.id, state=PostState.PUBLISHED, created_at__lt=reply.created_at
        )
        .exclude(author_id=question.author_id)
        .exists()
    )
    if earlier_reply or not await _is_newcomers_question(question):
        return
    await _credit(CreditKind.NEWCOMER_WELCOMED, reply, question.author_id, key=key)


async def _is_newcomers_question(question: Post) -> bool:
    """The asker's first question in the group (whatever became of any earlier one)."""
    return not await Post.filter(
        group_id=question.group_id,
        author_id=question.author_id,
        kind=PostKind.QUESTION,
        parent_id__isnull=True,
        created_at__lt=question.created_at,
    ).exists()
