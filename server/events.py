"""Domain events, published inside the transaction of the change that causes them.

Subscribers (the federation adapter, notifications) run in that same transaction, so what they
write — outgoing deliveries, notifications — commits or rolls back together with the change.

A change made of many like changes at once (the inbox worker storing a batch of received posts,
`remote.receive_posts`) publishes their events together (`publish_many`): a subscriber that
gave a batch handler (`subscribe(..., many=...)`) gets them all in one call (so it writes with a
statement for the whole batch instead of one per event), every other one gets them one by one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from server.models import Post


@dataclass(frozen=True)
class Event:
    """Base of every domain event."""


@dataclass(frozen=True)
class StoredPost:
    """A post its publisher has just created, in the transaction publishing the event, with
    what the subscribers read of it in hand, so that none loads it again: `post` with its
    `author`, `group` (and the group's `actor`) and `parent` (None for a thread) loaded, and the
    hashtags and mentioned actor ids stored with it. Subscribers only read it."""

    post: Post
    hashtags: tuple[str, ...] = ()
    mentioned_actor_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class PostCreated(Event):
    """A post was published: just created (`stored` may then carry it, see `StoredPost`), or
    approved or restored by a moderator (only the id: subscribers load it)."""

    post_id: str
    stored: StoredPost | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class PostEdited(Event):
    post_id: str


@dataclass(frozen=True)
class PostDeleted(Event):
    post_id: str


@dataclass(frozen=True)
class PostRemoved(Event):
    post_id: str
    moderator_id: str


@dataclass(frozen=True)
class PostRestored(Event):
    post_id: str
    moderator_id: str


@dataclass(frozen=True)
class FederationWorkRequeued(Event):
    """An admin made waiting or given-up deliveries, or dead received activities, due again."""

    deliveries: bool
    inbox: bool


@dataclass(frozen=True)
class NotificationCreated(Event):
    """A member was notified (mail subscribers decide whether it is also mailed)."""

    notification_id: str
    recipient_account_id: str


@dataclass(frozen=True)
class AnswerAccepted(Event):
    """A reply became the accepted answer of its question (not published when un-accepted)."""

    question_id: str
    answer_id: str
    by_actor_id: str


@dataclass(frozen=True)
class AnswerUnaccepted(Event):
    """A reply stopped being its question's accepted answer (un-marked, or another accepted)."""

    question_id: str
    answer_id: str


@dataclass(frozen=True)
class PostPinned(Event):
    post_id: str
    moderator_id: str


@dataclass(frozen=True)
class PostUnpinned(Event):
    post_id: str
    moderator_id: str


@dataclass(frozen=True)
class PostSaved(Event):
    post_id: str
    actor_id: str  # the actor of the member who saved it


@dataclass(frozen=True)
class PostUnsaved(Event):
    post_id: str
    actor_id: str


@dataclass(frozen=True)
class PostReacted(Event):
    reaction_id: str


@dataclass(frozen=True)
class PostUnreacted(Event):
    post_id: str
    actor_id: str
    reaction_ap_id: str | None
    kind: str


@dataclass(frozen=True)
class MembershipRequested(Event):
    membership_id: str


@dataclass(frozen=True)
class MembershipAccepted(Event):
    membership_id: str


@dataclass(frozen=True)
class MembershipRejected(Event):
    group_id: str
    actor_id: str
    follow_ap_id: str


@dataclass(frozen=True)
class MembershipEnded(Event):
    group_id: str
    actor_id: str
    follow_ap_id: str = ""  # the Follow that had asked, for an Undo to a group elsewhere


@dataclass(frozen=True)
class GroupUpdated(Event):
    group_id: str


@dataclass(frozen=True)
class ModeratorChanged(Event):
    """A member was appointed moderator (`appointed`) or stopped being one, by `by_actor_id`."""

    group_id: str
    actor_id: str
    by_actor_id: str
    appointed: bool


@dataclass(frozen=True)
class MemberBanned(Event):
    """Published after the Ban row is stored and the membership ended; `follow_ap_id` is the
    banned person's Follow, if they had followed from another server."""

    group_id: str
    actor_id: str
    follow_ap_id: str = ""


@dataclass(frozen=True)
class MemberUnbanned(Event):
    group_id: str
    actor_id: str
    by_actor_id: str


@dataclass(frozen=True)
class ActorUpdated(Event):
    actor_id: str


@dataclass(frozen=True)
class ActorStateChanged(Event):
    """An actor (a person, or a group's actor) was suspended, unsuspended or approved: who may
    see it changed, though nothing in its profile did."""

    actor_id: str


@dataclass(frozen=True)
class InstanceUpdated(Event):
    """An admin changed the instance's settings (its name, description, rules, registration)."""


@dataclass(frozen=True)
class DomainBlockChanged(Event):
    """An admin blocked a domain, changed its block, or lifted it."""

    domain: str


@dataclass(frozen=True)
class ActorDeleted(Event):
    """A local account was deleted; published while its memberships still exist, so that
    subscribers can tell who knew the person."""

    actor_id: str


@dataclass(frozen=True)
class ReportForwarded(Event):
    """A report goes to another server as a `Flag` from the instance actor: to the reported
    person's server, or (`to_group`) to the server hosting the reported post's group."""

    report_id: str
    to_group: bool = False


@dataclass(frozen=True)
class ReportFiled(Event):
    """A report entered the queue: filed by a member here, or arrived as a `Flag`."""

    report_id: str


@dataclass(frozen=True)
class ReportResolved(Event):
    """A moderator or admin closed a report with `action` (a `reports.ReportAction` value)."""

    report_id: str
    by_actor_id: str
    action: str


@dataclass(frozen=True)
class PostHeld(Event):
    """A new post (or reply) waits for a moderator; its `held_reason` says why."""

    post_id: str


@dataclass(frozen=True)
class HeldPostApproved(Event):
    post_id: str
    by_actor_id: str


@dataclass(frozen=True)
class HeldPostRejected(Event):
    post_id: str
    by_actor_id: str
    reason: str = ""


@dataclass(frozen=True)
class SignupWaiting(Event):
    """A sign-up (approval mode) waits for an admin."""

    account_id: str


@dataclass(frozen=True)
class BadgeAwarded(Event):
    """A person earned a badge (granted by the worker) or an admin gave them one."""

    award_id: str


@dataclass(frozen=True)
class GroupInvited(Event):
    """A moderator invited a person with an account here to a group, by their address."""

    invite_id: str
    recipient_account_id: str


Handler = Callable[[Event], Awaitable[None]]
ManyHandler = Callable[[Sequence[Event]], Awaitable[None]]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type[Event], list[Handler]] = defaultdict(list)
        self._many: dict[tuple[type[Event], Handler], ManyHandler] = {}

    def subscribe(
        self, event_type: type[Event], handler: Handler, *, many: ManyHandler | None = None
    ) -> None:
        """`many`: the same handling for a list of these events at once (`publish_many`)."""
        if handler not in self._handlers[event_type]:
            self._handlers[event_type].append(handler)
        if many is not None:
            self._many[(event_type, handler)] = many

    def subscriptions(self) -> dict[type[Event], list[Handler]]:
        """Who listens to what (a copy), for checking how a process was assembled."""
        return {kind: list(handlers) for kind, handlers in self._handlers.items() if handlers}

    def clear(self) -> None:
        self._handlers.clear()
        self._many.clear()

    async def publish(self, event: Event) -> None:
        for handler in self._handlers.get(type(event), ()):
            await handler(event)

    async def publish_many(self, published: Sequence[Event]) -> None:
        """Publish events of one change together: each subscriber in turn handles them all,
        in their order (its batch handler at once, if it gave one). Subscribers never depend
        on each other's work for an event (each writes its own rows), so handling the events
        subscriber by subscriber instead of event by event changes nothing they write."""
        runs: list[list[Event]] = []
        for event in published:  # consecutive events of one type go together
            if runs and type(runs[-1][0]) is type(event):
                runs[-1].append(event)
            else:
                runs.append([event])
        for run in runs:
            kind = type(run[0])
            for handler in self._handlers.get(kind, ()):
                many = self._many.get((kind, handler))
                if many is not None:
                    await many(run)
                    continue
                for event in run:
                    await handler(event)


bus = EventBus()
