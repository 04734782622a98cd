"""`Accept` and `Reject`: answers to Follows we send.

Lyceum follows no remote groups yet, so there is nothing to update: they are acknowledged and
dropped with that reason. (When remote groups arrive, the pending follow is settled here.)
"""

from __future__ import annotations

from federation.inbox.context import Dropped, InboxContext
from federation.inbox.parse import Response


async def handle_response(ctx: InboxContext, activity: Response) -> None:
    raise Dropped(f"{activity.type} ignored: this instance follows no remote groups yet")
