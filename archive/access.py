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

On a read-only mount or directory with no ``-wal`` beside the archive, ``mode=ro`` cannot open a WAL
archive at all (SQLite would need to create ``-shm``: "unable to open database file"). Every committed
write is then in the file itself and no crawl can be writing it through a ``-wal``, so the file is read
as ``immutable``: without locks or files beside it. With a ``-wal`` there, ``mode=ro`` reads it
(immutable would miss what the ``-wal`` holds).
"""

from __future__ import annotations

import errno
import os
import sqlite3
from contextlib import closing
from pathlib import Path

from sqlite_utils import Database

from archive.schema import BUSY_TIMEOUT_MS, migrations, open_archive


class ArchiveUnusable(RuntimeError):
    """The file is not a paywatch archive, or cannot be opened or migrated."""


class DiskFull(ArchiveUnusable):
    """The disk that holds the archive (or its captures) is full: nothing more can be archived tonight."""


def is_disk_full(error: BaseException) -> bool:
    """True for SQLite's SQLITE_FULL ("database or disk is full") and the OS's ENOSPC."""
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return True
    return isinstance(error, sqlite3.Error) and (
        getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "disk is full" in str(error))


def open_read_only(path: str, *, immutable: bool = False) -> Database:
    """The paywatch archive at ``path`` (which exists), for reading only; nothing is migrated or written.
    ``immutable``: a copy nobody writes (a read-only share), opened without locks or files beside it."""
    db = _reader(path, immutable)
    kind = _kind(db)
    if kind != "paywatch":
        db.close()
        raise ArchiveUnusable(f"{path} is not a paywatch archive ({kind})")
    return db


def refuse_unusable(path: str) -> None:
    """``ArchiveUnusable`` if ``path`` exists and is not a paywatch archive (or an empty file) a crawl
    could write: read only, so a crawl refuses someone else's file before it leaves a lock beside it."""
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
    refuse_unusable(path)
    try:
        open_archive(path).close()
    except (sqlite3.Error, OSError) as error:
        raise ArchiveUnusable(f"cannot open or migrate {path}: {error}") from None


def reading_mode(path: str, immutable: bool = False) -> str:
    """How ``open_read_only`` opens the archive at ``path``: "immutable=1", "mode=ro" or "mode=rw"
    (see the module's docstring); ``serve`` hands Datasette the same. An archive that cannot be read
    at all is ``ArchiveUnusable``, saying why."""
    archive = Path(path)
    if archive.is_dir():
        raise ArchiveUnusable(f"{path} is a directory, not a paywatch archive")
    # Asked, never tried by opening: closing any descriptor of the file would drop every POSIX lock this
    # process holds on it through SQLite (a crawl's writer), and another process closing the archive
    # would then take itself for the last one and delete the -wal the writer is still writing.
    if not os.access(archive, os.R_OK):
        raise ArchiveUnusable(f"cannot read {path}: {os.strerror(errno.EACCES)}")
    if immutable:
        return "immutable=1"
    has_wal = Path(f"{path}-wal").exists()
    if not has_wal and os.access(archive.absolute().parent, os.W_OK):
        return "mode=rw"
    if not has_wal and not _opens(archive, "mode=ro"):
        return "immutable=1"  # a read-only mount or directory: nothing can be writing it through a -wal
    return "mode=ro"


def _opens(archive: Path, mode: str) -> bool:
    try:
        with closing(sqlite3.connect(f"{archive.absolute().as_uri()}?{mode}", uri=True)) as connection:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as error:
        # What SQLite says when it cannot create -shm: on a read-only mount, in a directory not this user's.
        if "unable to open" in str(error) or "readonly database" in str(error):
            return False
        raise ArchiveUnusable(f"cannot read {archive}: {error}") from None
    except sqlite3.DatabaseError:
        return True  # not SQLite at all: told apart by _kind, which names it
    return True


def _reader(path: str, immutable: bool = False) -> Database:
    archive = Path(path)
    uri = f"{archive.absolute().as_uri()}?{reading_mode(path, immutable)}"
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
