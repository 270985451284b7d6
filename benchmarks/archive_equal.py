#!/usr/bin/env python
"""Are two archives the same history? Every table's rows compared, ids mapped to identities.

    python benchmarks/archive_equal.py A.db B.db [--ignore-first-version-changes]

Row ids differ between two runs of the same nights only by the order things were written, and
timestamps by when they ran, so neither is compared as such: a crawl is (company, platform, its
place among that company's crawls), a posting is (platform, company, ref), a version is (posting,
version number), and every column that holds a time is masked to "set" or NULL. Every other value
of every row of every table (the views follow from them) must be equal, as a multiset.

``--ignore-first-version-changes`` leaves out ``version_changes`` rows of version 1 (issue 10: a
posting's first version needs no row per field; ``changed_fields`` still lists them).

Full-text index tables (FTS5 and its shadow tables) are left out: their blobs encode row ids, and
they are derived from the versions, which are compared.

Prints one line per table that differs, with a few of the differing rows; exit code 1 when any does.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections import Counter
from pathlib import Path
from typing import Any

TIME_COLUMNS = {"started_at", "finished_at", "first_seen_at", "last_seen_at", "closed_at", "observed_at", "at",
                "applied_at", "detail_read_at", "oldest_detail_at", "changed_after", "changed_at",
                "previous_observed_at", "replayed_at"}
VOLATILE_COLUMNS = {"code_version"}
# Tables written from others' rows (range_change_rows) name ids without a declared foreign key.
IMPLIED_REFERENCES = {"crawl_id": "crawls", "posting_id": "postings", "version_id": "posting_versions",
                      "current_version_id": "posting_versions"}


def identities(connection: sqlite3.Connection) -> dict[str, dict[Any, tuple]]:
    crawls: dict[Any, tuple] = {}
    place: Counter = Counter()
    for crawl_id, company, platform in connection.execute("SELECT id, company, platform FROM crawls ORDER BY id"):
        place[(company, platform)] += 1
        crawls[crawl_id] = ("crawl", company, platform, place[(company, platform)])
    postings = {posting_id: ("posting", platform, company, ref) for posting_id, platform, company, ref
                in connection.execute("SELECT id, platform, company, ref FROM postings")}
    versions = {version_id: ("version", postings[posting_id], version) for version_id, posting_id, version
                in connection.execute("SELECT id, posting_id, version FROM posting_versions")}
    return {"crawls": crawls, "postings": postings, "posting_versions": versions}


def table_rows(connection: sqlite3.Connection, table: str, ids: dict[str, dict[Any, tuple]],
               ignore_first_version_changes: bool, ignore_columns: frozenset[str] = frozenset()) -> Counter:
    columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
    references = {column: target for column, target in IMPLIED_REFERENCES.items() if column in columns}
    references.update({row[3]: row[2] for row in connection.execute(f"PRAGMA foreign_key_list({table})")})
    rows: Counter = Counter()
    for values in connection.execute(f"SELECT * FROM {table}"):
        row = []
        for column, value in zip(columns, values):
            if column in ignore_columns:
                value = "ignored"
            elif column in TIME_COLUMNS or column in VOLATILE_COLUMNS:
                value = None if value is None else "set"
            elif column == "id" and table in ids:
                value = ids[table][value]
            elif column == "id":
                value = "row"  # tables nothing points at: their rows are compared by their other columns
            elif column in references and references[column] in ids:
                value = ids[references[column]].get(value, ("missing", value))
            row.append((column, value))
        if ignore_first_version_changes and table == "version_changes" and dict(row)["version_id"][2] == 1:
            continue
        rows[tuple(row)] += 1
    return rows


FTS5_SHADOW_SUFFIXES = ("_data", "_idx", "_docsize", "_config", "_content")


def fts5_shadow_tables(connection: sqlite3.Connection) -> set[str]:
    """A full-text index's own b-tree tables: their blobs encode row ids, which differ between two runs
    by write order alone; the index is rebuilt from the versions it covers, which are compared."""
    names = [name for (name,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%fts5%'")]
    return {f"{name}{suffix}" for name in names for suffix in FTS5_SHADOW_SUFFIXES} | set(names)


def compare(first: Path, second: Path, ignore_first_version_changes: bool = False,
            ignore_columns: frozenset[str] = frozenset()) -> list[str]:
    """What differs between the two archives' histories (see the module docstring); ``ignore_columns``
    are left out everywhere (a cluster's nodes each fetch robots.txt, so ``crawls.requests`` differs)."""
    differences = []
    connections = [sqlite3.connect(f"file:{path}?mode=ro", uri=True) for path in (first, second)]
    try:
        tables = [sorted(name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                         if name not in fts5_shadow_tables(connection))
                  for connection in connections]
        if tables[0] != tables[1]:
            differences.append(f"tables differ: {tables[0]} against {tables[1]}")
        ids = [identities(connection) for connection in connections]
        for table in tables[0]:
            if table not in tables[1]:
                continue
            rows = [table_rows(connection, table, table_ids, ignore_first_version_changes, ignore_columns)
                    for connection, table_ids in zip(connections, ids)]
            only_first, only_second = rows[0] - rows[1], rows[1] - rows[0]
            if only_first or only_second:
                differences.append(
                    f"{table}: {sum(only_first.values())} rows only in {first.name}, {sum(only_second.values())} only "
                    f"in {second.name}; e.g. {list(only_first)[:2]} / {list(only_second)[:2]}")
    finally:
        for connection in connections:
            connection.close()
    return differences


def main() -> int:
    parser = argparse.ArgumentParser(description="Two archives compared row by row, ids mapped to identities")
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    parser.add_argument("--ignore-first-version-changes", action="store_true")
    args = parser.parse_args()
    for path in (args.first, args.second):
        if not path.exists():
            print(f"archive_equal: no archive at {path}", file=sys.stderr)
            return 2
    differences = compare(args.first, args.second, args.ignore_first_version_changes)
    for line in differences:
        print(line)
    if not differences:
        print(f"{args.first} and {args.second} hold the same history (ids mapped, times masked)")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
