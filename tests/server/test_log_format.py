"""LYCEUM_LOG_FORMAT=json: `lyceum serve` and `lyceum worker` write one JSON object per line.

Real processes on their own SQLite data directory, as an operator runs them with a log
collector reading their stderr.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli_processes import (
    ROOT,
    SQLITE_PASS_ONLY,
    cli_environment,
    free_port,
    lines_of,
    run_cli,
    start_cli,
    wait_for,
)

pytestmark = SQLITE_PASS_ONLY


def environment(data_dir: Path, **settings: str) -> dict[str, str]:
    return cli_environment(data_dir, LYCEUM_LOG_FORMAT="json", **settings)


def record(line: str) -> dict[str, Any]:
    """The line as a log record: one JSON object with the fields every record has."""
    parsed = json.loads(line)
    assert isinstance(parsed, dict), line
    assert {"time", "level", "logger", "message"} <= parsed.keys(), line
    assert parsed["time"].endswith("+00:00"), line
    return parsed


def test_an_exception_is_one_line_with_its_traceback() -> None:
    # Given a process configured as the CLI configures it, with JSON logs
    script = (
        "import logging\n"
        "from server.cli import configure_logging\n"
        "configure_logging('info', 'json')\n"
        "logging.getLogger('lyceum.test').info('a plain line %s', 'with an argument')\n"
        "try:\n"
        "    raise ValueError('the cause')\n"
        "except ValueError:\n"
        "    logging.getLogger('lyceum.test').exception('it failed')\n"
        "logging.getLogger('lyceum.test').debug('not at info')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    # Then each record is one line holding one JSON object
    lines = run.stderr.splitlines()
    assert len(lines) == 2, run.stderr
    plain, failure = (record(line) for line in lines)
    assert plain["level"] == "INFO"
    assert plain["logger"] == "lyceum.test"
    assert plain["message"] == "a plain line with an argument"
    assert "exception" not in plain
    # And the exception's traceback is in the record, not on lines of its own
    assert failure["level"] == "ERROR"
    assert failure["message"] == "it failed"
    assert failure["exception"].startswith("Traceback (most recent call last):")
    assert failure["exception"].endswith("ValueError: the cause")


def test_serve_writes_json_lines_only(tmp_path: Path) -> None:
    port = free_port()
    # Two web processes, as compose.yaml runs them: uvicorn starts each afresh; at `debug`, so
    # that uvicorn writes its access lines too
    process = start_cli(
        environment(tmp_path / "data", LYCEUM_WEB_PROCESSES="2", LYCEUM_LOG_LEVEL="debug"),
        *("serve", "--migrate", "--port", str(port)),
    )
    seen: list[str] = []
    try:
        lines = lines_of(process.stderr)
        deadline = time.monotonic() + 120  # two processes start slowly on a loaded machine
        # When both web processes have started and one answers a request
        wait_for(lines, "Application startup complete", seen=seen, deadline=deadline)
        wait_for(lines, "Application startup complete", seen=seen, deadline=deadline)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
        wait_for(lines, "/healthz", seen=seen, deadline=deadline)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    # Then everything it wrote, its own messages and uvicorn's, are JSON records
    records = [record(line) for line in seen]
    loggers = {r["logger"] for r in records}
    assert {"lyceum.cli", "uvicorn.error", "uvicorn.access"} <= loggers
    assert any("/setup/claim?token=" in r["message"] for r in records)


def test_worker_writes_json_lines_only(tmp_path: Path) -> None:
    env = environment(tmp_path / "data")
    assert run_cli(env, "migrate").returncode == 0
    process = start_cli(env, "worker", stdout=None)
    lines = lines_of(process.stderr)
    seen: list[str] = []
    wait_for(lines, "worker running", seen=seen, deadline=time.monotonic() + 60)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    wait_for(lines, "worker stopped", seen=seen, deadline=time.monotonic() + 10)
    assert [record(line)["logger"] for line in seen][-1] == "lyceum.cli"
    assert all(record(line) for line in seen)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_web_process_started_afresh_logs_lyceums_records(log_format: str) -> None:
    # Given a process that sets up logging only as uvicorn sets up each web process it starts
    # (from the log_config `lyceum serve` gives it)
    script = (
        "import logging, logging.config\n"
        "from server.log_format import uvicorn_log_config\n"
        f"logging.config.dictConfig(uvicorn_log_config('info', {log_format!r}))\n"
        "logging.getLogger('lyceum.mail').info('mail for ada')\n"
        "logging.getLogger('httpx').info('a request line')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    # Then Lyceum's INFO record is written, in the format asked for; the library's is not
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    if log_format == "json":
        assert record(lines[0])["message"] == "mail for ada"
    else:
        assert lines[0] == "INFO lyceum.mail: mail for ada"
