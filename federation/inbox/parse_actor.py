"""A remote actor document read into the domain's `RemoteProfile`, plus its public keys.

Keys come as `publicKey` (one or a list; Mastodon, Lemmy, most) with `id`, `owner` and
`publicKeyPem` (sometimes with `\\r\\n` line ends, tolerated downstream). Some servers serve
the key at its own URL as a `Key` document naming its `owner` (GoToSocial's `/main-key`);
`key_document_owner` recognises that shape so the caller fetches the owner next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from federation import ld
from federation.inbox.parse_note import ParseError
from server.models import ActorKind
from server.services.remote import RemoteProfile
from server.text import is_storable, is_storable_id, without_unstorable

__all__ = ["ACTOR_TYPES", "PublicKeyInfo", "key_document_owner", "parse_actor", "public_keys"]

ACTOR_TYPES: dict[str, ActorKind] = {
    "Person": ActorKind.PERSON,
    "Service": ActorKind.PERSON,  # bots post like people
    "Organization": ActorKind.PERSON,
    "Group": ActorKind.GROUP,
    "Application": ActorKind.APPLICATION,  # instance actors (FEP-2677)
}


MAX_DOMAIN_CHARS = 259  # a DNS name (253) and a port


@dataclass(frozen=True)
class PublicKeyInfo:
    id: str
    owner: str
    pem: str


def domain_of(url: str) -> str:
    """`host[:port]` of a URL, lower-cased: how remote actors and blocks name a server."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        return ""
    return f"{host}:{port}" if port else host


def public_keys(document: Mapping[str, Any]) -> list[PublicKeyInfo]:
    """Every PEM key the document publishes (the owner defaults to the document's id)."""
    keys = []
    for value in ld.get_list(document, "publicKey"):
        if not isinstance(value, Mapping):
            continue
        key_id = ld.get_id(value)
        pem = value.get("publicKeyPem")
        owner = ld.get_id(value.get("owner")) or ld.get_id(document.get("id"))
        if not isinstance(pem, str) or "PUBLIC KEY" not in pem or not is_storable(pem):
            continue
        if key_id and owner and is_storable_id(key_id):
            keys.append(PublicKeyInfo(key_id, owner, pem))
    return keys


def key_document_owner(document: Mapping[str, Any]) -> str | None:
    """The owner named by a stand-alone key document, None for anything else."""
    if "inbox" in document or not isinstance(document.get("publicKeyPem"), str):
        return None
    return ld.get_id(document.get("owner"))


def parse_actor(document: Mapping[str, Any], key_id: str | None = None) -> RemoteProfile:
    """Read an actor document; `key_id` picks which published key to keep (default: the first)."""
    actor_id = ld.get_id(document.get("id"))
    if actor_id is None:
        raise ParseError("the actor document has no id")
    types = [kind for kind in ld.get_types(document) if kind in ACTOR_TYPES]
    if not types:
        shown = ", ".join(ld.get_types(document)) or "nothing"
        raise ParseError(f"the document is a {shown}, not an actor")
    inbox = ld.get_first_id(document, "inbox")
    if inbox is None:
        raise ParseError("the actor has no inbox")
    if not is_storable_id(actor_id) or not is_storable_id(inbox):
        raise ParseError("the actor's id or inbox is not a plain URL")
    domain = domain_of(actor_id)
    if not domain:
        raise ParseError("the actor id has no host")
    if len(domain) > MAX_DOMAIN_CHARS:
        raise ParseError("the actor's host name is too long")
    keys = [key for key in public_keys(document) if key.owner == actor_id]
    chosen = next((key for key in keys if key.id == key_id), None) if key_id else None
    if chosen is None and keys and key_id is None:
        chosen = keys[0]
    endpoints = document.get("endpoints")
    shared_inbox = (
        ld.get_first_id(endpoints, "sharedInbox") if isinstance(endpoints, Mapping) else ""
    )
    icon = next((_image_url(value) for value in ld.get_list(document, "icon")), "")
    # Every text is cleaned of NUL characters and lone surrogates (PostgreSQL refuses them); a
    # URL that held one is useless, so it is dropped.
    return RemoteProfile(
        ap_id=actor_id,
        kind=ACTOR_TYPES[types[0]],
        username=without_unstorable(
            ld.get_str(document, "preferredUsername") or _last_segment(actor_id)
        ),
        domain=domain,
        display_name=without_unstorable(ld.get_str(document, "name") or ""),
        summary_html=without_unstorable(ld.get_str(document, "summary") or ""),
        url=_url(_first_url(document)),
        inbox_url=inbox,
        shared_inbox_url=_url(shared_inbox or ""),
        outbox_url=_url(ld.get_first_id(document, "outbox") or ""),
        followers_url=_url(ld.get_first_id(document, "followers") or ""),
        icon_url=_url(icon),
        key_id=chosen.id if chosen else "",
        public_key_pem=chosen.pem if chosen else "",
    )


def _url(url: str) -> str:
    return url if is_storable_id(url) else ""


def _image_url(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return ld.get_first_id(value, "url") or ""
    return ""


def _first_url(document: Mapping[str, Any]) -> str:
    for value in ld.get_list(document, "url"):
        if isinstance(value, str):
            return value
        if isinstance(value, Mapping) and isinstance(value.get("href"), str):
            return str(value["href"])
    return ""


def _last_segment(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] or "actor"
