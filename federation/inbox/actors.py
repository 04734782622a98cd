"""Remote actors for the inbox: their keys for signature checks, and the actors themselves.

`RemoteActors.key_lookup(key_id, refresh)` is the `KeyLookup` that `verify_request` calls: the
cached remote actor holding that key id, else (or with `refresh`, after a failed check: the key
may have rotated) the actor document fetched with a GET signed by our instance actor (Mastodon
and Lemmy in secure mode refuse unsigned fetches), stored through `upsert_remote_actor`. It
remembers who owns each key, so that the inbox can insist the key's owner is the activity's
actor.

One `RemoteActors` serves one incoming activity: its `FetchBudget` bounds what that activity
can make us fetch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx

from federation.fetch import FetchBudget, Fetcher, FetchError
from federation.inbox.parse_actor import key_document_owner, parse_actor, public_keys
from federation.inbox.parse_note import ParseError
from server.models import Actor
from server.services.errors import Invalid
from server.services.instance_actor import get_or_create_instance_actor
from server.services.remote import upsert_remote_actor

__all__ = ["RemoteActors", "SignerFactory"]

log = logging.getLogger("lyceum.inbox")


SignerFactory = Callable[[Actor], httpx.Auth]


class RemoteActors:
    def __init__(
        self,
        fetcher: Fetcher,
        signer_for: SignerFactory,
        *,
        local_base_url: str,
        budget: FetchBudget | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.signer_for = signer_for
        self.local_base_url = local_base_url
        self.budget = budget or FetchBudget()
        self.owners: dict[str, str] = {}  # key id -> the owning actor's id
        self.problem = ""  # why the last fetch failed, for the 401's reason
        self._auth: httpx.Auth | None = None

    async def key_lookup(self, key_id: str, refresh: bool) -> str | None:
        if self._is_local(key_id):
            self.problem = "the key is this instance's own"
            return None
        if not refresh:
            cached = (
                await Actor.filter(key_id=key_id)
                .exclude(domain="")
                .exclude(public_key_pem="")
                .first()
            )
            if cached is not None and cached.ap_id and cached.public_key_pem:
                self.owners[key_id] = cached.ap_id
                return cached.public_key_pem
        actor = await self._fetch_key_owner(key_id)
        if actor is None or actor.key_id != key_id or not actor.public_key_pem:
            return None
        self.owners[key_id] = actor.ap_id or ""
        return actor.public_key_pem

    async def resolve(self, actor_id: str, *, refresh: bool = False) -> Actor | None:
        """The remote actor with this id: stored, or fetched and stored now."""
        if self._is_local(actor_id):
            return None
        if not refresh:
            actor = await Actor.get_or_none(ap_id=actor_id)
            if actor is not None:
                return actor
        document = await self.fetch(actor_id)
        if document is None:
            return None
        return await self._store(document, None)

    async def fetch(self, url: str) -> dict[str, Any] | None:
        """A document from its own origin, signed as the instance actor; None on failure."""
        try:
            fetched = await self.fetcher.fetch_object(
                url, auth=await self._instance_auth(), budget=self.budget
            )
        except (FetchError, httpx.InvalidURL, ValueError) as error:
            self.problem = f"fetching {url} failed: {error}"
            log.info("%s", self.problem)
            return None
        return fetched.data

    async def _fetch_key_owner(self, key_id: str) -> Actor | None:
        document = await self.fetch(key_id.split("#", 1)[0])
        if document is None:
            return None
        owner_id = key_document_owner(document)
        if owner_id is not None:
            # A stand-alone key document: the actor is its owner, fetched next.
            document = await self.fetch(owner_id) or {}
        if not any(key.id == key_id for key in public_keys(document)):
            self.problem = f"the actor document does not publish the key {key_id}"
            return None
        return await self._store(document, key_id)

    async def _store(self, document: dict[str, Any], key_id: str | None) -> Actor | None:
        try:
            return await upsert_remote_actor(parse_actor(document, key_id))
        except (ParseError, Invalid) as error:
            self.problem = f"the actor document is unusable: {error}"
            return None

    async def _instance_auth(self) -> httpx.Auth:
        if self._auth is None:
            self._auth = self.signer_for(await get_or_create_instance_actor())
        return self._auth

    def _is_local(self, url: str) -> bool:
        return url == self.local_base_url or url.startswith(self.local_base_url + "/")
