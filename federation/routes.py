"""The federation adapter's routes.

`federation_routes` are paths only federation serves (discovery, the instance actor, collections,
activities); they answer whatever the Accept header says. `as2_routes` share their URL with an
HTML page (a person, a group, a post) and are reached through `ContentNegotiation` only when
the client asks for ActivityStreams.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from federation.discovery import Discovery
from federation.documents import Documents
from federation.inbox import inbox_routes
from server.settings import Settings

__all__ = ["as2_routes", "federation_routes"]

GET = ["GET"]  # HEAD is added by Starlette


def federation_routes(settings: Settings) -> list[BaseRoute]:
    discovery = Discovery(settings)
    docs = Documents(settings)
    return [
        Route("/.well-known/webfinger", discovery.webfinger, methods=GET),
        Route("/.well-known/host-meta", discovery.host_meta, methods=GET),
        Route("/.well-known/host-meta.json", discovery.host_meta_json, methods=GET),
        Route("/.well-known/nodeinfo", discovery.nodeinfo_links, methods=GET),
        Route("/nodeinfo/{version}", discovery.nodeinfo, methods=GET),
        Route("/actor", docs.instance_actor, methods=GET),
        Route("/actor/outbox", docs.instance_outbox, methods=GET),
        Route("/u/{name}/outbox", docs.person_outbox, methods=GET),
        Route("/u/{name}/followers", docs.person_followers, methods=GET),
        Route("/g/{name}/outbox", docs.group_outbox, methods=GET),
        Route("/g/{name}/followers", docs.group_followers, methods=GET),
        Route("/g/{name}/featured", docs.group_featured, methods=GET),
        Route("/g/{name}/moderators", docs.group_moderators, methods=GET),
        Route("/g/{name}/announces/{post_id}", docs.announce, methods=GET),
        Route("/g/{name}/announces/{post_id}/create", docs.announce_create, methods=GET),
        Route("/p/{post_id}/replies", docs.post_replies, methods=GET),
        Route("/p/{post_id}/create", docs.post_create, methods=GET),
        *inbox_routes(settings),
    ]


def as2_routes(settings: Settings) -> list[BaseRoute]:
    docs = Documents(settings)
    return [
        Route("/u/{name}", docs.person, methods=GET),
        Route("/g/{name}", docs.group, methods=GET),
        Route("/p/{post_id}", docs.post, methods=GET),
    ]
