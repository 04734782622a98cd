"""A throw-away migrated database for a benchmark: a SQLite file in a temporary directory, or a
temporary PostgreSQL database on 127.0.0.1:5432 that is dropped afterwards."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from server import db
from server.settings import Settings

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@asynccontextmanager
async def migrated_database(database: str) -> AsyncIterator[Settings]:
    """Settings for a fresh, migrated and opened database of the kind asked for."""
    workdir = Path(tempfile.mkdtemp(prefix="lyceum-bench-"))
    name = ""
    if database == "postgres":
        name = f"lyceum_bench_{uuid.uuid4().hex[:12]}"
        admin = await asyncpg.connect(POSTGRES_ADMIN)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        url = f"postgres://postgres@127.0.0.1:5432/{name}"
    else:
        url = f"sqlite://{workdir / 'lyceum.sqlite3'}"
    settings = Settings(
        base_url="http://127.0.0.1:9", data_dir=workdir, database_url=url, embedded_worker=False
    )
    try:
        await db.migrate(settings)
        await db.open_database(settings)
        yield settings
        await db.close_database()
    finally:
        if name:
            admin = await asyncpg.connect(POSTGRES_ADMIN)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
