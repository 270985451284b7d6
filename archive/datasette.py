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

Datasette runs in a child process so that its connections are all closed when it exits, before the
held reader closes. The port is tried before anything says it is serving (uvicorn would print that it
cannot bind only after the child started, and exit 3, paywatch's code for an unusable archive), and
SIGTERM or Ctrl-C stops the child and ends the command with 0: being asked to stop is not a failure.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any, Callable

import yaml  # a Datasette dependency

from archive.access import ArchiveUnusable, open_read_only, reading_mode

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


class PortUnavailable(RuntimeError):
    """Datasette could not listen on the port asked for (in use, or not this user's to take)."""


def _bind(port: int) -> None:
    # As uvicorn binds (SO_REUSEADDR), so a port a stopped server left in TIME_WAIT is free here too.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((HOST, port))


def free_port_near(port: int) -> int:
    """The first free port of the next few after ``port``, else any free one."""
    for candidate in range(port + 1, min(port + 20, 65535) + 1):
        try:
            _bind(candidate)
            return candidate
        except OSError:
            continue
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def check_port(port: int) -> None:
    """Raise ``PortUnavailable`` (one line, naming a free port when this one is taken) unless Datasette
    can listen on 127.0.0.1:``port``. Another program can still take it in the moment before Datasette
    binds it; ``serve`` then reports Datasette's failure."""
    try:
        _bind(port)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PortUnavailable(f"port {port} is in use; try --port {free_port_near(port)}") from None
        raise PortUnavailable(f"cannot listen on {HOST}:{port}: {error.strerror or error}") from None


class DatasetteFailed(RuntimeError):
    """Datasette stopped by itself, with an error (its own messages are on stderr above)."""


def _stop_with_parent() -> None:
    """In Datasette's child process: be sent SIGTERM when ``serve`` dies, even by SIGKILL, so no
    server outlives the command (Linux; elsewhere the signal handlers below do it when they can)."""
    if sys.platform.startswith("linux"):
        parent = os.getppid()
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the request was made
            os.kill(os.getpid(), signal.SIGTERM)


def serve(db_path: str, port: int, *, immutable: bool = False, started: Callable[[], None] = lambda: None) -> int:
    """Run Datasette on ``db_path`` until it stops or this process is told to stop (SIGTERM, SIGINT):
    then 0. A file that is not a paywatch archive raises ``ArchiveUnusable`` and a port Datasette
    cannot listen on ``PortUnavailable``, both before Datasette starts; ``started`` is called once
    both are checked. Datasette stopping by itself with an error raises ``DatasetteFailed``. Stopping
    this process stops Datasette too, so no server outlives the command that started it."""
    # A read-only mount or directory whose archive SQLite cannot open in place is served as immutable,
    # as the read commands read it (archive.access.reading_mode), with no flag needed.
    immutable = immutable or reading_mode(db_path) == "immutable=1"
    try:
        reader = open_read_only(db_path, immutable=immutable)
    except ArchiveUnusable as error:
        if not immutable and not os.access(Path(db_path).absolute().parent, os.W_OK):
            raise ArchiveUnusable(f"{error}; on a read-only share, serve it with --immutable") from None
        raise
    if immutable:
        reader.close()  # nothing to hold: an immutable open leaves nothing beside the file
    server: subprocess.Popen | None = None
    stop_asked: list[int] = []

    def stop(signum: int, _frame: Any) -> None:
        # Each signal is passed on: uvicorn shuts down gracefully on the first and at once on a second.
        stop_asked.append(signum)
        if server is not None and server.poll() is None:
            server.terminate()

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        check_port(port)
        started()
        with tempfile.TemporaryDirectory() as scratch:
            metadata_file = Path(scratch) / "metadata.json"
            metadata_file.write_text(json.dumps(metadata_for(db_path)), encoding="utf-8")
            server = subprocess.Popen(datasette_command(db_path, port, metadata_file, immutable),
                                      preexec_fn=_stop_with_parent)
            if stop_asked:  # a signal came before there was a child to pass it to
                server.terminate()
            try:
                code = server.wait()
            finally:
                if server.poll() is None:
                    server.terminate()
                    server.wait(timeout=10)
        if stop_asked:
            return 0  # uvicorn re-raises the signal it was stopped by: -15 or -2 says nothing went wrong
        if code != 0:
            raise DatasetteFailed(f"Datasette stopped with exit code {code}")
        return 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if not immutable:
            reader.close()  # after Datasette's connections: the last to close removes -wal and -shm
