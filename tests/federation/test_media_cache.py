"""The media proxy's disk cache: what it keeps, and what it lets go first."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from federation.media_cache import MediaCache


def _key(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def _age(cache: MediaCache, name: str, seconds_ago: float) -> None:
    when = os.stat(cache.path(_key(name))).st_mtime - seconds_ago
    os.utime(cache.path(_key(name)), (when, when))


async def test_media_cache__keeps_what_it_was_given(tmp_path: Path) -> None:
    # Given an empty cache, When an image is put, Then it is read back; others are misses
    cache = MediaCache(tmp_path / "c", max_bytes=1000)
    await cache.put(_key("a"), b"A" * 10)
    assert await cache.get(_key("a")) == b"A" * 10
    assert await cache.get(_key("b")) is None


async def test_media_cache__evicts_the_least_recently_used_beyond_the_cap(tmp_path: Path) -> None:
    # Given three images of 300 bytes in a 1,000-byte cache, "a" put first and "b" next,
    # but "a" read since
    cache = MediaCache(tmp_path / "c", max_bytes=1000)
    for age, name in ((30, "a"), (20, "b"), (10, "c")):
        await cache.put(_key(name), name.encode() * 300)
        _age(cache, name, age)
    await cache.get(_key("a"))
    # When a fourth goes over the cap
    await cache.put(_key("d"), b"d" * 300)
    # Then the one used longest ago ("b") is gone, and the rest stay
    assert await cache.get(_key("b")) is None
    for name in "acd":
        assert await cache.get(_key(name)) == name.encode() * 300


async def test_media_cache__stays_under_the_cap(tmp_path: Path) -> None:
    # Given a cache of 1,000 bytes, When 20 images of 300 bytes are put
    cache = MediaCache(tmp_path / "c", max_bytes=1000)
    for number in range(20):
        await cache.put(_key(str(number)), b"x" * 300)
    # Then no more than the cap is on disk
    sizes = [path.stat().st_size for path in (tmp_path / "c").rglob("*") if path.is_file()]
    assert sum(sizes) <= 1000
    assert len(sizes) == 3


def test_media_cache__keys_are_digests_only(tmp_path: Path) -> None:
    # A key can never name a path outside the cache
    cache = MediaCache(tmp_path / "c", max_bytes=1000)
    with pytest.raises(ValueError, match="SHA-256"):
        cache.path("../../etc/passwd")


def _files(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.is_file())


async def test_media_cache__eviction_leaves_room_for_the_next_images(tmp_path: Path) -> None:
    # Given a full 1,000-byte cache of ten 100-byte images
    cache = MediaCache(tmp_path / "c", max_bytes=1000)
    for number in range(10):
        await cache.put(_key(str(number)), b"x" * 100)
    assert _files(tmp_path / "c") == 10
    # When one more goes over the cap
    await cache.put(_key("more"), b"x" * 100)
    # Then eviction goes down to nine tenths of the cap, not just under it
    assert _files(tmp_path / "c") == 9


async def test_media_cache__rescans_for_what_other_processes_wrote(tmp_path: Path) -> None:
    # Given two processes' caches on one folder of 1,000 bytes, each under the cap in its own
    # count, and together over it
    now = [0.0]
    first, second = (
        MediaCache(tmp_path / "c", max_bytes=1000, rescan_seconds=60, clock=lambda: now[0])
        for _ in range(2)
    )
    await first.put(_key("a"), b"a" * 400)
    await second.put(_key("b"), b"b" * 400)
    await first.put(_key("c"), b"c" * 400)
    assert _files(tmp_path / "c") == 3
    # When the first writes again a minute after its last look at the folder
    now[0] = 61.0
    await first.put(_key("d"), b"d" * 100)
    # Then it looks again and the folder is back under the cap
    sizes = [path.stat().st_size for path in (tmp_path / "c").rglob("*") if path.is_file()]
    assert sum(sizes) <= 1000
