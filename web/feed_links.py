"""The `<link rel="alternate">` feeds a page offers (in its <head>, see `_head_meta.html`)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FeedLink", "feed_links"]


@dataclass(frozen=True)
class FeedLink:
    title: str
    href: str  # a path on this instance
    media_type: str


def feed_links(title: str, base_path: str, query: str = "") -> list[FeedLink]:
    """Atom and RSS links for the feed at `base_path` + `.atom` / `.rss` (+ `?query`)."""
    suffix = f"?{query}" if query else ""
    return [
        FeedLink(f"{title} (Atom)", f"{base_path}.atom{suffix}", "application/atom+xml"),
        FeedLink(f"{title} (RSS)", f"{base_path}.rss{suffix}", "application/rss+xml"),
    ]
