"""Posts: starting threads, replying, editing, deleting, accepting answers, likes and pins.

Every change runs in one transaction and publishes its domain event inside it, so subscribers
(notifications, federation) commit or roll back with the change.

Who may do what:
- start a thread: whoever `groups.can_post` allows (members; moderators only in some groups);
- reply and like: accepted members of the group (nobody likes their own post). Reading needs
  nothing (groups are public), but taking part needs membership, the same rule for people here
  and for followers elsewhere;
- edit: the author only; delete: the author or a moderator of the group;
- accept an answer: the asker or a moderator; pin a thread: moderators.

Reading (thread lists, the thread tree, feeds) lives in `server.services.feeds` and is
re-exported here.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from server import events
from server.content import Rendered
from server.models import (
    Account,
    Actor,
    Group,
    GroupState,
    Notification,
    Post,
    PostHashtag,
    PostKind,
    PostMention,
    PostState,
    Reaction,
    ReactionKind,
    utcnow,
)
from server.services import audit, counts, groups, holds
from server.services._post_rules import (
    TITLE_MAX_CHARS,
    TOP_LEVEL_KINDS,
    check_body,
    check_top_level,
    render_post,
)
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from server.services.feeds import (
    Page,
    ResourceLibrary,
    ThreadNode,
    get_post,
    home_feed,
    liked_post_ids,
    list_threads,
    pinned_threads,
    resource_library,
    tag_feed,
    thread,
)

__all__ = [
    "TITLE_MAX_CHARS",
    "TOP_LEVEL_KINDS",
    "Page",
    "ResourceLibrary",
    "ThreadNode",
    "accept_answer",
    "create_post",
    "create_reply",
    "delete_post",
    "edit_post",
    "get_post",
    "home_feed",
    "like",
    "liked_post_ids",
    "list_threads",
    "pin_post",
    "pin_resource",
    "pinned_threads",
    "record_reaction",
    "remove_reaction",
    "resource_library",
    "tag_feed",
    "thread",
    "unlike",
    "unpin_post",
    "unpin_resource",
]

DEFAULT_MAX_CHARS = 20000


async def create_post(
    author: Account | Actor,
    group: Group,
    kind: PostKind | str,
    title: str,
    source: str,
    link_url: str = "",
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    local_domain: str = "",
    new_account_days: int = 0,
) -> Post:
    """Start a thread. `local_domain` lets `@name@<this host>` mention a local actor.

    The post may be HELD for a moderator (see `holds`; `new_account_days` is the setting), and
    then publishes nothing until approved.
    """
    actor = await _actor_of(author)
    await _check_can_take_part(group, actor, starting_thread=True)
    errors, post_kind = check_top_level(kind, title, source, link_url, max_chars)
    if errors:
        raise Invalid(errors)
    rendered, targets = await render_post(source, local_domain)
    link = link_url.strip() if post_kind == PostKind.RESOURCE else ""
    held = await holds.hold_reason(
        group,
        actor,
        source=source,
        html=rendered.html,
        link_url=link,
        new_account_days=new_account_days,
    )
    now = utcnow()
    async with in_transaction():
        post = await Post.create(
            group=group,
            author=actor,
            kind=post_kind,
            state=PostState.HELD if held else PostState.PUBLISHED,
            held_reason=held,
            title=" ".join(title.split()),
            source=source,
            content_html=rendered.html,
            link_url=link,
            last_activity_at=now,
        )
        await _store_references(post, rendered, targets)
        if not held:
            await counts.recount_group(group, last_post_at=now)
            await events.bus.publish(events.PostCreated(post.id))
        else:
            await events.bus.publish(events.PostHeld(post.id))
    return post


async def create_reply(
    author: Account | Actor,
    parent: Post,
    source: str,
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    local_domain: str = "",
    new_account_days: int = 0,
) -> Post:
    """Reply to a post or to another reply; the reply joins the parent's thread (or waits for
    a moderator, as in `create_post`)."""
    actor = await _actor_of(author)
    group = await Group.get(id=parent.group_id)
    if not parent.is_visible:
        raise NotFound("That post is no longer there.")
    await _check_can_take_part(group, actor, starting_thread=False)
    errors = check_body(source, max_chars, required=True)
    if errors:
        raise Invalid(errors)
    rendered, targets = await render_post(source, local_domain)
    held = await holds.hold_reason(
        group, actor, source=source, html=rendered.html, new_account_days=new_account_days
    )
    root_id = parent.root_id or parent.id
    now = utcnow()
    async with in_transaction():
        reply = await Post.create(
            group=group,
            author=actor,
            kind=PostKind.REPLY,
            state=PostState.HELD if held else PostState.PUBLISHED,
            held_reason=held,
            parent=parent,
            root_id=root_id,
            depth=parent.depth + 1,
            source=source,
            content_html=rendered.html,
            last_activity_at=now,
        )
        await _store_references(reply, rendered, targets)
        if not held:
            await counts.recount_replies(root_id, last_activity_at=now)
            await counts.recount_group(group, last_post_at=now)
            await events.bus.publish(events.PostCreated(reply.id))
        else:
            await events.bus.publish(events.PostHeld(reply.id))
    return reply


async def edit_post(
    by: Account | Actor,
    post: Post,
    *,
    title: str = "",
    source: str,
    link_url: str = "",
    max_chars: int = DEFAULT_MAX_CHARS,
    local_domain: str = "",
) -> Post:
    """Change what the author wrote, marking the post edited (replies have no title or link)."""
    actor = await _actor_of(by)
    if not post.is_visible:
        raise NotFound("That post is no longer there.")
    if post.author_id != actor.id:
        raise Forbidden("Only the author can edit this post.")
    if post.is_top_level:
        errors, _ = check_top_level(post.kind, title, source, link_url, max_chars)
    else:
        errors = check_body(source, max_chars, required=True)
    if errors:
        raise Invalid(errors)
    rendered, targets = await render_post(source, local_domain)
    async with in_transaction():
        if post.is_top_level:
            post.title = " ".join(title.split())
            post.link_url = link_url.strip() if post.kind == PostKind.RESOURCE else ""
        post.source = source
        post.content_html = rendered.html
        post.edited_at = utcnow()
        await post.save()
        await PostHashtag.filter(post=post).delete()
        await PostMention.filter(post=post).delete()
        await _store_references(post, rendered, targets)
        await events.bus.publish(events.PostEdited(post.id))
    return post


async def delete_post(by: Account | Actor, post: Post) -> Post:
    """Delete for good: the content is cleared and the post leaves every page and feed.

    Replies under it stay; the thread shows a "deleted" placeholder where it was.
    """
    actor = await _actor_of(by)
    if post.state == PostState.DELETED:
        raise NotFound("That post is already deleted.")
    group = await Group.get(id=post.group_id)
    by_author = post.author_id == actor.id
    if not by_author and not await groups.can_moderate(group, actor.id):
        raise Forbidden("Only the author or a moderator can delete this post.")
    async with in_transaction():
        label = post.title or post.source[:100]
        post.state = PostState.DELETED
        post.deleted_at = utcnow()
        post.title = post.source = post.content_html = post.link_url = ""
        post.pinned_at = None
        post.accepted_answer_id = None
        await post.save()
        await PostHashtag.filter(post=post).delete()
        await PostMention.filter(post=post).delete()
        await Notification.filter(post=post).delete()
        await Post.filter(accepted_answer_id=post.id).update(accepted_answer_id=None)
        if post.root_id:
            await counts.recount_replies(post.root_id)
        await counts.recount_group(group)
        if not by_author:
            await audit.record(
                actor,
                "post.delete",
                group=group,
                target_type="post",
                target_id=post.id,
                target_label=label,
            )
        await events.bus.publish(events.PostDeleted(post.id))
    return post


async def accept_answer(question: Post, reply: Post, by: Account | Actor) -> Post:
    """Mark `reply` as the accepted answer; doing it again on the same reply un-marks it."""
    actor = await _actor_of(by)
    if question.kind != PostKind.QUESTION or not question.is_top_level:
        raise Conflict("Only questions have accepted answers.")
    if not question.is_visible or not reply.is_visible:
        raise NotFound("That post is no longer there.")
    if reply.root_id != question.id:
        raise Invalid({"": "That reply is not part of this question's thread."})
    group = await Group.get(id=question.group_id)
    if question.author_id != actor.id and not await groups.can_moderate(group, actor.id):
        raise Forbidden("Only the person who asked, or a moderator, can accept an answer.")
    async with in_transaction():
        previous = question.accepted_answer_id
        unmark = previous == reply.id
        question.accepted_answer_id = None if unmark else reply.id
        await question.save(update_fields=["accepted_answer_id"])
        if previous is not None:
            await events.bus.publish(events.AnswerUnaccepted(question.id, previous))
        if not unmark:
            await events.bus.publish(events.AnswerAccepted(question.id, reply.id, actor.id))
    return question


async def like(
    by: Account | Actor, post: Post, *, kind: ReactionKind = ReactionKind.LIKE, ap_id: str = ""
) -> Reaction:
    """React to a post (one reaction per person and post; liking twice changes nothing)."""
    actor = await _actor_of(by)
    if not post.is_visible:
        raise NotFound("That post is no longer there.")
    group = await Group.get(id=post.group_id)
    if not await groups.is_member(group, actor.id):
        raise Forbidden("Join the group to react to its posts.")
    return await record_reaction(post, actor, kind, ap_id)


async def record_reaction(post: Post, actor: Actor, kind: ReactionKind, ap_id: str) -> Reaction:
    """Store one person's vote on a post (replacing a different one), recount, and publish.

    Callers check who may vote; this is shared by local likes and votes a remote group counted.
    Nobody votes on their own post: it would count as recognition from someone else.
    """
    if post.author_id == actor.id:
        raise Forbidden("You cannot like your own post.")
    async with in_transaction():
        reaction = await Reaction.get_or_none(post=post, actor=actor)
        if reaction is not None and reaction.kind == kind:
            return reaction
        if reaction is None:
            reaction = await Reaction.create(post=post, actor=actor, kind=kind, ap_id=ap_id or None)
        else:
            reaction.kind = kind
            reaction.ap_id = ap_id or reaction.ap_id
            await reaction.save()
        await _recount_reactions(post)
        await events.bus.publish(events.PostReacted(reaction.id))
    return reaction


async def unlike(by: Account | Actor, post: Post) -> None:
    """Take one's reaction back; nothing happens when there is none."""
    await remove_reaction(post, await _actor_of(by))


