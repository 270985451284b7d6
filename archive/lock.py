"""One crawl writes an archive at a time.

SQLite already serialises the writes themselves (``BEGIN IMMEDIATE`` waits for the lock), but two
nights' crawls overlapping on one archive would interleave their companies' crawls and race on what
counts as "the previous crawl". So ``paywatch crawl`` holds an exclusive lock on ``<archive>.lock``
for the whole night, and a second crawl refuses at the start, before it sends any request. The lock
is an OS file lock (``fcntl.flock``): it goes away with the process, even after kill -9.
"""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


class ArchiveBusy(RuntimeError):
    """Another paywatch crawl is writing this archive."""


@contextmanager
def crawl_lock(db_path: str) -> Iterator[Path]:
    lock_path = Path(f"{db_path}.lock")
    with open(lock_path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ArchiveBusy(f"another paywatch crawl is writing {db_path}; try again when it has finished") from None
        try:
            yield lock_path
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
