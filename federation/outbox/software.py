"""Which software a receiving server runs, and so which shape of Announce it understands.

Peers split into two families (see FEDERATION.md, "Posts into a group"): *threadiverse* servers
read `Announce{Create{Note}}` for posts and comments alike; *microblog* servers take only
`Announce{<Note id>}` of top-level posts. We tell them apart by NodeInfo's `software.name`.

The name is cached on the remote `Actor` rows (`Actor.software`, set when the inbox stores an
actor, by calling `detect_software`) and in this process's memory. The fan-out never asks the
network: it runs inside the domain transaction. A server whose software is not known yet counts
as microblog, which every server understands (a threadiverse peer then misses comments until
its software is known, but never receives something it drops).
"""

from __future__ import annotations

import logging
from typing import Any

from federation.fetch import Fetcher, FetchError

__all__ = [
    "NODEINFO_ACCEPT",
    "THREADIVERSE",
    "cached_software",
    "detect_software",
    "is_threadiverse",
    "remember_software",
]

log = logging.getLogger("lyceum.federation.outbox")

# NodeInfo `software.name`s of servers that read a group's Announce of an activity (FEP-1b12).
# Friendica stays out until checked against a running one: the microblog shape is the safe one.
THREADIVERSE = frozenset({"lemmy", "piefed", "mbin", "kbin", "nodebb", "lotide", "lyceum"})

NODEINFO_ACCEPT = "application/json"
_NODEINFO_MEDIA_TYPES = frozenset({"application/json", "application/jrd+json"})
_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/"

# domain (host[:port], lower case) -> software name; filled by `detect_software`.
_known: dict[str, str] = {}


def is_threadiverse(software: str) -> bool:
    return software.strip().lower() in THREADIVERSE


def cached_software(domain: str) -> str:
    """The software this process has seen `domain` run, or "" (the fan-out's fallback lookup)."""
    return _known.get(domain.lower(), "")


def remember_software(domain: str, software: str) -> None:
    if software:
        _known[domain.lower()] = software.lower()


async def detect_software(fetcher: Fetcher, domain: str, *, scheme: str = "https") -> str:
    """NodeInfo's `software.name` for `domain` (lower case), or "" when it cannot be told.

    Never raises for a peer's failure: an unknown server is simply treated as microblog.
    Call it outside any transaction (it makes up to two requests).
    """
    if known := cached_software(domain):
        return known
    try:
        links = await fetcher.get_json(
            f"{scheme}://{domain}/.well-known/nodeinfo",
            accept=NODEINFO_ACCEPT,
            media_types=_NODEINFO_MEDIA_TYPES,
        )
        href = _newest_schema(links.data)
        if href is None:
            return ""
        document = await fetcher.get_json(
            href, accept=NODEINFO_ACCEPT, media_types=_NODEINFO_MEDIA_TYPES
        )
    except FetchError as error:
        log.info("no NodeInfo for %s: %s", domain, error)
        return ""
    software = document.data.get("software")
    name = software.get("name") if isinstance(software, dict) else None
    if not isinstance(name, str):
        return ""
    remember_software(domain, name.strip())
    return cached_software(domain)


def _newest_schema(data: dict[str, Any]) -> str | None:
    """The href of the highest NodeInfo 2.x schema linked (2.1 over 2.0)."""
    found: list[tuple[str, str]] = []
    links = data.get("links")
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, dict):
            continue
        rel, href = link.get("rel"), link.get("href")
        if (
            isinstance(rel, str)
            and isinstance(href, str)
            and rel.startswith(_SCHEMA + "2.")
            and href.lower().startswith(("http://", "https://"))
        ):
            found.append((rel, href))
    return max(found)[1] if found else None
