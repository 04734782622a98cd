"""The media proxy's cache on disk: one file per remote image, least recently used go first.

    cache = MediaCache(settings.media_cache_dir, max_bytes=512 * 1024 * 1024)
    body = await cache.get(key)        # None when absent; a hit marks the file as just used
    await cache.put(key, body)         # then deletes the least recently used beyond max_bytes

Keys are SHA-256 hex digests of the image's URL, spread over 256 folders by their first two
characters. A file's modification time is its last use (access times are often not kept), so
eviction sorts by it. Files are written under a temporary name and renamed, so a reader never
sees half an image, and several processes may share the folder: each one's eviction looks at
the whole folder, and a file another process deleted is simply a miss.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
from pathlib import Path

__all__ = ["MediaCache"]

_KEY = re.compile(r"[0-9a-f]{64}")


class MediaCache:
    def __init__(self, directory: Path, *, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes

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
        self._evict()

    def _evict(self) -> None:
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
        for _, size, path in sorted(entries, key=lambda item: item[0]):
            if total <= self.max_bytes:
                break
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            total -= size
