"""Actors: every person, group and the instance itself, local or remote, in one namespace.

A local actor has `domain == ""`; its handle `username@<instance domain>` is unique across people
and groups, because fediverse software resolves `acct:name@host` to a single actor.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from server.models._base import Entity


class ActorKind(StrEnum):
    PERSON = "person"
    GROUP = "group"
    APPLICATION = "application"


class Actor(Entity):
    kind = fields.CharEnumField(ActorKind, max_length=16)
    username = fields.CharField(max_length=64)
    domain = fields.CharField(max_length=255, default="", db_index=True)
    display_name = fields.CharField(max_length=100, default="")
    summary_html = fields.TextField(default="")
    avatar_path = fields.CharField(max_length=64, default="")
    # Remote actors only: their ActivityPub id, endpoints and the software they run.
    ap_id = fields.CharField(max_length=2048, null=True, unique=True)
    url = fields.CharField(max_length=2048, default="")
    inbox_url = fields.CharField(max_length=2048, default="")
    shared_inbox_url = fields.CharField(max_length=2048, default="")
    outbox_url = fields.CharField(max_length=2048, default="")
    followers_url = fields.CharField(max_length=2048, default="")
    icon_url = fields.CharField(max_length=2048, default="")
    software = fields.CharField(max_length=64, default="")
    fetched_at = fields.DatetimeField(null=True)
    # Keys: local actors hold both halves, remote ones only the public key.
    public_key_pem = fields.TextField(default="")
    private_key_pem = fields.TextField(default="")
    key_id = fields.CharField(max_length=2048, default="")
    suspended_at = fields.DatetimeField(null=True)
    # Set when an account is deleted: the row stays as a tombstone so its URL answers 410 and
    # its key can still sign the Delete that tells other servers.
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "actor"
        unique_together = (("username", "domain"),)

    @property
    def is_local(self) -> bool:
        return self.domain == ""

    @property
    def name(self) -> str:
        return self.display_name or self.username

    def handle(self, local_domain: str) -> str:
        return f"{self.username}@{self.domain or local_domain}"
