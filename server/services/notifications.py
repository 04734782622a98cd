"""Notifications for people with an account here: replies, mentions, answers, join decisions,
what they watch, and moderation news (reports, held posts, sign-ups) with its outcome.

They are written by subscribers of domain events, in the transaction of the change, so a
notification exists exactly when its cause was committed. Remote people are never notified
here (their own server tells them), and nobody is notified of their own doing. A member who
muted a thread or a group hears nothing about posts there (`watches`).

A notification about a post the recipient may no longer open (removed, deleted, in a suspended
group: `reading.openable_posts`) is neither listed nor counted. So news of a post's removal or
rejection names it in `text` and does not point at it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from tortoise.expressions import Q

from server import events
from server.content import plain_text
from server.models import (
    Account,
    AccountState,
    BadgeAward,
    Ban,
    Invite,
    MemberRole,
    Membership,
    MembershipState,
    Notification,
    NotificationKind,
    Post,
    PostMention,
    PostState,
    Report,
    Role,
    WatchLevel,
    utcnow,
)
from server.services import _prepared, holds, reading, watches
from server.services._paging import Page, keyset_page
from server.services.errors import NotFound

__all__ = [
    "TEXT_MAX",
    "list_notifications",
    "mark_all_read",
    "mark_read",
    "open_notification",
    "register",
    "unread_count",
]

DEFAULT_LIMIT = 20
INVITE_PATH = "/invite/"  # where a group invitation is followed
TEXT_MAX = 500  # Notification.text
LABEL_CHARS = 80
RELATED = ("actor", "group__actor", "post__root", "report", "recipient__actor")


def register(bus: events.EventBus) -> None:
    """Subscribe to the events that notify someone. Calling it twice subscribes once."""
    bus.subscribe(events.PostCreated, _on_post_created, many=_on_posts_created)
    bus.subscribe(events.PostEdited, _on_post_edited)
    bus.subscribe(events.AnswerAccepted, _on_answer_accepted)
    bus.subscribe(events.MembershipRequested, _on_membership_requested)
    bus.subscribe(events.MembershipAccepted, _on_membership_accepted)
    bus.subscribe(events.MembershipRejected, _on_membership_rejected)
    bus.subscribe(events.ReportFiled, _on_report_filed)
    bus.subscribe(events.ReportResolved, _on_report_resolved)
    bus.subscribe(events.PostRemoved, _on_post_removed)
    bus.subscribe(events.PostHeld, _on_post_held)
    bus.subscribe(events.HeldPostApproved, _on_held_post_approved)
    bus.subscribe(events.HeldPostRejected, _on_held_post_rejected)
    bus.subscribe(events.SignupWaiting, _on_signup_waiting)
    bus.subscribe(events.BadgeAwarded, _on_badge_awarded)
    bus.subscribe(events.GroupInvited, _on_group_invited)


def _shown(account: Account) -> Q:
    """The account's notifications it may see: about no post, or about one it may open."""
    return Q(recipient_id=account.id) & (
        Q(post_id__isnull=True) | reading.openable_posts(account, prefix="post__")
    )


