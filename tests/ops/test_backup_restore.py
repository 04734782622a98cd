"""`lyceum backup` and `lyceum restore` as an operator runs them: an instance with groups and
keys is backed up, restored into a fresh database and data directory, and the restored instance,
started with `lyceum serve`, serves the same groups with the same public keys.

Each pass runs on the database the suite tests (PostgreSQL through the machine's pg_dump and
pg_restore, or SQLite through its online backup API), with real processes.
"""

from __future__ import annotations

import gzip
import os
import secrets
import signal
import subprocess
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.cli_processes import (
    LYCEUM,
    ROOT,
    cli_environment,
    free_port,
    get_until_up,
    run_cli,
    start_cli,
)

ON_POSTGRES = os.environ.get("LYCEUM_TEST_DATABASE") == "postgres"
POSTGRES_URL = os.environ.get("LYCEUM_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
ACTIVITY_JSON = "application/activity+json"


def postgres_url(name: str) -> str:
    return urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{name}"))


@pytest.fixture
def new_database() -> Iterator[object]:
    """Makes empty databases (PostgreSQL, or a SQLite file in the data dir) and drops them."""
    made: list[str] = []

    def make(data_dir: Path) -> str:
        if not ON_POSTGRES:
            return ""
        name = f"lyceum_backup_{secrets.token_hex(4)}"
        psql("postgres", f'CREATE DATABASE "{name}"')
        made.append(name)
        return postgres_url(name)

    yield make
    for name in made:
        psql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def psql(database: str, statement: str) -> str:
    url = urlunsplit(("postgresql", urlsplit(POSTGRES_URL).netloc, f"/{database}", "", ""))
    return subprocess.run(
        ["psql", "--no-psqlrc", "-tAc", statement, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def lyceum(
    data_dir: Path, database_url: str, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return run_cli(environment(data_dir, database_url), *args, stdin=stdin, timeout=120)


def environment(data_dir: Path, database_url: str) -> dict[str, str]:
    return cli_environment(
        data_dir,
        LYCEUM_DATABASE_URL=database_url,
        LYCEUM_BASE_URL="https://lyceum.example",
        LYCEUM_EMBEDDED_WORKER="false",
    )


def served_actors(data_dir: Path, database_url: str, paths: list[str]) -> dict[str, object]:
    """Start `lyceum serve` on the instance and GET each path as ActivityPub JSON."""
    port = free_port()
    process = start_cli(
        environment(data_dir, database_url), "serve", "--port", str(port), stderr=subprocess.DEVNULL
    )
    try:
        base = f"http://127.0.0.1:{port}"
        get_until_up(f"{base}/healthz", deadline=time.monotonic() + 60)
        found: dict[str, object] = {}
        for path in paths:
            answer = httpx.get(
                base + path, headers={"Accept": ACTIVITY_JSON, "Host": "lyceum.example"}
            )
            found[path] = answer.json() if answer.status_code == 200 else answer.status_code
        return found
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_a_restored_instance_serves_the_same_groups_and_keys(
    tmp_path: Path, new_database: object
) -> None:
    make = new_database
    assert callable(make)
    # Given an instance with an admin, two groups and an uploaded file
    original_dir = tmp_path / "original"
    original_db = make(original_dir)
    assert lyceum(original_dir, original_db, "migrate").returncode == 0
    made = lyceum(original_dir, original_db, "user", "create", "ada", "ada@example.org", "--admin")
    assert made.returncode == 0, made.stderr
    for handle in ("physics", "poetry"):
        made = lyceum(
            original_dir, original_db, "group", "create", handle, handle.title(), "--owner", "ada"
        )
        assert made.returncode == 0, made.stderr
    upload = original_dir / "media" / "avatars" / "ada.png"
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"\x89PNG not really")
    paths = ["/g/physics", "/g/poetry", "/u/ada"]
    before = served_actors(original_dir, original_db, paths)
    assert all(isinstance(actor, dict) for actor in before.values()), before

    # When it is backed up (to standard output, as out of a container), and restored (from
    # standard input) into a new database and data directory
    backed_up = subprocess.run(
        [*LYCEUM, "backup", "-"],
        capture_output=True,
        env=environment(original_dir, original_db),
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert backed_up.returncode == 0, backed_up.stderr
    gzip.decompress(backed_up.stdout)  # a gzip stream, and nothing else on stdout
    assert b"Backed up the" in backed_up.stderr
    archive = tmp_path / "lyceum-backup.tar.gz"
    archive.write_bytes(backed_up.stdout)
    restored_dir = tmp_path / "restored"
    restored_db = make(restored_dir)
    restored = subprocess.run(
        [*LYCEUM, "restore", "-"],
        input=backed_up.stdout,
        capture_output=True,
        env=environment(restored_dir, restored_db),
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert restored.returncode == 0, restored.stderr
    assert lyceum(restored_dir, restored_db, "migrate").returncode == 0

    # Then it serves the same groups and people with the same public keys
    after = served_actors(restored_dir, restored_db, paths)
    for path in paths:
        old, new = before[path], after[path]
        assert isinstance(old, dict) and isinstance(new, dict), (path, new)
        assert new["id"] == old["id"]
        assert new["publicKey"] == old["publicKey"]
        assert new["name"] == old["name"]
    # And the uploaded media and the secret key came along
    assert (restored_dir / "media" / "avatars" / "ada.png").read_bytes() == upload.read_bytes()
    assert (restored_dir / "secret_key").read_text() == (original_dir / "secret_key").read_text()
    # And restoring again over the restored instance is refused, leaving it as it was
    again = lyceum(restored_dir, restored_db, "restore", str(archive))
    assert again.returncode == 1
    assert "restore into a new" in again.stderr


def test_bad_input_gives_a_clear_error(tmp_path: Path, new_database: object) -> None:
    make = new_database
    assert callable(make)
    data_dir = tmp_path / "data"
    database = make(data_dir)
    # A missing file
    missing = lyceum(data_dir, database, "restore", str(tmp_path / "nowhere.tar.gz"))
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr
    # A file that is not a backup
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    refused = lyceum(data_dir, database, "restore", str(junk))
    assert refused.returncode == 1
    assert "is not a Lyceum backup" in refused.stderr
    # A tar.gz that is not one of ours
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as archive:
        archive.add(__file__, arcname="something.py")
    refused = lyceum(data_dir, database, "restore", str(foreign))
    assert refused.returncode == 1
    assert "is not a Lyceum backup" in refused.stderr
    # A backup of the other kind of database
    assert lyceum(data_dir, database, "migrate").returncode == 0
    other = tmp_path / "other.tar.gz"
    backed_up = lyceum(data_dir, database, "backup", str(other))
    assert backed_up.returncode == 0, backed_up.stderr
    other_kind = "" if ON_POSTGRES else postgres_url("never_used")
    refused = lyceum(tmp_path / "elsewhere", other_kind, "restore", str(other))
    assert refused.returncode == 1
    assert "restore into the same kind" in refused.stderr
    # A database that is not empty
    refused = lyceum(data_dir, database, "restore", str(other))
    assert refused.returncode == 1
    assert "restore into a new" in refused.stderr
    # And a backup never overwrites a file
    again = lyceum(data_dir, database, "backup", str(other))
    assert again.returncode == 1
    assert "already exists" in again.stderr
