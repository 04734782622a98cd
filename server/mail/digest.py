"""What goes into a member's digest for one period: new unanswered questions in their groups,
answers to their questions, new resources, the most liked threads, and the notifications they
chose to get in a digest. Every item is read through `server.services.reading`, so a digest
never shows what the member may not read. (There are no events in Lyceum yet: when there are,
they get a section here.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.mail.categories import cadence_for
from server.mail.queue import notification_headline, notification_link, thread_title
from server.models import (
    Account,
    MailCadence,
    MailPreferences,
    Membership,
    MembershipState,
    Notification,
    Post,
    PostKind,
)
from server.services.reading import can_read_post, readable_posts
from server.settings import Settings

__all__ = ["DigestItem", "DigestSection", "digest_sections"]

ITEMS_PER_SECTION = 10
NOTIFICATIONS_CHECKED = 100


@dataclass(frozen=True)
class DigestItem:
    title: str
    link: str
    detail: str = ""


@dataclass(frozen=True)
class DigestSection:
    title: str
    items: list[DigestItem]


async def digest_sections(
    settings: Settings,
    account: Account,
    preferences: MailPreferences,
    *,
    since: datetime,
    until: datetime,
) -> list[DigestSection]:
    """The non-empty sections of the member's digest for (since, until]; [] means send none."""
    groups = await Membership.filter(
        actor_id=account.actor_id, state=MembershipState.ACCEPTED
    ).values_list("group_id", flat=True)
    period = {"created_at__gt": since, "created_at__lte": until}
    in_groups = Post.filter(readable_posts(account), group_id__in=list(groups), parent_id=None)
    not_mine = {"author_id": account.actor_id}

    def item(post: Post, detail: str = "") -> DigestItem:
        return DigestItem(post.title or _excerpt(post), settings.url(f"/p/{post.id}"), detail)

    questions = await (
        in_groups.filter(kind=PostKind.QUESTION, reply_count=0, **period)
        .exclude(**not_mine)
        .select_related("group__actor")
        .order_by("-created_at")
        .limit(ITEMS_PER_SECTION)
    )
    answers = await (
        Post.filter(
            readable_posts(account),
            parent__author_id=account.actor_id,
            parent__kind=PostKind.QUESTION,
            **period,
        )
        .exclude(**not_mine)
        .select_related("parent", "author")
        .order_by("-created_at")
        .limit(ITEMS_PER_SECTION)
    )
    resources = await (
        in_groups.filter(kind=PostKind.RESOURCE, **period)
        .exclude(**not_mine)
        .select_related("group__actor")
        .order_by("-created_at")
        .limit(ITEMS_PER_SECTION)
    )
    liked = await (
        in_groups.filter(like_count__gt=0, last_activity_at__gt=since, last_activity_at__lte=until)
        .select_related("group__actor")
        .order_by("-like_count", "-last_activity_at")
        .limit(ITEMS_PER_SECTION)
    )
    sections = [
        DigestSection(
            "New questions waiting for an answer",
            [item(post, f"in {post.group.actor.name}") for post in questions],
        ),
        DigestSection(
            "Answers to your questions",
            [
                DigestItem(
                    post.parent.title or _excerpt(post.parent),
                    settings.url(f"/p/{post.id}"),
                    f"answered by {post.author.name}",
                )
                for post in answers
                if post.parent is not None
            ],
        ),
        DigestSection(
            "New resources", [item(post, f"in {post.group.actor.name}") for post in resources]
        ),
        DigestSection(
            "Most liked threads",
            [item(post, f"{post.like_count} likes in {post.group.actor.name}") for post in liked],
        ),
        DigestSection(
            "Your notifications",
            await _digest_notifications(settings, account, preferences, since, until),
        ),
    ]
    return [section for section in sections if section.items]


async def _digest_notifications(
    settings: Settings,
    account: Account,
    preferences: MailPreferences,
    since: datetime,
    until: datetime,
) -> list[DigestItem]:
    rows = await (
        Notification.filter(recipient=account, created_at__gt=since, created_at__lte=until)
        .select_related("actor", "group__actor", "post")
        .order_by("-created_at")
        .limit(NOTIFICATIONS_CHECKED)
    )
    items: list[DigestItem] = []
    for notification in rows:
        if cadence_for(preferences, notification.kind) not in (
            MailCadence.DAILY,
            MailCadence.WEEKLY,
        ):
            continue
        post = notification.post
        if post is not None and not await can_read_post(account, post):
            continue
        items.append(
            DigestItem(
                notification_headline(notification),
                notification_link(settings, notification),
                await thread_title(post),
            )
        )
        if len(items) == ITEMS_PER_SECTION:
            break
    return items


def _excerpt(post: Post) -> str:
    text = " ".join((post.source or "").split())
    return text[:80] + ("…" if len(text) > 80 else "") if text else "A post"
