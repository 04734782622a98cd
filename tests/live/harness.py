"""Real Lyceum instances on loopback for the live federation tests, and the tools to drive them.

Each `Instance` is a separate process with its own base URL (a port the OS picked), its own
database (a SQLite file in its data directory, or a PostgreSQL database of its own when
`LYCEUM_TEST_DATABASE=postgres`) and its own embedded federation worker (deliveries out, inbox
processing in). The parent binds `127.0.0.1:0` itself and hands the socket to uvicorn by file
descriptor, so the port — and so the base URL the instance builds every id from — is known
before the process starts, and no port is ever fixed.

Accounts and groups are made the way an operator makes them, with the `lyceum` command and the
instance's environment. People act through the web like anyone else: a `Person` is an httpx
client logged in through /login, posting forms with the CSRF token read from the page. Nothing
is reached in-process and no verifier is overridden: whatever crosses between instances goes
through signed requests and the delivery worker.

Waits are `poll(...)`: retry a check with short awaits until a deadline, then fail saying what
never happened (STYLE 9). The workers poll their queues every second, so a hop between two
instances takes up to about two seconds (delivery, then inbox processing).
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import asyncpg
import httpx

from tests import mailbox
from tests.conftest import BACKEND, _postgres_admin, _postgres_url, csrf_from, run_sync

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "correct horse battery staple"
OPERATOR = "operator"  # each instance's admin, made at start; it owns the groups tests make
STARTUP_SECONDS = 60.0  # three servers booting at once on a busy machine
CLI_SECONDS = 60.0
POLL_SECONDS = 30.0  # a few worker hops, with room for a loaded CI machine
POLL_INTERVAL = 0.1
LOG_TAIL_LINES = 40
T = TypeVar("T")
Check = Callable[[], Awaitable[bool]]  # a question `poll` asks again until it is true


class LiveError(AssertionError):
    """Something an instance was expected to do did not happen (the message says what)."""


@dataclass
class Instance:
    """One Lyceum process: its name in the tests (A, B, C), address, data and environment."""

    name: str
    data_dir: Path
    listener: socket.socket
    database_url: str = ""
    # 0: the web process runs the federation worker (the default layout). N: production's
    # layout, `lyceum serve` with the embedded worker off and N `lyceum worker` processes.
    separate_workers: int = 0
    process: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _log_file: Any = field(default=None, repr=False)

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    @property
    def domain(self) -> str:
        """What names this instance in handles: `name@<domain>` (host and port)."""
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.domain}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def url(self, path: str) -> str:
        return self.base_url + path

    def handle(self, name: str) -> str:
        """The fediverse handle of a person or group here: `@name@127.0.0.1:port`."""
        return f"@{name}@{self.domain}"

    @property
    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("LYCEUM_")}
        env.update(
            LYCEUM_BASE_URL=self.base_url,
            LYCEUM_DATA_DIR=str(self.data_dir),
            LYCEUM_DATABASE_URL=self.database_url,
            LYCEUM_SECRET_KEY=f"live-test-secret-{self.name}-" + "x" * 32,
            LYCEUM_EMBEDDED_WORKER="false" if self.separate_workers else "true",
            # Idle workers look for work ten times a second, so a hop between instances is quick.
            LYCEUM_WORKER_POLL_SECONDS="0.1",
            # The peers are plain-http processes on loopback: let fetches and deliveries reach them.
            LYCEUM_FEDERATION_ALLOW_HTTP="true",
            LYCEUM_FEDERATION_ALLOWED_NETWORKS="127.0.0.0/8",
            # Everyone logs in and posts from 127.0.0.1: keep the limits out of the way.
            LYCEUM_SIGNUP_RATE_LIMIT="10000/minute",
            LYCEUM_LOGIN_RATE_LIMIT="10000/minute",
            LYCEUM_POST_RATE_LIMIT="10000/minute",
            LYCEUM_LOG_LEVEL=os.environ.get("LYCEUM_LIVE_LOG_LEVEL", "warning"),
        )
        return env

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the web process on the socket the parent bound (the database must be
        migrated), and the separate workers if this instance has them."""
        fd = self.listener.fileno()
        self._log_file = self.log_path.open("wb")
        if self.separate_workers:
            # As an operator runs it: the `lyceum` command, then `lyceum worker` beside it.
            command = [str(BIN / "lyceum"), "serve", "--fd", str(fd)]
        else:
            command = [sys.executable, "-m", "uvicorn", "server.app:create_app", "--factory"]
            command += ["--fd", str(fd), "--log-level", "warning", "--no-access-log"]
        self.process = subprocess.Popen(
            command,
            env=self.env,
            cwd=REPO_ROOT,
            pass_fds=[fd],
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,  # a file, never a pipe: a full pipe would stall the server
        )
        self.workers = [
            subprocess.Popen(
                [str(BIN / "lyceum"), "worker"],
                env=self.env,
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=self._log_file,
                stderr=subprocess.STDOUT,
            )
            for _ in range(self.separate_workers)
        ]

    def wait_until_ready(self, deadline: float) -> None:
        """Poll GET / until it answers 200; fail with the server's output past the deadline."""
        assert self.process is not None, f"{self.name} was never started"
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                last = f"the process exited with code {self.process.returncode}"
                break
            try:
                response = httpx.get(self.url("/"), timeout=1.0)
            except httpx.TransportError as exc:
                last = repr(exc)
            else:
                if response.status_code == 200:
                    return
                last = f"status {response.status_code}"
                if response.status_code >= 500:
                    break  # up but broken: waiting longer will not help
            # Readiness polling of another process, bounded by the deadline above.
            time.sleep(POLL_INTERVAL)
        self.stop()
        raise LiveError(
            f"instance {self.name} at {self.base_url} did not become ready ({last}); "
            f"its output:\n{self.log_tail()}"
        )

    def assert_alive(self) -> None:
        assert self.process is not None and self.process.poll() is None, (
            f"instance {self.name} died; its output:\n{self.log_tail()}"
        )
        for number, worker in enumerate(self.workers, 1):
            assert worker.poll() is None, (
                f"worker {number} of {self.name} died; the output:\n{self.log_tail()}"
            )

    def stop(self) -> None:
        for process in [*self.workers, self.process]:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in [*self.workers, self.process]:
            if process is None:
                continue
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        self.listener.close()

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no output)"
        return "\n".join(text.splitlines()[-lines:]) or "(no output)"

    def federation_state(self) -> str:
        """The deliveries not yet done and the inbox rows that failed or wait, newest first:
        what a failed scenario's report needs to tell a lost activity from a slow one."""
        try:
            deliveries = run_sync(
                self.query(
                    "SELECT activity_id, inbox_url, state, attempts, last_status, last_error"
                    " FROM delivery WHERE state <> 'done' ORDER BY id DESC LIMIT 20"
                )
            )
            inbox = run_sync(
                self.query(
                    "SELECT ap_id, activity_type, attempts, error, processed_at FROM inbox_activity"
                    " WHERE processed_at IS NULL OR error <> '' ORDER BY id DESC LIMIT 20"
                )
            )
        except Exception as exc:  # a report must never fail for want of its appendix
            return f"(could not read the queues: {exc!r})"
        lines = [f"deliveries not done ({len(deliveries)} shown):"]
        lines += [f"  {row}" for row in deliveries]
        lines += [f"inbox rows failed or waiting ({len(inbox)} shown):"]
        lines += [f"  {row}" for row in inbox]
        return "\n".join(lines)

    # -- the operator's command line -------------------------------------------------------

    async def cli(self, *args: str, stdin: str = "") -> str:
        """Run `lyceum <args>` with this instance's environment; fail with its output."""
        process = await asyncio.create_subprocess_exec(
            str(BIN / "lyceum"),
            *args,
            env=self.env,
            cwd=REPO_ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(stdin.encode()), CLI_SECONDS)
        if process.returncode != 0:
            raise LiveError(
                f"`lyceum {' '.join(args)}` on {self.name} exited {process.returncode}:\n"
                f"{err.decode(errors='replace')}"
            )
        return out.decode()

    async def create_user(self, username: str) -> None:
        """A member account with the shared test password (`lyceum user create`)."""
        await self.cli(*_user_create_args(username), stdin=PASSWORD + "\n")

    async def create_group(
        self, handle: str, *, owner: str = OPERATOR, approval: bool = False
    ) -> None:
        """A group (`lyceum group create`), open unless `approval`; its owner moderates it."""
        flags = ["--approval"] if approval else []
        await self.cli("group", "create", handle, handle.title(), "--owner", owner, *flags)

    # -- looking inside ----------------------------------------------------------------------

    async def query(self, sql: str, *args: object) -> list[dict[str, Any]]:
        """Rows from the instance's database, for what no page shows (a server's private key,
        whether its inbox has handled an activity). `?` marks the arguments on both databases.
        Only reads: every change goes through the instance's pages and commands."""
        if BACKEND == "postgres":
            pieces = sql.split("?")
            numbered = pieces[0] + "".join(f"${n}{piece}" for n, piece in enumerate(pieces[1:], 1))
            connection = await asyncpg.connect(
                self.database_url.replace("postgres://", "postgresql://", 1)
            )
            try:
                return [dict(row) for row in await connection.fetch(numbered, *args)]
            finally:
                await connection.close()
        path = self.database_url.removeprefix("sqlite://")

        def read() -> list[dict[str, Any]]:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
                connection.row_factory = sqlite3.Row
                return [dict(row) for row in connection.execute(sql, args)]

        return await asyncio.to_thread(read)

    def newest_signup_mail(self, address: str) -> str | None:
        """The text of the newest sign-up mail queued for `address` (see `tests.mailbox`); for
        synchronous callers (the browser tests), so the query runs on a loop of its own."""
        with ThreadPoolExecutor(max_workers=1) as pool:
            rows = pool.submit(asyncio.run, self.query(mailbox.SIGNUP_MAIL_SQL, address)).result()
        return str(rows[0]["text_body"]) if rows else None

    # -- people on the web -----------------------------------------------------------------

    def client(self) -> httpx.AsyncClient:
        """An anonymous browser-like client (asks for HTML, follows no redirects)."""
        return httpx.AsyncClient(
            base_url=self.base_url, headers={"Accept": "text/html"}, timeout=10.0
        )

    async def person(self, username: str) -> Person:
        """A client logged in as `username` through the log-in form."""
        return await log_in(self, self.client(), username)


