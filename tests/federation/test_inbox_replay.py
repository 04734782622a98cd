"""Remembering accepted signatures to refuse exact replays (federation/inbox/replay.py)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from federation.inbox.replay import SeenSignatures, signature_key
from server.models import SeenSignature, utcnow


def test_signature_key__covers_each_scheme() -> None:
    # Given the headers of a draft-cavage and of an RFC 9421 signature
    cavage = signature_key([("Signature", 'keyId="k",signature="abc"')])
    rfc = signature_key([("Signature-Input", "sig=(...)"), ("Signature", "sig=:abc:")])
    other_input = signature_key([("Signature-Input", "sig=(..)"), ("Signature", "sig=:abc:")])
    authorization = signature_key([("Authorization", 'Signature keyId="k",signature="abc"')])
    # Then each has a key, and any change in the signed input changes it
    assert None not in (cavage, rfc, other_input, authorization)
    assert len({cavage, rfc, other_input, authorization}) == 4
    assert signature_key([("Authorization", "Bearer x"), ("Date", "now")]) is None
    assert signature_key([]) is None


async def test_seen_signatures__second_time_is_a_replay(database: None) -> None:
    seen = SeenSignatures(window_seconds=3600)
    assert await seen.first_time("a" * 64) is True
    assert await seen.first_time("a" * 64) is False
    assert await seen.first_time("b" * 64) is True
    # And the row outlives the window, twice over
    row = await SeenSignature.get(key="a" * 64)
    assert row.expires_at - utcnow() > timedelta(seconds=7000)


async def test_seen_signatures__two_processes_agree(database: None) -> None:
    # Given two web processes' memories over one database
    first, second = SeenSignatures(3600), SeenSignatures(3600)
    assert await first.first_time("c" * 64) is True
    # Then the other one refuses the same signature
    assert await second.first_time("c" * 64) is False


async def test_seen_signatures__expired_rows_are_swept(database: None) -> None:
    # Given an expired row and a live one
    await SeenSignature.create(key="d" * 64, expires_at=utcnow() - timedelta(seconds=1))
    await SeenSignature.create(key="e" * 64, expires_at=utcnow() + timedelta(hours=1))
    seen = SeenSignatures(3600, sweep_seconds=0)
    # When the next signature is remembered
    await seen.first_time("f" * 64)
    # Then the expired row is gone, the others stay
    keys = set(await SeenSignature.all().values_list("key", flat=True))
    assert keys == {"e" * 64, "f" * 64}


async def test_seen_signatures__sweeps_only_now_and_then(database: None) -> None:
    await SeenSignature.create(key="d" * 64, expires_at=utcnow() - timedelta(seconds=1))
    seen = SeenSignatures(3600, sweep_seconds=3600)
    await seen.first_time("f" * 64)
    assert await SeenSignature.filter(key="d" * 64).exists()


@pytest.mark.parametrize("version", [(3, 34, 1), sqlite3.sqlite_version_info])
async def test_seen_signatures__batch_on_any_sqlite(
    database: None, monkeypatch: pytest.MonkeyPatch, version: tuple[int, ...]
) -> None:
    # Given SQLite with or without RETURNING (3.35)
    if Tortoise.get_connection("default").capabilities.dialect != "sqlite":
        pytest.skip("SQLite only")
    monkeypatch.setattr(sqlite3, "sqlite_version_info", version)
    seen = SeenSignatures(3600)
    assert await seen.first_time("a" * 64) is True
    # When a batch holds a known key, new ones, and one of them twice
    async with in_transaction() as connection:
        fresh = await seen.remember(connection, ["a" * 64, "b" * 64, "c" * 64, "b" * 64])
    # Then only the new ones are answered
    assert fresh == {"b" * 64, "c" * 64}
