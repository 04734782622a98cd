"""The `lyceum` command: operate an instance from the shell, non-interactively.

Exit codes: 0 done; 1 the operation was refused (the message says why); 2 bad usage or
configuration.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import shlex
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import click
from pydantic import ValidationError

from server import db, log_records
from server import log_format as log_format_module
from server.settings import Settings

T = TypeVar("T")


def _fast_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # uvloop does not build everywhere (Windows): the plain loop then
        return None
    return uvloop.new_event_loop


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            name = "LYCEUM_" + "_".join(str(part) for part in error["loc"]).upper()
            click.echo(f"Configuration error: {name}: {error['msg']}", err=True)
        sys.exit(2)


def _run(
    work: Callable[[Settings], Awaitable[T]], *, needs_db: bool = True, fast_loop: bool = False
) -> T:
    """Run `work` with the database open; print domain errors and exit 1 on them.

    `fast_loop`: on uvloop when it is installed (uvicorn's `standard` extra brings it; the web
    server runs on it too), as the worker does: a fan-out spends much of its time in the loop."""
    from server.services.errors import DomainError

    settings = _settings()

    async def main() -> T:
        if needs_db:
            await db.open_database(settings)
        try:
            return await work(settings)
        finally:
            if needs_db:
                await db.close_database()

    try:
        with asyncio.Runner(loop_factory=_fast_loop_factory() if fast_loop else None) as runner:
            return runner.run(main())
    except db.UnmigratedDatabase as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    except DomainError as exc:
        details = getattr(exc, "errors", None)
        if details:
            for field, message in details.items():
                click.echo(f"Error: {field + ': ' if field else ''}{message}", err=True)
        else:
            click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"Error: cannot reach the database: {exc}", err=True)
        sys.exit(1)


@click.group(help="Lyceum: a federated server for learning communities.")
@click.version_option(package_name="lyceum")
def main() -> None:
    configure_logging(
        os.environ.get("LYCEUM_LOG_LEVEL", "info"), os.environ.get("LYCEUM_LOG_FORMAT", "text")
    )


def configure_logging(level: str, log_format: str = "text") -> None:
    """Log at LYCEUM_LOG_LEVEL (INFO when unset or unknown) in LYCEUM_LOG_FORMAT (`text`, or
    `json` lines); the libraries' chatter (tortoise's queries, httpx's line per request, which
    would drown the refusals an operator looks for) only at `debug`."""
    name = level.strip().upper()
    chosen = getattr(logging, name) if name in ("DEBUG", "INFO", "WARNING", "ERROR") else None
    handler = logging.StreamHandler()
    handler.setFormatter(log_format_module.formatter(log_format.strip().lower()))
    logging.basicConfig(level=chosen or logging.INFO, handlers=[handler])
    quiet = logging.DEBUG if chosen == logging.DEBUG else logging.WARNING
    for library in log_format_module.CHATTY_LIBRARIES:
        logging.getLogger(library).setLevel(quiet)
    log_records.install()


def _tell(settings: Settings, message: str) -> None:
    """Tell the operator of a long-running process something: on stderr, or, with JSON logs,
    as a log record (so that everything the process writes is one JSON object per line)."""
    if settings.log_format == "json":
        logging.getLogger("lyceum.cli").info(message)
    else:
        click.echo(message, err=True)


@main.command(help="Apply database migrations (safe to run at every start).")
def migrate() -> None:
    applied = _run(db.migrate, needs_db=False)
    click.echo(
        f"Applied {len(applied)} migration(s)." if applied else "The database is up to date."
    )


@main.command(help="Run the web server (and, by default, the delivery worker).")
@click.option("--host", default=None, help="Address to bind [LYCEUM_HOST].")
@click.option("--port", type=int, default=None, help="Port to listen on [LYCEUM_PORT].")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Web processes.")
@click.option(
    "--fd",
    type=click.IntRange(0),
    default=None,
    help="Serve on this already-bound socket instead (socket activation; --host/--port unused).",
)
@click.option("--migrate", is_flag=True, help="Apply pending migrations first.")
def serve(
    host: str | None, port: int | None, workers: int | None, fd: int | None, migrate: bool
) -> None:
    import uvicorn

    settings = _settings()
    host, port = host or settings.host, port or settings.port
    if "base_url" not in settings.model_fields_set:
        # Without LYCEUM_BASE_URL the instance is known by the address it listens on, so that
        # the printed links and handles, and the ids it stores, name this server. The app reads
        # its settings from the environment (in every web process), hence the variable.
        os.environ["LYCEUM_BASE_URL"] = listening_url(host, port)
        settings = _settings()
    if migrate:  # one process, not two, for `scripts/serve`: a second start is quicker
        applied = _run(db.migrate, needs_db=False)
        if applied:
            _tell(settings, f"Applied {len(applied)} migration(s).")
    pending = [] if migrate else _run(_pending, needs_db=False)
    if pending:
        click.echo(
            f"The database is missing {len(pending)} migration(s). Run `lyceum migrate` first.",
            err=True,
        )
        sys.exit(1)
    _tell(
        settings,
        f"Lyceum answers at {settings.base_url}; its people and groups are @NAME@{settings.domain}",
    )
    token = _run(_claim_token_if_no_admin)
    if token:
        _tell(
            settings,
            "No admin account yet. Create one (from this directory) with:\n"
            f"  {operator_command(settings)} user create YOUR_NAME you@example.org --admin "
            "--password-stdin\n"
            "(type the password, then press Ctrl-D), or claim it in the browser at:\n"
            f"  {settings.url('/setup/claim?token=' + token)}",
        )
    uvicorn.run(
        "server.app:create_app",
        factory=True,
        host=host,
        port=port,
        fd=fd,
        workers=workers or settings.web_processes,
        log_level=settings.log_level,
        log_config=log_format_module.uvicorn_log_config(settings.log_level, settings.log_format),
        # A line per request only at `debug`: the reverse proxy in front keeps the access log,
        # and a line cost a busy inbox about 14 µs of its ~250 µs a request.
        access_log=settings.log_level.strip().lower() == "debug",
        # The app reads X-Forwarded-For itself, from trusted proxies only (server/app.py).
        proxy_headers=False,
    )


async def _pending(settings: Settings) -> list[str]:
    await db.open_database(settings, require_migrated=False)
    try:
        return await db.pending_migrations()
    finally:
        await db.close_database()


async def _has_admin(settings: Settings) -> bool:
    from server.models import Account, Role

    return await Account.filter(role=Role.ADMIN).exists()


async def _claim_token_if_no_admin(settings: Settings) -> str:
    from server.services import setup

    return "" if await _has_admin(settings) else await setup.admin_claim_token(settings)


def listening_url(host: str, port: int) -> str:
    """The URL a browser on this machine reaches a server bound to `host`:`port` by."""
    # Bound to every address: reached at the loopback one (a name read here, nothing bound).
    everywhere = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104
    shown = everywhere.get(host, host)
    return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}"


def operator_command(settings: Settings) -> str:
    """How to run `lyceum` on this instance from a fresh shell in the current directory: the
    venv's script, and the variables that say where the data is and what the instance is called
    when they are not the defaults (a database password is left out, to be filled in)."""
    script = Path(sys.executable).parent / "lyceum"
    if script.exists() and script.is_relative_to(Path.cwd()):
        command = str(script.relative_to(Path.cwd()))
    elif script.exists():
        command = shlex.quote(str(script))
    else:
        command = f"{shlex.quote(sys.executable)} -m server.cli"
    defaults = Settings.model_fields
    variables: dict[str, str] = {}
    if settings.data_dir.resolve() != Path("data").resolve() or command.startswith("/"):
        variables["LYCEUM_DATA_DIR"] = str(settings.data_dir.resolve())
    if settings.database_url:
        parts = urlsplit(settings.database_url)
        if parts.password is not None:
            user, host = parts.netloc.rsplit("@", 1)
            parts = parts._replace(netloc=f"{user.split(':', 1)[0]}:PASSWORD@{host}")
        variables["LYCEUM_DATABASE_URL"] = urlunsplit(parts)
    if settings.base_url != defaults["base_url"].default:
        variables["LYCEUM_BASE_URL"] = settings.base_url
    return " ".join(
        [*(f"{name}={shlex.quote(value)}" for name, value in variables.items()), command]
    )


@main.command(
    help="Run a worker: deliveries out, inbox processing in, mail and digests (until SIGTERM)."
)
def worker() -> None:
    import signal

    from server.assembly import worker_runtime

    async def work(settings: Settings) -> None:
        runtime = worker_runtime(settings)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, runtime.stop)
        _tell(settings, "Federation worker running; stop it with Ctrl-C or SIGTERM.")
        page = metrics_server(settings) if settings.worker_metrics_port else None
        serving = asyncio.create_task(page.serve()) if page else None
        try:
            await runtime.run_worker()
        finally:
            if page and serving:
                page.should_exit = True
                await serving
            await runtime.aclose()

    _run(work, fast_loop=True)
    _tell(_settings(), "Federation worker stopped.")


def metrics_server(settings: Settings) -> Any:
    """A `lyceum worker`'s `/metrics` and `/healthz` pages, on
    LYCEUM_HOST:LYCEUM_WORKER_METRICS_PORT: a uvicorn server in the worker's loop that leaves the
    signals to the worker. Being in that loop, `/healthz` stops answering when the loop is stuck,
    which is what a container's health check should see."""
    import contextlib
    from collections.abc import Iterator

    import uvicorn
    from starlette.applications import Starlette

    from server import health, metrics

    class QuietServer(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield  # SIGTERM stops the worker, which then stops this server

    app = Starlette(routes=[*metrics.routes, *health.liveness_routes])
    app.state.settings = settings
    app.state.metrics = metrics.Metrics()
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.worker_metrics_port,
        lifespan="off",
        access_log=False,
        log_level="warning",
        log_config=None,  # its few lines go through the worker's logging, text or JSON
    )
    return QuietServer(config)


