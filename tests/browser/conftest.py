"""Browser tests: a real Lyceum process on loopback, driven by Debian's Chromium through Playwright.

The server is started once per session: a fresh data directory (SQLite file inside it), migrated
with the `lyceum` command, then uvicorn in a subprocess on a socket the OS picked, handed over by
file descriptor so no port is ever fixed. Each test gets a fresh browser context (no cookies).

Playwright never downloads a browser here: Chromium comes from the system package. Without it the
directory is skipped on a developer machine, but fails in CI (`CI=true`), where it must run.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests import mailbox

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
BIN = Path(sys.executable).parent
STARTUP_SECONDS = 20.0

MISSING_BROWSER = (
    f"{CHROMIUM} is missing: install Debian's 'chromium' package to run the browser tests"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test here `browser` (so `-m "not browser"` leaves them out), and skip them all
    when Chromium is absent — except in CI, where a missing browser must fail loudly."""
    here = Path(__file__).parent
    skip = not CHROMIUM.exists() and os.environ.get("CI") != "true"
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if skip:
                item.add_marker(pytest.mark.skip(reason=MISSING_BROWSER))


def _server_env(data_dir: Path, base_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LYCEUM_")}
    env.update(
        LYCEUM_DATA_DIR=str(data_dir),
        LYCEUM_BASE_URL=base_url,
        LYCEUM_SECRET_KEY="browser-test-secret-" + "x" * 32,
        # Every browser signs up and logs in from 127.0.0.1: keep the limits out of the way.
        LYCEUM_SIGNUP_RATE_LIMIT="1000/minute",
        LYCEUM_LOGIN_RATE_LIMIT="1000/minute",
        LYCEUM_POST_RATE_LIMIT="1000/minute",
        LYCEUM_LOG_LEVEL="warning",
    )
    return env


def _sqlite_mailbox(path: Path) -> Callable[[str], str | None]:
    def read(address: str) -> str | None:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as database:
            row = database.execute(mailbox.SIGNUP_MAIL_SQL, (address,)).fetchone()
        return None if row is None else str(row[0])

    return read


def _wait_until_ready(base_url: str, process: subprocess.Popen[bytes]) -> None:
    """Poll GET / until it answers 200; fail with the server's output past the deadline."""
    deadline = time.monotonic() + STARTUP_SECONDS
    last_error = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            response = httpx.get(base_url + "/", timeout=1.0)
            if response.status_code == 200:
                return
            last_error = f"status {response.status_code}"
            if response.status_code >= 500:
                break  # up but broken: waiting longer will not help
        except httpx.TransportError as exc:
            last_error = repr(exc)
        # Readiness polling of another process; bounded by the deadline above.
        time.sleep(0.1)
    process.kill()
    _, stderr = process.communicate(timeout=5)
    pytest.fail(
        f"the Lyceum server at {base_url} did not become ready ({last_error}); "
        f"exit code {process.returncode}; stderr:\n{stderr.decode(errors='replace')}"
    )


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a migrated Lyceum server running in its own process."""
    data_dir = tmp_path_factory.mktemp("browser-data")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    env = _server_env(data_dir, base_url)

    migrate = subprocess.run(
        [str(BIN / "lyceum"), "migrate"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert migrate.returncode == 0, f"lyceum migrate failed:\n{migrate.stderr.decode()}"

    fd = listener.fileno()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "server.app:create_app",
            "--factory",
            "--fd",
            str(fd),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=REPO_ROOT,
        pass_fds=[fd],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    listener.close()  # the child holds its own copy
    try:
        _wait_until_ready(base_url, process)
        mailbox.register(base_url, _sqlite_mailbox(data_dir / "lyceum.sqlite3"))
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stderr is not None:
            process.stderr.close()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module (Playwright gives it a throw-away profile). Not per session:
    Playwright's sync API runs an event loop in this thread until it stops, and the async tests
    that a parallel worker runs after a browser module need the thread free of it."""
    with sync_playwright() as playwright:
        if not CHROMIUM.exists():
            pytest.fail(MISSING_BROWSER)
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    """A fresh browser context (no cookies, no storage) aimed at the live server."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact: test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
