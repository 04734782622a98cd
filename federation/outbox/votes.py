"""A vote taken back on a post in a group hosted here: the voter's `Undo{Like}` (or Dislike) goes
to a remote author's server, and the group announces it to threadiverse peers, the same way the
vote itself travelled (`posts.send_post_reacted`), so every copy of the count goes down again.

Peers match an Undo of a vote by its voter and post, so the inner vote is rebuilt from the event:
its own id when the vote came from elsewhere, a fresh one on the voter's origin otherwise.
"""

from __future__ import annotations

from federation import urls
from federation.outbox.activities import (
    fresh_id,
    render_announce_activity,
    render_like,
    render_undo,
    vote_type,
)
from federation.outbox.addressing import enqueue_for_group
from federation.outbox.audience import SoftwareLookup, group_audience, inbox_of
from server.models import Actor, GroupState, Post, PostState
from server.settings import Settings


async def send_post_unreacted(
    settings: Settings,
    lookup: SoftwareLookup,
    post_id: str,
    actor_id: str,
    reaction_ap_id: str | None,
    kind: str,
) -> None:
    voter = await Actor.get_or_none(id=actor_id)
    post = await Post.filter(id=post_id).select_related("author", "group__actor").first()
    if voter is None or post is None or post.state != PostState.PUBLISHED:
        return
    group_actor = post.group.actor
    if not group_actor.is_local or post.group.state != GroupState.ACTIVE:
        return
    vote_kind = vote_type(kind)
    voter_id = urls.actor_id(settings, voter)
    vote = render_like(
        settings,
        voter_id,
        post,
        kind=vote_kind,
        activity_id=reaction_ap_id or fresh_id(voter_id, f"{vote_kind.lower()}s"),
        group_actor=group_actor,
    )
    undo = render_undo(settings, voter, vote)
    if voter.is_local and not post.author.is_local and inbox_of(post.author):
        await enqueue_for_group(settings, post.group, undo, voter.id, [inbox_of(post.author)])
    audience = await group_audience(post.group_id, lookup)
    if audience.threadiverse:
        announce = render_announce_activity(settings, group_actor, undo)
        await enqueue_for_group(
            settings, post.group, announce, group_actor.id, audience.threadiverse
        )
