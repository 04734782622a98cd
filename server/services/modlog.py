"""A group's moderation log: the audit entries about the group, open to the people in it.

Members see how their group is run (who removed what, who was banned, and why); people outside
it do not, since reasons can name members. The web page lets in the group's members and whoever
moderates it (`GroupPage.is_member`, `GroupPage.can_moderate`). Entries are written by the
actions themselves (`audit.record` with `group=`); this module only reads them.
"""

from __future__ import annotations

from server.models import AuditEntry, Group
from server.services._paging import Page, keyset_page

__all__ = ["group_log"]


async def group_log(
    group: Group, *, cursor: str | None = None, limit: int = 50
) -> Page[AuditEntry]:
    """The group's entries, newest first, with who acted (`actor`, None for the system)."""
    query = AuditEntry.filter(group=group).select_related("actor")
    return await keyset_page(
        query, field="created_at", cursor=cursor, limit=limit, key=lambda row: row.created_at
    )
