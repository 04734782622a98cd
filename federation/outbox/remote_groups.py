"""What people here send to groups on other servers: joining (Follow) and leaving (Undo), their
posts and replies (Create, Update, Delete) and their votes (Like, Dislike, Undo).

Each activity goes from the local person, signed by them, to the group's inbox; the group's own
server stores it and Announces it to the group's followers (this instance included, where the
inbox recognises our own post and keeps it once). Only the owning server announces, so `posts`
skips groups hosted elsewhere and this module skips groups hosted here.

A post here is a `Note` addressed as every Lyceum post is (FEDERATION.md): public, `cc` the
group and its followers, `audience` and `context` the group, a `Mention` of the group, and
`inReplyTo` the parent's own id for replies.
"""

from __future__ import annotations

from typing import Any

from federation import ld, urls
from federation.delivery import enqueue
from federation.outbox.activities import (
    fresh_id,
    render_delete,
    render_like,
    render_undo,
    render_update,
    vote_type,
)
from federation.outbox.audience import inbox_of
from federation.queries import NOTE_PREFETCH, NOTE_SELECT, note_of
from federation.render import render_create
from server.models import (
    Actor,
    Group,
    Membership,
    MembershipState,
    Post,
    PostState,
    Reaction,
)
from server.services import remote_groups
from server.settings import Settings

__all__ = [
    "render_follow",
    "send_follow",
    "send_post_created",
    "send_post_deleted",
    "send_post_edited",
    "send_reaction",
    "send_unfollow",
    "send_unreaction",
]


def render_follow(follow_id: str, person_id: str, group_id: str) -> dict[str, Any]:
    return {
        "@context": ld.CONTEXT,
        "id": follow_id,
        "type": "Follow",
        "actor": person_id,
        "object": group_id,
        "to": [group_id],
    }


def _follow_inbox(group_actor: Actor) -> str:
    # A Follow concerns the group itself: its own inbox first (Mastodon's choice too).
    return group_actor.inbox_url or group_actor.shared_inbox_url


async def send_follow(settings: Settings, membership_id: str) -> None:
    """A person here asked to join a group elsewhere: their Follow, its id kept on the row."""
    membership = (
        await Membership.filter(id=membership_id, state=MembershipState.PENDING)
        .select_related("actor", "group__actor")
        .first()
    )
    if membership is None or not membership.actor.is_local:
        return
    group_actor = membership.group.actor
    if group_actor.is_local:
        return
    person_id = urls.actor_id(settings, membership.actor)
    follow_id = fresh_id(person_id, "follows")
    await remote_groups.record_follow(membership, follow_id)
    follow = render_follow(follow_id, person_id, group_actor.ap_id or "")
    await enqueue(follow, membership.actor.id, [_follow_inbox(group_actor)])


async def send_unfollow(
    settings: Settings, group_id: str, actor_id: str, follow_ap_id: str
) -> None:
    """A person here left (or withdrew their request to) a group elsewhere: Undo{Follow}."""
    person = await Actor.get_or_none(id=actor_id)
    group = await Group.filter(id=group_id).select_related("actor").first()
    if person is None or not person.is_local or group is None or group.actor.is_local:
        return
    person_id = urls.actor_id(settings, person)
    # Peers match an Undo by its Follow's actor and object; the id is kept when we have it.
    follow_id = follow_ap_id or fresh_id(person_id, "follows")
    follow = render_follow(follow_id, person_id, group.actor.ap_id or "")
    await enqueue(render_undo(settings, person, follow), person.id, [_follow_inbox(group.actor)])


async def _local_post_elsewhere(post_id: str, loaded: Post | None = None) -> Post | None:
    """A post written here in a group hosted elsewhere, loaded for `note_of` (`loaded`: the
    post in hand, with NOTE_SELECT's relations)."""
    post = loaded or await Post.filter(id=post_id).select_related(*NOTE_SELECT).first()
    if post is None or post.ap_id or not post.author.is_local or post.group.actor.is_local:
        return None
    return post


def _note(settings: Settings, post: Post) -> dict[str, Any]:
    return note_of(settings, post, with_context=False)


async def send_post_created(settings: Settings, post_id: str, loaded: Post | None = None) -> None:
    post = await _local_post_elsewhere(post_id, loaded)
    if post is None or post.state != PostState.PUBLISHED:
        return
    await Post.fetch_for_list([post], *NOTE_PREFETCH)
    create = render_create(settings, post, _note(settings, post))
    await enqueue(create, post.author.id, [inbox_of(post.group.actor)])


async def send_post_edited(settings: Settings, post_id: str) -> None:
    post = await _local_post_elsewhere(post_id)
    if post is None or post.state != PostState.PUBLISHED:
        return
    await Post.fetch_for_list([post], *NOTE_PREFETCH)
    note = _note(settings, post)
    addressing = {key: note[key] for key in ("to", "cc", "audience")}
    update = render_update(note["attributedTo"], note, addressing)
    await enqueue(update, post.author.id, [inbox_of(post.group.actor)])


async def send_post_deleted(settings: Settings, post_id: str) -> None:
    post = await _local_post_elsewhere(post_id)
    if post is None:
        return
    author_id = urls.actor_id(settings, post.author)
    delete = render_delete(settings, author_id, post, group_actor=post.group.actor)
    await enqueue(delete, post.author.id, [inbox_of(post.group.actor)])


async def send_reaction(settings: Settings, reaction_id: str) -> None:
    """A vote here on a post of a group elsewhere: to the group (which counts and announces
    it) and to the post's author when they are elsewhere too (Lemmy does the same)."""
    reaction = (
        await Reaction.filter(id=reaction_id)
        .select_related("actor", "post__author", "post__group__actor")
        .first()
    )
    if reaction is None or not reaction.actor.is_local:
        return
    post, group_actor = reaction.post, reaction.post.group.actor
    if group_actor.is_local or post.state != PostState.PUBLISHED:
        return
    kind = vote_type(reaction.kind)
    voter_id = urls.actor_id(settings, reaction.actor)
    like = render_like(
        settings,
        voter_id,
        post,
        kind=kind,
        activity_id=f"{voter_id}#{kind.lower()}s/{reaction.id}",
        group_actor=group_actor,
    )
    targets = [inbox_of(group_actor)]
    if not post.author.is_local:
        targets.append(inbox_of(post.author))
    await enqueue(like, reaction.actor.id, targets)


async def send_unreaction(settings: Settings, post_id: str, actor_id: str, kind: str) -> None:
    """The vote was taken back: Undo of a vote (peers match it by voter and post)."""
    voter = await Actor.get_or_none(id=actor_id)
    post = await Post.filter(id=post_id).select_related("author", "group__actor").first()
    if voter is None or not voter.is_local or post is None or post.group.actor.is_local:
        return
    voter_id = urls.actor_id(settings, voter)
    vote_kind = vote_type(kind)
    like = render_like(
        settings,
        voter_id,
        post,
        kind=vote_kind,
        activity_id=fresh_id(voter_id, f"{vote_kind.lower()}s"),
        group_actor=post.group.actor,
    )
    targets = [inbox_of(post.group.actor)]
    if not post.author.is_local:
        targets.append(inbox_of(post.author))
    await enqueue(render_undo(settings, voter, like), voter.id, targets)