class Site(Protocol):
    """Where a `Person` is logged in: an `Instance` here, or an instance in containers
    (tests/stack)."""

    @property
    def name(self) -> str: ...

    def handle(self, name: str) -> str: ...


@dataclass
class Person:
    """Someone logged in on one instance, acting through its pages."""

    instance: Site
    username: str
    client: httpx.AsyncClient

    @property
    def handle(self) -> str:
        return self.instance.handle(self.username)

    async def page(self, path: str, *, status: int = 200) -> str:
        """The HTML of a page, following redirects; fails unless it ends with `status`."""
        response = await self.client.get(path, follow_redirects=True)
        if response.status_code != status:
            raise LiveError(
                f"GET {path} on {self.instance.name} as {self.username}: "
                f"{response.status_code}, wanted {status}"
            )
        return response.text

    async def submit(
        self, path: str, data: dict[str, str] | None = None, *, form_page: str | None = None
    ) -> httpx.Response:
        """POST a form as the browser would, with the CSRF token read from `form_page` (the page
        the form is on; any page of the session will do). Returns the response unfollowed."""
        page = await self.client.get(form_page or "/", follow_redirects=True)
        fields = {**(data or {}), "csrf_token": csrf_from(page.text)}
        return await self.client.post(path, data=fields)

    async def aclose(self) -> None:
        await self.client.aclose()


