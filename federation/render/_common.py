"""What the renderers share: timestamps and image objects in the shapes peers parse."""

from __future__ import annotations

import mimetypes
import re
from datetime import UTC, datetime
from typing import Any

from server.settings import Settings


def timestamp(moment: datetime) -> str:
    """`2024-05-01T12:00:00Z`: UTC, whole seconds, as Mastodon writes and every peer parses."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def image(settings: Settings, media_name: str) -> dict[str, Any] | None:
    """An `Image` object for a stored upload, or None when there is none."""
    if not media_name:
        return None
    found: dict[str, Any] = {"type": "Image", "url": settings.url(f"/media/{media_name}")}
    media_type, _ = mimetypes.guess_type(media_name)
    if media_type:
        found["mediaType"] = media_type
    return found


# Links in stored HTML may be relative to this instance (hashtags, mentions): a peer would
# resolve them against its own host. The HTML is our own sanitised output, so a pattern is safe.
_RELATIVE_HREF = re.compile(r'href="/(?!/)')


def absolute_links(settings: Settings, html: str) -> str:
    return _RELATIVE_HREF.sub(f'href="{settings.base_url}/', html)
