"""Groups hosted on other servers, as people here take part in them.

A remote group is a `Group` row whose actor is remote. Its own server decides who belongs to it
and what is in it; this instance keeps a copy of what the group shares, so that people here can
read it, and passes on what they write there:

- `track_remote_group`: store (or refresh) the Group row for a remote Group actor; it is then
  found by `groups.get_group("name@host[:port]")`.
- joining is `groups.request_membership`, which stays pending for a remote group until its
  server answers: `confirm_remote_membership` (Accept or Reject), `record_follow` keeps the id
  of the Follow that asked.
- what the group announces is stored by `remote.receive_post(..., via_group=True)` (no local
  membership check: the group vouches), `remove_announced_post` (a moderator there removed it),
  `restore_announced_post` (and restored it),
  `record_announced_reaction` / `withdraw_announced_reaction` (votes it counts).

Nothing here speaks ActivityPub; the federation adapter calls these services.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from server import events
from server.models import (
    Actor,
    ActorKind,
    Group,
    GroupState,
    GroupVisibility,
    JoinPolicy,
    Membership,
    MembershipState,
    Post,
    PostingPolicy,
    PostState,
    Reaction,
    ReactionKind,
    utcnow,
)
from server.services import posts
from server.services.counts import recount_group, recount_replies
from server.services.errors import Forbidden, Invalid, NotFound

# The counters are the owning services' bookkeeping; remote groups keep them the same way.
from server.services.groups import _recount_members
from server.services.posts import remove_reaction

__all__ = [
    "confirm_remote_membership",
    "is_remote",
    "learn_visibility",
    "record_announced_reaction",
    "record_follow",
    "remove_announced_post",
    "restore_announced_post",
    "track_remote_group",
    "withdraw_announced_reaction",
]


async def is_remote(group: Group) -> bool:
    actor = await Actor.get(id=group.actor_id)
    return not actor.is_local


async def track_remote_group(
    actor: Actor, *, approval: bool = False, moderators_only: bool = False
) -> Group:
    """The Group row of a remote Group actor, created or refreshed from its document.

    Its policies mirror what its server publishes (`manuallyApprovesFollowers`,
    `postingRestrictedToMods`); its description is the actor's summary.
    """
    if actor.is_local or actor.kind != ActorKind.GROUP:
        raise Invalid({"handle": "That is not a group on another server."})
    join_policy = JoinPolicy.APPROVAL if approval else JoinPolicy.OPEN
    posting_policy = PostingPolicy.MODERATORS if moderators_only else PostingPolicy.MEMBERS
    group = await Group.get_or_none(actor=actor)
    if group is None:
        group = await Group.create(
            actor=actor,
            description_html=actor.summary_html,
            join_policy=join_policy,
            posting_policy=posting_policy,
            state=GroupState.ACTIVE,
        )
    else:
        group.description_html = actor.summary_html
        group.join_policy = join_policy
        group.posting_policy = posting_policy
        await group.save(update_fields=["description_html", "join_policy", "posting_policy"])
    group.actor = actor
    return group


async def learn_visibility(group: Group, *, public: bool) -> None:
    """A group elsewhere is members-only while it shares its posts with its followers only
    (our read policy then shows them to its members here alone), public once it shares
    publicly again. Posts already here keep what their group's visibility says."""
    wanted = GroupVisibility.PUBLIC if public else GroupVisibility.MEMBERS
    if group.visibility != wanted:
        await Group.filter(id=group.id).update(visibility=wanted)
        group.visibility = wanted


async def record_follow(membership: Membership, follow_ap_id: str) -> None:
    """Remember the Follow that asked the remote group, so its answer and Undo can name it."""
    membership.follow_ap_id = follow_ap_id[:2048]
    await membership.save(update_fields=["follow_ap_id"])


async def confirm_remote_membership(
    group: Group, actor: Actor, *, accepted: bool
) -> Membership | None:
    """The remote group's server accepted (or refused) a person here; None if they never asked.

    An Accept of an accepted membership changes nothing; a Reject ends a standing one too (the
    group's server turned the person out).
    """
    if not await is_remote(group):
        raise Forbidden("Only a group on another server answers follows this way.")
    membership = await Membership.get_or_none(group=group, actor=actor)
    if membership is None or membership.state == MembershipState.REJECTED:
        return None
    wanted = MembershipState.ACCEPTED if accepted else MembershipState.REJECTED
    if membership.state == wanted:
        return membership
    async with in_transaction():
        membership.state = wanted
        membership.decided_at = utcnow()
        membership.decided_by = None
        await membership.save()
        await _recount_members(group)
        if accepted:
            await events.bus.publish(events.MembershipAccepted(membership.id))
        else:
            await events.bus.publish(
                events.MembershipRejected(group.id, actor.id, membership.follow_ap_id)
            )
    return membership


async def remove_announced_post(group: Group, post: Post, *, reason: str = "") -> Post:
    """A moderator of the group on its server removed the post: it leaves our pages too."""
    if post.group_id != group.id or not await is_remote(group):
        raise NotFound("That post is not in this group.")
    if post.state in (PostState.REMOVED, PostState.DELETED):
        return post
    group_actor = await Actor.get(id=group.actor_id)
    async with in_transaction():
        post.state = PostState.REMOVED
        post.removed_at = utcnow()
        post.removal_reason = reason.strip()[:2000]
        await post.save(update_fields=["state", "removed_at", "removal_reason"])
        if post.root_id:
            await recount_replies(post.root_id)
        await recount_group(group)
        await events.bus.publish(events.PostRemoved(post.id, group_actor.id))
    return post


async def restore_announced_post(group: Group, post: Post) -> Post:
    """A moderator of the group on its server restored a post it had removed: it is back here
    too, unless this instance hides its author (suspended here)."""
    if post.group_id != group.id or not await is_remote(group):
        raise NotFound("That post is not in this group.")
    if post.state != PostState.REMOVED:
        return post
    author = await Actor.get(id=post.author_id)
    if author.suspended_at is not None:
        raise Forbidden("The author is suspended here; the post stays hidden.")
    group_actor = await Actor.get(id=group.actor_id)
    async with in_transaction():
        post.state = PostState.PUBLISHED
        post.removed_at = None
        post.removal_reason = ""
        await post.save(update_fields=["state", "removed_at", "removal_reason"])
        if post.root_id:
            await recount_replies(post.root_id)
        await recount_group(group)
        await events.bus.publish(events.PostRestored(post.id, group_actor.id))
    return post


async def record_announced_reaction(
    actor: Actor, post: Post, *, kind: ReactionKind, ap_id: str
) -> Reaction:
    """A vote the group counted on one of its posts (no local membership is needed)."""
    await _check_announced(actor, post)
    return await posts.record_reaction(post, actor, kind, ap_id)


async def withdraw_announced_reaction(actor: Actor, post: Post) -> None:
    """The voter took their vote back, as the group announced."""
    await _check_announced(actor, post)
    await remove_reaction(post, actor)


async def _check_announced(actor: Actor, post: Post) -> None:
    if actor.is_local:
        raise Forbidden("People here vote on this instance, not through another server.")
    if not post.is_visible:
        raise NotFound("That post is no longer there.")
    group = await Group.get(id=post.group_id)
    if not await is_remote(group):
        raise Forbidden("Votes in groups here come from their members.")