async def log_in(site: Site, client: httpx.AsyncClient, username: str) -> Person:
    """`username` logged in on `site` through its log-in form, with `client` (closed if the
    log-in fails)."""
    page = await client.get("/login")
    response = await client.post(
        "/login", data={"login": username, "password": PASSWORD, "csrf_token": csrf_from(page.text)}
    )
    if response.status_code != 303:
        await client.aclose()
        raise LiveError(f"{username} could not log in on {site.name}: {response.status_code}")
    return Person(site, username, client)


async def poll(
    check: Callable[[], Awaitable[T]],
    *,
    what: str,
    within: float = POLL_SECONDS,
) -> T:
    """Await `check()` until it returns something truthy (returned) or the deadline passes.

    A check may also raise `AssertionError` to say "not yet" with a reason; the last reason is
    in the failure message. (The conftest adds each instance's output to a failed test's report.)
    """
    deadline = time.monotonic() + within
    last = ""
    while True:
        try:
            result = await check()
        except AssertionError as exc:
            last = str(exc)
        else:
            if result:
                return result
            last = f"last result: {result!r}"
        if time.monotonic() >= deadline:
            break
        await asyncio.sleep(POLL_INTERVAL)  # one short await between checks, bounded above
    raise LiveError(f"within {within:.0f} s, never: {what} ({last})")


