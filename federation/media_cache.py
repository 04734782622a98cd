"""The media proxy's cache on disk: one file per remote image, least recently used go first.

    cache = MediaCache(settings.media_cache_dir, max_bytes=512 * 1024 * 1024)
    body = await cache.get(key)        # None when absent; a hit marks the file as just used
    await cache.put(key, body)         # then deletes the least recently used beyond max_bytes

Keys are SHA-256 hex digests of the image's URL, spread over 256 folders by their first two
characters. A file's modification time is its last use (access times are often not kept), so
eviction sorts by it. Files are written under a temporary name and renamed, so a reader never
sees half an image.

Eviction scans the whole folder, which takes a second for 20,000 files (`bench/media_cache.py`),
so it does not run on every `put`: each cache counts what it wrote since its last scan, and
scans when that count takes it over the cap, or when its last scan is `rescan_seconds` old
(other processes sharing the folder write too); a scan deletes down to `LOW_WATER` of the cap,
so the next is some way off. With several processes the folder can outgrow the cap by what the
others wrote since this one's last scan, at most `rescan_seconds` of their misses.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["MediaCache"]

_KEY = re.compile(r"[0-9a-f]{64}")
LOW_WATER = 0.9


class MediaCache:
    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int,
        rescan_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.rescan_seconds = rescan_seconds
        self.clock = clock
        self._estimate: int | None = None  # bytes in the folder, as far as this cache knows
        self._scanned_at = 0.0
        self._lock = threading.Lock()  # puts run in worker threads

    def path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise ValueError("a cache key is a SHA-256 hex digest")
        return self.directory / key[:2] / key

    async def get(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self._get, self.path(key))

    async def put(self, key: str, body: bytes) -> None:
        await asyncio.to_thread(self._put, self.path(key), body)

    async def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(self.path(key).unlink)

    def _get(self, path: Path) -> bytes | None:
        try:
            body = path.read_bytes()
            os.utime(path)  # used now: the last to be evicted
        except FileNotFoundError:
            return None
        return body

    def _put(self, path: Path, body: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        try:
            temporary.write_bytes(body)
            temporary.replace(path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
        with self._lock:
            if self._estimate is not None:
                self._estimate += len(body)
            stale = self.clock() - self._scanned_at >= self.rescan_seconds
            if self._estimate is None or self._estimate > self.max_bytes or stale:
                self._estimate = self._evict()
                self._scanned_at = self.clock()

    def _evict(self) -> int:
        """Delete the least recently used files down to `LOW_WATER` of the cap, when over it;
        return the bytes left."""
        entries: list[tuple[float, int, Path]] = []
        for folder in self.directory.iterdir():
            if not folder.is_dir():
                continue
            for entry in os.scandir(folder):
                if entry.name.startswith("."):
                    continue  # another process is writing it
                with contextlib.suppress(FileNotFoundError):
                    stat = entry.stat()
                    entries.append((stat.st_mtime, stat.st_size, Path(entry.path)))
        total = sum(size for _, size, _ in entries)
        if total <= self.max_bytes:
            return total
        for _, size, path in sorted(entries, key=lambda item: item[0]):
            if total <= self.max_bytes * LOW_WATER:
                break
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            total -= size
        return total
