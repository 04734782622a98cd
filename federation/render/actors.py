"""Actor documents: a group, a local person, and the instance's Application actor.

Groups follow Lemmy's community shape (FEP-1b12): `attributedTo` and `moderators` name the
moderators collection, `postingRestrictedToMods` tells threadiverse clients who may start threads,
and `manuallyApprovesFollowers` makes Mastodon show approval groups as locked. No property
federates a group's rules, so they are appended to `summary` (and to the Markdown `source`,
which Lemmy and PieFed show as the sidebar).
"""

from __future__ import annotations

from typing import Any

from federation import ld, urls
from federation.render._common import absolute_links, image, timestamp
from server.models import Actor, Group, JoinPolicy, PostingPolicy
from server.settings import Settings

__all__ = [
    "render_group",
    "render_instance_actor",
    "render_person",
    "render_person_tombstone",
    "render_public_key",
]

RULES_HEADING_HTML = "<p><strong>Rules</strong></p>"


def render_public_key(settings: Settings, actor: Actor) -> dict[str, Any]:
    owner = urls.actor_id(settings, actor)
    return {"id": f"{owner}#main-key", "owner": owner, "publicKeyPem": actor.public_key_pem}


def _base(settings: Settings, actor: Actor, kind: str) -> dict[str, Any]:
    """What every local actor document has, in the order peers' docs show it."""
    actor_id = urls.actor_id(settings, actor)
    document: dict[str, Any] = {
        "@context": ld.CONTEXT,
        "id": actor_id,
        "type": kind,
        "preferredUsername": actor.username,
        "name": actor.name,
        "url": actor_id,
        "inbox": urls.inbox(settings, actor),
        "outbox": urls.outbox(settings, actor),
        "followers": urls.followers(settings, actor),
        "endpoints": {"sharedInbox": urls.shared_inbox(settings)},
        "publicKey": render_public_key(settings, actor),
        "published": timestamp(actor.created_at),
        "discoverable": True,
        "manuallyApprovesFollowers": False,
    }
    if icon := image(settings, actor.avatar_path):
        document["icon"] = icon
    return document


def render_group(settings: Settings, group: Group) -> dict[str, Any]:
    """The Group actor; `group.actor` must be loaded."""
    actor = group.actor
    document = _base(settings, actor, "Group")
    summary = group.description_html
    source = group.description_source
    if group.rules_html.strip():
        summary = f"{summary}{RULES_HEADING_HTML}{group.rules_html}"
        source = f"{source}\n\n**Rules**\n\n{group.rules_source}".strip()
    moderators = urls.moderators(settings, actor.username)
    document.update(
        {
            "summary": absolute_links(settings, summary),
            "source": {"content": source, "mediaType": "text/markdown"},
            "featured": urls.featured(settings, actor.username),
            "moderators": moderators,
            "attributedTo": moderators,
            "postingRestrictedToMods": group.posting_policy == PostingPolicy.MODERATORS,
            "manuallyApprovesFollowers": group.join_policy == JoinPolicy.APPROVAL,
            "sensitive": False,
        }
    )
    if banner := image(settings, group.banner_path):
        document["image"] = banner
    return document


def render_person(settings: Settings, actor: Actor) -> dict[str, Any]:
    """A local member, so that peers can show who wrote a post and mention or follow them."""
    document = _base(settings, actor, "Person")
    document["summary"] = absolute_links(settings, actor.summary_html)
    return document


def render_person_tombstone(settings: Settings, actor: Actor) -> dict[str, Any]:
    """What a deleted person's URL answers (with status 410), as Mastodon reads it."""
    document: dict[str, Any] = {
        "@context": ld.CONTEXT,
        "id": urls.actor_id(settings, actor),
        "type": "Tombstone",
        "formerType": "Person",
    }
    if actor.deleted_at is not None:
        document["deleted"] = timestamp(actor.deleted_at)
    return document


def render_instance_actor(settings: Settings, actor: Actor, *, name: str) -> dict[str, Any]:
    """The instance's Application actor (FEP-2677), which signs our fetches.

    Its `preferredUsername` is the instance's domain, as Mastodon's is, and WebFinger answers
    `acct:<domain>@<domain>` with it. Its row's username is the reserved name `actor`.
    """
    document = _base(settings, actor, "Application")
    document.update(
        {
            "preferredUsername": settings.domain,
            "name": name,
            "url": settings.url("/"),
            # Nobody follows the instance actor; saying so stops well-meant follow requests.
            "manuallyApprovesFollowers": True,
            "discoverable": False,
        }
    )
    del document["followers"]
    return document
