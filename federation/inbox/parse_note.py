"""Posts as peers send them (`Note`, `Page`, `Article`, `Question`) read into `PostObject`.

What differs between servers and is normalised here:
- the text: `content` (HTML), or the first value of `contentMap` (Mastodon with a language);
- the title: `name` (Lemmy, PieFed, Mbin, Friendica articles); Mastodon's Notes have none;
- a link post's link: Lemmy puts it in a `Link` attachment, older Lemmy and PieFed in `url`
  of a Page; a Note's `url` is only its HTML page;
- tags: `Mention` hrefs and `Hashtag` names (with or without `#`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from federation import ld
from server.text import is_storable_id, without_unstorable

__all__ = ["ParseError", "PostObject", "parse_post_object"]


class ParseError(ValueError):
    """The JSON is not an activity (or object) we can read; `str()` says why."""


@dataclass(frozen=True)
class PostObject:
    id: str
    type: str
    attributed_to: tuple[str, ...]  # authors (PeerTube lists the channel too)
    content: str  # HTML as sent; sanitised by the domain before it is stored
    name: str
    in_reply_to: str | None
    url: str  # the page a human reads it on
    link: str  # what a link post points at
    addressed: tuple[str, ...]  # to + cc + audience
    mentions: tuple[str, ...]  # hrefs of Mention tags
    hashtags: tuple[str, ...]  # without '#'


def _text(data: Mapping[str, Any], key: str) -> str:
    """A text property, or the first language of its `…Map`; NUL characters and lone
    surrogates removed (PostgreSQL refuses them in text)."""
    value = ld.get_str(data, key)
    if value is None:
        mapped = data.get(f"{key}Map")
        if isinstance(mapped, Mapping):
            value = next((text for text in mapped.values() if isinstance(text, str)), None)
    return without_unstorable(value or "")


def _href(value: Any) -> str:
    """A URL given as a string or as a Link object (`href`, or `url` on some servers)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        for key in ("href", "url"):
            inner = value.get(key)
            if isinstance(inner, str):
                return inner
    return ""


def _page_url(data: Mapping[str, Any]) -> str:
    urls = [_href(value) for value in ld.get_list(data, "url")]
    html = [
        _href(value)
        for value in ld.get_list(data, "url")
        if isinstance(value, Mapping) and value.get("mediaType") == "text/html"
    ]
    return next((url for url in html + urls if url), "")


def _link(data: Mapping[str, Any], kind: str) -> str:
    if kind not in ("Page", "Article"):
        return ""
    for attachment in ld.get_list(data, "attachment"):
        if isinstance(attachment, Mapping) and ld.has_type(attachment, "Link"):
            href = _href(attachment)
            if href:
                return href
    return ""


def parse_post_object(data: Mapping[str, Any]) -> PostObject:
    object_id = data.get("id")
    if not isinstance(object_id, str) or not object_id.startswith(("https://", "http://")):
        raise ParseError("the post has no http(s) id")
    if not is_storable_id(object_id) or not object_id.isprintable():
        raise ParseError("the post's id is not a plain URL")
    types = ld.get_types(data)
    if not types:
        raise ParseError("the post has no type")
    mentions: list[str] = []
    hashtags: list[str] = []
    for tag in ld.get_list(data, "tag"):
        if not isinstance(tag, Mapping):
            continue
        if ld.has_type(tag, "Mention"):
            href = _href(tag)
            if href:
                mentions.append(href)
        elif ld.has_type(tag, "Hashtag"):
            name = ld.get_str(tag, "name")
            if name and name.lstrip("#"):
                hashtags.append(name.lstrip("#"))
    name = _text(data, "name")
    in_reply_to = ld.get_first_id(data, "inReplyTo")
    if in_reply_to is not None and not is_storable_id(in_reply_to):
        raise ParseError("the post replies to an id that is not a plain URL")
    return PostObject(
        id=object_id,
        type=types[0],
        attributed_to=_ids(ld.get_ids(data, "attributedTo")),
        content=_text(data, "content"),
        name=name,
        in_reply_to=in_reply_to,
        url=without_unstorable(_page_url(data)),
        link=without_unstorable(_link(data, types[0])),
        addressed=_ids(
            ld.get_ids(data, "to") + ld.get_ids(data, "cc") + ld.get_ids(data, "audience")
        ),
        mentions=_ids(mentions),
        hashtags=tuple(without_unstorable(tag) for tag in hashtags if without_unstorable(tag)),
    )


def _ids(values: list[str]) -> tuple[str, ...]:
    return tuple(value for value in values if is_storable_id(value))
