"""The Jinja2 environment: autoescaping on, and the helpers every template may use."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from server.media_urls import media_url
from web.group_page import group_path
from web.session import csrf_token

TEMPLATES_DIR = Path(__file__).parent / "templates"


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR), context_processors=[_context])
    env = templates.env
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.filters["timeago"] = timeago
    env.filters["isodate"] = lambda value: value.isoformat() if value else ""
    env.filters["group_path"] = group_path  # /g/name, or /g/name@host for a group elsewhere
    # Images come from this instance only: remote URLs go through the media proxy.
    env.filters["media"] = media
    env.filters["avatar_url"] = avatar_url
    env.globals["csrf_input"] = csrf_input
    return templates


def _context(request: Request) -> dict[str, Any]:
    return {
        "current_account": request.scope.get("state", {}).get("account"),
        "unread_count": request.scope.get("state", {}).get("unread_count", 0),
        "settings": request.app.state.web.settings,
        "instance_name": getattr(request.state, "instance_name", "Lyceum"),
    }


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
