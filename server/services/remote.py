"""What other servers tell us: their actors, their posts into our groups, and their reports.

The federation adapter parses the JSON and checks signatures and origins; these services decide
and store, with the same rules as for people here, and publish the same domain events (so a
remote post is announced by its group and notifies the people it replies to or mentions).

- `upsert_remote_actor`: store or refresh a remote actor and its public key.
- `receive_post` / `update_remote_post`: a remote post or reply into a local group, and its edit.
  The author must be an accepted member (a follower) of the group, as local authors must; a
  top-level post also needs `groups.can_post` (moderators-only groups). A post in a group on
  another server is taken only as that group announces it (`via_group`).
- `ordinary_posts` / `receive_posts`: many posts at once (the inbox worker's batch), for the
  common case only: posts `receive_post` would store and publish at once, stored with one
  statement per table; anything else (a refusal, a hold, a post already here) goes one by one.
- `forget_remote_actor`: the actor was deleted on its server; its posts and memberships go.
- `receive_report`: a remote `Flag`, into the group's (or the instance's) report queue.

Remote content arrives as HTML and is stored through `sanitize_html`; it has no Markdown source.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server import events
from server.content import sanitize_html
from server.models import (
    Actor,
    ActorKind,
    Ban,
    Group,
    GroupState,
    Membership,
    MembershipState,
    Post,
    PostHashtag,
    PostKind,
    PostMention,
    PostState,
    Report,
    new_id,
    utcnow,
)
from server.services import domain_blocks, groups, holds, posts

# The counters are the posts service's own bookkeeping; remote posts must keep them the same way.
from server.services.counts import recount_group, recount_replies
from server.services.errors import Forbidden, Invalid, NotFound

__all__ = [
    "IncomingPost",
    "PostDraft",
    "RemoteProfile",
    "forget_remote_actor",
    "ordinary_posts",
    "receive_post",
    "receive_posts",
    "receive_report",
    "record_software",
    "thread_title",
    "update_remote_post",
    "upsert_remote_actor",
]

MAX_CONTENT_CHARS = 200_000
TITLE_FROM_TEXT_CHARS = 80
UNTITLED = "(untitled)"
URL_MAX = 2048
_LEADING_MENTIONS = re.compile(r"^(?:@[\w.-]+(?:@[\w.:-]+)?[\s,:]*)+")
_LINE_BREAKS = re.compile(r"<br\s*/?>|</p>|</h\d>|</li>|</blockquote>|</pre>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class RemoteProfile:
    """A remote actor as its server describes it (already read out of the JSON)."""

    ap_id: str
    kind: ActorKind
    username: str
    domain: str  # host[:port] of the actor id
    display_name: str = ""
    summary_html: str = ""
    url: str = ""
    inbox_url: str = ""
    shared_inbox_url: str = ""
    outbox_url: str = ""
    followers_url: str = ""
    icon_url: str = ""
    key_id: str = ""
    public_key_pem: str = ""


@dataclass(frozen=True)
class IncomingPost:
    """A remote post or reply (the HTML as sent; it is sanitised here)."""

    ap_id: str
    content_html: str
    remote_url: str = ""
    title: str = ""
    link_url: str = ""
    hashtags: tuple[str, ...] = ()
    mentioned_actor_ids: tuple[str, ...] = ()  # Actor row ids of mentioned actors we know


@dataclass(frozen=True)
class PostDraft:
    """`receive_post`'s arguments, for `ordinary_posts` and `receive_posts`."""

    author: Actor
    group: Group
    incoming: IncomingPost
    parent: Post | None = None


def _url(value: str) -> str:
    return value if len(value) <= URL_MAX and value.startswith(("https://", "http://")) else ""