@main.group(help="Manage accounts.")
def user() -> None:
    pass


@user.command("create", help="Create an account (prints a generated password if none is given).")
@click.argument("username")
@click.argument("email")
@click.option("--admin", is_flag=True, help="Make the account an instance admin.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--display-name", default="", help="Name shown on the profile.")
def user_create(
    username: str, email: str, admin: bool, password_stdin: bool, display_name: str
) -> None:
    from server.models import Role
    from server.services import accounts

    generated = not password_stdin
    password = secrets.token_urlsafe(12) if generated else sys.stdin.readline().rstrip("\r\n")

    async def work(settings: Settings) -> Any:
        return await accounts.create_account(
            username,
            email,
            password,
            display_name=display_name,
            role=Role.ADMIN if admin else Role.MEMBER,
        )

    account = _run(work)
    click.echo(f"Created {'admin' if admin else 'member'} @{username.lower()} ({account.email}).")
    if generated:
        click.echo(f"Password: {password}")


@main.group(help="Manage groups.")
def group() -> None:
    pass


@group.command("create", help="Create a group owned by an existing account.")
@click.argument("handle")
@click.argument("name")
@click.option("--owner", required=True, help="User name of the owner.")
@click.option("--description", default="", help="Markdown description.")
@click.option("--rules", default="", help="Markdown rules.")
@click.option("--topics", default="", help="Comma-separated topics.")
@click.option("--approval", is_flag=True, help="New members need a moderator's approval.")
@click.option("--moderators-only", is_flag=True, help="Only moderators may start threads.")
def group_create(
    handle: str,
    name: str,
    owner: str,
    description: str,
    rules: str,
    topics: str,
    approval: bool,
    moderators_only: bool,
) -> None:
    from server.models import Account, JoinPolicy, PostingPolicy
    from server.services import groups
    from server.services.errors import NotFound

    async def work(settings: Settings) -> Any:
        account = await Account.get_or_none(
            actor__username=owner.lower(), actor__domain=""
        ).select_related("actor")
        if account is None:
            raise NotFound(f"There is no account @{owner}.")
        form = groups.GroupForm(
            handle=handle,
            name=name,
            description=description,
            rules=rules,
            topics=groups.parse_topics(topics),
            join_policy=JoinPolicy.APPROVAL if approval else JoinPolicy.OPEN,
            posting_policy=PostingPolicy.MODERATORS if moderators_only else PostingPolicy.MEMBERS,
        )
        return await groups.create_group(account, form)

    _run(work)
    settings = _settings()
    click.echo(
        f"Created group @{handle.lower()}@{settings.domain}: {settings.url('/g/' + handle.lower())}"
    )


