"""Finding a group on another server by `@name@host[:port]` or by its actor's URL.

WebFinger (`acct:name@host[:port]`, over https; over http too when
`LYCEUM_FEDERATION_ALLOW_HTTP` allows it) → its `self` link → the actor, fetched by the safe
fetcher with a GET signed by our instance actor → stored (`remote.upsert_remote_actor`) and
tracked as a group (`remote_groups.track_remote_group`, policies from its
`manuallyApprovesFollowers` and `postingRestrictedToMods`). A handle or URL naming one of our
own groups gives that group.

Every failure is an `Invalid` on the field `handle`, with a reason a person can act on.

The web adapter does not import federation: `create_app` puts `resolver_for(app.state)` at
`app.state.resolve_remote_group`, a plain `async (handle) -> Group`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import httpx

from federation import ld
from federation.fetch import (
    AS2_MEDIA_TYPES,
    Fetcher,
    FetchError,
    RefusedAddress,
    RefusedURL,
    Timeout,
    Unreachable,
    host_problem,
)
from federation.fetch import NotFound as FetchNotFound
from federation.inbox.context import block_of
from federation.inbox.parse_actor import parse_actor
from federation.inbox.parse_note import ParseError
from federation.outbox.software import detect_software
from server.models import Actor, ActorKind, DomainBlockSeverity, Group
from server.services import groups, remote_groups
from server.services.errors import Invalid, NotFound
from server.services.instance_actor import get_or_create_instance_actor
from server.services.remote import record_software, upsert_remote_actor
from server.settings import Settings

__all__ = ["GroupResolver", "find_remote_group", "resolver_for"]

JRD_ACCEPT = "application/jrd+json, application/json"
JRD_MEDIA_TYPES = frozenset({"application/jrd+json", "application/json"})
_NAME = re.compile(r"^[^\s@/?#:]{1,100}$")
_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,252})(:[0-9]{1,5})?$")
EXAMPLE = "Enter a handle such as @group@example.org, or the group's address."

GroupResolver = Callable[[str], Awaitable[Group]]


class _Runtime(Protocol):
    settings: Settings
    fetcher: Fetcher

    def signer_for(self, actor: Actor) -> httpx.Auth: ...


def resolver_for(state: Any) -> GroupResolver:
    """The port the web calls; it reads `state.federation` on each call (tests replace it)."""

    async def resolve_remote_group(handle: str) -> Group:
        return await find_remote_group(state.federation, handle)

    return resolve_remote_group


def _invalid(reason: str) -> Invalid:
    return Invalid({"handle": reason})


async def find_remote_group(runtime: _Runtime, text: str) -> Group:
    settings = runtime.settings
    text = text.strip()
    if text.lower().startswith(("http://", "https://")):
        if text == settings.base_url or text.startswith(settings.base_url + "/"):
            return await _local(urlsplit(text).path.removeprefix("/g/"))
        actor_url = text
    else:
        name, domain = _split(text)
        if domain == settings.domain.lower():
            return await _local(name)
        actor_url = await _webfinger(runtime, name, domain)
    document = await _fetch_actor(runtime, actor_url)
    try:
        profile = parse_actor(document)
    except ParseError as error:
        raise _invalid(f"That address is no actor we can follow: {error}.") from None
    if profile.kind != ActorKind.GROUP:
        raise _invalid(f"@{profile.username}@{profile.domain} is not a group.")
    if await block_of(profile.domain) == DomainBlockSeverity.SUSPEND:
        raise _invalid(f"The server {profile.domain} is blocked on this instance.")
    actor = await upsert_remote_actor(profile)
    group = await remote_groups.track_remote_group(
        actor,
        approval=ld.get_bool(document, "manuallyApprovesFollowers"),
        moderators_only=ld.get_bool(document, "postingRestrictedToMods"),
    )
    await _note_software(runtime, actor)
    return group


def _split(text: str) -> tuple[str, str]:
    name, at, domain = text.removeprefix("@").rpartition("@")
    domain = domain.lower()
    if not at or not _NAME.fullmatch(name) or not _DOMAIN.fullmatch(domain):
        raise _invalid(EXAMPLE)
    host, _, port = domain.partition(":")
    if host_problem(host) is not None or (port and not 0 < int(port) < 65536):
        raise _invalid(f"{domain} is not a server name we can look up. {EXAMPLE}")
    return name, domain


async def _local(name: str) -> Group:
    try:
        return await groups.get_group(name.strip("/"))
    except NotFound:
        raise _invalid("There is no such group on this instance.") from None


async def _webfinger(runtime: _Runtime, name: str, domain: str) -> str:
    handle = f"@{name}@{domain}"
    schemes = ["https", "http"] if runtime.settings.federation_allow_http else ["https"]
    resource = quote(f"acct:{name}@{domain}", safe=":@")
    for scheme in schemes:
        url = f"{scheme}://{domain}/.well-known/webfinger?resource={resource}"
        try:
            found = await runtime.fetcher.get_json(
                url, accept=JRD_ACCEPT, media_types=JRD_MEDIA_TYPES
            )
        except (Unreachable, Timeout) as error:
            if scheme != schemes[-1]:
                continue  # an http-only server in a test or LAN setup
            raise _invalid(f"{domain} could not be reached ({_reason(error)}).") from None
        except FetchError as error:
            raise _invalid(_fetch_problem(handle, domain, error)) from None
        actor_url = _self_link(found.data)
        if actor_url is None:
            raise _invalid(f"{handle} has no ActivityPub actor to follow.")
        return actor_url
    raise AssertionError("unreachable")  # the loop returns or raises


def _self_link(jrd: dict[str, Any]) -> str | None:
    for link in ld.get_list(jrd, "links"):
        if not isinstance(link, dict) or link.get("rel") != "self":
            continue
        media_type = str(link.get("type", "")).split(";")[0].strip().lower()
        href = link.get("href")
        if media_type in AS2_MEDIA_TYPES and isinstance(href, str) and href:
            return href
    return None


async def _fetch_actor(runtime: _Runtime, url: str) -> dict[str, Any]:
    try:
        # A URL no fetch could follow is refused before the instance actor that signs the
        # fetch is made on first use: a refused look-up stores nothing.
        runtime.fetcher.check_url(url)
        auth = runtime.signer_for(await get_or_create_instance_actor())
        fetched = await runtime.fetcher.fetch_object(url, auth=auth)
    except FetchError as error:
        raise _invalid(_fetch_problem(url, _netloc(url), error)) from None
    return fetched.data


def _netloc(url: str) -> str:
    """The URL's host[:port] for a reason; the URL itself when it has none we can read."""
    try:
        return urlsplit(url).netloc or url[:100]
    except ValueError:
        return url[:100]


def _fetch_problem(what: str, domain: str, error: FetchError) -> str:
    if isinstance(error, FetchNotFound):
        return f"{domain} knows no {what}."
    if isinstance(error, RefusedAddress):
        return f"{domain} is on a private or local network, which this instance does not contact."
    if isinstance(error, RefusedURL):
        return f"This instance does not contact {domain} that way ({_reason(error)})."
    return f"{domain} did not answer as expected ({_reason(error)})."


def _reason(error: FetchError) -> str:
    return str(error).rstrip(".")


async def _note_software(runtime: _Runtime, actor: Actor) -> None:
    """Which software the group's server runs, as the inbox learns it for senders."""
    if actor.software:
        return
    scheme = urlsplit(actor.ap_id or "").scheme or "https"
    software = await detect_software(runtime.fetcher, actor.domain, scheme=scheme)
    if software:
        await record_software(actor.domain, software)
