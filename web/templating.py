"""The Jinja2 environment: autoescaping on, and the helpers every template may use."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.templating import Jinja2Templates
from wtforms import Form

from server.media_urls import media_url
from server.services.holds import explain as explain_hold
from server.services.search import Segment
from web.group_page import group_path
from web.session import csrf_token
from web.thread_items import ThreadItems

TEMPLATES_DIR = Path(__file__).parent / "templates"


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR), context_processors=[_context])
    env = templates.env
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True
    # The code around the templates is loaded once too: a new version is a restart, so no
    # rendering needs to look at the files' times (six `stat`s a page).
    env.auto_reload = False
    env.filters["timeago"] = timeago
    env.filters["isodate"] = html_datetime
    env.filters["group_path"] = group_path  # /g/name, or /g/name@host for a group elsewhere
    # Images come from this instance only: remote URLs go through the media proxy.
    env.filters["media"] = media
    env.filters["avatar_url"] = avatar_url
    env.filters["held_why"] = explain_hold  # a held post's `held_reason` in words
    env.filters["marked"] = marked  # a search snippet, its matched words in <mark>
    env.globals["csrf_input"] = csrf_input
    env.globals["error_cue"] = error_cue
    env.globals["thread_items"] = ThreadItems(env)  # a list's `thread_item`s, kept once rendered
    return templates


def marked(segments: Iterable[Segment]) -> Markup:
    """Search result text as HTML: every segment escaped, the matched ones in `<mark>` (a filter
    rather than a macro: a results page has hundreds of segments)."""
    return Markup("").join(
        Markup("<mark>{}</mark>").format(segment.text) if segment.match else escape(segment.text)
        for segment in segments
    )


def _context(request: Request) -> dict[str, Any]:
    return {
        "current_account": request.scope.get("state", {}).get("account"),
        "unread_count": request.scope.get("state", {}).get("unread_count", 0),
        "settings": request.app.state.web.settings,
        "instance_name": getattr(request.state, "instance_name", "Lyceum"),
    }


def html_datetime(value: datetime | None) -> str:
    """`<time datetime="{{ moment | isodate }}">`: a valid HTML global date and time string, in
    UTC to the second (`2026-12-04T17:12:52Z`); "" for None. `isoformat()` is not one: HTML
    allows at most three digits of a fraction of a second. A naive value is taken to be UTC."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


@pass_context
def error_cue(context: Context) -> str:
    """`Error: ` when the page shows a form with errors (GOV.UK prefixes the title so), else ""."""
    for value in context.get_all().values():
        if isinstance(value, Form) and value.errors:
            return "Error: "
    if context.get("reply_errors"):
        return "Error: "
    return ""


def csrf_input(request: Request) -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(
        escape(csrf_token(request))
    )


@pass_context
def media(context: Context, url: str | None) -> str:
    """`{{ url | media }}`: a path on this instance that shows the image at `url`, or ""."""
    return media_url(context["settings"], url)


@pass_context
def avatar_url(context: Context, actor: Any) -> str:
    """`{{ actor | avatar_url }}`: a local actor's uploaded avatar, a remote one's icon through
    the media proxy, or "" for none."""
    if actor.avatar_path:
        return f"/media/{actor.avatar_path}"
    return media_url(context["settings"], actor.icon_url)


def timeago(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return ""
    seconds = int(((now or datetime.now(UTC)) - value).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            if unit == "day" and count > 30:
                return value.strftime("%-d %b %Y")
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"
