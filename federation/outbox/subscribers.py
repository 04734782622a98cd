"""The outbox's subscriptions to domain events: each event, the activities it sends.

Handlers run inside the domain transaction that published the event, so the delivery rows they
write commit or roll back with the change (DESIGN.md, "the transactional outbox"). They never
touch the network: the worker sends the rows after the commit.

`register` is idempotent per bus: registering again (each `create_app` does) updates the one
subscriber's settings instead of adding a second one, which would send everything twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from weakref import WeakKeyDictionary

from federation.outbox import (
    deleted_actors,
    follows,
    posts,
    profiles,
    remote_groups,
    reports,
    restores,
    staff,
    votes,
    withdrawals,
)
from federation.outbox.audience import SoftwareLookup
from federation.outbox.software import cached_software
from server.events import (
    ActorDeleted,
    ActorUpdated,
    Event,
    EventBus,
    GroupUpdated,
    Handler,
    ManyHandler,
    MemberBanned,
    MembershipAccepted,
    MembershipEnded,
    MembershipRejected,
    MembershipRequested,
    MemberUnbanned,
    ModeratorChanged,
    PostCreated,
    PostDeleted,
    PostEdited,
    PostReacted,
    PostRemoved,
    PostRestored,
    PostUnreacted,
    ReportForwarded,
)
from server.settings import Settings

__all__ = ["Outbox", "register"]


class Outbox:
    """Turns domain events into queued deliveries, with one base URL and software lookup."""

    def __init__(self, settings: Settings, software_lookup: SoftwareLookup) -> None:
        self.settings = settings
        self.lookup = software_lookup

    def batch_handlers(self) -> dict[tuple[type[Event], Handler], ManyHandler]:
        """The events it handles many at once (`EventBus.publish_many`)."""
        return {(PostCreated, self.on_event): self.on_posts_created}

    async def on_posts_created(self, published: Sequence[Event]) -> None:
        """Posts created together: their Announces queued at once (`posts.send_posts_created`)."""
        stored = [e.stored for e in published if isinstance(e, PostCreated) and e.stored]
        await posts.send_posts_created(self.settings, self.lookup, stored)
        for event in published:
            if not (isinstance(event, PostCreated) and event.stored is not None):
                await self.on_event(event)

    def subscriptions(self) -> list[tuple[type[Event], Callable[[Event], Awaitable[None]]]]:
        return [
            (MembershipAccepted, self.on_event),
            (MembershipRejected, self.on_event),
            (PostCreated, self.on_event),
            (PostEdited, self.on_event),
            (PostDeleted, self.on_event),
            (PostRemoved, self.on_event),
            (PostRestored, self.on_event),
            (PostReacted, self.on_event),
            (PostUnreacted, self.on_event),
            (GroupUpdated, self.on_event),
            (ActorUpdated, self.on_event),
            (ActorDeleted, self.on_event),
            (MemberBanned, self.on_event),
            (MembershipEnded, self.on_event),
            (MemberUnbanned, self.on_event),
            (ModeratorChanged, self.on_event),
            (ReportForwarded, self.on_event),
            # People here taking part in groups hosted elsewhere (`remote_groups`).
            (MembershipRequested, self.on_remote_group_event),
            (MembershipEnded, self.on_remote_group_event),
            (PostCreated, self.on_remote_group_event),
            (PostEdited, self.on_remote_group_event),
            (PostDeleted, self.on_remote_group_event),
            (PostReacted, self.on_remote_group_event),
            (PostUnreacted, self.on_remote_group_event),
        ]

    async def on_event(self, event: Event) -> None:
        settings, lookup = self.settings, self.lookup
        match event:
            case MembershipAccepted(membership_id=membership_id):
                await follows.send_follow_accepted(settings, membership_id)
            case MembershipRejected(group_id=group_id, actor_id=actor_id, follow_ap_id=follow):
                await follows.send_follow_rejected(settings, group_id, actor_id, follow)
            case PostCreated(post_id=post_id, stored=stored):
                await posts.send_post_created(settings, lookup, post_id, stored)
            case PostEdited(post_id=post_id):
                await posts.send_post_edited(settings, lookup, post_id)
            case PostDeleted(post_id=post_id):
                await posts.send_post_deleted(settings, lookup, post_id)
            case PostRemoved(post_id=post_id, moderator_id=moderator_id):
                await posts.send_post_removed(settings, lookup, post_id, moderator_id)
            case PostRestored(post_id=post_id, moderator_id=moderator_id):
                await restores.send_post_restored(settings, lookup, post_id, moderator_id)
            case PostReacted(reaction_id=reaction_id):
                await posts.send_post_reacted(settings, lookup, reaction_id)
            case PostUnreacted(post_id=post_id, actor_id=actor_id, reaction_ap_id=ap_id, kind=kind):
                await votes.send_post_unreacted(settings, lookup, post_id, actor_id, ap_id, kind)
            case GroupUpdated(group_id=group_id):
                await profiles.send_group_updated(settings, lookup, group_id)
            case ActorUpdated(actor_id=actor_id):
                await profiles.send_actor_updated(settings, lookup, actor_id)
            case ActorDeleted(actor_id=actor_id):
                await deleted_actors.send_actor_deleted(settings, lookup, actor_id)
            case MemberBanned(group_id=group_id, actor_id=actor_id, follow_ap_id=follow):
                await staff.send_member_banned(settings, lookup, group_id, actor_id, follow)
                await withdrawals.withdraw_queued(settings, group_id, actor_id)
            case MembershipEnded(group_id=group_id, actor_id=actor_id):
                await withdrawals.withdraw_queued(settings, group_id, actor_id)
            case MemberUnbanned(group_id=group_id, actor_id=actor_id, by_actor_id=by):
                await staff.send_member_unbanned(settings, lookup, group_id, actor_id, by)
            case ModeratorChanged(group_id=g, actor_id=a, by_actor_id=by, appointed=appointed):
                await staff.send_moderator_changed(settings, lookup, g, a, by, appointed=appointed)
            case ReportForwarded(report_id=report_id, to_group=to_group):
                await reports.send_report(settings, lookup, report_id, to_group=to_group)
            case _:
                pass  # not an event the outbox sends anything for

    async def on_remote_group_event(self, event: Event) -> None:
        """The same events, when they concern a group on another server (each function
        returns at once for a group hosted here)."""
        settings = self.settings
        match event:
            case MembershipRequested(membership_id=membership_id):
                await remote_groups.send_follow(settings, membership_id)
            case MembershipEnded(group_id=group_id, actor_id=actor_id, follow_ap_id=follow):
                await remote_groups.send_unfollow(settings, group_id, actor_id, follow)
            case PostCreated(post_id=post_id, stored=stored):
                loaded = stored.post if stored is not None else None
                await remote_groups.send_post_created(settings, post_id, loaded)
            case PostEdited(post_id=post_id):
                await remote_groups.send_post_edited(settings, post_id)
            case PostDeleted(post_id=post_id):
                await remote_groups.send_post_deleted(settings, post_id)
            case PostReacted(reaction_id=reaction_id):
                await remote_groups.send_reaction(settings, reaction_id)
            case PostUnreacted(post_id=post_id, actor_id=actor_id, kind=kind):
                await remote_groups.send_unreaction(settings, post_id, actor_id, kind)
            case _:
                pass


_outboxes: WeakKeyDictionary[EventBus, Outbox] = WeakKeyDictionary()


def register(
    bus: EventBus, settings: Settings, software_lookup: SoftwareLookup = cached_software
) -> Outbox:
    """Subscribe the outbox to `bus` (once; a later call only updates its settings)."""
    outbox = _outboxes.get(bus)
    if outbox is None:
        outbox = _outboxes[bus] = Outbox(settings, software_lookup)
    outbox.settings, outbox.lookup = settings, software_lookup
    many = outbox.batch_handlers()
    for event_type, handler in outbox.subscriptions():
        # The bus ignores a handler it already has.
        bus.subscribe(event_type, handler, many=many.get((event_type, handler)))
    return outbox