async def upsert_remote_actor(profile: RemoteProfile, *, _retry: bool = True) -> Actor:
    """Store or refresh a remote actor by its id; the freshest document wins.

    Handles are `username@domain`, unique per domain; two actors of one server may share a
    preferredUsername (Lemmy's user and community namespaces are separate), so the later one
    gets a suffix made from a fresh id, which keeps both stored and distinct.
    """
    if not _url(profile.ap_id) or not profile.domain or profile.domain != profile.domain.lower():
        raise Invalid({"actor": "A remote actor needs an id and a lower-case domain."})
    actor = await Actor.get_or_none(ap_id=profile.ap_id)
    if actor is None:
        actor = Actor(ap_id=profile.ap_id, domain=profile.domain)
    actor.kind = profile.kind
    actor.display_name = " ".join(profile.display_name.split())[:100]
    actor.summary_html = sanitize_html(profile.summary_html[:20_000])
    actor.url = _url(profile.url)
    actor.inbox_url = _url(profile.inbox_url)
    actor.shared_inbox_url = _url(profile.shared_inbox_url)
    actor.outbox_url = _url(profile.outbox_url)
    actor.followers_url = _url(profile.followers_url)
    actor.icon_url = _url(profile.icon_url)
    if profile.public_key_pem:  # a document without our key keeps the one we have
        actor.key_id = profile.key_id[:URL_MAX]
        actor.public_key_pem = profile.public_key_pem.replace("\r\n", "\n").strip()
    actor.fetched_at = utcnow()
    username = _clean_username(profile.username) or "actor"
    current = actor.username or ""
    if current != username and not current.startswith(f"{username[:50]}~"):
        taken = (
            await Actor.filter(username=username, domain=profile.domain)
            .exclude(ap_id=profile.ap_id)
            .exists()
        )
        actor.username = f"{username[:50]}~{new_id()[-12:]}" if taken else username
    try:
        await actor.save()
    except IntegrityError:
        # Another process stored the same actor (or took the name) a moment ago: once more.
        if not _retry:
            raise
        return await upsert_remote_actor(profile, _retry=False)
    return actor


def _clean_username(value: str) -> str:
    return "".join(ch for ch in value.strip() if not ch.isspace() and ch != "@")[:64]


async def record_software(domain: str, software: str) -> int:
    """Remember which software (NodeInfo name) a server runs, on all its actors we know."""
    return await Actor.filter(domain=domain.lower()).update(software=software.lower()[:64])


def thread_title(content_html: str) -> str:
    """A title for a post that came without one (Mastodon's Notes): its first line of text.

    Leading mentions (`@group@host Hello…`) are left out; at most 80 characters, cut at a word.
    """
    text = html.unescape(_TAGS.sub("", _LINE_BREAKS.sub("\n", content_html)))
    for line in text.splitlines():
        line = _LEADING_MENTIONS.sub("", " ".join(line.split())).strip()
        if line:
            if len(line) <= TITLE_FROM_TEXT_CHARS:
                return line
            cut = line[: TITLE_FROM_TEXT_CHARS - 1].rsplit(" ", 1)[0].rstrip(" ,.;:")
            return (cut or line[: TITLE_FROM_TEXT_CHARS - 1]) + "…"
    return UNTITLED


