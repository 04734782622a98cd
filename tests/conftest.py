"""Shared fixtures: a migrated database per test (SQLite or PostgreSQL) and an in-process app.

`LYCEUM_TEST_DATABASE=postgres` runs the suite on PostgreSQL (`LYCEUM_TEST_POSTGRES_URL`, default
postgres://postgres@127.0.0.1:5432/test); each run makes its own database and drops it at the end.
The schema is migrated once per run; SQLite tests then copy the migrated file, PostgreSQL tests
truncate every table.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette
from tortoise import Tortoise

from server import db, events, expiring_memo, log_records
from server.app import create_app
from server.settings import Settings

BACKEND = os.environ.get("LYCEUM_TEST_DATABASE", "sqlite")
POSTGRES_URL = os.environ.get("LYCEUM_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
BASE_URL = "http://lyceum.test"
# A migrated SQLite file to copy instead of migrating one per run (tests only copy it).
PREMIGRATED_SQLITE = "LYCEUM_TEST_SQLITE_TEMPLATE"
T = TypeVar("T")


def _postgres_url(database: str) -> str:
    parts = urlsplit(POSTGRES_URL)
    return urlunsplit(parts._replace(path=f"/{database}"))


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion in a fresh thread, whatever loop this thread is running
    (Playwright's sync API keeps one running in the main thread during browser tests)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def pytest_configure(config: pytest.Config) -> None:
    # Every Lyceum process makes its log records safe (create_app, the CLI); so do the tests
    # that build a worker without either: xdist's execnet refuses a report whose captured log
    # quotes a lone surrogate, and the whole run then ends in an INTERNALERROR.
    log_records.install()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Browser tests last: their session-wide browser keeps an event loop in the main thread.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


_SHARED_KEYS: tuple[str, str] | None = None


def make_people_cheaply(monkeypatch: pytest.MonkeyPatch) -> None:
    """New accounts and groups share one RSA key pair and hash passwords with the cheapest
    Argon2id: generating a key and hashing take a tenth of a second each, and almost no test is
    about them (`@pytest.mark.real_keys` keeps the real cost for those that are)."""
    global _SHARED_KEYS
    from argon2 import PasswordHasher

    from server.services import accounts, groups, keys, passwords

    if _SHARED_KEYS is None:
        _SHARED_KEYS = keys.generate_rsa_keypair()
    pair = _SHARED_KEYS
    monkeypatch.setattr(accounts, "generate_rsa_keypair", lambda: pair)
    monkeypatch.setattr(groups, "generate_rsa_keypair", lambda: pair)
    cheapest = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", cheapest)


@pytest.fixture(autouse=True)
def _no_memory_between_tests() -> Iterator[None]:
    """Each test starts with the process's memos empty, whatever ran before it in this process
    (the suite runs in random order): the instance name read a moment ago, and the software and
    NodeInfo attempts seen per domain, belong to another test's database and peers."""
    from federation.inbox import _software as inbox_software
    from federation.outbox import software
    from server.services import instance

    def forget() -> None:
        instance.forget_cached_name()
        software._known.clear()
        inbox_software._last_try.clear()

    forget()
    yield
    forget()


class MemoClock:
    """The clock every `ExpiringMemo` reads, moved by hand (`memo_clock`)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def memo_clock(monkeypatch: pytest.MonkeyPatch) -> MemoClock:
    clock = MemoClock()
    monkeypatch.setattr(expiring_memo, "time", SimpleNamespace(monotonic=clock.monotonic))
    return clock


@pytest.fixture(autouse=True)
def _people_made_cheaply(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("real_keys") is None:
        make_people_cheaply(monkeypatch)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database URL holding a freshly migrated schema, made once per test run (per worker)."""
    if BACKEND == "postgres":
        name = f"lyceum_test_{uuid.uuid4().hex[:12]}"
        run_sync(_postgres_admin(f'CREATE DATABASE "{name}"'))
        url = _postgres_url(name)
        run_sync(db.migrate(Settings(database_url=url, data_dir=tmp_path_factory.mktemp("d"))))
        yield url
        run_sync(_postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    elif ready := os.environ.get(PREMIGRATED_SQLITE):
        yield ready  # made by `bench/mutmut.py` once for its thousands of short runs
    else:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        run_sync(db.migrate(Settings(database_url=f"sqlite://{path}", data_dir=path.parent)))
        yield str(path)


async def _postgres_admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_URL.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture
def database_url(migrated_template: str, tmp_path: Path) -> str:
    if BACKEND == "postgres":
        return migrated_template
    path = tmp_path / "lyceum.sqlite3"
    shutil.copyfile(migrated_template, path)
    return f"sqlite://{path}"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        base_url=BASE_URL,
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key-" + "x" * 32,
        embedded_worker=False,
    )


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[None]:
    """The test's database, open for the ORM; emptied first on PostgreSQL."""
    events.bus.clear()
    await db.open_database(settings)
    if BACKEND == "postgres":
        await _truncate_all()
    yield
    await db.close_database()
    events.bus.clear()


async def _truncate_all() -> None:
    connection = Tortoise.get_connection("default")
    _, rows = await connection.execute_query(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE "
        "'tortoise_%'"
    )
    tables = [row["tablename"] for row in rows if not row["tablename"].startswith("tortoise")]
    if tables:
        quoted = ", ".join(f'"{table}"' for table in tables)
        await connection.execute_script(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")


@pytest.fixture
async def app(settings: Settings, database: None) -> Starlette:
    return create_app(settings, manage_database=False)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE_URL, headers={"Accept": "text/html"}
    ) as client:
        yield client


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)
