"""Taking turns to write the inbox's batches to one SQLite file, among the processes sharing it.

SQLite lets one writer in at a time and answers the others `SQLITE_BUSY`, on which Python's
driver sleeps and tries again (1, 2, 5, 10, 15, 20, 25 ms… until its busy timeout): two web
processes writing inbox batches to one file spent their requests' time in those sleeps, long
after the other had committed. Here each batch first takes an exclusive `flock` on a file beside
the database (`<database>-inbox.lock`), in SQLite's thread, right before its `BEGIN IMMEDIATE`,
and lets go right after its COMMIT: a process waiting for its turn is woken by the kernel the
moment the other's is over.

The lock only orders the inbox's own batches; SQLite's locking still keeps the file safe. Other
writers (a worker, the rest of the app) do not take it, and against them the busy timeout
applies as before. A turn lasts one transaction, itself bounded by that timeout; only a process
frozen mid-transaction (stopped, not killed: the kernel frees a dead one's lock) keeps the others
waiting, where they would have failed with "database is locked" after the timeout.
"""

from __future__ import annotations

import fcntl
import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["WriteTurns", "lock_path"]


def lock_path(database_file: str) -> str | None:
    """The lock file of a SQLite database file; None for an in-memory database (one process)."""
    if not database_file or database_file == ":memory:" or "mode=memory" in database_file:
        return None
    return f"{database_file}-inbox.lock"


class WriteTurns:
    """A writer's place in the queue for a database file: its own open lock file, so that two
    writers in one process take turns too. Used from one thread at a time (SQLite's)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        weakref.finalize(self, os.close, self._fd)

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Wait (blocking this thread) until no other writer holds its turn; hold it inside."""
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
