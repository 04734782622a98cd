"""Discovery documents: WebFinger's JRD (RFC 7033), host-meta (XRD) and NodeInfo 2.0/2.1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import quoteattr

from federation import ld, urls
from server.settings import Settings

__all__ = [
    "NODEINFO_SCHEMA",
    "NodeStats",
    "render_host_meta_json",
    "render_host_meta_xml",
    "render_nodeinfo",
    "render_nodeinfo_links",
    "render_webfinger",
    "webfinger_template",
]

NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/{version}"
# FEP-2677: the link that names the instance's Application actor.
APPLICATION_REL = "https://www.w3.org/ns/activitystreams#Application"
PROFILE_PAGE_REL = "http://webfinger.net/rel/profile-page"
SOFTWARE_NAME = "lyceum"  # peers branch on it: never change it


def render_webfinger(
    subject: str,
    actor_id: str,
    *,
    profile_page: str | None = None,
    rels: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The JRD for one actor; `rels` (the request's `rel` parameters) filters the links."""
    links: list[dict[str, str]] = [{"rel": "self", "type": ld.ACTIVITY_JSON, "href": actor_id}]
    if profile_page:
        links.append({"rel": PROFILE_PAGE_REL, "type": "text/html", "href": profile_page})
    if rels:
        links = [link for link in links if link["rel"] in rels]
    return {"subject": subject, "aliases": [actor_id], "links": links}


def webfinger_template(settings: Settings) -> str:
    return settings.url("/.well-known/webfinger?resource={uri}")


def render_host_meta_xml(settings: Settings) -> str:
    # Written by hand, not through an XML library: it is one fixed element and no entities.
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" type="application/jrd+json" '
        f"template={quoteattr(webfinger_template(settings))}/>\n"
        "</XRD>\n"
    )


def render_host_meta_json(settings: Settings) -> dict[str, Any]:
    return {
        "links": [
            {
                "rel": "lrdd",
                "type": "application/jrd+json",
                "template": webfinger_template(settings),
            }
        ]
    }


def render_nodeinfo_links(settings: Settings) -> dict[str, Any]:
    return {
        "links": [
            *(
                {
                    "rel": NODEINFO_SCHEMA.format(version=version),
                    "href": settings.url(f"/nodeinfo/{version}"),
                }
                for version in ("2.0", "2.1")
            ),
            {"rel": APPLICATION_REL, "href": urls.instance_actor(settings)},
        ]
    }


@dataclass(frozen=True)
class NodeStats:
    users_total: int
    users_active_month: int
    users_active_halfyear: int
    local_posts: int
    local_comments: int
    open_registrations: bool
    node_name: str
    node_description: str


def render_nodeinfo(version: str, software_version: str, stats: NodeStats) -> dict[str, Any]:
    """A NodeInfo document of schema `version` ("2.0" or "2.1")."""
    return {
        "version": version,
        # 2.1 also allows `repository` and `homepage`; we publish no canonical URL yet.
        "software": {"name": SOFTWARE_NAME, "version": software_version},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": stats.open_registrations,
        "usage": {
            "users": {
                "total": stats.users_total,
                "activeMonth": stats.users_active_month,
                "activeHalfyear": stats.users_active_halfyear,
            },
            "localPosts": stats.local_posts,
            "localComments": stats.local_comments,
        },
        "metadata": {"nodeName": stats.node_name, "nodeDescription": stats.node_description},
    }
