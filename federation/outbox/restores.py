"""A moderator restored a removed post: the group shares it again, as each peer reads it.

- Threadiverse peers got the removal as the group's `Announce{Delete}` by the moderator (Lemmy's
  shape), so they get its reversal as Lemmy sends it: `Announce{Undo{Delete}}`, by whoever
  restored the post. The removal's own id is not kept; receivers match the Delete's object.
- Microblog peers got `Undo` of the group's Announce, and Mastodon forgets an undone Announce's
  id, so the group announces the post again under a new id (`urls.announce_restored`),
  top-level posts only, as on creation.
"""

from __future__ import annotations

from federation import urls
from federation.outbox.activities import render_announce_activity, render_delete, render_undo
from federation.outbox.addressing import enqueue_for_group
from federation.outbox.audience import SoftwareLookup
from federation.outbox.posts import _load, current_boost
from server.models import Actor, PostState, utcnow
from server.settings import Settings

__all__ = ["send_post_restored"]


async def send_post_restored(
    settings: Settings, lookup: SoftwareLookup, post_id: str, moderator_id: str
) -> None:
    found = await _load(post_id, lookup)
    if found is None or found[0].state != PostState.PUBLISHED:
        return
    post, audience = found
    group_actor = post.group.actor
    if audience.threadiverse:
        restorer = await Actor.get_or_none(id=moderator_id, domain="") or group_actor
        removal = render_delete(
            settings, urls.actor_id(settings, restorer), post, group_actor=group_actor
        )
        undo = render_undo(settings, restorer, removal)
        announce = render_announce_activity(settings, group_actor, undo)
        await enqueue_for_group(
            settings, post.group, announce, group_actor.id, audience.threadiverse
        )
    if audience.microblog and post.is_top_level:
        boost = await current_boost(settings, post, published=utcnow())
        await enqueue_for_group(settings, post.group, boost, group_actor.id, audience.microblog)