@main.command(
    "search-reindex",
    help="Build the search index again, in LYCEUM_SEARCH_LANGUAGE (after changing it).",
)
def search_reindex() -> None:
    from server.services import search

    async def work(settings: Settings) -> int:
        return await search.rebuild(settings.search_language)

    click.echo(f"Indexed {_run(work)} post(s).")


@main.command(
    "backup",
    help="Write the database (pg_dump, or a consistent copy of the SQLite file), the uploaded "
    "media and the secret key to one new .tar.gz file; safe while the instance runs.",
)
@click.argument("archive", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
def backup_command(archive: Path) -> None:
    import shutil
    import tempfile

    from server import backup

    settings = _settings()
    try:
        if str(archive) != "-":
            done = backup.backup(settings, archive)
        else:  # to standard output, e.g. out of a container: `... lyceum backup - > file`
            with tempfile.TemporaryDirectory() as scratch:
                written = Path(scratch) / "backup.tar.gz"
                done = backup.backup(settings, written)
                with written.open("rb") as source:
                    shutil.copyfileobj(source, sys.stdout.buffer)
                archive = Path("standard output")
    except backup.BackupError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"Backed up the {done.database} database and {done.media_files} media file(s) to "
        f"{archive} (keep it private: it holds every key).",
        err=str(archive) == "standard output",  # the archive alone on stdout
    )


