"""Running `lyceum` as an operator does: real processes on a data directory of their own.

    env = cli_environment(tmp_path / "data", LYCEUM_LOG_FORMAT="json")
    run_cli(env, "migrate")                      # -> CompletedProcess (text)
    process = start_cli(env, "worker")           # stderr piped, as text
    lines = lines_of(process.stderr)
    wait_for(lines, "worker running", deadline=time.monotonic() + 60)

Such a process uses its own SQLite directory whichever database the suite is testing, so the
modules that start them mark themselves `SQLITE_PASS_ONLY`.
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import httpx
import pytest

ROOT = Path(__file__).parent.parent
LYCEUM = [sys.executable, "-m", "server.cli"]
CLI_SECONDS = 60

SQLITE_PASS_ONLY = pytest.mark.skipif(
    os.environ.get("LYCEUM_TEST_DATABASE") == "postgres",
    reason="CLI processes use their own SQLite directory; the SQLite pass already ran them",
)


def cli_environment(data_dir: Path, **settings: str) -> dict[str, str]:
    """This process's environment less every `LYCEUM_*` setting, then the data directory and
    `settings`: what a fresh shell with only those settings exported gives the command."""
    return {
        **{key: value for key, value in os.environ.items() if not key.startswith("LYCEUM_")},
        "LYCEUM_DATA_DIR": str(data_dir),
        **settings,
    }


def run_cli(
    env: dict[str, str], *args: str, stdin: str = "", timeout: float = CLI_SECONDS
) -> subprocess.CompletedProcess[str]:
    """`lyceum <args>` to its end, its output captured as text (the caller checks the code)."""
    return subprocess.run(
        [*LYCEUM, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )


def start_cli(
    env: dict[str, str],
    *args: str,
    stdout: int | None = subprocess.DEVNULL,
    stderr: int | None = subprocess.PIPE,
) -> subprocess.Popen[str]:
    """`lyceum <args>` running, its stderr piped as text (read it with `lines_of`: a pipe no
    one reads stalls the process once full, so pass `stderr=DEVNULL` when it is not read)."""
    return subprocess.Popen(
        [*LYCEUM, *args], stdout=stdout, stderr=stderr, text=True, env=env, cwd=ROOT
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def lines_of(stream: IO[str] | None) -> queue.Queue[str]:
    """The stream's lines as they come, read by a thread (so a test can wait with a deadline)."""
    assert stream is not None
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    return lines


def wait_for(
    lines: queue.Queue[str], wanted: str, *, deadline: float, seen: list[str] | None = None
) -> str:
    """The first line holding `wanted` (stripped); every line read is appended to `seen`."""
    seen = [] if seen is None else seen
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        seen.append(line)
        if wanted in line:
            return line.strip()
    raise AssertionError(f"no line with {wanted!r} in time; got {seen}")


def get_until_up(url: str, *, deadline: float, **options: object) -> httpx.Response:
    """GET `url` until something answers (a process starting up), at most until `deadline`."""
    while True:
        try:
            return httpx.get(url, timeout=5, **options)  # type: ignore[arg-type]
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)  # polling another process's start-up, bounded by the deadline
