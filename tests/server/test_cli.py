"""The `lyceum` command as an operator runs it: real processes, a fresh data directory each."""

from __future__ import annotations

import logging
import queue
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.cli import configure_logging, operator_command
from server.settings import Settings
from tests.cli_processes import (
    ROOT,
    SQLITE_PASS_ONLY,
    cli_environment,
    free_port,
    get_until_up,
    lines_of,
    run_cli,
    start_cli,
    wait_for,
)

pytestmark = SQLITE_PASS_ONLY


def run(
    data_dir: Path, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    return run_cli(cli_environment(data_dir, **env), *args, stdin=stdin)


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


def test_check__warns_without_an_smtp_server_and_not_with_one(migrated: Path) -> None:
    assert run(migrated, "user", "create", "ada", "ada@example.org", "--admin").returncode == 0
    without = run(migrated, "check")
    assert without.returncode == 0, without.stderr
    assert "Warning: no SMTP server" in without.stdout
    configured = run(migrated, "check", LYCEUM_SMTP_HOST="127.0.0.1")
    assert configured.returncode == 0, configured.stderr
    assert "SMTP" not in configured.stdout


def test_serve__refuses_an_unmigrated_database(data_dir: Path) -> None:
    result = run(data_dir, "serve", "--port", "1")
    assert result.returncode == 1
    assert "lyceum migrate" in result.stderr


def test_worker__runs_until_sigterm(migrated: Path) -> None:
    process = start_cli(cli_environment(migrated), "worker")
    lines = lines_of(process.stderr)
    # When it says it runs, then SIGTERM stops it cleanly
    wait_for(lines, "worker running", deadline=time.monotonic() + 60)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    wait_for(lines, "stopped", deadline=time.monotonic() + 10)


@pytest.fixture
def serving(data_dir: Path) -> Iterator[tuple[subprocess.Popen[str], queue.Queue[str], int]]:
    """`lyceum serve --migrate --host 0.0.0.0 --port <free>` on a new data directory, without
    LYCEUM_BASE_URL: what `scripts/serve --host 0.0.0.0 --port <free>` runs."""
    port = free_port()
    process = start_cli(
        cli_environment(data_dir),
        *("serve", "--migrate", "--host", "0.0.0.0", "--port", str(port)),
    )
    try:
        yield process, lines_of(process.stderr), port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_serve__on_another_port_prints_a_claim_link_and_commands_that_work(
    serving: tuple[subprocess.Popen[str], queue.Queue[str], int], tmp_path: Path
) -> None:
    _, lines, port = serving
    deadline = time.monotonic() + 60
    # Given a new instance served on a free port of every address, without LYCEUM_BASE_URL
    # When it starts, Then it prints a claim link on that port, which answers
    command = wait_for(lines, " user create ", deadline=deadline)
    link = wait_for(lines, "/setup/claim?token=", deadline=deadline)
    assert link.startswith(f"http://127.0.0.1:{port}/setup/claim?token=")
    assert get_until_up(link, deadline=deadline).status_code == 200
    # And the printed command makes an admin as printed, from a fresh shell in the same directory
    fresh = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path)}
    made = subprocess.run(
        ["bash", "-c", command],
        input="a long enough password\n",
        capture_output=True,
        text=True,
        env=fresh,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("Created admin @your_name ")
    # And the admin's handle is known by the server on that port: the ids name the same address
    found = httpx.get(
        f"http://127.0.0.1:{port}/.well-known/webfinger",
        params={"resource": f"acct:your_name@127.0.0.1:{port}"},
    )
    assert found.status_code == 200
    assert found.json()["subject"] == f"acct:your_name@127.0.0.1:{port}"


@pytest.fixture
def library_levels(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The loggers configure_logging sets, put back afterwards; the root logger left alone."""
    monkeypatch.setattr(logging, "basicConfig", lambda **_: None)
    saved = {name: logging.getLogger(name).level for name in ("httpx", "tortoise")}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("library_levels")
def test_configure_logging__httpx_request_lines_only_at_debug() -> None:
    # Given the default level, Then httpx's line per request is not logged
    configure_logging("info")
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    assert logging.getLogger("httpx").isEnabledFor(logging.WARNING)
    # Given LYCEUM_LOG_LEVEL=debug, Then it is
    configure_logging("DEBUG")
    assert logging.getLogger("httpx").isEnabledFor(logging.INFO)


def test_operator_command__names_the_database_but_never_prints_its_password() -> None:
    # Given an instance on PostgreSQL with a password in its database URL
    settings = Settings(database_url="postgres://bob:s3cret@db.example:5432/lyceum")
    # When serve prints how to run a command against it
    command = operator_command(settings)
    # Then the URL is there with a placeholder for the password, which is not
    assert "LYCEUM_DATABASE_URL=postgres://bob:PASSWORD@db.example:5432/lyceum " in command
    assert "s3cret" not in command
