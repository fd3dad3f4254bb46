"""``flask backup create|restore``: consistent copies of the database.

SQLite: ``create`` uses SQLite's online backup API (``sqlite3.Connection.backup``), which copies
one consistent snapshot while the app keeps running (WAL readers and writers are not blocked for
long). ``restore`` checks the copy (``PRAGMA integrity_check``, an ``alembic_version`` table),
copies it into a temporary file beside the target and renames it over the target atomically; it
refuses to replace an existing database without ``--yes``. Stop the app servers and workers before
restoring over a live database (their open connections would keep the old file).

PostgreSQL: ``create`` runs ``pg_dump --format=custom`` and ``restore`` runs ``pg_restore --clean
--if-exists --no-owner --single-transaction`` when the client tools are on PATH; otherwise the
command prints what to run. The password, if any, goes through PGPASSWORD, never the command line.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

backup_group = AppGroup("backup", help="Database backups (SQLite online backup; pg_dump).")


class BackupError(Exception):
    """The backup or restore was refused or failed; the message says why."""


# ---------------------------------------------------------------------------------------------
# SQLite
def sqlite_path(url: str) -> Path:
    database = sa.make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def check_sqlite_copy(path: Path) -> None:
    """Refuse a file that is not a sound database of this application."""
    if not path.is_file():
        raise BackupError(f"no such file: {path}")
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
            has_schema = connection.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                "AND name = 'alembic_version'").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database: {exc}") from None
    if verdict != "ok":
        raise BackupError(f"{path} failed the integrity check: {verdict}")
    if not has_schema:
        raise BackupError(f"{path} has no alembic_version table: not a marketplace database")


def _copy_sqlite(source: Path, destination: Path) -> None:
    """One consistent snapshot of ``source`` written to ``destination`` (a rollback journal, so
    the copy is a single self-contained file)."""
    with closing(sqlite3.connect(source, timeout=30)) as src, \
            closing(sqlite3.connect(destination)) as dst:
        src.backup(dst)  # pages=-1: the whole database in one step, under one read snapshot
        dst.execute("PRAGMA journal_mode=DELETE")


def backup_sqlite(url: str, destination: Path, *, overwrite: bool = False) -> Path:
    """Copy the live database to ``destination`` (via a temporary file renamed into place)."""
    source = sqlite_path(url)
    if not source.is_file():
        raise BackupError(f"the database file {source} does not exist")
    destination = destination.resolve()
    if destination == source.resolve():
        raise BackupError("the backup would overwrite the database itself")
    if destination.exists() and not overwrite:
        raise BackupError(f"{destination} exists; pass --yes to replace it")
    destination.parent.mkdir(parents=True, exist_ok=True)
    temp = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    try:
        _copy_sqlite(source, temp)
        check_sqlite_copy(temp)
        os.replace(temp, destination)
    finally:
        temp.unlink(missing_ok=True)
    return destination


def restore_sqlite(source: Path, url: str, *, overwrite: bool = False) -> Path:
    """Replace the database file of ``url`` with the backup ``source``, atomically."""
    check_sqlite_copy(source)
    target = sqlite_path(url).resolve()
    if source.resolve() == target:
        raise BackupError("the backup is the database itself")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists and would be overwritten; pass --yes to replace it "
                          "(stop the app servers and workers first)")
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.restore-{os.getpid()}")
    try:
        _copy_sqlite(source, temp)
        check_sqlite_copy(temp)
        if target.exists():
            # fold the old write-ahead log into the old file: a stale -wal beside the restored
            # file would otherwise be replayed onto it
            with closing(sqlite3.connect(target, timeout=30)) as old:
                old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        os.replace(temp, target)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
    finally:
        temp.unlink(missing_ok=True)
    return target


# ---------------------------------------------------------------------------------------------
# PostgreSQL
def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment that carries it."""
    parsed = sa.make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    # URL.set() ignores None, so the password is dropped with the tuple's _replace
    uri = parsed.set(drivername="postgresql")._replace(password=None) \
        .render_as_string(hide_password=False)
    return uri, env


def pg_dump_command(url: str, destination: Path) -> tuple[list[str], dict[str, str]]:
    uri, env = libpq_target(url)
    return ["pg_dump", "--format=custom", "--no-owner", f"--file={destination}",
            f"--dbname={uri}"], env


def pg_restore_command(url: str, source: Path) -> tuple[list[str], dict[str, str]]:
    uri, env = libpq_target(url)
    return ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
            "--exit-on-error", f"--dbname={uri}", str(source)], env


def _run(command: list[str], env: dict[str, str], shown: list[str] | None = None) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not on PATH: install the PostgreSQL client tools "
                          f"(Debian/Ubuntu: apt-get install postgresql-client) or run:\n  "
                          + " ".join(shown or command))
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()}")


def backup_postgres(url: str, destination: Path, *, overwrite: bool = False) -> Path:
    destination = destination.resolve()
    if destination.exists() and not overwrite:
        raise BackupError(f"{destination} exists; pass --yes to replace it")
    destination.parent.mkdir(parents=True, exist_ok=True)
    temp = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    command, env = pg_dump_command(url, temp)
    try:
        _run(command, env, shown=pg_dump_command(url, destination)[0])
        os.replace(temp, destination)
    finally:
        temp.unlink(missing_ok=True)
    return destination


def restore_postgres(source: Path, url: str, *, overwrite: bool = False) -> None:
    if not source.is_file():
        raise BackupError(f"no such file: {source}")
    if not overwrite:
        raise BackupError("pg_restore --clean replaces every table of the target database; "
                          "pass --yes to go ahead (stop the app servers and workers first)")
    command, env = pg_restore_command(url, source)
    _run(command, env)


# ---------------------------------------------------------------------------------------------
# one entry point per verb, by backend
def create_backup(url: str, destination: Path, *, overwrite: bool = False) -> Path:
    """Back up the database at ``url`` to ``destination``."""
    if sa.make_url(url).get_backend_name() == "sqlite":
        return backup_sqlite(url, destination, overwrite=overwrite)
    return backup_postgres(url, destination, overwrite=overwrite)


def restore_backup(source: Path, url: str, *, overwrite: bool = False) -> None:
    """Restore the backup ``source`` into the database at ``url``."""
    if sa.make_url(url).get_backend_name() == "sqlite":
        restore_sqlite(source, url, overwrite=overwrite)
    else:
        restore_postgres(source, url, overwrite=overwrite)


def _database_url(into: str | None) -> str:
    from marketplace.config import normalize_database_url

    return normalize_database_url(into) if into else current_app.config["SQLALCHEMY_DATABASE_URI"]


def _shown(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)


@backup_group.command("create")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace PATH if it exists.")
def backup_create(path: Path, yes: bool):
    """Write a consistent copy of the database to PATH (SQLite online backup; pg_dump -Fc)."""
    url = _database_url(None)
    try:
        written = create_backup(url, path, overwrite=yes)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backup of {_shown(url)} written to {written} ({written.stat().st_size} bytes)")


@backup_group.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--into", "into", metavar="DATABASE_URL",
              help="Restore into this database instead of the configured one.")
@click.option("--yes", is_flag=True, help="Replace the existing database.")
def backup_restore(path: Path, into: str | None, yes: bool):
    """Restore the backup at PATH into the configured database (or --into); asks for --yes."""
    url = _database_url(into)
    try:
        restore_backup(path, url, overwrite=yes)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored {path} into {_shown(url)}; run `flask db upgrade` if the backup is "
               "older than this release, then `flask ledger verify`")
