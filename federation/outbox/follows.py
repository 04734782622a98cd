"""Answers to remote Follows: the group's signed `Accept` or `Reject`, the Follow embedded.

Local members joined on the web and need no answer; a remote member who joined without a
Follow id (none recorded) gets none either, since there is nothing to accept.
"""

from __future__ import annotations

from federation.delivery import enqueue
from federation.outbox.activities import render_follow_answer
from server.models import Actor, Group, Membership, MembershipState
from server.settings import Settings

__all__ = ["send_follow_accepted", "send_follow_rejected"]


def _inbox(follower: Actor) -> str:
    # The answer concerns one actor: its own inbox first (Mastodon's choice too).
    return follower.inbox_url or follower.shared_inbox_url


async def send_follow_accepted(settings: Settings, membership_id: str) -> None:
    membership = (
        await Membership.filter(id=membership_id, state=MembershipState.ACCEPTED)
        .select_related("actor", "group__actor")
        .first()
    )
    if membership is None or membership.actor.is_local or not membership.follow_ap_id:
        return
    group_actor = membership.group.actor
    accept = render_follow_answer(
        settings, group_actor, membership.actor, membership.follow_ap_id, kind="Accept"
    )
    await enqueue(accept, group_actor.id, [_inbox(membership.actor)])


async def send_follow_rejected(
    settings: Settings, group_id: str, actor_id: str, follow_ap_id: str
) -> None:
    if not follow_ap_id:
        return
    follower = await Actor.get_or_none(id=actor_id)
    group = await Group.filter(id=group_id).select_related("actor").first()
    if follower is None or follower.is_local or group is None:
        return
    reject = render_follow_answer(settings, group.actor, follower, follow_ap_id, kind="Reject")
    await enqueue(reject, group.actor.id, [_inbox(follower)])
