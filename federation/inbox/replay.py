"""Refusing an exact replay of a signed request while its date is still in the window.

A captured Follow, re-sent byte for byte after its Undo, would otherwise subscribe again (the
signature still verifies until its date leaves the window). So the inbox remembers each
signature it accepted, as the SHA-256 of its header values, in `SeenSignature` rows that
outlive the window (twice its length). Each key is written with `INSERT … ON CONFLICT DO
NOTHING`, and only the process whose INSERT wrote it takes the request: several web processes
sharing the database agree on the first one. The inbox does this in the same transaction as it
stores the batch's activities (`group_commit`), so it costs no commit of its own. A peer that
sends the same activity again signs it again, with a new date, and is accepted.

Expired rows are deleted now and then (`SWEEP_SECONDS`), by whichever process comes first.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from server.models import SeenSignature, utcnow

__all__ = ["SWEEP_SECONDS", "SeenSignatures", "signature_key"]

SWEEP_SECONDS = 60.0
_SIGNATURE_HEADERS = ("signature-input", "signature", "authorization")


def signature_key(headers: Iterable[tuple[str, str]]) -> str | None:
    """SHA-256 of the request's signature header values (RFC 9421's input and value, or
    draft-cavage's `Signature`); None when there is none."""
    values: dict[str, str] = {}
    for name, value in headers:
        lowered = name.lower()
        if lowered in _SIGNATURE_HEADERS:  # the last line of each, as a dict of them all keeps
            values[lowered] = value
    parts = [values.get(name) for name in _SIGNATURE_HEADERS]
    if parts[0] is None and parts[1] is None:
        parts[2] = parts[2] if (parts[2] or "").lower().startswith("signature ") else None
    else:
        parts[2] = None
    if not any(parts):
        return None
    text = "\n".join(part or "" for part in parts)
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


class SeenSignatures:
    def __init__(self, window_seconds: int, sweep_seconds: float = SWEEP_SECONDS) -> None:
        self.keep = timedelta(seconds=2 * window_seconds)
        self.sweep_seconds = sweep_seconds
        self._last_sweep = time.monotonic()

    async def first_time(self, key: str) -> bool:
        """Remember `key`; False when it was remembered already (a replay)."""
        async with in_transaction() as connection:
            return key in await self.remember(connection, [key])

    def expiry(self) -> datetime:
        """When a signature remembered now may be forgotten."""
        return utcnow() + self.keep

    def sweep_due(self) -> bool:
        """Whether this process should delete the expired signatures now (at most once every
        `sweep_seconds`); True starts the next interval."""
        if time.monotonic() - self._last_sweep >= self.sweep_seconds:
            self._last_sweep = time.monotonic()
            return True
        return False

    async def sweep_if_due(self, connection: BaseDBAsyncClient) -> None:
        """Delete the expired signatures, at most once every `sweep_seconds` per process."""
        if self.sweep_due():
            await SeenSignature.filter(expires_at__lt=utcnow()).using_db(connection).delete()

    async def remember(self, connection: BaseDBAsyncClient, keys: list[str]) -> set[str]:
        """Remember the keys on `connection` (the caller's transaction); answer those that were
        not remembered before. Each key is inserted only if absent, by the database, so two
        processes never both see the same key as new."""
        await self.sweep_if_due(connection)
        keys = list(dict.fromkeys(keys))
        if not keys:
            return set()
        expires_at = self.expiry()
        if connection.capabilities.dialect == "postgres":
            rows = await connection.execute_query_dict(
                'INSERT INTO "seen_signature" ("key", "expires_at")'
                " SELECT unnest($1::text[]), $2"
                ' ON CONFLICT DO NOTHING RETURNING "key"',
                [keys, expires_at],
            )
            return {str(row["key"]) for row in rows}
        if sqlite3.sqlite_version_info >= (3, 35):  # RETURNING: one statement for the batch
            placeholders = ", ".join(["(?, ?)"] * len(keys))  # only placeholders are joined
            insert = 'INSERT INTO "seen_signature" ("key", "expires_at") VALUES '
            rows = await connection.execute_query_dict(
                f'{insert}{placeholders} ON CONFLICT DO NOTHING RETURNING "key"',
                [value for key in keys for value in (key, expires_at)],
            )
            return {str(row["key"]) for row in rows}
        fresh = set()
        for key in keys:  # older SQLite: one statement each, all in the caller's transaction
            inserted, _ = await connection.execute_query(
                'INSERT INTO "seen_signature" ("key", "expires_at") VALUES (?, ?)'
                " ON CONFLICT DO NOTHING",
                [key, expires_at],
            )
            if inserted:
                fresh.add(key)
        return fresh
