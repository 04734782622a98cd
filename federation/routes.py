"""The federation adapter's routes.

`federation_routes` are paths only federation serves (discovery, the instance actor, collections,
activities, the media proxy for remote images); they answer whatever the Accept header says.
`as2_routes` share their URL with an HTML page (a person, a group, a post) and are reached
through `ContentNegotiation` only when the client asks for ActivityStreams.

Every document except actors (people, groups, the instance actor) and discovery goes through
`signed_only`: with `require_signed_fetch` on, it answers signed GETs only.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from federation.discovery import Discovery
from federation.document_cache import DocumentCache
from federation.documents import Documents
from federation.inbox import inbox_routes
from federation.media_proxy import media_proxy_routes
from federation.signed_fetch import Endpoint, signed_only
from server import url_convertors  # noqa: F401  (registers {x:id}, {x:name})
from server.settings import Settings

__all__ = ["as2_routes", "federation_routes"]

GET = ["GET"]  # HEAD is added by Starlette


def federation_routes(settings: Settings, documents: DocumentCache) -> list[BaseRoute]:
    discovery = Discovery(settings, documents)
    docs = Documents(settings, documents)

    def signed(handler: Endpoint) -> Endpoint:
        return signed_only(settings, handler)

    return [
        Route("/.well-known/webfinger", discovery.webfinger, methods=GET),
        Route("/.well-known/host-meta", discovery.host_meta, methods=GET),
        Route("/.well-known/host-meta.json", discovery.host_meta_json, methods=GET),
        Route("/.well-known/nodeinfo", discovery.nodeinfo_links, methods=GET),
        Route("/nodeinfo/{version}", discovery.nodeinfo, methods=GET),
        Route("/actor", docs.instance_actor, methods=GET),
        Route("/actor/outbox", signed(docs.instance_outbox), methods=GET),
        Route("/u/{name:name}/outbox", signed(docs.person_outbox), methods=GET),
        Route("/u/{name:name}/followers", signed(docs.person_followers), methods=GET),
        Route("/g/{name:name}/outbox", signed(docs.group_outbox), methods=GET),
        Route("/g/{name:name}/followers", signed(docs.group_followers), methods=GET),
        Route("/g/{name:name}/featured", signed(docs.group_featured), methods=GET),
        Route("/g/{name:name}/moderators", signed(docs.group_moderators), methods=GET),
        Route("/g/{name:name}/announces/{post_id:id}", signed(docs.announce), methods=GET),
        Route(
            "/g/{name:name}/announces/{post_id:id}/create",
            signed(docs.announce_create),
            methods=GET,
        ),
        Route("/p/{post_id:id}/replies", signed(docs.post_replies), methods=GET),
        Route("/p/{post_id:id}/create", signed(docs.post_create), methods=GET),
        *inbox_routes(settings),
        *media_proxy_routes(settings),
    ]


def as2_routes(settings: Settings, documents: DocumentCache) -> list[BaseRoute]:
    docs = Documents(settings, documents)
    return [
        Route("/u/{name:name}", docs.person, methods=GET),
        Route("/g/{name:name}", docs.group, methods=GET),
        Route("/p/{post_id:id}", signed_only(settings, docs.post), methods=GET),
    ]
