"""The rules a post's content must follow, and rendering it with links to whom it mentions."""

from __future__ import annotations

from urllib.parse import urlsplit

from server.content import Rendered, render_markdown
from server.models import Actor, ActorKind, PostKind

TITLE_MAX_CHARS = 200
URL_MAX_CHARS = 2048
MAX_MENTIONS = 50  # more handles than this in one post are left as plain text
TOP_LEVEL_KINDS = (PostKind.DISCUSSION, PostKind.QUESTION, PostKind.RESOURCE)


def check_top_level(
    kind: PostKind | str, title: str, source: str, link_url: str, max_chars: int
) -> tuple[dict[str, str], PostKind]:
    errors: dict[str, str] = {}
    post_kind = PostKind.DISCUSSION
    if kind not in {k.value for k in TOP_LEVEL_KINDS}:
        errors["kind"] = "Choose discussion, question or resource."
    else:
        post_kind = PostKind(kind)
    clean_title = " ".join(title.split())
    if not clean_title:
        errors["title"] = "Give the post a title."
    elif len(clean_title) > TITLE_MAX_CHARS:
        errors["title"] = f"Use at most {TITLE_MAX_CHARS} characters."
    errors.update(check_body(source, max_chars, required=False))
    if post_kind == PostKind.RESOURCE and "kind" not in errors:
        problem = link_problem(link_url.strip())
        if problem:
            errors["link_url"] = problem
    return errors, post_kind


def check_body(source: str, max_chars: int, *, required: bool) -> dict[str, str]:
    if required and not source.strip():
        return {"body": "Write something first."}
    if len(source) > max_chars:
        return {"body": f"Use at most {max_chars:,} characters (this has {len(source):,})."}
    return {}


def link_problem(url: str) -> str:
    if not url:
        return "A resource needs a link."
    if len(url) > URL_MAX_CHARS:
        return f"Use a link of at most {URL_MAX_CHARS} characters."
    bad = "Enter a web address starting with https:// or http://."
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed IPv6 bracket, say
        return bad
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        return bad
    return ""


async def render_post(source: str, local_domain: str) -> tuple[Rendered, dict[str, Actor]]:
    """Render Markdown, linking mentions of actors we know (people and groups, here or remote)."""
    probe = render_markdown(source)
    targets: dict[str, Actor] = {}
    for handle in probe.mentions[:MAX_MENTIONS]:
        name, _, host = handle.partition("@")
        domain = "" if not host or host == local_domain.lower() else host
        actor = await Actor.get_or_none(username=name, domain=domain, suspended_at=None)
        if actor is not None and actor.kind != ActorKind.APPLICATION:
            targets[handle] = actor
    if not targets:
        return probe, targets
    urls = {handle: profile_path(actor) for handle, actor in targets.items()}
    return render_markdown(source, {h: u for h, u in urls.items() if u}), targets


def profile_path(actor: Actor) -> str:
    if not actor.is_local:
        return actor.url or actor.ap_id or ""
    prefix = "/g/" if actor.kind == ActorKind.GROUP else "/u/"
    return prefix + actor.username
