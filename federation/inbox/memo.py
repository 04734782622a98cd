"""What the rows of one claimed batch read once for all (`BatchMemo`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.models import Actor, DomainBlockSeverity, Group

__all__ = ["MEMO_KEEPING_TYPES", "BatchMemo"]

# Activities that change no actor and no group here (a post, a vote, a group's share): after
# one of them, what a batch has read of actors and groups still holds.
MEMO_KEEPING_TYPES = frozenset({"Create", "Like", "Dislike", "Announce"})


@dataclass
class BatchMemo:
    """What the rows of one claimed batch read once for all (a busy group's posts come from few
    senders, into few groups): the senders' actors by id, our active groups by handle, and the
    domain blocks. It lives for one batch (under a second; a block, a suspension or a group's
    closing made meanwhile applies from the next batch on), and is forgotten after any row of
    another kind than `MEMO_KEEPING_TYPES` (an actor's Update or Delete, a Follow…)."""

    actors: dict[str, Actor] = field(default_factory=dict)
    groups: dict[str, Group | None] = field(default_factory=dict)
    blocks: dict[str, DomainBlockSeverity | None] = field(default_factory=dict)

    def forget(self) -> None:
        self.actors.clear()
        self.groups.clear()
        self.blocks.clear()
