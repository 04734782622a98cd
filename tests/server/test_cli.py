"""The `lyceum` command as an operator runs it: real processes, a fresh data directory each."""

from __future__ import annotations

import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from server.cli import configure_logging, operator_command
from server.settings import Settings

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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _lines(stream: IO[str] | None) -> queue.Queue[str]:
    """The stream's lines as they come, read by a thread (so the test can poll with a deadline)."""
    assert stream is not None
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    return lines


def _wait_for(lines: queue.Queue[str], wanted: str, deadline: float) -> str:
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if wanted in line:
            return line.strip()
    raise AssertionError(f"serve printed no line with {wanted!r} in time")


def _get_until_up(url: str, deadline: float) -> httpx.Response:
    while True:
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture
def serving(data_dir: Path) -> Iterator[tuple[subprocess.Popen[str], queue.Queue[str], int]]:
    """`lyceum serve --migrate --host 0.0.0.0 --port <free>` on a new data directory, without
    LYCEUM_BASE_URL: what `scripts/serve --host 0.0.0.0 --port <free>` runs."""
    port = _free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LYCEUM_")},
        "LYCEUM_DATA_DIR": str(data_dir),
    }
    process = subprocess.Popen(
        [*LYCEUM, "serve", "--migrate", "--host", "0.0.0.0", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=ROOT,
    )
    try:
        yield process, _lines(process.stderr), port
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
    command = _wait_for(lines, " user create ", deadline)
    link = _wait_for(lines, "/setup/claim?token=", deadline)
    assert link.startswith(f"http://127.0.0.1:{port}/setup/claim?token=")
    assert _get_until_up(link, deadline).status_code == 200
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
