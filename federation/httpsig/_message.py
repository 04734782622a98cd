"""The parts of an HTTP request both signature schemes look at, in one normal form."""

from __future__ import annotations

import email.utils
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import urlsplit

HeaderInput = Mapping[str, str] | Iterable[tuple[str, str]]
Fields = dict[str, list[str]]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def collect_fields(headers: HeaderInput) -> Fields:
    """Header lines by lower-cased name, each line's value trimmed, in order received.

    Accepts a plain dict, Starlette's or httpx's `Headers` (their `items()` keep or merge
    repeated lines; both serialise the same) or a list of pairs.
    """
    # A list of pairs (what the inbox passes) skips the ABC check, a noticeable part of it.
    pairs = headers if type(headers) is list else _pairs(headers)
    fields: Fields = {}
    for name, value in pairs:
        fields.setdefault(name.lower(), []).append(value.strip())
    return fields


def _pairs(headers: HeaderInput) -> Iterable[tuple[str, str]]:
    return headers.items() if isinstance(headers, Mapping) else headers


def field_value(fields: Fields, name: str) -> str | None:
    """The combined value of a header (lines joined with ", "), None if absent."""
    lines = fields.get(name)
    return None if lines is None else ", ".join(lines)


def authority(url: str) -> str:
    """`host[:port]` of a URL, lower-cased, the port omitted when it is the scheme's default.

    This is what a receiver sees in `Host`, and what RFC 9421 calls `@authority`.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    port = parts.port
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme.lower()):
        return host
    return f"{host}:{port}"


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def imf_fixdate(moment: datetime) -> str:
    """`Sun, 06 Nov 1994 08:49:37 GMT`, the only Date format peers must accept."""
    return email.utils.format_datetime(moment.astimezone(UTC), usegmt=True)


# Requests signed in the same second carry the same Date: a busy inbox parses each one once.
@lru_cache(maxsize=256)
def parse_http_date(value: str) -> datetime | None:
    """The moment a Date header names, in UTC; None when it names none we can represent."""
    try:
        moment = email.utils.parsedate_to_datetime(value)
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def describe_seconds(seconds: float) -> str:
    """3 hours, 2 minutes, 40 seconds, 5 days: the largest whole unit, for reasons."""
    seconds = int(abs(seconds))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
