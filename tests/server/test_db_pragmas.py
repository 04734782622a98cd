"""The database connections' settings (server/db.py): SQLite's pragmas, PostgreSQL's pool."""

from __future__ import annotations

import pytest
from tortoise import Tortoise

from server import db


async def test_sqlite__the_wal_file_is_kept_after_a_checkpoint_and_commits_do_not_sync(
    database: None,
) -> None:
    connection = Tortoise.get_connection("default")
    if connection.capabilities.dialect != "sqlite":
        pytest.skip("SQLite only")
    _, limit = await connection.execute_query("PRAGMA journal_size_limit")
    _, synchronous = await connection.execute_query("PRAGMA synchronous")
    assert limit[0][0] == 64 * 1024 * 1024  # Tortoise's own default is 16 KB
    assert synchronous[0][0] == 1  # NORMAL


def test_sqlite__pragmas_in_the_url_win() -> None:
    config = db.tortoise_config("sqlite:///data/x.sqlite3?journal_size_limit=1024")
    assert config["connections"]["default"] == (
        "sqlite:///data/x.sqlite3?journal_size_limit=1024&synchronous=NORMAL"
    )


def test_postgres__the_pool_holds_ten_connections_unless_the_url_says() -> None:
    default = db.tortoise_config("postgres://lyceum@db:5432/lyceum")
    chosen = db.tortoise_config("postgres://lyceum@db:5432/lyceum?maxsize=3")
    assert default["connections"]["default"]["credentials"]["maxsize"] == db.POOL_SIZE == 10
    assert int(chosen["connections"]["default"]["credentials"]["maxsize"]) == 3
