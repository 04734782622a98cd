"""Whom a group's activities go to: the inboxes of its accepted remote members, by family.

One query reads every remote member's inboxes and software (no query per follower). Followers
on one server share its shared inbox, so each server gets one copy; the software of a domain is
whatever any of its actors' rows say, else the in-memory cache, else unknown (microblog).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from federation.outbox.software import is_threadiverse
from server.models import Actor, Membership, MembershipState

__all__ = ["Audience", "SoftwareLookup", "group_audience", "inbox_of", "members_audience"]

SoftwareLookup = Callable[[str], str]


@dataclass(frozen=True)
class Audience:
    """Distinct inbox URLs of a group's remote members, split by what their server reads."""

    threadiverse: tuple[str, ...] = ()
    microblog: tuple[str, ...] = ()

    @property
    def everyone(self) -> tuple[str, ...]:
        return self.threadiverse + self.microblog

    def __bool__(self) -> bool:
        return bool(self.threadiverse or self.microblog)


def inbox_of(actor: Actor) -> str:
    """Where to send one remote actor something: the shared inbox when it has one."""
    return actor.shared_inbox_url or actor.inbox_url


async def group_audience(group_id: str, lookup: SoftwareLookup) -> Audience:
    return await members_audience([group_id], lookup)


async def members_audience(group_ids: list[str], lookup: SoftwareLookup) -> Audience:
    """The remote accepted members of any of these groups, as distinct inboxes."""
    if not group_ids:
        return Audience()
    rows = await Membership.filter(
        group_id__in=group_ids,
        state=MembershipState.ACCEPTED,
        actor__domain__not="",
        actor__suspended_at__isnull=True,
    ).values_list("actor__shared_inbox_url", "actor__inbox_url", "actor__domain", "actor__software")
    software: dict[str, str] = {}
    inboxes: dict[str, str] = {}  # inbox -> domain
    for shared, personal, domain, name in rows:
        inbox = str(shared or personal or "")
        if not inbox:
            continue
        inboxes.setdefault(inbox, str(domain))
        if name:
            software.setdefault(str(domain), str(name))
    threadiverse: list[str] = []
    microblog: list[str] = []
    for inbox, domain in inboxes.items():
        name = software.get(domain) or lookup(domain)
        (threadiverse if is_threadiverse(name) else microblog).append(inbox)
    return Audience(tuple(threadiverse), tuple(microblog))
