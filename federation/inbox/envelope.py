"""What the inbox door reads of an activity before it stores it, and what it refuses.

`read_envelope(body)` parses the body (depth bounded by `jsondoc`) and answers the id, type and
actor the inbox needs, or raises `Unstorable` with a reason for a 400. It refuses what could not
be stored faithfully, so that nothing the door accepts can make the worker fail later:
- a NUL character or a lone surrogate anywhere in the document (keys included). `json.loads`
  turns `"\\u0000"` and `"\\ud800"` into them; PostgreSQL refuses both in text. The whole
  document is refused rather than cleaned: no real server sends them, and a cleaned copy would
  no longer be what was signed;
- an id the worker will store that is not an http(s) URL of at most `MAX_ID_CHARS` characters:
  the activity's `id` and `actor`, and down the chain of embedded objects (`object`, at most
  `MAX_NESTING` deep) each `id`, `actor`, `attributedTo`, `inReplyTo` and `object` given by id;
- a type that is not a plain short name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from federation import jsondoc
from federation.ld import get_id, get_list
from server.text import MAX_ID_CHARS, holds_unstorable

__all__ = ["MAX_ID_CHARS", "Unstorable", "is_http_url", "plain_origin", "read_envelope"]

MAX_HOST_CHARS = 253  # the longest DNS name; origins are stored in 300 characters
MAX_NESTING = 3  # as the parser: Announce{Create{Note}} is as deep as real shapes go
ID_KEYS = ("id", "actor", "attributedTo", "inReplyTo")


_SPACE_OR_CONTROL = re.compile(r"[\x00-\x20]")
# An http(s) URL whose host is a plain lower-case name and whose port, if any, is digits:
# `urlsplit` would accept it, so such ids skip it. Anything else is checked the long way.
_PLAIN_URL = re.compile(r"(https?)://([a-z0-9][a-z0-9.-]*)(?::([0-9]{1,5}))?(?:[/?#]|$)", re.ASCII)
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Unstorable(ValueError):
    """The body cannot be stored as an activity; `str()` is the reason for the 400."""


@lru_cache(maxsize=4096)  # an actor's id comes back in each of its activities, several times
def is_http_url(value: str) -> bool:
    """An absolute http(s) URL with a host name of at most 253 characters, at most
    `MAX_ID_CHARS` printable characters in all."""
    if len(value) > MAX_ID_CHARS or _SPACE_OR_CONTROL.search(value):
        return False
    plain = _PLAIN_URL.match(value)
    if plain is not None and len(plain[2]) <= MAX_HOST_CHARS and int(plain[3] or 0) <= 65535:
        return True  # what almost every id looks like, read without `urlsplit`
    return _is_http_url_by_urlsplit(value)


def _is_http_url_by_urlsplit(value: str) -> bool:
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises ValueError for a port that is not one)
    except ValueError:
        return False
    # A host name and a readable port: what `domain_of` needs to name the server.
    return parts.scheme in ("http", "https") and 0 < len(host) <= MAX_HOST_CHARS


def plain_origin(url: str) -> tuple[str, str, int | None] | None:
    """`fetch.origin(url)` of a plain http(s) URL (see `_PLAIN_URL`), read without `urlsplit`;
    None for any other URL."""
    plain = _PLAIN_URL.match(url)
    if plain is None:
        return None
    port = int(plain[3] or 0) or _DEFAULT_PORTS[plain[1]]  # port 0 too, as `urlsplit` reads
    return (plain[1], plain[2], port) if port <= 65535 else None


def read_envelope(body: bytes) -> dict[str, str]:
    """`{"id", "type", "actor"}` of a storable activity; `Unstorable` says why not."""
    try:
        data = jsondoc.loads(body.decode("utf-8"))
    except jsondoc.TooDeep as deep:
        raise Unstorable(str(deep)) from None
    except (ValueError, UnicodeDecodeError):
        raise Unstorable("The body is not UTF-8 JSON.") from None
    if not isinstance(data, dict):
        raise Unstorable("The body is not a JSON object.")
    for key in ("id", "type"):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise Unstorable(f"The activity needs a string {key}.")
    actor = get_id(data.get("actor"))
    if actor is None:
        raise Unstorable("The activity needs an actor id.")
    if b"\\u" in body and holds_unstorable(data):  # only an escape can make them
        raise Unstorable("The document holds a NUL character or a lone surrogate.")
    if not is_http_url(data["id"]):
        raise Unstorable("The activity id must be an http(s) URL of at most 2048 characters.")
    if not is_http_url(actor):
        raise Unstorable("The actor id must be an http(s) URL of at most 2048 characters.")
    for where, value in _stored_ids(data):
        if not is_http_url(value):
            raise Unstorable(f"The {where} must be an http(s) URL of at most 2048 characters.")
    kind = data["type"]
    if len(kind) > 64 or not kind.isprintable():
        raise Unstorable("The activity type is not a plain name.")
    return {"id": data["id"], "type": kind, "actor": actor}


def _stored_ids(data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, id) of each id down the chain of embedded objects (the activity's own included)."""
    level: list[Any] = [data]
    for depth in range(MAX_NESTING + 1):
        below: list[Any] = []
        for node in level:
            if isinstance(node, str):
                if depth > 0:
                    yield "object id", node
                continue
            if not isinstance(node, dict):
                continue
            for key in ID_KEYS if depth else ID_KEYS[2:]:  # the activity's id, actor: done
                for value in get_list(node, key):
                    found = value if isinstance(value, str) else get_id(value)
                    if found is not None:
                        yield f"{key} of an embedded object" if depth else key, found
            below.extend(get_list(node, "object"))
        level = below
