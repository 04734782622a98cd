"""What every handler gets: the settings, the activity's (verified) actor, and id look-ups.

Ids in activities are URLs. Ours are built from `settings.base_url` (see `federation.urls`);
anything else is another server's, found through the `ap_id` we stored for it.

`Dropped` is how a handler says "acknowledged, and deliberately not acted on": the processor
records its reason on the inbox row. Anything else a handler raises is a failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from federation import queries
from federation.fetch import origin
from federation.inbox.actors import RemoteActors
from server.models import Actor, Group, Post
from server.services.domain_blocks import block_of
from server.services.instance_actor import get_instance_actor
from server.settings import Settings

__all__ = ["Dropped", "InboxContext", "block_of", "same_origin"]

_LOCAL_PATH = re.compile(r"^/(?P<prefix>[gup])/(?P<name>[^/?#]+)/?$")


class Dropped(Exception):
    """Acknowledged and dropped on purpose; `str()` is the reason recorded."""


def same_origin(a: str, b: str) -> bool:
    return origin(a) == origin(b)


@dataclass
class InboxContext:
    settings: Settings
    actors: RemoteActors
    actor: Actor  # the activity's actor: its signature was checked at the inbox
    # Our active groups named, by handle (a post's group is named in its addressing and again
    # in its mentions): read once for the activity, or for the worker's batch (`BatchMemo`).
    groups: dict[str, Group | None] = field(default_factory=dict, repr=False)

    def local_path(self, url: str) -> str | None:
        base = self.settings.base_url
        if url == base or url.startswith(base + "/"):
            return urlsplit(url).path or "/"
        return None

    async def local_group(self, url: str) -> Group | None:
        match = _LOCAL_PATH.match(self.local_path(url) or "")
        if match is None or match["prefix"] != "g":
            return None
        return await self._active_group(match["name"])

    async def _active_group(self, name: str) -> Group | None:
        if name not in self.groups:
            self.groups[name] = await queries.active_group(name)
        return self.groups[name]

    async def local_actor(self, url: str) -> Actor | None:
        path = self.local_path(url)
        if path == "/actor":
            return await get_instance_actor()
        match = _LOCAL_PATH.match(path or "")
        if match is None or match["prefix"] == "p":
            return None
        if match["prefix"] == "g":
            group = await self._active_group(match["name"])
            return group.actor if group else None
        return await queries.active_person(match["name"])

    async def find_actor(self, url: str) -> Actor | None:
        """A local actor, or a remote one we have stored (never fetched here)."""
        if self.local_path(url) is not None:
            return await self.local_actor(url)
        return await Actor.get_or_none(ap_id=url)

    async def find_post(self, url: str) -> Post | None:
        """A post written here (`/p/<id>`) or a remote one we stored, in any state."""
        path = self.local_path(url)
        if path is None:
            return await Post.get_or_none(ap_id=url)
        match = _LOCAL_PATH.match(path)
        if match is None or match["prefix"] != "p":
            return None
        return await Post.get_or_none(id=match["name"], ap_id__isnull=True)

    def check_origin(self, object_id: str, what: str = "object") -> None:
        """Objects an actor creates or changes must live on the actor's own server."""
        if not same_origin(object_id, self.actor.ap_id or ""):
            raise Dropped(f"the {what} {object_id} is not on the actor's server")