async def receive_post(
    author: Actor,
    group: Group,
    incoming: IncomingPost,
    *,
    parent: Post | None = None,
    via_group: bool = False,
) -> Post:
    """Store a remote post (or, with `parent`, a reply) in a group; publish PostCreated
    (unless the group holds the author's first post for a moderator: see `holds`).

    In a local group the author must be a member. A group on another server decides that
    itself: its posts are stored only as the group shares them (`via_group`, its Announce),
    never because an author sent them here directly.
    The same id received again returns the stored post unchanged.
    """
    existing = await Post.get_or_none(ap_id=incoming.ap_id)
    if existing is not None:
        return existing
    group_actor = _loaded_actor(group) or await Actor.get(id=group.actor_id)
    group.actor = group_actor  # the subscribers read it (`events.StoredPost`)
    moderator = False
    if group_actor.is_local:
        membership = await _check_author(group, author, starting_thread=parent is None)
        # A remote author has no account here, so is never an admin of this instance: only
        # the membership says whether they moderate the group.
        moderator = membership.is_moderator
    elif not via_group:
        raise Forbidden("Posts in a group on another server come through that group.")
    elif author.is_local or author.suspended_at is not None or group.state != GroupState.ACTIVE:
        raise Forbidden("Only active remote authors' posts are taken from the group's server.")
    if len(incoming.content_html) > MAX_CONTENT_CHARS:
        raise Invalid({"body": f"Remote posts are limited to {MAX_CONTENT_CHARS:,} characters."})
    if parent is not None and (parent.group_id != group.id or not parent.is_visible):
        raise NotFound("The post this replies to is not in this group.")
    content = sanitize_html(incoming.content_html)
    # Only first posts wait here: the new-account rule is about accounts of this instance.
    held = (
        await holds.hold_reason(group, author, group_actor=group_actor, moderator=moderator)
        if group_actor.is_local
        else ""
    )
    if group_actor.is_local and await domain_blocks.is_limited(author.domain):
        held = domain_blocks.LIMITED_REASON  # a limited server's posts wait for a moderator
    now = utcnow()
    draft = PostDraft(author, group, incoming, parent)
    async with in_transaction():
        post = _new_post(draft, content, held, now)
        await post.save(force_create=True)
        if parent is not None and not held:
            await recount_replies(post.root_id or "", last_activity_at=now)
        hashtags, mentioned = _references(incoming)
        await _store_references(post, hashtags, mentioned)
        if not held:  # a held post is announced (PostCreated) only when a moderator approves it
            await recount_group(group, last_post_at=now)
            stored = events.StoredPost(post, hashtags, mentioned)
            await events.bus.publish(events.PostCreated(post.id, stored))
        else:
            await events.bus.publish(events.PostHeld(post.id))
    return post


async def ordinary_posts(drafts: Sequence[PostDraft]) -> list[bool]:
    """Which drafts `receive_post` would store and publish at once (into a group here), each
    as if the drafts before it had been: not stored yet (nor earlier in `drafts`), by a remote,
    unsuspended, unbanned accepted member allowed to post it into an active group, within the
    size limit, under a visible parent of the group, and held by no rule (first posts, limited
    server). Reads only, one statement per kind of fact for all the drafts. The others go
    through `receive_post`, which says why it refuses or holds them."""
    if not drafts:
        return []
    for draft in drafts:  # the subscribers read it (`events.StoredPost`)
        draft.group.actor = _loaded_actor(draft.group) or await Actor.get(id=draft.group.actor_id)
    group_ids = list({draft.group.id for draft in drafts})
    author_ids = list({draft.author.id for draft in drafts})
    ap_ids = [draft.incoming.ap_id for draft in drafts]
    stored = {
        str(ap_id) for ap_id in await Post.filter(ap_id__in=ap_ids).values_list("ap_id", flat=True)
    }
    banned = set(
        await Ban.filter(group_id__in=group_ids, actor_id__in=author_ids).values_list(
            "group_id", "actor_id"
        )
    )
    memberships = {
        (m.group_id, m.actor_id): m
        for m in await Membership.filter(group_id__in=group_ids, actor_id__in=author_ids)
    }
    holding = [d.group.id for d in drafts if d.group.hold_first_posts]
    published = (
        set(
            await Post.filter(
                group_id__in=holding, author_id__in=author_ids, state=PostState.PUBLISHED
            )
            .distinct()
            .values_list("group_id", "author_id")
        )
        if holding
        else set()
    )
    limited = {
        domain: await domain_blocks.is_limited(domain)
        for domain in {d.author.domain for d in drafts}
    }
    answers = []
    for draft in drafts:
        group, author, parent = draft.group, draft.author, draft.parent
        membership = memberships.get((group.id, author.id))
        pair = (group.id, author.id)
        ordinary = (
            draft.incoming.ap_id not in stored
            and group.actor.is_local
            and group.state == GroupState.ACTIVE
            and not author.is_local
            and author.suspended_at is None
            and pair not in banned
            and membership is not None
            and membership.state == MembershipState.ACCEPTED
            and (parent is not None or groups.may_start_threads(group, membership))
            and len(draft.incoming.content_html) <= MAX_CONTENT_CHARS
            and (parent is None or (parent.group_id == group.id and parent.is_visible))
            and (membership.is_moderator or not group.hold_first_posts or pair in published)
            and not limited[author.domain]  # a limited server's posts wait, moderators' too
        )
        answers.append(ordinary)
        stored.add(draft.incoming.ap_id)  # a second draft of the post finds it stored
    return answers


