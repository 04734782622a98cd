"""The probes: /healthz says the process is up; /readyz that it can serve (database, migrations)."""

from __future__ import annotations

import httpx
import pytest
from tortoise import Tortoise

from server import db


async def test_healthz__answers_without_touching_the_database(client: httpx.AsyncClient) -> None:
    # Given a process whose database has gone away
    await db.close_database()

    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.text == "ok\n"
    assert response.headers["cache-control"] == "no-store"


async def test_readyz__ready_with_a_migrated_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"ready": True}


async def test_readyz__503_when_a_migration_is_pending(client: httpx.AsyncClient) -> None:
    # Given a database that lacks the newest migration (put back after: PostgreSQL keeps it)
    connection = Tortoise.get_connection("default")
    _, rows = await connection.execute_query(
        'SELECT id, app, name FROM "tortoise_migrations" ORDER BY id DESC LIMIT 1'
    )
    newest = dict(rows[0])
    await connection.execute_query(f'DELETE FROM "tortoise_migrations" WHERE id = {newest["id"]}')
    try:
        response = await client.get("/readyz")
    finally:
        await connection.execute_query(
            'INSERT INTO "tortoise_migrations" (app, name, applied_at) '
            f"VALUES ('{newest['app']}', '{newest['name']}', CURRENT_TIMESTAMP)"
        )

    assert response.status_code == 503
    assert response.json()["reason"] == "1 migration(s) pending: run `lyceum migrate`."
    assert (await client.get("/readyz")).status_code == 200


async def test_readyz__503_when_the_database_cannot_be_reached(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    await db.close_database()

    response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"ready": False, "reason": "The database cannot be reached."}
    assert "not ready" in caplog.text


async def test_readyz__checks_migrations_until_current_then_only_the_database(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[int] = []
    real = db.pending_migrations

    async def counted() -> list[str]:
        checks.append(1)
        return await real()

    monkeypatch.setattr(db, "pending_migrations", counted)
    for _ in range(3):
        assert (await client.get("/readyz")).status_code == 200
    assert len(checks) == 1
    # A database that went away is still noticed
    await db.close_database()
    assert (await client.get("/readyz")).status_code == 503
