"""The audit log: every admin and moderator action, with who, what, on what, when and why.

Services call `record` inside the transaction of the action itself, so an action is never stored
without its entry (nor an entry without its action). Entries of a group are readable by its
members (the moderation log); the instance-wide ones by admins.
"""

from __future__ import annotations

from server.models import Actor, AuditEntry, Group
from server.services.errors import Invalid

LABEL_LENGTH = 300
REASON_MAX_CHARS = 2000


def checked_reason(reason: str, *, required: bool = False) -> str:
    """The why of an action, as every entry keeps it: trimmed plain text of at most
    `REASON_MAX_CHARS`; `required` for actions that must give one. Invalid (`reason`) otherwise."""
    cleaned = reason.strip()
    if required and not cleaned:
        raise Invalid({"reason": "Say why: the audit log keeps the reason."})
    if len(cleaned) > REASON_MAX_CHARS or "\x00" in cleaned:
        raise Invalid(
            {"reason": f"Keep the reason under {REASON_MAX_CHARS:,} characters of plain text."}
        )
    return cleaned


async def record(
    by: Actor | str | None,
    action: str,
    *,
    group: Group | None = None,
    target_type: str = "",
    target_id: str = "",
    target_label: str = "",
    reason: str = "",
) -> AuditEntry:
    """Write one entry. `by` is the acting person (or their actor id); None for the system."""
    actor_id = by.id if isinstance(by, Actor) else by
    return await AuditEntry.create(
        actor_id=actor_id,
        action=action,
        group=group,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label[:LABEL_LENGTH],
        reason=reason,
    )
