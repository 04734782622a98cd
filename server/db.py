"""The database: Tortoise configuration, start-up and the migration check."""

from __future__ import annotations

from typing import Any

import asyncpg
from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.connection import get_connection
from tortoise.migrations.api import migrate as run_migrations
from tortoise.migrations.executor import MigrationExecutor

from server.read_connections import close_readers
from server.settings import Settings

APP_LABEL = "models"
MIGRATE_COMMAND = "lyceum migrate"


class UnmigratedDatabase(Exception):
    """The database lacks migrations; `pending` names them."""

    def __init__(self, pending: list[str]) -> None:
        self.pending = pending
        super().__init__(
            f"The database is missing {len(pending)} migration(s) ({', '.join(pending)}). "
            f"Run `{MIGRATE_COMMAND}` first."
        )


class PooledConnection(asyncpg.Connection):  # type: ignore[misc]
    """A PostgreSQL connection handed back to the pool without asyncpg's reset query.

    Tortoise takes a pooled connection for each query outside a transaction, and asyncpg resets
    a connection each time it comes back (advisory locks, cursors, LISTEN, SET): a second round
    trip per query. Lyceum never leaves any of those on a pooled connection (the workers LISTEN
    on a connection of their own), and asyncpg still rolls back a transaction left open."""

    def get_reset_query(self) -> str:
        return ""


# SQLite pragmas set unless the URL sets them. WAL (Tortoise's default) with synchronous=NORMAL
# stays consistent after a crash and saves an fsync per commit; only the last transactions can
# be lost on power failure. After a checkpoint the WAL file is kept up to 64 MB, where Tortoise's
# 16 KB default had every busy writer truncate it and grow it again (a sixth of the inbox's
# SQLite time, `bench/inbox.py`).
SQLITE_PRAGMAS: dict[str, str] = {"synchronous": "NORMAL", "journal_size_limit": str(64 << 20)}


# Connections a PostgreSQL pool may open (unless the URL sets `?maxsize=`). A page sends its
# statements one after another, each on a connection taken from the pool: with Tortoise's
# five, 16 requests at once queued for them, and a member's pages' p95 rose by half
# (`bench/reads.py`). Ten a process keeps six processes (compose.yaml's default) at 60 of
# PostgreSQL's default 100.
POOL_SIZE = 10


def tortoise_config(database_url: str) -> dict[str, Any]:
    connection: str | dict[str, Any] = database_url
    if database_url.startswith("sqlite"):
        unset = [
            f"{name}={value}"
            for name, value in SQLITE_PRAGMAS.items()
            if f"{name}=" not in database_url
        ]
        if unset:
            connection = database_url + ("&" if "?" in database_url else "?") + "&".join(unset)
    elif expand_db_url(database_url)["engine"] == "tortoise.backends.asyncpg":
        connection = expand_db_url(database_url)
        connection["credentials"]["connection_class"] = PooledConnection
        connection["credentials"].setdefault("maxsize", POOL_SIZE)
    return {
        "connections": {"default": connection},
        "apps": {
            APP_LABEL: {
                "models": ["server.models"],
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _prepare(settings: Settings) -> dict[str, Any]:
    if settings.resolved_database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return tortoise_config(settings.resolved_database_url)


async def migrate(settings: Settings) -> list[str]:
    """Apply every pending migration; return the names of those applied."""
    config = _prepare(settings)
    applied: list[str] = []

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(name)

    try:
        await run_migrations(config=config, progress=progress)
    finally:
        await Tortoise.close_connections()
    return applied


async def pending_migrations() -> list[str]:
    """Names of the migrations not yet applied to the open database."""
    executor = MigrationExecutor(get_connection("default"), {APP_LABEL: _app_config()})
    return [step.migration.name for step in await executor.plan() if not step.backward]


def _app_config() -> dict[str, Any]:
    return tortoise_config("sqlite://:memory:")["apps"][APP_LABEL]  # type: ignore[no-any-return]


async def open_database(settings: Settings, *, require_migrated: bool = True) -> None:
    # The global fallback makes the connections visible to every task, not only the one that
    # opened them: uvicorn runs the lifespan and the requests in different tasks.
    await Tortoise.init(config=_prepare(settings), _enable_global_fallback=True)
    if require_migrated:
        pending = await pending_migrations()
        if pending:
            await Tortoise.close_connections()
            raise UnmigratedDatabase(pending)


async def close_database() -> None:
    await close_readers()
    await Tortoise.close_connections()
