"""Domain blocks: an instance admin cutting off (suspend) or limiting another server.

`block_domain(domain, severity, reason)` records the block (or changes an existing one). A
suspension also hides what the domain already put here, for its actors and those of its
subdomains (`*.example` is blocked with `example`, as the inbox checks it):
- their published or held posts become REMOVED with the reason "domain suspended" (a state a
  moderator can restore from, unlike a deletion: a suspension can be lifted);
- their memberships end, so they no longer count as members or followers of any group.
New activities from the domain are refused at the inbox (403), and secure-mode fetches too.
Each removal and ended membership publishes its usual event, in one transaction with the block.
"""

from __future__ import annotations

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from server import events
from server.models import (
    Actor,
    DomainBlock,
    DomainBlockSeverity,
    Group,
    Membership,
    MembershipState,
    Post,
    PostState,
    utcnow,
)
from server.services.errors import Invalid
from server.services.groups import _recount_members
from server.services.posts import _recount_group, _recount_replies

__all__ = ["SUSPENDED_REASON", "block_domain"]

SUSPENDED_REASON = "domain suspended"
HIDDEN_STATES = (PostState.PUBLISHED, PostState.HELD)


def _clean(domain: str) -> str:
    cleaned = domain.strip().lower().rstrip(".")
    if not cleaned or len(cleaned) > 255 or any(ch in cleaned for ch in "/@ \t"):
        raise Invalid({"domain": "Give a domain name such as example.social."})
    return cleaned


async def block_domain(domain: str, severity: DomainBlockSeverity, reason: str = "") -> DomainBlock:
    """Block the domain (again, with a new severity); a suspension hides its content here."""
    name = _clean(domain)
    async with in_transaction():
        block = await DomainBlock.get_or_none(domain=name)
        if block is None:
            block = await DomainBlock.create(domain=name, severity=severity, reason=reason.strip())
        else:
            block.severity = severity
            block.reason = reason.strip()
            await block.save(update_fields=["severity", "reason"])
        if severity == DomainBlockSeverity.SUSPEND:
            actor_ids = await _actors_of(name)
            await _remove_posts(actor_ids)
            await _end_memberships(actor_ids)
    return block


async def _actors_of(domain: str) -> list[str]:
    """Remote actors of the domain and its subdomains, on any port."""
    matching = Actor.filter(
        Q(domain=domain)
        | Q(domain__startswith=f"{domain}:")
        | Q(domain__endswith=f".{domain}")
        | Q(domain__contains=f".{domain}:")
    ).exclude(domain="")
    return [str(actor_id) for actor_id in await matching.values_list("id", flat=True)]


async def _remove_posts(actor_ids: list[str]) -> None:
    if not actor_ids:
        return
    hidden = await Post.filter(author_id__in=actor_ids, state__in=HIDDEN_STATES).select_related(
        "group"
    )
    now = utcnow()
    groups: dict[str, Group] = {}
    roots: set[str] = set()
    for post in hidden:
        post.state = PostState.REMOVED
        post.removed_at = now
        post.removal_reason = SUSPENDED_REASON
        post.pinned_at = None
        await post.save(update_fields=["state", "removed_at", "removal_reason", "pinned_at"])
        groups[post.group_id] = post.group
        if post.root_id:
            roots.add(post.root_id)
    for root_id in roots:
        await _recount_replies(root_id)
    for group in groups.values():
        await _recount_group(group)
    for post in hidden:
        await events.bus.publish(events.PostRemoved(post.id, post.group.actor_id))


async def _end_memberships(actor_ids: list[str]) -> None:
    if not actor_ids:
        return
    memberships = await Membership.filter(actor_id__in=actor_ids).select_related("group")
    for membership in memberships:
        await membership.delete()
        if membership.state == MembershipState.ACCEPTED:
            await _recount_members(membership.group)
        await events.bus.publish(
            events.MembershipEnded(
                membership.group_id, membership.actor_id, membership.follow_ap_id
            )
        )
