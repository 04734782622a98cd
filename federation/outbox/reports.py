"""Reports sent to other servers: a `Flag` from the instance actor, in the receiver's shape.

The reporter stays anonymous: the instance actor signs and sends it, as Mastodon does.

- *microblog* servers (Mastodon and the like) read Mastodon's shape: `object` lists the reported
  account and then the reported statuses, the comment is in `content`;
- *threadiverse* servers (Lemmy, PieFed, another Lyceum…) read Lemmy's: `object` is one item,
  the post (or the person when no post is reported), the comment in `summary` (and `content`,
  which newer Lemmy reads first), and `to` the post's community (or the person).

A report about a post in a group hosted elsewhere (`to_group`) goes to that group's server in
the threadiverse shape, whatever runs there: it is the group's moderators who must see it.
"""

from __future__ import annotations

from typing import Any

from federation import ld, urls
from federation.delivery import enqueue
from federation.outbox.activities import fresh_id
from federation.outbox.audience import SoftwareLookup, inbox_of
from federation.outbox.software import is_threadiverse
from server.models import Actor, Report
from server.services.instance_actor import get_or_create_instance_actor
from server.settings import Settings

__all__ = ["render_lemmy_flag", "render_mastodon_flag", "send_report"]


def _base(settings: Settings) -> dict[str, Any]:
    instance_id = urls.instance_actor(settings)
    return {
        "@context": ld.CONTEXT,
        "id": fresh_id(instance_id, "flags"),
        "type": "Flag",
        "actor": instance_id,
    }


def render_mastodon_flag(
    settings: Settings, account_id: str, status_ids: list[str], comment: str
) -> dict[str, Any]:
    return {**_base(settings), "object": [account_id, *status_ids], "content": comment}


def render_lemmy_flag(settings: Settings, object_id: str, to: str, comment: str) -> dict[str, Any]:
    return {
        **_base(settings),
        "object": object_id,
        "to": [to],
        "summary": comment,
        "content": comment,
    }


async def send_report(
    settings: Settings, lookup: SoftwareLookup, report_id: str, *, to_group: bool
) -> None:
    report = (
        await Report.filter(id=report_id)
        .select_related("target_actor", "post__author", "post__group__actor")
        .first()
    )
    if report is None:
        return
    post = report.post
    if to_group:
        if post is None or post.group.actor.is_local:
            return
        receiver = post.group.actor
        group_id = urls.actor_id(settings, receiver)
        flag = render_lemmy_flag(settings, urls.post_id(settings, post), group_id, report.comment)
    else:
        target = report.target_actor or (post.author if post is not None else None)
        if target is None or target.is_local:
            return
        receiver = target
        flag = _flag_for(settings, lookup, report, target)
    instance = await get_or_create_instance_actor()
    await enqueue(flag, instance.id, [inbox_of(receiver)])


def _flag_for(
    settings: Settings, lookup: SoftwareLookup, report: Report, target: Actor
) -> dict[str, Any]:
    post = report.post
    # Only the target's own posts mean anything to their server; ours it cannot look up.
    post_id = post.ap_id if post is not None and post.author_id == target.id else None
    target_id = urls.actor_id(settings, target)
    if is_threadiverse(target.software or lookup(target.domain)):
        to = (
            urls.actor_id(settings, post.group.actor) if post is not None and post_id else target_id
        )
        return render_lemmy_flag(settings, post_id or target_id, to, report.comment)
    return render_mastodon_flag(settings, target_id, [post_id] if post_id else [], report.comment)
