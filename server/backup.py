"""A whole instance in one file, and back: `lyceum backup` and `lyceum restore`.

The archive (`.tar.gz`) holds `manifest.json` (format, database kind, Lyceum's version), the
database (`database.pgdump`, PostgreSQL's custom format from `pg_dump`, or `database.sqlite3`,
a consistent copy made with SQLite's online backup API while the instance runs) and
`data/`: the uploaded media and the generated secret key. The media proxy's cache is left out
(it is refetched). People's and groups' key pairs are database rows, so a restored instance
signs with the same keys and peers keep trusting it.

A restore goes into a database with no tables and a data directory without media only, so
that it can never mix two instances.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from server.settings import Settings

__all__ = ["BackupError", "Summary", "backup", "restore"]

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.pgdump"
SQLITE_COPY = "database.sqlite3"


class BackupError(Exception):
    """The backup or restore was refused or failed; the message tells the operator why."""


@dataclass(frozen=True)
class Summary:
    database: str
    media_files: int


def database_kind(settings: Settings) -> str:
    scheme = urlsplit(settings.resolved_database_url).scheme
    if scheme.startswith("sqlite"):
        return "sqlite"
    if scheme in ("postgres", "postgresql", "asyncpg", "psycopg"):
        return "postgres"
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {scheme!r} databases.")


def libpq_url(database_url: str) -> str:
    """The database URL as PostgreSQL's own tools take it (Tortoise's scheme and options off)."""
    parts = urlsplit(database_url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))


def sqlite_path(database_url: str) -> Path:
    path = database_url.split("?", 1)[0].removeprefix("sqlite://")
    if path in ("", ":memory:"):
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(path)


def _tool(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which(name) is None:
        raise BackupError(f"`{name}` is not installed (PostgreSQL's client tools are needed).")
    done = subprocess.run([name, *args], capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{name} failed: {done.stderr.strip() or done.returncode}")
    return done


def backup(settings: Settings, destination: Path) -> Summary:
    """Write the instance's database and data files to `destination` (a new `.tar.gz`)."""
    if destination.exists():
        raise BackupError(f"{destination} already exists; name a new file.")
    kind = database_kind(settings)
    media = sorted(p for p in settings.media_dir.rglob("*") if p.is_file())
    partial = destination.with_name(destination.name + ".partial")
    with tempfile.TemporaryDirectory() as scratch:
        if kind == "postgres":
            dumped = Path(scratch) / PG_DUMP
            url = libpq_url(settings.resolved_database_url)
            _tool("pg_dump", "--format=custom", "--no-owner", "--file", str(dumped), url)
        else:
            dumped = Path(scratch) / SQLITE_COPY
            source = sqlite_path(settings.resolved_database_url)
            if not source.is_file():
                raise BackupError(f"There is no SQLite database at {source}.")
            with sqlite3.connect(source) as live, sqlite3.connect(dumped) as copy:
                live.backup(copy)
            live.close()
            copy.close()
        manifest = {"format": FORMAT, "database": kind, "lyceum": version("lyceum")}
        try:
            with tarfile.open(partial, "w:gz") as archive:
                _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
                archive.add(dumped, arcname=dumped.name)
                secret = settings.data_dir / "secret_key"
                if secret.is_file():
                    archive.add(secret, arcname="data/secret_key")
                for path in media:
                    archive.add(path, arcname=f"data/{path.relative_to(settings.data_dir)}")
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    partial.chmod(0o600)  # it holds the secret key and every private key
    partial.rename(destination)
    return Summary(kind, len(media))


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


def restore(settings: Settings, source: Path) -> Summary:
    """Put the instance in `source` into this (empty) database and data directory."""
    try:
        archive = tarfile.open(source, "r:gz")  # noqa: SIM115 (closed by the with below)
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{source} is not a Lyceum backup ({exc}).") from None
    with archive, tempfile.TemporaryDirectory() as scratch:
        manifest = _manifest(archive, source)
        kind = database_kind(settings)
        if manifest.get("database") != kind:
            raise BackupError(
                f"{source} is a backup of a {manifest.get('database')} database, but "
                f"LYCEUM_DATABASE_URL names a {kind} one: restore into the same kind."
            )
        members = archive.getmembers()
        data_files = [m for m in members if m.name.startswith("data/") and m.isfile()]
        media = [m for m in data_files if m.name.startswith("data/media/")]
        if kind == "postgres":
            url = libpq_url(settings.resolved_database_url)
            _refuse_unless_empty_postgres(url)
        else:
            target = sqlite_path(settings.resolved_database_url)
            _refuse_unless_empty_sqlite(target)
        if settings.media_dir.is_dir() and any(settings.media_dir.iterdir()):
            raise BackupError(f"{settings.media_dir} is not empty: restore into a new data dir.")
        secret = settings.data_dir / "secret_key"
        kept = next((m for m in data_files if m.name == "data/secret_key"), None)
        if kept and secret.is_file():
            stored = archive.extractfile(kept)
            if stored is None or stored.read().strip() != secret.read_bytes().strip():
                raise BackupError(f"{secret} exists and differs from the backup's: remove it.")
        database_file = PG_DUMP if kind == "postgres" else SQLITE_COPY
        archive.extract(database_file, scratch, filter="data")
        if kind == "postgres":
            dump = str(Path(scratch) / database_file)
            _tool("pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "-d", url, dump)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(Path(scratch) / database_file, target)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        for member in data_files:
            member.name = member.name.removeprefix("data/")
            archive.extract(member, settings.data_dir, filter="data")
        if secret.is_file():
            os.chmod(secret, 0o600)
    return Summary(kind, len(media))


def _manifest(archive: tarfile.TarFile, source: Path) -> dict[str, object]:
    try:
        stored = archive.extractfile(MANIFEST)
        manifest = json.loads(stored.read()) if stored else None
    except (KeyError, ValueError, tarfile.TarError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is not a Lyceum backup (no manifest of format {FORMAT}).")
    return manifest


def _refuse_unless_empty_postgres(url: str) -> None:
    tables = _tool(
        "psql",
        "--no-psqlrc",
        "-tAc",
        "SELECT count(*) FROM pg_tables WHERE schemaname='public'",
        url,
    ).stdout.strip()
    if tables != "0":
        raise BackupError(
            f"The database {urlsplit(url).path.lstrip('/')} has {tables} table(s): restore into "
            "a new, empty database (createdb), never over an instance."
        )


def _refuse_unless_empty_sqlite(target: Path) -> None:
    if not target.exists() or target.stat().st_size == 0:
        return
    with sqlite3.connect(target) as existing:
        (tables,) = existing.execute(
            "SELECT count(*) FROM sqlite_master WHERE type='table'"
        ).fetchone()
    existing.close()
    if tables:
        raise BackupError(
            f"{target} already holds a database: restore into a new data directory or file."
        )
