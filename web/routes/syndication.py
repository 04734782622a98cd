"""Public feeds, RSS 2.0 and Atom 1.0, for readers who never log in.

    /feed.atom, /feed.rss                         the instance's newest threads
    /g/{handle}/feed.atom, /g/{handle}/feed.rss   a group's threads; ?kind=question|resource|
                                                  discussion for one kind
    /tags/{tag}/feed.atom, /tags/{tag}/feed.rss   posts and replies carrying #tag
    /u/{username}/feed.atom, /u/{username}/feed.rss   a local person's posts and replies

Only what an anonymous reader may read is listed (`server/services/syndication`). Unknown
groups, people and tags are 404; a `kind` that is not a kind is 400; other parameters are
ignored. Feeds are the same for everyone, so shared caches may keep them for a few minutes.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.content import plain_text
from server.models import Post, PostKind
from server.services import groups, instance, profiles, syndication
from server.services.errors import NotFound
from server.services.feeds import TAG_RE
from server.services.instance_actor import get_instance_actor
from server.services.reading import can_read_group
from web.context import web
from web.group_page import group_path
from web.open_graph import actor_image, group_image
from web.syndication import FeedFormat, FeedInfo, render_feed

CACHE_CONTROL = "public, max-age=300"
FEED_KINDS = {
    kind.value: kind for kind in (PostKind.DISCUSSION, PostKind.QUESTION, PostKind.RESOURCE)
}
KIND_TITLES = {"discussion": "Discussions", "question": "Questions", "resource": "Resources"}


def _format(request: Request) -> FeedFormat:
    return FeedFormat.ATOM if request.url.path.endswith(".atom") else FeedFormat.RSS


async def _answer(request: Request, info: FeedInfo, items: list[Post]) -> Response:
    fmt = _format(request)
    titles = await syndication.thread_titles(items)
    body = render_feed(web(request).settings, info, items, fmt, titles)
    return Response(
        body,
        media_type=f"{fmt.media_type}; charset=utf-8",
        headers={"Cache-Control": CACHE_CONTROL},
    )


async def instance_feed(request: Request) -> Response:
    name = await instance.instance_name()  # feed readers don't ask for HTML: not in the state
    info = FeedInfo(
        title=name,
        description=f"New threads in the groups of {name}",
        page_path="/",
        feed_path=f"/feed.{_format(request).value}",
        since=instance_actor.created_at if (instance_actor := await get_instance_actor()) else None,
    )
    return await _answer(request, info, await syndication.instance_posts())


async def group_feed(request: Request) -> Response:
    raw_kind = request.query_params.get("kind", "")
    if raw_kind and raw_kind not in FEED_KINDS:
        raise HTTPException(400, "Choose a kind: discussion, question or resource.")
    kind = FEED_KINDS.get(raw_kind)
    group = await groups.get_group(request.path_params["handle"])
    if not await can_read_group(None, group):
        raise NotFound("There is no group with that handle.")
    settings = web(request).settings
    path = group_path(group.actor)
    query = f"?kind={raw_kind}" if kind else ""
    title = group.actor.name + (f" · {KIND_TITLES[raw_kind]}" if kind else "")
    info = FeedInfo(
        title=title,
        description=plain_text(group.description_html, 200) or f"Threads in {group.actor.name}",
        page_path=path + query,
        feed_path=f"{path}/feed.{_format(request).value}{query}",
        image=group_image(settings, group),
        since=group.created_at,
    )
    return await _answer(request, info, await syndication.group_posts(group, kind=kind))


async def tag_feed(request: Request) -> Response:
    tag = request.path_params["tag"]
    if not TAG_RE.fullmatch(tag):
        raise HTTPException(404, "A hashtag is made of letters, digits and underscores.")
    items = await syndication.tag_posts(tag)
    if not items:
        raise HTTPException(404, "Nothing here carries that hashtag.")
    tag = tag.lower()
    info = FeedInfo(
        title=f"#{tag}",
        description=f"Posts tagged #{tag}",
        page_path=f"/tags/{tag}",
        feed_path=f"/tags/{tag}/feed.{_format(request).value}",
    )
    return await _answer(request, info, items)


async def person_feed(request: Request) -> Response:
    profile = await profiles.get_profile(request.path_params["username"])
    assert profile.account is not None  # a local person's profile always has their account
    actor = profile.actor
    settings = web(request).settings
    info = FeedInfo(
        title=f"{actor.name} (@{actor.handle(settings.domain)})",
        description=f"Posts by {actor.name}",
        page_path=f"/u/{actor.username}",
        feed_path=f"/u/{actor.username}/feed.{_format(request).value}",
        image=actor_image(settings, actor),
        since=actor.created_at,
    )
    return await _answer(request, info, await syndication.person_posts(profile.account))


routes: list[BaseRoute] = [
    route
    for fmt in FeedFormat
    for route in (
        Route(f"/feed.{fmt}", instance_feed, name=f"instance_feed_{fmt}"),
        Route(f"/g/{{handle:handle}}/feed.{fmt}", group_feed, name=f"group_feed_{fmt}"),
        Route(f"/tags/{{tag}}/feed.{fmt}", tag_feed, name=f"tag_feed_{fmt}"),
        Route(f"/u/{{username:name}}/feed.{fmt}", person_feed, name=f"person_feed_{fmt}"),
    )
]
