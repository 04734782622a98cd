"""Reading the audit log (the admins' view): every entry, instance-wide and of every group.

Entries are written by `audit.record`; here they are listed newest first, keyset-paged, by
action (a prefix such as `user` or `user.suspend`) and by who acted (a handle).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tortoise.expressions import Q

from server.models import Actor, AuditEntry
from server.services._paging import Page, keyset_page
from server.services.errors import Invalid

__all__ = ["AuditQuery", "entries_about", "group_entries", "list_entries"]

PAGE_SIZE = 50
ACTION_RE = re.compile(r"^[a-z_]+(\.[a-z_]+)*\.?$")
HANDLE_RE = re.compile(r"^@?([A-Za-z0-9_.-]{1,64})(?:@([A-Za-z0-9.:-]{1,255}))?$")
RELATED = ("actor", "group__actor")


@dataclass(frozen=True)
class AuditQuery:
    action: str = ""  # "" for all, or a prefix of dotted action names: "user", "user.suspend"
    by: str = ""  # "" for anyone, or a handle: "ada", "@ada", "bob@remote.example"
    cursor: str | None = None


async def list_entries(query: AuditQuery, *, limit: int | None = None) -> Page[AuditEntry]:
    """One page of entries, newest first; Invalid (by field) for a filter that cannot match."""
    entries = AuditEntry.all().select_related(*RELATED)
    errors: dict[str, str] = {}
    action = query.action.strip().lower()
    if action:
        if len(action) > 64 or not ACTION_RE.fullmatch(action):
            errors["action"] = "Give an action such as user or user.suspend."
        else:
            action = action.rstrip(".")
            entries = entries.filter(Q(action=action) | Q(action__startswith=f"{action}."))
    if by := query.by.strip():
        actor = await _actor_by_handle(by)
        if actor is None:
            errors["by"] = "Nobody known here has that handle."
        else:
            entries = entries.filter(actor_id=actor.id)
    if errors:
        raise Invalid(errors)
    return await keyset_page(
        entries,
        field="created_at",
        cursor=query.cursor,
        limit=limit or PAGE_SIZE,
        key=lambda e: e.created_at,
    )


async def _actor_by_handle(handle: str) -> Actor | None:
    match = HANDLE_RE.fullmatch(handle)
    if match is None:
        return None
    username, domain = match.group(1), (match.group(2) or "").lower()
    found = await Actor.get_or_none(username=username, domain=domain)
    if found is None and not domain:
        found = await Actor.get_or_none(username=username.lower(), domain="")
    return found


async def entries_about(target_ids: list[str], *, limit: int = 20) -> list[AuditEntry]:
    """The latest entries whose target is one of these ids (a person's account and actor)."""
    return (
        await AuditEntry.filter(target_id__in=target_ids)
        .select_related(*RELATED)
        .order_by("-created_at", "-id")
        .limit(limit)
    )


async def group_entries(group_id: str, *, limit: int = 20) -> list[AuditEntry]:
    """The latest admin entries about a group: its approval, suspensions, rules, ownership."""
    return (
        await AuditEntry.filter(
            Q(target_id=group_id) | Q(group_id=group_id, action__startswith="group.")
        )
        .select_related(*RELATED)
        .order_by("-created_at", "-id")
        .limit(limit)
    )
