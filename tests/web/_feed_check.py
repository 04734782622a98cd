"""Checking a feed document the way a reader would, and against the formats' rules.

Two checks, both real: feedparser (the parser most readers are built on) must read it without
complaint (`bozo == 0`: well-formed XML, a declared encoding that holds, a known format), and
the elements each specification requires must be there, once: RFC 4287 section 4.1 for Atom
(feed and entry id, title, updated; an author per entry; content or an alternate link; dates
in RFC 3339; absolute ids), and the RSS 2.0 specification for RSS (channel title, link and
description; an item title or description; RFC 822 dates).
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser
from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"


def _one(parent: Any, tag: str) -> Any:
    found = parent.findall(tag)
    assert len(found) == 1, f"{parent.tag} has {len(found)} {tag}, not one"
    return found[0]


def _absolute(url: str) -> None:
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https") and parts.netloc, f"{url!r} is not absolute"


def check_atom(body: bytes) -> Any:
    """The feedparser result of a valid Atom 1.0 document (AssertionError otherwise)."""
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    root = etree.fromstring(body)
    assert root.tag == f"{ATOM}feed"
    _absolute(_one(root, f"{ATOM}id").text)
    assert _one(root, f"{ATOM}title").text
    datetime.fromisoformat(_one(root, f"{ATOM}updated").text)
    rels = [link.get("rel", "alternate") for link in root.findall(f"{ATOM}link")]
    assert "self" in rels and "alternate" in rels
    for entry in root.findall(f"{ATOM}entry"):
        _absolute(_one(entry, f"{ATOM}id").text)
        _one(entry, f"{ATOM}title")
        datetime.fromisoformat(_one(entry, f"{ATOM}updated").text)
        assert _one(_one(entry, f"{ATOM}author"), f"{ATOM}name").text
        links = entry.findall(f"{ATOM}link")
        assert entry.findall(f"{ATOM}content") or links
        for link in links:
            _absolute(link.get("href"))
    return parsed


def check_rss(body: bytes) -> Any:
    """The feedparser result of a valid RSS 2.0 document (AssertionError otherwise)."""
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    root = etree.fromstring(body)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = _one(root, "channel")
    for name in ("title", "description"):
        assert _one(channel, name).text
    _absolute(_one(channel, "link").text)
    for item in channel.findall("item"):
        assert item.findall("title") or item.findall("description")
        _absolute(_one(item, "link").text)
        parsedate_to_datetime(_one(item, "pubDate").text)
        _one(item, "guid")
    return parsed