async def remove_reaction(post: Post, actor: Actor) -> None:
    """Take a person's vote off a post (none: nothing happens), recount, and publish.

    Shared by local un-likes and votes a remote group says were taken back.
    """
    async with in_transaction():
        reaction = await Reaction.get_or_none(post=post, actor=actor)
        if reaction is None:
            return
        await reaction.delete()
        await _recount_reactions(post)
        await events.bus.publish(
            events.PostUnreacted(post.id, actor.id, reaction.ap_id, str(reaction.kind))
        )


async def pin_post(by: Account | Actor, post: Post) -> Post:
    """Pin a thread: it shows first on the group page (a resource, first in the library too)
    and in the group's `featured` collection."""
    await _set_pinned(by, post, pinned=True)
    return post


async def unpin_post(by: Account | Actor, post: Post) -> Post:
    await _set_pinned(by, post, pinned=False)
    return post


pin_resource = pin_post
unpin_resource = unpin_post


async def _set_pinned(by: Account | Actor, post: Post, *, pinned: bool) -> None:
    actor = await _actor_of(by)
    if not post.is_visible:
        raise NotFound("That post is no longer there.")
    if not post.is_top_level:
        raise Conflict("Only threads can be pinned, not replies.")
    group = await Group.get(id=post.group_id)
    if not await groups.can_moderate(group, actor.id):
        raise Forbidden("Only moderators can pin threads.")
    if (post.pinned_at is not None) == pinned:
        return
    async with in_transaction():
        post.pinned_at = utcnow() if pinned else None
        await post.save(update_fields=["pinned_at"])
        await audit.record(
            actor,
            "post.pin" if pinned else "post.unpin",
            group=group,
            target_type="post",
            target_id=post.id,
            target_label=post.title or post.source[:100],
        )
        change = events.PostPinned if pinned else events.PostUnpinned
        await events.bus.publish(change(post.id, actor.id))


