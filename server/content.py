"""Turning what members write (Markdown) into safe HTML, and finding @mentions and #hashtags.

The sanitiser is the one gate for every piece of HTML shown on a page or sent to a peer: local
Markdown output and remote HTML alike go through `sanitize_html`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "th": {"align"},
    "td": {"align"},
}
# The only classes content may carry: the ones our renderer writes and Mastodon's microformats
# for mentions, hashtags and shortened links, which the stylesheet knows. Any other class is
# dropped, so that a remote post cannot dress a link as one of Lyceum's own buttons or notices.
ALLOWED_CLASSES = {
    "a": {"mention", "hashtag", "u-url"},
    "span": {"h-card", "invisible", "ellipsis"},
}
URL_SCHEMES = {"http", "https", "mailto"}

# A mention is @name or @name@host; a hashtag is #word. Neither may follow a word character,
# so that e-mail addresses and URL fragments stay as they are.
MENTION_RE = re.compile(
    r"(?<![\w/@])@([a-z0-9_]{1,64})(?:@([a-z0-9.-]+\.[a-z]{2,}(?::\d{1,5})?|localhost(?::\d{1,5})?))?",
    re.IGNORECASE,
)
HASHTAG_RE = re.compile(r"(?<![\w/&#])#(\w{1,100})", re.UNICODE)

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable(["table", "strikethrough"])


@dataclass(frozen=True)
class Rendered:
    html: str
    mentions: tuple[str, ...]  # handles as written, lower-cased: "name" or "name@host"
    hashtags: tuple[str, ...]  # lower-cased, without '#'


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer ugc",
        strip_comments=True,
    )


def find_mentions(source: str) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for match in MENTION_RE.finditer(_outside_code(source)):
        name, host = match.group(1).lower(), match.group(2)
        found[f"{name}@{host.lower()}" if host else name] = None
    return tuple(found)


def find_hashtags(source: str) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for match in HASHTAG_RE.finditer(_outside_code(source)):
        if not match.group(1).isdigit():
            found[match.group(1).lower()] = None
    return tuple(found)


def render_markdown(
    source: str, mention_urls: Mapping[str, str] | None = None, tag_url: str = "/tags/{tag}"
) -> Rendered:
    """Render Markdown to sanitised HTML, linking known mentions and every hashtag.

    `mention_urls` maps a handle as found by `find_mentions` to the profile URL it links to;
    mentions of unknown handles stay plain text.
    """
    mention_urls = mention_urls or {}
    tokens = _markdown.parse(source)
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        inside_link = 0
        for child in token.children:
            if child.type == "link_open":
                inside_link += 1
            elif child.type == "link_close":
                inside_link -= 1
            elif child.type == "text" and not inside_link:
                child.type = "html_inline"
                child.content = _link_text(child.content, mention_urls, tag_url)
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return Rendered(sanitize_html(html), find_mentions(source), find_hashtags(source))


def _link_text(text: str, mention_urls: Mapping[str, str], tag_url: str) -> str:
    pieces: list[str] = []
    position = 0
    pattern = re.compile(f"{MENTION_RE.pattern}|{HASHTAG_RE.pattern}", re.IGNORECASE | re.UNICODE)
    for match in pattern.finditer(text):
        pieces.append(escape(text[position : match.start()]))
        whole = match.group(0)
        if whole.startswith("@"):
            name, host = match.group(1).lower(), match.group(2)
            url = mention_urls.get(f"{name}@{host.lower()}" if host else name)
            pieces.append(
                f'<a href="{escape(url)}" class="mention">{escape(whole)}</a>'
                if url
                else escape(whole)
            )
        else:
            tag = match.group(3)
            if tag.isdigit():
                pieces.append(escape(whole))
            else:
                href = escape(tag_url.format(tag=tag.lower()))
                pieces.append(f'<a href="{href}" class="hashtag">#{escape(tag)}</a>')
        position = match.end()
    pieces.append(escape(text[position:]))
    return "".join(pieces)


def _outside_code(source: str) -> str:
    """The source without fenced and inline code, where @ and # mean nothing."""
    without_fences = re.sub(r"```.*?```|~~~.*?~~~", " ", source, flags=re.DOTALL)
    return re.sub(r"`[^`\n]*`", " ", without_fences)


def plain_text(html: str, limit: int = 200) -> str:
    """A short plain-text excerpt of sanitised HTML, for previews and meta descriptions."""
    text = re.sub(r"\s+", " ", nh3.clean(html, tags=set())).strip()
    text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    text = text.replace("&quot;", '"').replace("&#39;", "'")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
