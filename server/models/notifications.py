"""Notifications shown to a member, what they watch or mute, and the mail they are sent.

- `Notification`: one thing that happened that a member should hear of (a reply, a report to
  handle, the outcome of a report, a held post), linked to what it is about.
- `Watch`: a member's choice to hear of everything in a thread or group, or nothing.
- `MailPreferences`: how and when a member wants mail (at once, in a digest, never).
- `OutgoingMail`: the durable queue of messages the worker sends, one row per message.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields

from server.models._base import Entity

if TYPE_CHECKING:
    from server.models.accounts import Account
    from server.models.actors import Actor
    from server.models.groups import Group
    from server.models.moderation import Report
    from server.models.posts import Post


class NotificationKind(StrEnum):
    REPLY = "reply"
    MENTION = "mention"
    ANSWER_ACCEPTED = "answer_accepted"
    JOIN_ACCEPTED = "join_accepted"
    JOIN_REJECTED = "join_rejected"
    JOIN_REQUEST = "join_request"
    WATCHED_REPLY = "watched_reply"  # a reply in a thread the member watches
    WATCHED_POST = "watched_post"  # a new thread in a group the member watches
    REPORT_FILED = "report_filed"  # to the moderators (group) or admins (instance) who handle it
    REPORT_OUTCOME = "report_outcome"  # to the reporter: what was decided
    CONTENT_REMOVED = "content_removed"  # to the author: their post was removed after a report
    POST_HELD = "post_held"  # to the moderators: a post waits for review
    HELD_FOR_REVIEW = "held_for_review"  # to the author: why their post was held
    HELD_APPROVED = "held_approved"
    HELD_REJECTED = "held_rejected"
    SIGNUP_WAITING = "signup_waiting"  # to the admins: a sign-up waits for approval
    BADGE_AWARDED = "badge_awarded"  # to the member: they earned (or were given) a badge
    GROUP_INVITE = "group_invite"  # to a member invited to a group


class WatchLevel(StrEnum):
    WATCHING = "watching"  # every new post (group) or reply (thread)
    MUTED = "muted"  # nothing at all, not even replies to one's own posts there


class MailCadence(StrEnum):
    IMMEDIATE = "immediate"
    DAILY = "daily"  # in the daily digest
    WEEKLY = "weekly"  # in the weekly digest
    NEVER = "never"


class DigestFrequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    NEVER = "never"


class MailState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DEAD = "dead"  # failed every attempt or was refused for good: shown to admins


class Notification(Entity):
    recipient: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="notifications", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(NotificationKind, max_length=32)
    actor: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="notifications_caused", null=True, on_delete=fields.CASCADE
    )
    group: fields.ForeignKeyNullableRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    post: fields.ForeignKeyNullableRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    report: fields.ForeignKeyNullableRelation[Report] = fields.ForeignKeyField(
        "models.Report", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    text = fields.CharField(max_length=500, default="")  # a reason or an outcome, in words
    read_at = fields.DatetimeField(null=True)

    recipient_id: str

    class Meta:
        table = "notification"
        indexes = (("recipient_id", "created_at"),)


class Watch(Entity):
    """A member watching or muting one thread (its root post) or one group."""

    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="watches", on_delete=fields.CASCADE
    )
    group: fields.ForeignKeyNullableRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="watches", null=True, on_delete=fields.CASCADE
    )
    thread: fields.ForeignKeyNullableRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="watches", null=True, on_delete=fields.CASCADE
    )
    level = fields.CharEnumField(WatchLevel, max_length=16)

    account_id: str

    class Meta:
        table = "watch"
        unique_together = (("account", "group"), ("account", "thread"))


class MailPreferences(Entity):
    """How a member wants mail. A member with no row has the defaults below."""

    account: fields.OneToOneRelation[Account] = fields.OneToOneField(
        "models.Account", related_name="mail_preferences", on_delete=fields.CASCADE
    )
    no_email = fields.BooleanField(default=False)  # the global switch: overrides the rest
    replies = fields.CharEnumField(MailCadence, max_length=16, default=MailCadence.IMMEDIATE)
    mentions = fields.CharEnumField(MailCadence, max_length=16, default=MailCadence.IMMEDIATE)
    answers = fields.CharEnumField(MailCadence, max_length=16, default=MailCadence.IMMEDIATE)
    moderation = fields.CharEnumField(MailCadence, max_length=16, default=MailCadence.IMMEDIATE)
    digest = fields.CharEnumField(DigestFrequency, max_length=16, default=DigestFrequency.WEEKLY)
    digest_hour = fields.IntField(default=8)  # local hour, 0-23
    digest_weekday = fields.IntField(default=0)  # for weekly digests: 0 is Monday
    time_zone = fields.CharField(max_length=64, default="UTC")  # an IANA zone name
    last_digest_at = fields.DatetimeField(null=True)
    next_digest_at = fields.DatetimeField(null=True, db_index=True)

    account_id: str

    class Meta:
        table = "mail_preferences"


class OutgoingMail(Entity):
    """One message to send. `dedup_key` makes queueing the same message twice a no-op."""

    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="outgoing_mail", null=True, on_delete=fields.SET_NULL
    )
    to_address = fields.CharField(max_length=254)
    kind = fields.CharField(max_length=32)  # e.g. notification, digest, password_reset
    dedup_key = fields.CharField(max_length=128, unique=True)
    subject = fields.CharField(max_length=300)
    text_body = fields.TextField()
    html_body = fields.TextField(default="")
    unsubscribe_url = fields.CharField(max_length=2048, default="")
    state = fields.CharEnumField(MailState, max_length=16, default=MailState.QUEUED)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    lease_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")
    sent_at = fields.DatetimeField(null=True)

    account_id: str | None

    class Meta:
        table = "outgoing_mail"
        indexes = (("state", "next_attempt_at"),)