async def list_notifications(
    account: Account, *, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[Notification]:
    query = Notification.filter(_shown(account)).select_related(*RELATED)
    return await keyset_page(
        query, field="created_at", cursor=cursor, limit=limit, key=lambda n: n.created_at
    )


async def unread_count(account: Account) -> int:
    """How many shown notifications are unread: one COUNT, for the header of every page."""

    def build(recipient: str, actor: str) -> Any:
        reader = Account(id=recipient, actor_id=actor, role=account.role)
        return Notification.filter(_shown(reader), read_at__isnull=True).count()

    count: int = await _prepared.run(
        ("unread count", account.is_admin), build, recipient=account.id, actor=account.actor_id
    )
    return count


async def open_notification(account: Account, notification_id: str) -> Notification:
    """One of the account's shown notifications, marked read; NotFound for any other id."""
    notification = await (
        Notification.filter(_shown(account), id=notification_id).select_related(*RELATED).first()
    )
    if notification is None:
        raise NotFound("There is no such notification.")
    if notification.read_at is None:
        notification.read_at = utcnow()
        await Notification.filter(id=notification.id).update(read_at=notification.read_at)
    return notification


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


# --- posts: replies, mentions, answers, watched threads and groups ---------------------------


async def _on_post_created(event: events.Event) -> None:
    assert isinstance(event, events.PostCreated)
    await _post_created(event, watches.watchers)


async def _on_posts_created(published: Sequence[events.Event]) -> None:
    """Posts created together (`EventBus.publish_many`): each group's and thread's watchers
    read once for all of them."""
    read: dict[tuple[str | None, str | None], list[str]] = {}

    async def watchers(*, thread_id: str | None = None, group_id: str | None = None) -> list[str]:
        key = (thread_id, group_id)
        if key not in read:
            read[key] = await watches.watchers(thread_id=thread_id, group_id=group_id)
        return read[key]

    for event in published:
        assert isinstance(event, events.PostCreated)
        await _post_created(event, watchers)


class _Watchers(Protocol):
    async def __call__(
        self, *, thread_id: str | None = None, group_id: str | None = None
    ) -> list[str]: ...


async def _post_created(event: events.PostCreated, watchers: _Watchers) -> None:
    stored = event.stored
    if stored is not None:
        post: Post | None = stored.post
    else:
        post = await Post.get_or_none(id=event.post_id).select_related("parent")
    # Only people with an account here watch; a remote author's thread (`stored` has the
    # author) has nobody to watch it.
    if post is not None and post.parent is None and (stored is None or post.author.is_local):
        await watches.watch_own_thread(post)
    if post is None or post.state != PostState.PUBLISHED:
        return
    notified: set[str] = {post.author_id}
    if post.parent is not None and await _notify(
        post.parent.author_id, NotificationKind.REPLY, post, by=post.author_id
    ):
        notified.add(post.parent.author_id)
    mentioned = None
    if stored is not None:
        # Posts from other servers mention their group (Mastodon's way to address one); a
        # group's actor has no account to notify.
        group_actor_id = post.group.actor_id
        mentioned = tuple(a for a in stored.mentioned_actor_ids if a != group_actor_id)
    notified |= await _notify_mentions(post, skip=notified, mentioned=mentioned)
    if post.parent is None:
        kind, watching = (
            NotificationKind.WATCHED_POST,
            await watchers(group_id=post.group_id),
        )
    else:
        kind, watching = (
            NotificationKind.WATCHED_REPLY,
            await watchers(thread_id=post.root_id),
        )
    for actor_id in watching:
        if actor_id not in notified:
            await _notify(actor_id, kind, post, by=post.author_id)


async def _on_post_edited(event: events.Event) -> None:
    """Edits notify only people mentioned for the first time in this post."""
    assert isinstance(event, events.PostEdited)
    post = await Post.get_or_none(id=event.post_id)
    if post is None or post.state != PostState.PUBLISHED:
        return
    already = await Notification.filter(post=post).values_list("recipient__actor_id", flat=True)
    await _notify_mentions(post, skip={str(actor_id) for actor_id in already})


async def _notify_mentions(
    post: Post, *, skip: set[str], mentioned: tuple[str, ...] | None = None
) -> set[str]:
    """Notify the people the post mentions (but those in `skip`); returns who was notified.
    `mentioned`: the actor ids it mentions, when the caller has them."""
    if mentioned is None:
        ids = await PostMention.filter(post=post).values_list("actor_id", flat=True)
        mentioned = tuple(str(actor_id) for actor_id in ids)
    notified: set[str] = set()
    for actor_id in map(str, mentioned):
        if actor_id not in skip and await _notify(
            actor_id, NotificationKind.MENTION, post, by=post.author_id
        ):
            notified.add(actor_id)
    return notified


async def _on_answer_accepted(event: events.Event) -> None:
    assert isinstance(event, events.AnswerAccepted)
    answer = await Post.get_or_none(id=event.answer_id)
    if answer is not None:
        await _notify(
            answer.author_id, NotificationKind.ANSWER_ACCEPTED, answer, by=event.by_actor_id
        )


# --- groups: join requests and decisions ---------------------------------------------------


async def _on_membership_requested(event: events.Event) -> None:
    assert isinstance(event, events.MembershipRequested)
    membership = await Membership.get_or_none(id=event.membership_id)
    if membership is None:
        return
    for moderator_id in await _moderators(membership.group_id):
        await _create(
            moderator_id,
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


async def _on_group_invited(event: events.Event) -> None:
    """The invited person hears of it; `text` is the invitation's path (only they see it)."""
    assert isinstance(event, events.GroupInvited)
    invite = await Invite.get_or_none(id=event.invite_id).select_related("created_by")
    account = await Account.get_or_none(id=event.recipient_account_id)
    if invite is None or account is None:
        return
    await _create(
        account.actor_id,
        NotificationKind.GROUP_INVITE,
        by=invite.created_by.actor_id,
        group_id=invite.group_id,  # type: ignore[attr-defined]
        text=f"{INVITE_PATH}{invite.code}",
    )


# --- moderation: reports, held posts, sign-ups ---------------------------------------------


async def _on_report_filed(event: events.Event) -> None:
    """A group's moderators hear of reports about its posts (when it is hosted here: a group
    elsewhere has its own), the admins of reports about a person."""
    assert isinstance(event, events.ReportFiled)
    report = await Report.get_or_none(id=event.report_id).select_related("group__actor")
    if report is None:
        return
    if report.group is None:
        recipients = await _admins()
    elif report.group.actor.is_local:
        recipients = await _moderators(report.group.id)
    else:
        return
    for actor_id in recipients:
        # The reported person, were they a moderator, does not learn who reported them.
        if actor_id != report.target_actor_id:  # type: ignore[attr-defined]
            await _create(
                actor_id,
                NotificationKind.REPORT_FILED,
                by=report.reporter_id,  # type: ignore[attr-defined]
                group_id=report.group_id,  # type: ignore[attr-defined]
                post_id=report.post_id,  # type: ignore[attr-defined]
                report_id=report.id,
                text=report.comment,
            )


# What the reporter is told, by the action that closed their report.
_OUTCOMES = {
    "dismiss": "The moderators looked at it and took no action.",
    "resolve": "The moderators handled it.",
    "remove_post": "The moderators removed the post.",
    "ban_author": "The moderators banned the author from the group.",
    "suspend_author": "The admins suspended the author's account.",
}


async def _on_report_resolved(event: events.Event) -> None:
    """The reporter hears the outcome; the author hears of a removal or a ban (not that they
    were reported and nothing happened). Neither is told who reported or who decided."""
    assert isinstance(event, events.ReportResolved)
    report = await Report.get_or_none(id=event.report_id).select_related("post")
    if report is None:
        return
    reporter_id = report.reporter_id  # type: ignore[attr-defined]
    if reporter_id is not None:
        await _create(
            reporter_id,
            NotificationKind.REPORT_OUTCOME,
            by=event.by_actor_id,
            group_id=report.group_id,  # type: ignore[attr-defined]
            report_id=report.id,
            text=_OUTCOMES.get(event.action, "The moderators handled it."),
        )
    # A removal is told to the author by `_on_post_removed`, however it was decided.
    if event.action == "ban_author" and report.target_actor_id is not None:  # type: ignore[attr-defined]
        await _create(
            report.target_actor_id,  # type: ignore[attr-defined]
            NotificationKind.REPORT_OUTCOME,
            by=event.by_actor_id,
            group_id=report.group_id,  # type: ignore[attr-defined]
            text="You were banned from the group after a report.",
        )


async def _on_post_removed(event: events.Event) -> None:
    """The author hears that a moderator removed their post, and why: after a report or not.
    Removals that come with a ban or a suspension are not told post by post."""
    assert isinstance(event, events.PostRemoved)
    post = await Post.get_or_none(id=event.post_id)
    if post is None or post.state != PostState.REMOVED:
        return
    account = await Account.get_or_none(actor_id=post.author_id)
    if account is None or account.state != AccountState.ACTIVE:
        return
    if await Ban.exists(group_id=post.group_id, actor_id=post.author_id):
        return
    await _create(
        post.author_id,
        NotificationKind.CONTENT_REMOVED,
        by=event.moderator_id,
        group_id=post.group_id,
        text=_about(post, post.removal_reason),
    )


async def _on_post_held(event: events.Event) -> None:
    """The moderators hear that a post waits; its author why."""
    assert isinstance(event, events.PostHeld)
    post = await Post.get_or_none(id=event.post_id)
    if post is None or post.state != PostState.HELD:
        return
    why = holds.explain(post.held_reason)
    for moderator_id in await _moderators(post.group_id):
        await _create(
            moderator_id,
            NotificationKind.POST_HELD,
            by=post.author_id,
            group_id=post.group_id,
            post_id=post.id,
            text=why,
        )
    await _create(
        post.author_id,
        NotificationKind.HELD_FOR_REVIEW,
        by=None,
        group_id=post.group_id,
        post_id=post.id,
        text=why,
    )


async def _on_held_post_approved(event: events.Event) -> None:
    assert isinstance(event, events.HeldPostApproved)
    post = await Post.get_or_none(id=event.post_id)
    if post is not None:  # moderation news about one's own post: a mute does not silence it
        await _create(
            post.author_id,
            NotificationKind.HELD_APPROVED,
            by=event.by_actor_id,
            group_id=post.group_id,
            post_id=post.id,
        )


async def _on_held_post_rejected(event: events.Event) -> None:
    """The author can no longer open the post: the notification names it instead."""
    assert isinstance(event, events.HeldPostRejected)
    post = await Post.get_or_none(id=event.post_id)
    if post is not None:
        await _create(
            post.author_id,
            NotificationKind.HELD_REJECTED,
            by=event.by_actor_id,
            group_id=post.group_id,
            text=_about(post, event.reason),
        )


async def _on_signup_waiting(event: events.Event) -> None:
    assert isinstance(event, events.SignupWaiting)
    account = await Account.get_or_none(id=event.account_id)
    if account is None:
        return
    for admin_id in await _admins():
        await _create(
            admin_id,
            NotificationKind.SIGNUP_WAITING,
            by=account.actor_id,
            text=account.signup_reason,
        )


async def _on_badge_awarded(event: events.Event) -> None:
    """The badge's name goes in `text`; a custom badge names the admin who gave it."""
    assert isinstance(event, events.BadgeAwarded)
    award = await BadgeAward.get_or_none(id=event.award_id).select_related("badge", "awarded_by")
    if award is None:
        return
    giver = award.awarded_by
    await _create(
        award.actor_id,
        NotificationKind.BADGE_AWARDED,
        by=giver.actor_id if giver is not None else None,
        group_id=award.group_id,
        text=award.badge.name,
    )


# --- shared steps ---------------------------------------------------------------------------


async def _moderators(group_id: str) -> list[str]:
    """The actor ids of a group's moderators and owners."""
    ids = await Membership.filter(
        group_id=group_id,
        state=MembershipState.ACCEPTED,
        role__in=[MemberRole.OWNER, MemberRole.MODERATOR],
    ).values_list("actor_id", flat=True)
    return [str(actor_id) for actor_id in ids]


async def _admins() -> list[str]:
    ids = await Account.filter(role=Role.ADMIN, state=AccountState.ACTIVE).values_list(
        "actor_id", flat=True
    )
    return [str(actor_id) for actor_id in ids]


def _about(post: Post, reason: str) -> str:
    """A post named in words (its title, or the start of a reply), and why, for `text`."""
    label = post.title or plain_text(post.content_html, LABEL_CHARS)
    return f"“{label[:LABEL_CHARS]}”" + (f": {reason}" if reason else "")


async def _notify(recipient_actor_id: str, kind: NotificationKind, post: Post, *, by: str) -> bool:
    """Notify of a post, unless the recipient muted its thread or group."""
    return await _create(
        recipient_actor_id, kind, by=by, group_id=post.group_id, post_id=post.id, muting=post
    )


async def _create(
    recipient_actor_id: str,
    kind: NotificationKind,
    *,
    by: str | None,
    group_id: str | None = None,
    post_id: str | None = None,
    report_id: str | None = None,
    text: str = "",
    muting: Post | None = None,
) -> bool:
    """Notify the account of this actor, if it is a local one and not the one who acted (nor
    muting the thread or group of `muting`). The one place that writes notifications."""
    if recipient_actor_id == by:
        return False
    account = await Account.get_or_none(actor_id=recipient_actor_id)
    if account is None:
        return False
    if muting is not None and await watches.level_for_post(account.id, muting) == WatchLevel.MUTED:
        return False
    notification = await Notification.create(
        recipient=account,
        kind=kind,
        actor_id=by,
        group_id=group_id,
        post_id=post_id,
        report_id=report_id,
        text=text[:TEXT_MAX],
    )
    await events.bus.publish(events.NotificationCreated(notification.id, account.id))
    return True
