"""Queueing what a group sends, addressed as the group's visibility allows.

Every activity about a group's content goes through `enqueue_for_group`, so that nothing about a
members-only group's posts leaves us addressed to the public (see `federation.render.privacy`).
The recipients themselves are the group's accepted members at the time the activity is queued
(`audience.group_audience`): a member who left or was banned is no longer among them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from federation.delivery import enqueue
from federation.render.privacy import for_group
from server.models import Group
from server.settings import Settings

__all__ = ["enqueue_for_group"]


async def enqueue_for_group(
    settings: Settings,
    group: Group,
    activity: dict[str, Any],
    signer_id: str,
    inboxes: Iterable[str],
) -> int:
    """`enqueue` the activity (about content of `group`, loaded with its actor)."""
    return await enqueue(for_group(settings, group, activity), signer_id, inboxes)
