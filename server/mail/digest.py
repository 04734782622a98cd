"""What goes into a member's digest for one period: new unanswered questions in their groups,
answers to their questions, new resources, the most liked threads, and the notifications they
chose to get in a digest. Every item is read through `server.services.reading`, so a digest
never shows what the member may not read. (There are no events in Lyceum yet: when there are,
they get a section here.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.mail._digest_batch import DigestBatch
from server.mail.categories import cadence_for
from server.mail.queue import notification_headline, notification_link
from server.models import (
    Account,
    MailCadence,
    MailPreferences,
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
    batch: DigestBatch,
) -> list[DigestSection]:
    """The non-empty sections of the member's digest for (since, until]; [] means send none.
    What the members of the scheduler's `batch` share is read once for them all."""
    me = account.actor_id
    groups = batch.groups_of.get(me, [])
    # Read twice the section's size for everyone, then drop the member's own posts; only a
    # member who wrote so many of them that fewer than a section's worth remain is read alone.
    shared = await batch.group_posts(account, groups, (since, until), ITEMS_PER_SECTION * 2)

    async def not_mine(candidates: list[Post], kind: PostKind) -> list[Post]:
        kept = [post for post in candidates if post.author_id != me]
        if len(kept) >= ITEMS_PER_SECTION or len(candidates) < ITEMS_PER_SECTION * 2:
            return kept[:ITEMS_PER_SECTION]
        extra = {"reply_count": 0} if kind == PostKind.QUESTION else {}
        return list(
            await Post.filter(
                readable_posts(account),
                group_id__in=groups,
                parent_id=None,
                kind=kind,
                created_at__gt=since,
                created_at__lte=until,
                **extra,
            )
            .exclude(author_id=me)
            .select_related("group__actor")
            .order_by("-created_at")
            .limit(ITEMS_PER_SECTION)
        )

    answers = [
        post
        for post in batch.answers_to.get(me, [])
        if since < post.created_at <= until and post.author_id != me
    ][:ITEMS_PER_SECTION]
    notifications = [
        notification
        for notification in batch.notifications_of.get(str(account.id), [])
        if since < notification.created_at <= until
    ][:NOTIFICATIONS_CHECKED]
    return _sections(
        settings,
        await not_mine(shared.questions, PostKind.QUESTION),
        answers,
        await not_mine(shared.resources, PostKind.RESOURCE),
        shared.liked[:ITEMS_PER_SECTION],
        await _notification_items(settings, account, preferences, notifications, batch),
    )


def _sections(
    settings: Settings,
    questions: list[Post],
    answers: list[Post],
    resources: list[Post],
    liked: list[Post],
    notifications: list[DigestItem],
) -> list[DigestSection]:
    def item(post: Post, detail: str = "") -> DigestItem:
        return DigestItem(post.title or _excerpt(post), settings.url(f"/p/{post.id}"), detail)

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
        DigestSection("Your notifications", notifications),
    ]
    return [section for section in sections if section.items]


async def _notification_items(
    settings: Settings,
    account: Account,
    preferences: MailPreferences,
    rows: list[Notification],
    batch: DigestBatch,
) -> list[DigestItem]:
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
                _thread_title(post, batch),
            )
        )
        if len(items) == ITEMS_PER_SECTION:
            break
    return items


def _thread_title(post: Post | None, batch: DigestBatch) -> str:
    if post is None:
        return ""
    if post.root_id is not None:
        return batch.thread_titles.get(str(post.root_id), "")
    return post.title


def _excerpt(post: Post) -> str:
    text = " ".join((post.source or "").split())
    return text[:80] + ("…" if len(text) > 80 else "") if text else "A post"
