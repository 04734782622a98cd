"""How long the media proxy's cache takes to store one image when it already holds many.

    .venv/bin/python -m bench.media_cache [files ...]

A cache's first `put` (and one when its count goes over the cap, or a minute after its last
look) scans the whole folder to evict; the others only write. Prints, per cache size, the time
of that scanning `put`, the median of the others and of a `get` (a hit), against the bare cost
of writing one file.
"""

from __future__ import annotations

import asyncio
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

from federation.media_cache import MediaCache

IMAGE = b"\x89PNG\r\n\x1a\n" + b"\0" * 30_000  # about the size of an avatar


def _key(number: int) -> str:
    return hashlib.sha256(str(number).encode()).hexdigest()


async def measure(files: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        cache = MediaCache(Path(folder) / "c", max_bytes=10**12)
        for number in range(files):  # fill it without the per-put scan
            path = cache.path(_key(number))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(IMAGE)
        start = time.perf_counter()
        await cache.put(_key(files), IMAGE)
        scanning = time.perf_counter() - start
        puts, gets, bare = [], [], []
        for number in range(files + 1, files + 21):
            start = time.perf_counter()
            await cache.put(_key(number), IMAGE)
            puts.append(time.perf_counter() - start)
            start = time.perf_counter()
            await cache.get(_key(number))
            gets.append(time.perf_counter() - start)
            start = time.perf_counter()
            (Path(folder) / f"bare{number}").write_bytes(IMAGE)
            bare.append(time.perf_counter() - start)
        print(
            f"{files:>7} files: scanning put {scanning * 1000:7.1f} ms, "
            f"put {statistics.median(puts) * 1000:5.2f} ms, "
            f"get {statistics.median(gets) * 1000:5.2f} ms, "
            f"bare write {statistics.median(bare) * 1000:5.2f} ms"
        )


async def main(sizes: list[int]) -> None:
    for files in sizes:
        await measure(files)


if __name__ == "__main__":
    asyncio.run(main([int(arg) for arg in sys.argv[1:]] or [100, 1_000, 10_000, 20_000]))
