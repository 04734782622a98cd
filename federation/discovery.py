"""WebFinger, host-meta and NodeInfo: how other servers find our actors and what we run.

WebFinger answers `acct:name@domain` for people and groups (one namespace: a handle never names
both), the actor's URL as `resource`, and the instance actor as `acct:<domain>@<domain>` (its
`preferredUsername`, which Mastodon queries back), as `acct:actor@<domain>`, as `/actor` and as
the bare base URL (FEP-d556). A missing or malformed resource is a 400; anything else we do not
know, or that lives on another host, is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from importlib import metadata
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from federation import urls
from federation.document_cache import DocumentCache
from federation.queries import active_group, active_person
from federation.render import (
    NodeStats,
    render_host_meta_json,
    render_host_meta_xml,
    render_nodeinfo,
    render_nodeinfo_links,
    render_webfinger,
)
from federation.responses import CORS, encode_json, error_response, json_response
from server.models import Account, AccountState, Post, PostState, RegistrationMode, utcnow
from server.services import instance
from server.services.handles import HANDLE_RE
from server.services.instance_actor import INSTANCE_ACTOR_USERNAME
from server.services.instance_stats import active_since
from server.settings import Settings

JRD = "application/jrd+json"
NODEINFO_PROFILE = 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/{}#"'


class BadResource(ValueError):
    """A WebFinger resource we cannot read at all (400, not 404)."""


@dataclass(frozen=True)
class Wanted:
    """What a WebFinger resource asks for: a person or group by name, or the instance actor."""

    name: str  # "" for the instance actor
    kind: str  # "any", "person", "group" or "instance"
    subject: str | None = None  # set when the answer's subject is the resource itself


def parse_resource(settings: Settings, resource: str) -> Wanted | None:
    """What `resource` names on this instance; None when it names another host or path."""
    resource = resource.strip()
    if not resource:
        raise BadResource("resource is empty")
    domain = settings.domain.lower()
    hosts = {domain, (urlsplit(settings.base_url).hostname or domain).lower()}
    lowered = resource.lower()
    if lowered.startswith(("http://", "https://")):
        return _parse_url(settings, resource)
    account = resource[5:] if lowered.startswith("acct:") else resource
    name, at, host = account.removeprefix("@").rpartition("@")
    if not at or not name or not host:
        raise BadResource("expected acct:name@domain")
    if host.lower() not in hosts:
        return None
    name = name.lower()
    if name in hosts or name == INSTANCE_ACTOR_USERNAME:
        return Wanted("", "instance")
    return Wanted(name, "any")


def _parse_url(settings: Settings, resource: str) -> Wanted | None:
    parts = urlsplit(resource)
    base = urlsplit(settings.base_url)
    if (parts.scheme.lower(), parts.netloc.lower()) != (base.scheme, base.netloc.lower()):
        return None
    if parts.query or parts.fragment:
        return None
    if parts.path in ("", "/"):
        return Wanted("", "instance", subject=resource)
    if parts.path == urls.INSTANCE_ACTOR_PATH:
        return Wanted("", "instance")
    prefix, _, name = parts.path.strip("/").partition("/")
    if prefix == "u" and name:
        return Wanted(name.lower(), "person")
    if prefix == "g" and name:
        return Wanted(name.lower(), "group")
    return None


class Discovery:
    def __init__(self, settings: Settings, documents: DocumentCache) -> None:
        self.settings = settings
        self.documents = documents  # rendered WebFinger answers (public whoever asks)

    async def webfinger(self, request: Request) -> Response:
        resource = request.query_params.get("resource", "")
        try:
            wanted = parse_resource(self.settings, resource)
        except BadResource:
            return error_response(400, "Give a resource such as acct:name@domain.")
        rels = frozenset(request.query_params.getlist("rel"))
        found = await self._find(wanted) if wanted is not None else None
        if found is None:
            return error_response(404, "Nobody by that name here.")
        subject, actor_id, profile_page = found
        document = render_webfinger(subject, actor_id, profile_page=profile_page, rels=rels)
        return self.documents.respond(request, encode_json(document), JRD, CORS)

    async def _find(self, wanted: Wanted) -> tuple[str, str, str | None] | None:
        """(subject, actor id, profile page) of the actor wanted, or None."""
        domain = self.settings.domain
        if wanted.kind == "instance":
            subject = wanted.subject or f"acct:{domain}@{domain}"
            return subject, urls.instance_actor(self.settings), None
        if not HANDLE_RE.fullmatch(wanted.name):
            return None
        subject = f"acct:{wanted.name}@{domain}"
        if wanted.kind in ("any", "group"):
            group = await active_group(wanted.name)
            if group is not None:
                actor_id = urls.group(self.settings, group.actor.username)
                return subject, actor_id, actor_id
        if wanted.kind in ("any", "person"):
            person = await active_person(wanted.name)
            if person is not None:
                actor_id = urls.person(self.settings, person.username)
                return subject, actor_id, actor_id
        return None

    async def host_meta(self, request: Request) -> Response:
        return Response(
            render_host_meta_xml(self.settings), media_type="application/xrd+xml", headers=CORS
        )

    async def host_meta_json(self, request: Request) -> Response:
        return json_response(render_host_meta_json(self.settings), "application/json")

    async def nodeinfo_links(self, request: Request) -> Response:
        return json_response(render_nodeinfo_links(self.settings), "application/json")

    async def nodeinfo(self, request: Request) -> Response:
        version = request.path_params["version"]
        if version not in ("2.0", "2.1"):
            return error_response(404, "We serve NodeInfo 2.0 and 2.1.")
        document = render_nodeinfo(version, software_version(), await node_stats())
        return json_response(document, NODEINFO_PROFILE.format(version))


def software_version() -> str:
    try:
        return metadata.version("lyceum")
    except metadata.PackageNotFoundError:
        return "0.0.0"


async def node_stats() -> NodeStats:
    config = await instance.get_config()
    now = utcnow()
    accounts = Account.filter(state=AccountState.ACTIVE)
    local_posts = Post.filter(author__domain="", ap_id__isnull=True, state=PostState.PUBLISHED)
    return NodeStats(
        users_total=await accounts.count(),
        users_active_month=await accounts.filter(active_since(now - timedelta(days=30))).count(),
        users_active_halfyear=await accounts.filter(
            active_since(now - timedelta(days=180))
        ).count(),
        local_posts=await local_posts.filter(parent_id__isnull=True).count(),
        local_comments=await local_posts.filter(parent_id__isnull=False).count(),
        open_registrations=config.registration_mode == RegistrationMode.OPEN,
        node_name=config.name,
        node_description=config.description,
    )