# --- checks -------------------------------------------------------------------------------


async def _actor_of(author: Account | Actor) -> Actor:
    if isinstance(author, Actor):
        return author
    return await Actor.get(id=author.actor_id)


async def _check_can_take_part(group: Group, actor: Actor, *, starting_thread: bool) -> None:
    if group.state != GroupState.ACTIVE:
        raise Forbidden("This group is not open for posting.")
    if actor.suspended_at is not None or await groups.is_banned(group, actor.id):
        raise Forbidden("You cannot post in this group.")
    if starting_thread and not await groups.can_post(group, actor.id):
        if await groups.is_member(group, actor.id):
            raise Forbidden("Only moderators start threads in this group.")
        raise Forbidden("Join the group to post in it.")
    if not starting_thread and not await groups.is_member(group, actor.id):
        raise Forbidden("Join the group to reply.")


# --- rendering and bookkeeping --------------------------------------------------------------


async def _store_references(post: Post, rendered: Rendered, targets: dict[str, Actor]) -> None:
    for tag in rendered.hashtags:
        await PostHashtag.create(post=post, tag=tag[:100])
    for actor_id in dict.fromkeys(actor.id for actor in targets.values()):
        await PostMention.create(post=post, actor_id=actor_id)


async def _recount_reactions(post: Post) -> None:
    # Lock the post first: two votes arriving together (a web like and one from the inbox
    # worker) then count one after the other, each seeing the other's committed vote, instead
    # of both counting only their own and losing one. NO KEY: the votes' own inserts hold key
    # locks on the post, which a plain FOR UPDATE would deadlock on. (SQLite serialises writers.)
    await Post.select_for_update(no_key=True).filter(id=post.id).only("id")
    post.like_count = await Reaction.filter(post=post, kind=ReactionKind.LIKE).count()
    post.dislike_count = await Reaction.filter(post=post, kind=ReactionKind.DISLIKE).count()
    await Post.filter(id=post.id).update(
        like_count=post.like_count, dislike_count=post.dislike_count
    )
