"""How a command opens an archive: read-only for a report, created or migrated up front for a crawl.

A file that is not, or cannot become, a paywatch archive (not SQLite, a directory, another program's
SQLite file, a directory that does not exist) is one ``ArchiveUnusable`` error naming it, raised
before a crawl sends any request.

Why reading does not use SQLite's ``mode=ro``: on a WAL archive a read-only connection creates the
``-wal`` and ``-shm`` files and, being read-only, cannot remove them when it closes, so a report
would leave files beside the archive. A read-write connection that refuses every write
(``PRAGMA query_only``) reads the same and removes them on close, leaving the directory as it was;
the archive file itself is never written (there is nothing to checkpoint). ``mode=ro`` is used only
when those files already exist (a crawl is writing, or one was killed: closing a read-write connection
would then checkpoint its pages into the file) or the directory is not writable.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from archive.schema import BUSY_TIMEOUT_MS, migrations, open_archive


class ArchiveUnusable(RuntimeError):
    """The file is not a paywatch archive, or cannot be opened or migrated."""


def open_read_only(path: str, *, immutable: bool = False) -> Database:
    """The paywatch archive at ``path`` (which exists), for reading only; nothing is migrated or written.
    ``immutable``: a copy nobody writes (a read-only share), opened without locks or files beside it."""
    db = _reader(path, immutable)
    kind = _kind(db)
    if kind != "paywatch":
        db.close()
        raise ArchiveUnusable(f"{path} is not a paywatch archive ({kind})")
    return db


def refuse_foreign(path: str) -> None:
    """Raise ``ArchiveUnusable`` if ``path`` exists and is not a paywatch archive or an empty file: what
    ``prepare_archive`` refuses, asked before a crawl takes ``<path>.lock``, so a file or directory
    that is not ours is left with nothing beside it."""
    if Path(path).exists():
        db = _reader(path)
        try:
            kind = _kind(db)
        finally:
            db.close()
        if kind not in ("paywatch", "empty"):
            raise ArchiveUnusable(f"{path} is not a paywatch archive ({kind})")


def prepare_archive(path: str) -> None:
    """Create or migrate the archive at ``path`` now, so a crawl that could not write it stops before
    its first request. An existing SQLite file of another program is refused, not migrated into."""
    refuse_foreign(path)
    try:
        open_archive(path).close()
    except (sqlite3.Error, OSError) as error:
        raise ArchiveUnusable(f"cannot open or migrate {path}: {error}") from None


def _reader(path: str, immutable: bool = False) -> Database:
    archive = Path(path)
    if archive.is_dir():
        raise ArchiveUnusable(f"{path} is a directory, not a paywatch archive")
    leave_as_is = Path(f"{path}-wal").exists() or not os.access(archive.absolute().parent, os.W_OK)
    mode = "immutable=1" if immutable else f"mode={'ro' if leave_as_is else 'rw'}"
    uri = f"{archive.absolute().as_uri()}?{mode}"
    try:
        connection = sqlite3.connect(uri, uri=True)
        connection.execute("PRAGMA query_only = ON")
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    except sqlite3.Error as error:
        raise ArchiveUnusable(f"cannot open {path}: {error}") from None
    return Database(connection)


def _kind(db: Database) -> str:
    """"paywatch", "empty" (no tables yet), or what else the file is."""
    try:
        if migrations.applied(db):
            return "paywatch"
        return "an SQLite file of another program" if db.table_names() else "empty"
    except sqlite3.Error as error:  # "file is not a database"
        return str(error)
