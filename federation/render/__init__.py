"""Rendering our data as ActivityStreams documents: `render_*` functions, never model methods."""

from federation.render.actors import (
    render_group,
    render_instance_actor,
    render_person,
    render_person_tombstone,
    render_public_key,
)
from federation.render.collections import page_url, render_collection, render_collection_page
from federation.render.discovery import (
    NodeStats,
    render_host_meta_json,
    render_host_meta_xml,
    render_nodeinfo,
    render_nodeinfo_links,
    render_webfinger,
)
from federation.render.notes import (
    microblog_note,
    render_announce,
    render_announce_create,
    render_create,
    render_note,
    render_tombstone,
)

__all__ = [
    "NodeStats",
    "microblog_note",
    "page_url",
    "render_announce",
    "render_announce_create",
    "render_collection",
    "render_collection_page",
    "render_create",
    "render_group",
    "render_host_meta_json",
    "render_host_meta_xml",
    "render_instance_actor",
    "render_nodeinfo",
    "render_nodeinfo_links",
    "render_note",
    "render_person",
    "render_person_tombstone",
    "render_public_key",
    "render_tombstone",
    "render_webfinger",
]