@main.command(
    "restore",
    help="Restore a `lyceum backup` archive into an empty database (LYCEUM_DATABASE_URL, of the "
    "same kind) and a data directory without media; then run `lyceum migrate` and start.",
)
@click.argument(
    "archive",
    type=click.Path(exists=True, dir_okay=False, readable=True, allow_dash=True, path_type=Path),
)
def restore_command(archive: Path) -> None:
    import shutil
    import tempfile

    from server import backup

    settings = _settings()
    try:
        if str(archive) != "-":
            done = backup.restore(settings, archive)
        else:  # from standard input: `... lyceum restore - < file`
            with tempfile.TemporaryDirectory() as scratch:
                received = Path(scratch) / "backup.tar.gz"
                with received.open("wb") as target:
                    shutil.copyfileobj(sys.stdin.buffer, target)
                done = backup.restore(settings, received)
                archive = Path("standard input")
    except backup.BackupError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"Restored the {done.database} database and {done.media_files} media file(s) from "
        f"{archive}. Run `lyceum migrate` (for a newer version), then start the instance."
    )


@main.command(help="Check the configuration and the database; exit 1 on any problem.")
def check() -> None:
    settings = _settings()
    problems: list[str] = []
    notes: list[str] = [f"Base URL: {settings.base_url}", f"Data directory: {settings.data_dir}"]

    async def work(settings: Settings) -> None:
        await db.open_database(settings, require_migrated=False)
        try:
            pending = await db.pending_migrations()
            if pending:
                problems.append(f"{len(pending)} migration(s) pending: run `lyceum migrate`.")
            elif not await _has_admin(settings):
                problems.append(
                    f"No admin account: run `{operator_command(settings)} user create NAME EMAIL "
                    "--admin`."
                )
        finally:
            await db.close_database()

    try:
        asyncio.run(work(settings))
    except OSError as exc:
        problems.append(f"Cannot reach the database: {exc}")
    if not settings.secure_cookies:
        notes.append("Warning: the base URL is not https; use https in production.")
    if not settings.smtp_host:
        notes.append(
            "Warning: no SMTP server (LYCEUM_SMTP_HOST): mail is only written to the log, so "
            "nobody gets sign-up links, password resets or notifications by mail. Set one up "
            "before opening a public instance."
        )
    for line in notes:
        click.echo(line)
    for problem in problems:
        click.echo(f"Problem: {problem}", err=True)
    if problems:
        sys.exit(1)
    click.echo("All checks passed.")


if __name__ == "__main__":
    main()
