"""Notifications for people with an account here: replies, mentions, answers, join decisions.

They are written by subscribers of domain events, in the transaction of the change, so a
notification exists exactly when its cause was committed. Remote people are never notified
here (their own server tells them), and nobody is notified of their own doing.
"""

from __future__ import annotations

from server import events
from server.models import (
    Account,
    MemberRole,
    Membership,
    MembershipState,
    Notification,
    NotificationKind,
    Post,
    PostMention,
    PostState,
    utcnow,
)
from server.services._paging import Page, keyset_page

__all__ = ["list_notifications", "mark_all_read", "mark_read", "register", "unread_count"]

DEFAULT_LIMIT = 20


def register(bus: events.EventBus) -> None:
    """Subscribe to the events that notify someone. Calling it twice subscribes once."""
    bus.subscribe(events.PostCreated, _on_post_created)
    bus.subscribe(events.PostEdited, _on_post_edited)
    bus.subscribe(events.AnswerAccepted, _on_answer_accepted)
    bus.subscribe(events.MembershipRequested, _on_membership_requested)
    bus.subscribe(events.MembershipAccepted, _on_membership_accepted)
    bus.subscribe(events.MembershipRejected, _on_membership_rejected)


async def list_notifications(
    account: Account, *, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[Notification]:
    query = Notification.filter(recipient=account).select_related("actor", "group__actor", "post")
    return await keyset_page(
        query, field="created_at", cursor=cursor, limit=limit, key=lambda n: n.created_at
    )


async def unread_count(account: Account) -> int:
    return await Notification.filter(recipient=account, read_at__isnull=True).count()


async def mark_all_read(account: Account) -> int:
    """Mark every unread notification read; returns how many were."""
    return await Notification.filter(recipient=account, read_at__isnull=True).update(
        read_at=utcnow()
    )


async def mark_read(account: Account, notification_ids: list[str]) -> int:
    """Mark some of the account's notifications read; others' ids are ignored."""
    return await Notification.filter(
        recipient=account, id__in=notification_ids, read_at__isnull=True
    ).update(read_at=utcnow())


# --- subscribers ----------------------------------------------------------------------------


async def _on_post_created(event: events.Event) -> None:
    assert isinstance(event, events.PostCreated)
    post = await Post.get_or_none(id=event.post_id).select_related("parent")
    if post is None or post.state != PostState.PUBLISHED:
        return
    notified: set[str] = set()
    if post.parent is not None and await _notify(
        post.parent.author_id, NotificationKind.REPLY, post, by=post.author_id
    ):
        notified.add(post.parent.author_id)
    await _notify_mentions(post, skip=notified)


async def _on_post_edited(event: events.Event) -> None:
    """Edits notify only people mentioned for the first time in this post."""
    assert isinstance(event, events.PostEdited)
    post = await Post.get_or_none(id=event.post_id)
    if post is None or post.state != PostState.PUBLISHED:
        return
    already = await Notification.filter(post=post).values_list("recipient__actor_id", flat=True)
    await _notify_mentions(post, skip={str(actor_id) for actor_id in already})


async def _notify_mentions(post: Post, *, skip: set[str]) -> None:
    mentioned = await PostMention.filter(post=post).values_list("actor_id", flat=True)
    for actor_id in mentioned:
        if str(actor_id) not in skip:
            await _notify(str(actor_id), NotificationKind.MENTION, post, by=post.author_id)


async def _on_answer_accepted(event: events.Event) -> None:
    assert isinstance(event, events.AnswerAccepted)
    answer = await Post.get_or_none(id=event.answer_id)
    if answer is not None:
        await _notify(
            answer.author_id, NotificationKind.ANSWER_ACCEPTED, answer, by=event.by_actor_id
        )


async def _on_membership_requested(event: events.Event) -> None:
    assert isinstance(event, events.MembershipRequested)
    membership = await Membership.get_or_none(id=event.membership_id)
    if membership is None:
        return
    moderators = await Membership.filter(
        group_id=membership.group_id,
        state=MembershipState.ACCEPTED,
        role__in=[MemberRole.OWNER, MemberRole.MODERATOR],
    ).values_list("actor_id", flat=True)
    for moderator_id in moderators:
        await _create(
            str(moderator_id),
            NotificationKind.JOIN_REQUEST,
            by=membership.actor_id,
            group_id=membership.group_id,
        )


async def _on_membership_accepted(event: events.Event) -> None:
    assert isinstance(event, events.MembershipAccepted)
    membership = await Membership.get_or_none(id=event.membership_id)
    # Joining an open group is one's own doing: only a moderator's decision is news.
    if membership is None or membership.decided_by_id is None:  # type: ignore[attr-defined]
        return
    await _create(
        membership.actor_id,
        NotificationKind.JOIN_ACCEPTED,
        by=membership.decided_by_id,  # type: ignore[attr-defined]
        group_id=membership.group_id,
    )


async def _on_membership_rejected(event: events.Event) -> None:
    assert isinstance(event, events.MembershipRejected)
    await _create(event.actor_id, NotificationKind.JOIN_REJECTED, by=None, group_id=event.group_id)


async def _notify(recipient_actor_id: str, kind: NotificationKind, post: Post, *, by: str) -> bool:
    return await _create(recipient_actor_id, kind, by=by, group_id=post.group_id, post_id=post.id)


async def _create(
    recipient_actor_id: str,
    kind: NotificationKind,
    *,
    by: str | None,
    group_id: str | None = None,
    post_id: str | None = None,
) -> bool:
    """Notify the account of this actor, if it is a local one and not the one who acted."""
    if recipient_actor_id == by:
        return False
    account = await Account.get_or_none(actor_id=recipient_actor_id)
    if account is None:
        return False
    notification = await Notification.create(
        recipient=account, kind=kind, actor_id=by, group_id=group_id, post_id=post_id
    )
    await events.bus.publish(events.NotificationCreated(notification.id, account.id))
    return True