# -- starting a set of instances -----------------------------------------------------------


def _user_create_args(username: str, *, admin: bool = False) -> list[str]:
    flags = ["--admin"] if admin else []
    return ["user", "create", username, f"{username}@example.org", "--password-stdin", *flags]


def _run_everywhere(instances: list[Instance], args: list[str], stdin: str = "") -> None:
    """Run `lyceum <args>` for every instance at once (each on its own database); fail on any."""
    running = [
        (
            instance,
            subprocess.Popen(
                [str(BIN / "lyceum"), *args],
                env=instance.env,
                cwd=REPO_ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            ),
        )
        for instance in instances
    ]
    failures = []
    for instance, process in running:
        _, err = process.communicate(stdin.encode(), timeout=CLI_SECONDS)
        if process.returncode != 0:
            failures.append(f"on {instance.name}:\n{err.decode(errors='replace')}")
    if failures:
        raise LiveError(f"`lyceum {' '.join(args)}` failed " + "\n".join(failures))


def _bind_loopback() -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    return listener


def start_instances(
    names: Iterable[str], root: Path, *, separate_workers: dict[str, int] | None = None
) -> list[Instance]:
    """Make, migrate and start one instance per name, all at once, each with an admin account
    named `OPERATOR`; stop them all on failure. `separate_workers` gives, by name, how many
    `lyceum worker` processes an instance runs instead of its embedded worker."""
    workers = separate_workers or {}
    instances = [
        Instance(
            name=name,
            data_dir=root / name.lower(),
            listener=_bind_loopback(),
            separate_workers=workers.get(name, 0),
        )
        for name in names
    ]
    try:
        for instance in instances:
            instance.data_dir.mkdir(parents=True)
            instance.database_url = _make_database(instance)
        _run_everywhere(instances, ["migrate"])
        for instance in instances:
            instance.start()
        # The admins are made while the servers boot: both are slow starts of Python.
        _run_everywhere(instances, _user_create_args(OPERATOR, admin=True), PASSWORD + "\n")
        deadline = time.monotonic() + STARTUP_SECONDS
        for instance in instances:
            instance.wait_until_ready(deadline)
            mailbox.register(instance.base_url, instance.newest_signup_mail)
    except BaseException:
        stop_instances(instances)
        raise
    return instances


def stop_instances(instances: Iterable[Instance]) -> None:
    """Stop every process first (so that none outlives a slow clean-up), then drop the data."""
    instances = list(instances)
    for instance in instances:
        instance.stop()
    for instance in instances:
        _drop_database(instance)
        shutil.rmtree(instance.data_dir, ignore_errors=True)


def _make_database(instance: Instance) -> str:
    """A database of the instance's own: a SQLite file, or a fresh PostgreSQL database."""
    if BACKEND != "postgres":
        return f"sqlite://{instance.data_dir / 'lyceum.sqlite3'}"
    name = f"lyceum_live_{uuid.uuid4().hex[:10]}_{instance.name.lower()}"
    run_sync(_postgres_admin(f'CREATE DATABASE "{name}"'))
    return _postgres_url(name)


def _drop_database(instance: Instance) -> None:
    if BACKEND == "postgres" and instance.database_url:
        name = instance.database_url.rsplit("/", 1)[-1]
        run_sync(_postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# -- reading pages -------------------------------------------------------------------------

_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


def text_of(page: str) -> str:
    """A page's visible text, tags dropped and spaces collapsed, for "the page says X" checks."""
    return _SPACES.sub(" ", html.unescape(_TAGS.sub(" ", page))).strip()


def unique(prefix: str) -> str:
    """A fresh name (handles are short, lower case): each test makes its own people and groups."""
    return f"{prefix}{uuid.uuid4().hex[:6]}"
