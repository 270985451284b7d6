"""The archive in Datasette: the shipped metadata adapted to a file, and the server command.

Datasette names a database after its file's stem, so the metadata written for the database called
``archive`` in ``metadata.yml`` is re-keyed to that stem. The server binds 127.0.0.1 only and is
read-only: no write canned queries, no plugins that write.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import yaml  # a Datasette dependency

from archive.schema import open_archive

HOST = "127.0.0.1"
# Datasette settings `serve` passes (benchmarks/queries.py times pages with the same ones). Suggested
# facets run a query per column on every page (3/4 of a page's time on the views); the configured
# facets and the column menu's "Facet by this" stay.
DATASETTE_SETTINGS = {"sql_time_limit_ms": 5000, "suggest_facets": False}


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


def datasette_command(db_path: str, port: int, metadata_file: Path) -> list[str]:
    return [sys.executable, "-m", "datasette", "serve", db_path, "--host", HOST, "--port", str(port),
            "--metadata", str(metadata_file),
            *(part for name, value in DATASETTE_SETTINGS.items() for part in ("--setting", name, str(value)))]


def serve(db_path: str, port: int) -> int:
    """Run Datasette on ``db_path`` until it stops; its exit code. Stopping this process (SIGTERM)
    stops Datasette too, so no server outlives the command that started it."""
    open_archive(db_path).close()  # apply pending migrations before serving it read-only
    with tempfile.TemporaryDirectory() as scratch:
        metadata_file = Path(scratch) / "metadata.json"
        metadata_file.write_text(json.dumps(metadata_for(db_path)), encoding="utf-8")
        server = subprocess.Popen(datasette_command(db_path, port, metadata_file))
        previous = signal.signal(signal.SIGTERM, lambda *_: server.terminate())
        try:
            return server.wait()
        finally:
            signal.signal(signal.SIGTERM, previous)
            if server.poll() is None:
                server.terminate()
                server.wait(timeout=10)
