"""Which new posts wait for a moderator (PostState.HELD) instead of appearing at once.

Two rules, checked where posts are created (local posts in `posts`, remote ones in `remote`):
- `first_post`: the group holds first posts, and the author has no published post there yet;
- `new_account_links`: a local account younger than the instance's `new_account_link_days`
  (Admin → Settings; 0 turns it off) posts a link.
Only groups hosted here hold posts (a group elsewhere has its own moderators), and moderators'
posts are never held. A held post publishes no event until `moderation.approve_held_post`.
"""

from __future__ import annotations

import re
from datetime import timedelta

from server.models import Account, Actor, Group, Post, PostState, utcnow
from server.services import groups

__all__ = ["FIRST_POST", "NEW_ACCOUNT_LINKS", "contains_link", "explain", "hold_reason"]

FIRST_POST = "first_post"
NEW_ACCOUNT_LINKS = "new_account_links"
LIMITED_DOMAIN = "domain_limited"  # set by `remote` for servers the admins limit (domain_blocks)

# Why a post waits, in words for its author and the moderators (notifications, mail).
_EXPLANATIONS = {
    FIRST_POST: "The group's moderators review each member's first post there.",
    NEW_ACCOUNT_LINKS: "The account is new, and posts with links from new accounts wait for a "
    "moderator.",
    LIMITED_DOMAIN: "Posts from the author's server wait for a moderator here.",
}


def explain(reason: str) -> str:
    """A held post's `held_reason` in words."""
    return _EXPLANATIONS.get(reason, "It waits for a moderator to review it.")


# Bare addresses in the text (the renderer does not linkify them, but readers copy them).
URL_RE = re.compile(r"(?i)\b(?:https?://|www\.)\S")
ANCHOR_RE = re.compile(r"<a\s[^>]*>", re.IGNORECASE)
OWN_LINK_RE = re.compile(r'class="(?:mention|hashtag)"')


def contains_link(source: str, html: str, link_url: str = "") -> bool:
    """A link anywhere: a resource's address, a bare URL, or an anchor that is not one of our
    own mention or hashtag links."""
    if link_url.strip() or URL_RE.search(source):
        return True
    return any(not OWN_LINK_RE.search(tag) for tag in ANCHOR_RE.findall(html))


async def hold_reason(
    group: Group,
    author: Actor,
    *,
    source: str = "",
    html: str = "",
    link_url: str = "",
    new_account_days: int = 0,
    group_actor: Actor | None = None,
    moderator: bool | None = None,
) -> str:
    """Why this new post must wait for a moderator, or "" when it is published at once.

    A caller that has them passes the group's actor and whether the author may moderate the
    group (`groups.can_moderate`), which are otherwise looked up."""
    if group_actor is None:
        group_actor = await Actor.get(id=group.actor_id)
    if not group_actor.is_local:
        return ""
    if moderator is None:
        moderator = await groups.can_moderate(group, author.id)
    if moderator:
        return ""
    if group.hold_first_posts and not await _has_published(group, author):
        return FIRST_POST
    if new_account_days > 0 and author.is_local and contains_link(source, html, link_url):
        account = await Account.get_or_none(actor_id=author.id)
        if account is not None and account.created_at > utcnow() - timedelta(new_account_days):
            return NEW_ACCOUNT_LINKS
    return ""


async def _has_published(group: Group, author: Actor) -> bool:
    return await Post.filter(group=group, author=author, state=PostState.PUBLISHED).exists()