async def receive_posts(drafts: Sequence[PostDraft]) -> list[Post]:
    """Store ordinary drafts (`ordinary_posts` said so) as `receive_post` would one by one,
    with a statement per table for all of them, in one transaction: the posts, their
    hashtags and mentions, each thread's and group's counts once, and their `PostCreated`
    events together (`events.EventBus.publish_many`)."""
    if not drafts:
        return []
    now = utcnow()
    made: list[Post] = []
    references: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    tag_rows: list[PostHashtag] = []
    mention_rows: list[PostMention] = []
    for draft in drafts:
        post = _new_post(draft, sanitize_html(draft.incoming.content_html), "", now)
        tags, mentioned = _references(draft.incoming)
        made.append(post)
        references.append((tags, mentioned))
        tag_rows.extend(PostHashtag(post_id=post.id, tag=tag) for tag in tags)
        mention_rows.extend(
            PostMention(post_id=post.id, actor_id=actor_id) for actor_id in mentioned
        )
    async with in_transaction():
        await Post.bulk_create(made)
        if tag_rows:
            await PostHashtag.bulk_create(tag_rows)
        if mention_rows:
            await PostMention.bulk_create(mention_rows)
        # Threads, then groups, each in id order: the locks `_recount_*` take, in one order.
        for root_id in sorted({post.root_id for post in made if post.root_id}):
            await recount_replies(root_id, last_activity_at=now)
        groups = {draft.group.id: draft.group for draft in drafts}
        for group_id in sorted(groups):
            await recount_group(groups[group_id], last_post_at=now)
        await events.bus.publish_many(
            [
                events.PostCreated(post.id, events.StoredPost(post, tags, mentioned))
                for post, (tags, mentioned) in zip(made, references, strict=True)
            ]
        )
    return made


async def update_remote_post(author: Actor, post: Post, incoming: IncomingPost) -> Post:
    """The author changed their post on their server: take the new text; publish PostEdited."""
    if post.author_id != author.id:
        raise Forbidden("Only the author can edit this post.")
    if not post.is_visible:
        raise NotFound("That post is no longer there.")
    if len(incoming.content_html) > MAX_CONTENT_CHARS:
        raise Invalid({"body": f"Remote posts are limited to {MAX_CONTENT_CHARS:,} characters."})
    async with in_transaction():
        if post.is_top_level:
            post.title = _title(incoming)
            if post.kind == PostKind.RESOURCE and _url(incoming.link_url):
                post.link_url = _url(incoming.link_url)
        post.content_html = sanitize_html(incoming.content_html)
        post.edited_at = utcnow()
        await post.save()
        await PostHashtag.filter(post=post).delete()
        await PostMention.filter(post=post).delete()
        await _store_references(post, *_references(incoming))
        await events.bus.publish(events.PostEdited(post.id))
    return post


async def forget_remote_actor(actor: Actor) -> int:
    """The actor is gone from its server: delete its posts here and end its memberships.

    Returns how many posts were deleted. The actor row stays (reports and audit entries point
    at it).
    """
    if actor.is_local:
        raise Forbidden("Local actors are not deleted from another server.")
    visible = (PostState.PUBLISHED, PostState.HELD, PostState.REMOVED)
    deleted = 0
    for post in await Post.filter(author=actor, state__in=visible):
        await posts.delete_post(actor, post)
        deleted += 1
    for membership in await Membership.filter(actor=actor).select_related("group"):
        await groups.leave_group(membership.group, actor.id)
    return deleted


