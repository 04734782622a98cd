"""Writing mail into the durable queue (`OutgoingMail`), inside the caller's transaction, and the
subscriber that queues a notification's mail when the member wants it at once.

A row's `dedup_key` names the message (`notification:<id>`, `digest:<account>:<period end>`):
queueing it again is a no-op, so a digest run repeated after a crash sends nothing twice.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from server import events
from server.mail.categories import cadence_for
from server.mail.preferences import preferences_of
from server.mail.render import RenderedMail, render_mail
from server.mail.unsubscribe import unsubscribe_url
from server.models import (
    Account,
    AccountState,
    MailCadence,
    Notification,
    NotificationKind,
    OutgoingMail,
    Post,
    utcnow,
)
from server.services import instance
from server.services.reading import can_read_post
from server.settings import Settings

__all__ = ["mail_context", "notification_headline", "queue_mail", "register"]

PREFERENCES_PATH = "/settings/email"


async def queue_mail(
    *,
    account: Account | None,
    to_address: str,
    kind: str,
    dedup_key: str,
    mail: RenderedMail,
    unsubscribe: str = "",
) -> bool:
    """Queue one message; False (and nothing written) when `dedup_key` was queued before."""
    if await OutgoingMail.filter(dedup_key=dedup_key).exists():
        return False
    await OutgoingMail.create(
        account=account,
        to_address=to_address,
        kind=kind,
        dedup_key=dedup_key,
        subject=mail.subject[:300],
        text_body=mail.text,
        html_body=mail.html,
        unsubscribe_url=unsubscribe,
        next_attempt_at=utcnow(),
    )
    return True


async def mail_context(settings: Settings, account: Account) -> dict[str, str]:
    """What every member mail's footer needs."""
    return {
        "instance_name": await instance.instance_name(),
        "preferences_url": settings.url(PREFERENCES_PATH),
        "unsubscribe_url": unsubscribe_url(settings, account.id),
        "name": account.actor.name,
    }


_HEADLINES: dict[NotificationKind, str] = {
    NotificationKind.REPLY: "{actor} replied to your post",
    NotificationKind.WATCHED_REPLY: "{actor} replied in a thread you watch",
    NotificationKind.WATCHED_POST: "{actor} started a thread in {group}, which you watch",
    NotificationKind.MENTION: "{actor} mentioned you",
    NotificationKind.ANSWER_ACCEPTED: "Your answer was accepted",
    NotificationKind.JOIN_ACCEPTED: "You are now a member of {group}",
    NotificationKind.JOIN_REJECTED: "Your request to join {group} was declined",
    NotificationKind.JOIN_REQUEST: "{actor} asks to join {group}",
    NotificationKind.REPORT_FILED: "A new report waits for a decision",
    NotificationKind.REPORT_OUTCOME: "Your report was decided",
    NotificationKind.CONTENT_REMOVED: "Your post was removed",
    NotificationKind.POST_HELD: "A post waits for review in {group}",
    NotificationKind.HELD_FOR_REVIEW: "Your post is held for review",
    NotificationKind.HELD_APPROVED: "Your held post was approved",
    NotificationKind.HELD_REJECTED: "Your held post was rejected",
    NotificationKind.SIGNUP_WAITING: "A sign-up waits for approval",
    NotificationKind.GROUP_INVITE: "{actor} invites you to join {group}",
}


def notification_headline(notification: Notification) -> str:
    actor = notification.actor.name if notification.actor is not None else "Someone"
    group = notification.group.actor.name if notification.group is not None else "a group"
    return _HEADLINES[notification.kind].format(actor=actor, group=group)


def notification_link(settings: Settings, notification: Notification) -> str:
    if notification.post_id is not None:  # type: ignore[attr-defined]
        return settings.url(f"/p/{notification.post_id}")  # type: ignore[attr-defined]
    if notification.kind == NotificationKind.GROUP_INVITE and notification.text:
        return settings.url(notification.text)  # the invitation's path
    return settings.url("/notifications")


async def thread_title(post: Post | None) -> str:
    """The title of the thread a post is in (replies have none of their own)."""
    if post is None:
        return ""
    if post.root_id is not None:
        root = await Post.get_or_none(id=post.root_id)
        return root.title if root is not None else ""
    return post.title


class NotificationMailer:
    """Queues a notification's mail in the transaction that wrote the notification."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def on_notification_created(self, event: events.Event) -> None:
        assert isinstance(event, events.NotificationCreated)
        account = await Account.get_or_none(
            id=event.recipient_account_id, state=AccountState.ACTIVE
        ).select_related("actor")
        if account is None or not account.email:
            return
        preferences = await preferences_of(account)
        notification = await Notification.get_or_none(id=event.notification_id).select_related(
            "actor", "group__actor", "post"
        )
        if notification is None:
            return
        if cadence_for(preferences, notification.kind) != MailCadence.IMMEDIATE:
            return
        # Mail is a read path: a post the member may not read is neither quoted nor linked.
        post = notification.post
        if post is not None and not await can_read_post(account, post):
            return
        headline = notification_headline(notification)
        mail = render_mail(
            "notification",
            headline,
            headline=headline,
            title=await thread_title(post),
            # An invitation's text is its path, which the link carries.
            text="" if notification.kind == NotificationKind.GROUP_INVITE else notification.text,
            link=notification_link(self.settings, notification),
            **await mail_context(self.settings, account),
        )
        await queue_mail(
            account=account,
            to_address=account.email,
            kind="notification",
            dedup_key=f"notification:{notification.id}",
            mail=mail,
            unsubscribe=unsubscribe_url(self.settings, account.id),
        )


_mailers: WeakKeyDictionary[events.EventBus, NotificationMailer] = WeakKeyDictionary()


def register(bus: events.EventBus, settings: Settings) -> NotificationMailer:
    """Subscribe the notification mailer to `bus` (once; a later call updates its settings)."""
    mailer = _mailers.get(bus)
    if mailer is None:
        mailer = _mailers[bus] = NotificationMailer(settings)
    mailer.settings = settings
    bus.subscribe(events.NotificationCreated, mailer.on_notification_created)
    return mailer
