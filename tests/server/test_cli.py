"""The `lyceum` command as an operator runs it: real processes, a fresh data directory each."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

LYCEUM = [sys.executable, "-m", "server.cli"]

# The CLI runs against its own SQLite data directory, whichever database the suite is testing.
pytestmark = pytest.mark.skipif(
    os.environ.get("LYCEUM_TEST_DATABASE") == "postgres",
    reason="CLI processes use their own SQLite directory; the SQLite pass already ran them",
)
ROOT = Path(__file__).parent.parent.parent


def run(
    data_dir: Path, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "LYCEUM_DATA_DIR": str(data_dir),
        "LYCEUM_DATABASE_URL": "",
        **env,
    }
    return subprocess.run(
        [*LYCEUM, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def migrated(data_dir: Path) -> Path:
    result = run(data_dir, "migrate")
    assert result.returncode == 0, result.stderr
    return data_dir


def test_migrate__applies_then_reports_up_to_date(data_dir: Path) -> None:
    first = run(data_dir, "migrate")
    assert first.returncode == 0
    assert "Applied" in first.stdout
    second = run(data_dir, "migrate")
    assert second.returncode == 0
    assert "up to date" in second.stdout


def test_user_create__admin_with_password_from_stdin(migrated: Path) -> None:
    result = run(
        migrated, "user", "create", "ada", "ada@example.org", "--admin", "--password-stdin",
        stdin="a long enough password\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Created admin @ada" in result.stdout
    assert "Password:" not in result.stdout
    assert run(migrated, "check").returncode == 0


def test_user_create__generates_and_prints_a_password(migrated: Path) -> None:
    result = run(migrated, "user", "create", "bea", "bea@example.org")
    assert result.returncode == 0
    assert "Password: " in result.stdout


def test_user_create__refuses_a_taken_name_with_exit_1(migrated: Path) -> None:
    assert run(migrated, "user", "create", "ada", "ada@example.org").returncode == 0
    again = run(migrated, "user", "create", "ada", "other@example.org")
    assert again.returncode == 1
    assert "already taken" in again.stderr


def test_user_create__refuses_bad_input_with_field_messages(migrated: Path) -> None:
    result = run(
        migrated, "user", "create", "x!", "not-an-email", "--password-stdin", stdin="short\n"
    )
    assert result.returncode == 1
    assert "username:" in result.stderr
    assert "email:" in result.stderr
    assert "password:" in result.stderr


def test_group_create__needs_an_existing_owner(migrated: Path) -> None:
    missing = run(migrated, "group", "create", "physics", "Physics", "--owner", "nobody")
    assert missing.returncode == 1
    assert "no account @nobody" in missing.stderr
    assert run(migrated, "user", "create", "ada", "ada@example.org").returncode == 0
    made = run(
        migrated, "group", "create", "physics", "Physics", "--owner", "ada", "--topics", "a, b"
    )
    assert made.returncode == 0, made.stderr
    assert "/g/physics" in made.stdout


def test_bad_configuration__exits_2_naming_the_variable(data_dir: Path) -> None:
    result = run(data_dir, "check", LYCEUM_BASE_URL="ftp://nope")
    assert result.returncode == 2
    assert "LYCEUM_BASE_URL" in result.stderr


def test_check__reports_pending_migrations(data_dir: Path) -> None:
    result = run(data_dir, "check")
    assert result.returncode == 1
    assert "lyceum migrate" in result.stderr


def test_serve__refuses_an_unmigrated_database(data_dir: Path) -> None:
    result = run(data_dir, "serve", "--port", "1")
    assert result.returncode == 1
    assert "lyceum migrate" in result.stderr


def test_worker__runs_until_sigterm(migrated: Path) -> None:
    environment = {**os.environ, "LYCEUM_DATA_DIR": str(migrated), "LYCEUM_DATABASE_URL": ""}
    process = subprocess.Popen(
        [*LYCEUM, "worker"],
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=ROOT,
    )
    assert process.stderr is not None
    # When it says it runs, then SIGTERM stops it cleanly
    assert "worker running" in process.stderr.readline()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert "stopped" in process.stderr.read()
