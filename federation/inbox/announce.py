"""`Announce`: a group elsewhere sharing a post (FEP-1b12), or a person boosting one.

We keep content of remote groups only when we track them, and Lyceum tracks no remote groups
yet; boosts by people are not counted. So every Announce is acknowledged and dropped with a
reason, and nothing is fetched for it. (When remote groups arrive: fetch the object from its own
origin, as an Announce's actor is not the object's author, and store it under that group.)
"""

from __future__ import annotations

from federation.inbox.context import Dropped, InboxContext
from federation.inbox.parse import Announce
from server.models import ActorKind


async def handle_announce(ctx: InboxContext, activity: Announce) -> None:
    if ctx.actor.kind == ActorKind.GROUP:
        raise Dropped("announce from a remote group this instance does not track")
    raise Dropped("boosts by people are not counted here")