async def receive_report(
    reporter: Actor,
    *,
    ap_id: str,
    comment: str,
    target_actor: Actor | None = None,
    post: Post | None = None,
    group: Group | None = None,
) -> Report:
    """A remote report about something here; the same report id received again is kept once."""
    if target_actor is None and post is None and group is None:
        raise NotFound("The report names nothing on this instance.")
    existing = await Report.get_or_none(ap_id=ap_id)
    if existing is not None:
        return existing
    if post is not None and group is None:
        group = await Group.get(id=post.group_id)
    if post is not None and target_actor is None:
        target_actor = await Actor.get(id=post.author_id)
    async with in_transaction():
        report = await Report.create(
            reporter=reporter,
            target_actor=target_actor,
            post=post,
            group=group,
            comment=comment.strip()[:5000],
            ap_id=ap_id,
            origin_domain=reporter.domain,
        )
        await events.bus.publish(events.ReportFiled(report.id))
    return report


async def _check_author(group: Group, author: Actor, *, starting_thread: bool) -> Membership:
    """The author's accepted membership, when they may post (or reply) in the group."""
    if group.state != GroupState.ACTIVE:
        raise Forbidden("This group is not open for posting.")
    if author.is_local:
        raise Forbidden("Local people post through this instance, not from another server.")
    if author.suspended_at is not None or await groups.is_banned(group, author.id):
        raise Forbidden("This author cannot post in this group (banned or suspended).")
    membership = await groups.membership_of(group, author.id)
    if membership is None or membership.state != MembershipState.ACCEPTED:
        raise Forbidden("The author does not follow (is not a member of) this group.")
    if starting_thread and not groups.may_start_threads(group, membership):
        raise Forbidden("Only moderators start threads in this group.")
    return membership


def _loaded_actor(group: Group) -> Actor | None:
    """The group's actor when it was loaded with the group (`select_related`), else None."""
    actor = group.__dict__.get("_actor")
    return actor if isinstance(actor, Actor) and actor.id == group.actor_id else None


def _title(incoming: IncomingPost) -> str:
    title = " ".join(incoming.title.split())
    if not title:
        return thread_title(incoming.content_html)
    return title if len(title) <= 200 else title[:199] + "…"


def _references(incoming: IncomingPost) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The post's distinct hashtags (lower case, without '#') and mentioned actor ids."""
    tags = tuple(
        tag for tag in dict.fromkeys(t.lower().lstrip("#")[:100] for t in incoming.hashtags) if tag
    )
    return tags, tuple(dict.fromkeys(incoming.mentioned_actor_ids))


async def _store_references(post: Post, tags: tuple[str, ...], mentioned: tuple[str, ...]) -> None:
    for tag in tags:
        await PostHashtag.create(post=post, tag=tag)
    for actor_id in mentioned:
        await PostMention.create(post=post, actor_id=actor_id)


def _new_post(draft: PostDraft, content: str, held: str, now: datetime) -> Post:
    """The post a draft makes (not saved yet), its relations set for the subscribers."""
    incoming, parent = draft.incoming, draft.parent
    common = {
        "group": draft.group,
        "author": draft.author,
        "state": PostState.HELD if held else PostState.PUBLISHED,
        "held_reason": held,
        "content_html": content,
        "last_activity_at": now,
        "ap_id": incoming.ap_id,
        "remote_url": _url(incoming.remote_url),
    }
    if parent is None:
        return Post(
            **common,
            parent=None,
            kind=PostKind.RESOURCE if _url(incoming.link_url) else PostKind.DISCUSSION,
            title=_title(incoming),
            link_url=_url(incoming.link_url),
        )
    return Post(
        **common,
        kind=PostKind.REPLY,
        parent=parent,
        root_id=parent.root_id or parent.id,
        depth=parent.depth + 1,
    )
