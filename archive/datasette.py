"""The archive in Datasette: the shipped metadata adapted to a file, and the server command.

Datasette names a database after its file's stem, so the metadata written for the database called
``archive`` in ``metadata.yml`` is re-keyed to that stem. The server binds 127.0.0.1 only and is
read-only: no write canned queries, no plugins that write, and the file is never migrated.

Datasette opens a file it may see change with SQLite's ``mode=ro``, which on a WAL archive creates
``-wal`` and ``-shm`` beside it and, being read-only, cannot remove them. So ``serve`` holds its own
reader (``archive.access.open_read_only``: read-write, refusing every write) open from before
Datasette starts until after it stops: that connection creates the two files and, closing last,
removes them, leaving the directory as it was, while a nightly crawl can still write the archive and
Datasette shows it. ``immutable`` serves a copy nobody writes, such as one on a read-only share,
with Datasette's ``-i``: SQLite then takes no lock and opens no file beside it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any, Callable

import yaml  # a Datasette dependency

from archive.access import ArchiveUnusable, open_read_only

HOST = "127.0.0.1"
# Datasette settings `serve` passes (benchmarks/queries.py times pages with the same ones). Suggested
# facets run a query per column on every page (3/4 of a page's time on the views); the configured
# facets and the column menu's "Facet by this" stay.
DATASETTE_SETTINGS = {"sql_time_limit_ms": 5000, "suggest_facets": False}
# Plugins for the archive's server only (see archive/datasette_plugins), passed as --plugins-dir.
PLUGINS_DIR = str(resources.files("archive").joinpath("datasette_plugins"))


def metadata_for(db_path: str) -> dict[str, Any]:
    """The shipped Datasette metadata, keyed by the database name Datasette gives this file."""
    metadata = yaml.safe_load(resources.files("archive").joinpath("metadata.yml").read_text(encoding="utf-8"))
    name = Path(db_path).stem
    metadata["databases"] = {name: metadata["databases"]["archive"]}
    # The dashboards' charts and filters name the database they query: the same one.
    for dashboard in metadata.get("plugins", {}).get("datasette-dashboards", {}).values():
        for part in [*dashboard.get("charts", {}).values(), *dashboard.get("filters", {}).values()]:
            if part.get("db") == "archive":
                part["db"] = name
    return metadata


def canned_query(db: Any, name: str, **params: str) -> list[dict[str, Any]]:
    """The rows the shipped canned query ``name`` gives on ``db`` (an open archive): what its page in
    the browser shows, for a command that prints the same answer."""
    sql = yaml.safe_load(resources.files("archive").joinpath("metadata.yml").read_text(encoding="utf-8"))[
        "databases"]["archive"]["queries"][name]["sql"]
    return list(db.query(sql, params))


def datasette_app(db_path: str) -> Any:
    """A Datasette application on ``db_path`` as ``serve`` runs it (same metadata, settings and plugins),
    for Datasette's test client: the tests and benchmarks/queries.py."""
    from datasette.app import Datasette

    return Datasette([db_path], metadata=metadata_for(db_path), settings=dict(DATASETTE_SETTINGS),
                     plugins_dir=PLUGINS_DIR)


def datasette_command(db_path: str, port: int, metadata_file: Path, immutable: bool = False) -> list[str]:
    database = ["--immutable", db_path] if immutable else [db_path]
    return [sys.executable, "-m", "datasette", "serve", *database, "--host", HOST, "--port", str(port),
            "--metadata", str(metadata_file), "--plugins-dir", PLUGINS_DIR,
            *(part for name, value in DATASETTE_SETTINGS.items() for part in ("--setting", name, str(value)))]


def serve(db_path: str, port: int, *, immutable: bool = False, started: Callable[[], None] = lambda: None) -> int:
    """Run Datasette on ``db_path`` until it stops; its exit code. A file that is not a paywatch
    archive raises ``ArchiveUnusable`` before Datasette starts; ``started`` is called once it is
    checked. Stopping this process (SIGTERM) stops Datasette too, so no server outlives the command
    that started it."""
    try:
        reader = open_read_only(db_path, immutable=immutable)
    except ArchiveUnusable as error:
        if not immutable and not os.access(Path(db_path).absolute().parent, os.W_OK):
            raise ArchiveUnusable(f"{error}; on a read-only share, serve it with --immutable") from None
        raise
    if immutable:
        reader.close()  # nothing to hold: an immutable open leaves nothing beside the file
    try:
        started()
        with tempfile.TemporaryDirectory() as scratch:
            metadata_file = Path(scratch) / "metadata.json"
            metadata_file.write_text(json.dumps(metadata_for(db_path)), encoding="utf-8")
            server = subprocess.Popen(datasette_command(db_path, port, metadata_file, immutable))
            previous = signal.signal(signal.SIGTERM, lambda *_: server.terminate())
            try:
                return server.wait()
            finally:
                signal.signal(signal.SIGTERM, previous)
                if server.poll() is None:
                    server.terminate()
                    server.wait(timeout=10)
    finally:
        if not immutable:
            reader.close()  # after Datasette's connections: the last to close removes -wal and -shm
