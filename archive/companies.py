"""The ``companies`` table: who each company slug in the archive is (name, sector, platform, careers
page), so research can ask "studios against tech" without the registry file at hand.

It is reference data, not history: each crawl upserts the registry entries it crawls, so a renamed
company or a corrected sector shows at once. A company dropped from the registry keeps its row, because
its postings stay in the archive. This module knows nothing of the registry's types: entries are plain
mappings with the keys below.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from sqlite_utils import Database

COMPANY_COLUMNS = ("slug", "name", "sector", "platform", "careers_url")


def sync_companies(db: Database, entries: Iterable[Mapping[str, Any]]) -> int:
    """Upsert one ``companies`` row per entry (keyed by slug); the number of rows written."""
    rows = [{column: entry.get(column) for column in COMPANY_COLUMNS} for entry in entries]
    if rows:
        db.table("companies").upsert_all(rows, pk="slug")
    return len(rows)
