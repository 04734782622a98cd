"""Which preference decides how a notification is mailed: replies, mentions, answers or
moderation notices."""

from __future__ import annotations

from enum import StrEnum

from server.models import MailCadence, MailPreferences, NotificationKind

__all__ = ["MailCategory", "cadence_for", "category_of"]


class MailCategory(StrEnum):
    REPLIES = "replies"
    MENTIONS = "mentions"
    ANSWERS = "answers"
    MODERATION = "moderation"


_CATEGORIES: dict[NotificationKind, MailCategory] = {
    NotificationKind.REPLY: MailCategory.REPLIES,
    NotificationKind.WATCHED_REPLY: MailCategory.REPLIES,
    NotificationKind.WATCHED_POST: MailCategory.REPLIES,
    NotificationKind.MENTION: MailCategory.MENTIONS,
    NotificationKind.ANSWER_ACCEPTED: MailCategory.ANSWERS,
    NotificationKind.REPORT_FILED: MailCategory.MODERATION,
    NotificationKind.REPORT_OUTCOME: MailCategory.MODERATION,
    NotificationKind.CONTENT_REMOVED: MailCategory.MODERATION,
    NotificationKind.POST_HELD: MailCategory.MODERATION,
    NotificationKind.HELD_FOR_REVIEW: MailCategory.MODERATION,
    NotificationKind.HELD_APPROVED: MailCategory.MODERATION,
    NotificationKind.HELD_REJECTED: MailCategory.MODERATION,
    NotificationKind.SIGNUP_WAITING: MailCategory.MODERATION,
    NotificationKind.JOIN_REQUEST: MailCategory.MODERATION,
    NotificationKind.JOIN_ACCEPTED: MailCategory.MODERATION,
    NotificationKind.JOIN_REJECTED: MailCategory.MODERATION,
    # Recognition goes with accepted answers; an invitation is addressed to one person.
    NotificationKind.BADGE_AWARDED: MailCategory.ANSWERS,
    NotificationKind.GROUP_INVITE: MailCategory.MENTIONS,
}


def category_of(kind: NotificationKind) -> MailCategory:
    return _CATEGORIES[kind]


def cadence_for(preferences: MailPreferences, kind: NotificationKind) -> MailCadence:
    """How this member wants notifications of this kind mailed (never, with `no_email`)."""
    if preferences.no_email:
        return MailCadence.NEVER
    return MailCadence(getattr(preferences, category_of(kind).value))
