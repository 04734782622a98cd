"""What the rows of one claimed batch read once for all (`BatchMemo`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from federation.inbox.parse import Activity
from federation.inbox.readable import Reading, read_row
from server.models import Actor, DomainBlockSeverity, Group, InboxActivity

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
    another kind than `MEMO_KEEPING_TYPES` (an actor's Update or Delete, a Follow…).
    `readings`, the batch's rows read once (`readable.read_rows`), are kept: no handling
    changes what a stored payload says."""

    actors: dict[str, Actor] = field(default_factory=dict)
    groups: dict[str, Group | None] = field(default_factory=dict)
    blocks: dict[str, DomainBlockSeverity | None] = field(default_factory=dict)
    readings: dict[str, Reading] = field(default_factory=dict)

    def activity(self, row: InboxActivity) -> Activity | str:
        """The row's activity, or why it is unreadable (read already if the batch read it)."""
        reading = self.readings.get(row.id)
        return reading.activity if reading is not None else read_row(row)

    def forget(self) -> None:
        self.actors.clear()
        self.groups.clear()
        self.blocks.clear()
