"""What a cluster's Scrapyd nodes need of the archive (docs/SCALE.md), written by the archive machine
before it schedules a night and read by the nodes' spiders, which have no archive of their own.

A crawl chooses which details to read tonight from the archive's record of the company's open
postings (``archive.store.detail_history``: each one's list fingerprint and when its detail was last
read). A node without it would read every detail every night and take every Greenhouse entry as new,
so its crawls would differ from the archive machine's own. Each company's record is one JSON file,
``<dir>/<platform>/<company>.json``, ``{ref: [list_hash, detail_read_at]}``; a company with none
(new to the archive) has every posting new, as on a first night.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable

from sqlite_utils import Database

from archive.raw import safe_file_stem
from archive.store import detail_history


def history_path(directory: str | os.PathLike, company: str, platform: str) -> Path:
    return Path(directory) / safe_file_stem(platform) / f"{safe_file_stem(company)}.json"


def write_detail_histories(db: Database, companies: Iterable[tuple[str, str]], directory: str | os.PathLike) -> int:
    """Write the record of each (company, platform) under ``directory``; how many were written. Each
    file appears whole (written under a temporary name, then renamed)."""
    written = 0
    for company, platform in companies:
        path = history_path(directory, company, platform)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
        with open(temporary, "w", encoding="utf-8") as out:
            json.dump({ref: list(known) for ref, known in sorted(detail_history(db, company, platform).items())}, out)
        os.replace(temporary, path)
        written += 1
    return written


def read_detail_history(directory: str | os.PathLike, company: str, platform: str) -> dict[str, tuple] | None:
    """The record written for ``company`` on ``platform``, or None when there is none (or it is not a
    record: a broken handoff makes every posting new tonight, it never stops a crawl)."""
    try:
        data = json.loads(history_path(directory, company, platform).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {str(ref): (known[0], known[1]) for ref, known in data.items()
            if isinstance(known, list) and len(known) == 2}
