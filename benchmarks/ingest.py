#!/usr/bin/env python
"""Issue 10's archive-write benchmark: ``archive.store.ingest_crawl`` night after night.

    python benchmarks/ingest.py [--postings 20000] [--nights 30] [--companies 4] [--quick] [--keep DIR]
                                [--source DIR]

``--postings`` made-up postings (``benchmarks/synthetic.py``: titles, ~3 KB descriptions, pay ranges,
locations), split over ``--companies`` Greenhouse companies, for ``--nights`` nights: night 0 every
posting is new, then each night 2% of them change (four in ten a pay raise, four a description edit,
one a closure, one an opening). Each night, in alternating order:

- paywatch: ``ingest_crawl`` of every company's items (what the pipelines hand the archive writer)
  into an archive opened with ``open_archive``, as the crawl does;
- the baseline: plain ``sqlite3``, one transaction a company: read the latest hashes, hash the
  items, ``executemany`` only the changed rows into a versions table and a latest-state table (the
  least any versioned archive must do: find what changed, write only that; the time of the
  ``executemany`` calls alone is shown too);
- from captures: what the archive machine of a cluster does (issue 14, docs/SCALE.md): each
  company's raw capture, written beforehand as a node writes it (untimed), read back, ingested by
  ``archive.raw.ingest_captures`` into a third archive and kept again in its raw directory.

Printed: seconds a night of each, and their ratio on night 0 and on the steady nights (medians;
issue 10's goal: paywatch <= 3x the baseline on a steady night), the ingest rate from captures and
how many companies of the registry's mean size (``nightlab.REAL_POSTINGS``) one archive writer can
take in a night, and the archive's size against a table holding every posting every night (one
night's snapshot written for real, times the nights). Exit code 1 when paywatch's archive disagrees
with the board (open postings, versions written), or the archive ingested from captures is not the
same history as the one ingested directly.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.archive_equal import compare  # noqa: E402
from benchmarks.nightlab import REAL_POSTINGS  # noqa: E402
from benchmarks.synthetic import Board  # noqa: E402

FIRST_NIGHT = datetime(2026, 11, 2, 3, 0, tzinfo=timezone.utc)
BASELINE_SCHEMA = """
CREATE TABLE latest (company TEXT, ref TEXT, hash TEXT, last_seen TEXT, closed INTEGER DEFAULT 0,
                     PRIMARY KEY (company, ref));
CREATE TABLE versions (id INTEGER PRIMARY KEY, company TEXT, ref TEXT, night TEXT, hash TEXT, item TEXT);
"""
SNAPSHOT_SCHEMA = "CREATE TABLE snapshots (night TEXT, company TEXT, ref TEXT, item TEXT);"


def night_items(board: Board, at: str) -> list[dict[str, Any]]:
    return [board.archived_item(posting, at) for posting in board.postings.values()]


def item_hash(item: dict[str, Any]) -> str:
    tracked = {key: value for key, value in item.items() if key not in ("scraped_at", "updated_at")}
    return hashlib.sha256(json.dumps(tracked, sort_keys=True).encode("utf-8")).hexdigest()


def baseline_write(connection: sqlite3.Connection, company: str, items: list[dict[str, Any]], at: str) -> tuple[int, float]:
    """The least a versioned archive can do: find what changed, write only that. (Rows changed, seconds
    of those spent writing them.)"""
    with connection:
        known = dict(connection.execute("SELECT ref, hash FROM latest WHERE company = ? AND closed = 0", [company]))
        hashed = [(item["ref"], item_hash(item), item) for item in items]
        changed = [(ref, digest, item) for ref, digest, item in hashed if known.get(ref) != digest]
        writing = time.perf_counter()
        connection.executemany("INSERT INTO versions (company, ref, night, hash, item) VALUES (?, ?, ?, ?, ?)",
                               [(company, ref, at, digest, json.dumps(item)) for ref, digest, item in changed])
        connection.executemany("INSERT OR REPLACE INTO latest (company, ref, hash, last_seen) VALUES (?, ?, ?, ?)",
                               [(company, ref, digest, at) for ref, digest, _item in changed])
        listed = {ref for ref, _digest, _item in hashed}
        gone = [(company, ref) for ref in known if ref not in listed]
        connection.executemany("UPDATE latest SET closed = 1 WHERE company = ? AND ref = ?", gone)
        writing = time.perf_counter() - writing
    return len(changed) + len(gone), writing


def file_size(path: Path) -> int:
    """Bytes of the database, its WAL checkpointed in."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_count = connection.execute("PRAGMA page_count").fetchone()[0]
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    finally:
        connection.close()
    return page_count * page_size


def snapshot_night_size(path: Path, boards: list[Board], at: str) -> int:
    """Bytes one night of an every-posting-every-night table takes (descriptions included)."""
    connection = sqlite3.connect(path)
    connection.executescript(SNAPSHOT_SCHEMA)
    with connection:
        for board in boards:
            connection.executemany("INSERT INTO snapshots VALUES (?, ?, ?, ?)",
                                   [(at, board.company, item["ref"], json.dumps(item)) for item in night_items(board, at)])
    connection.close()
    return file_size(path)


def check_archive(db: Path, boards: list[Board], versions_expected: int) -> list[str]:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        problems = []
        for board in boards:
            open_refs = {ref for (ref,) in connection.execute(
                "SELECT ref FROM postings WHERE company = ? AND closed_at IS NULL", [board.company])}
            # What the last night took down is missed once: the next night's listing closes it.
            truth = {board.ref(posting) for posting in board.postings.values()} | board.closed_tonight
            if open_refs != truth:
                problems.append(f"{board.company}: {len(open_refs ^ truth)} postings open in the archive but not on "
                                "the board, or the other way round")
        versions = connection.execute("SELECT count(*) FROM posting_versions").fetchone()[0]
        if versions != versions_expected:
            problems.append(f"{versions} versions in the archive, {versions_expected} postings opened or changed")
        statuses = {status for (status,) in connection.execute("SELECT DISTINCT status FROM crawls")}
        if statuses != {"complete"}:
            problems.append(f"crawl statuses {sorted(statuses)}, not all complete")
        return problems
    finally:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description="ingest_crawl night after night against a raw executemany (issue 10)")
    parser.add_argument("--postings", type=int, default=20_000)
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--companies", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="4,000 postings, 6 nights")
    parser.add_argument("--keep", type=Path, help="keep the archives in this directory")
    parser.add_argument("--source", type=Path, metavar="DIR",
                        help="benchmark the archive code of another checkout (e.g. `git archive main | tar -x -C DIR`)")
    args = parser.parse_args()
    # Imported here, so --source decides whose archive package is measured.
    sys.path.insert(0, str((args.source or REPO_ROOT).resolve()))
    from archive.raw import ingest_captures, write_capture
    from archive.schema import open_archive
    from archive.store import ingest_crawl
    print(f"archive code from {Path(sys.modules['archive.store'].__file__).parent.parent}")
    if args.quick:
        args.postings, args.nights = 4_000, 6
    boards = [Board(f"bench_company_{number}", args.postings // args.companies) for number in range(args.companies)]
    print(f"== {args.nights} nights x {sum(len(b.postings) for b in boards)} postings in {args.companies} companies, "
          "2% changing a night", flush=True)
    with tempfile.TemporaryDirectory(prefix="paywatch-ingest-bench-") as temporary:
        workdir = args.keep or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        archive_path, baseline_path = workdir / "archive.db", workdir / "baseline.db"
        ingested_path, node_dir, kept_dir = workdir / "from-captures.db", workdir / "node-captures", workdir / "kept"
        for path in (archive_path, baseline_path, ingested_path, workdir / "snapshot.db"):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        for directory in (node_dir, kept_dir):
            shutil.rmtree(directory, ignore_errors=True)
        archive = open_archive(str(archive_path))
        ingested = open_archive(str(ingested_path))
        baseline = sqlite3.connect(baseline_path)
        baseline.execute("PRAGMA journal_mode=wal")
        baseline.executescript(BASELINE_SCHEMA)
        snapshot_bytes = snapshot_night_size(workdir / "snapshot.db", boards, FIRST_NIGHT.isoformat())
        timings: dict[str, list[float]] = {"paywatch": [], "baseline": [], "writing": [], "captures": []}
        versions_expected = 0
        print(f"{'night':>5}{'changes':>9}{'paywatch s':>12}{'baseline s':>12}{'(writing)':>11}{'ratio':>8}"
              f"{'captures s':>12}{'/ paywatch':>12}", flush=True)
        for night in range(args.nights):
            at = (FIRST_NIGHT + timedelta(days=night)).isoformat()
            if night:
                changes = [board.advance() for board in boards]
                versions_expected += sum(change["pay"] + change["description"] + change["open"] for change in changes)
            else:
                versions_expected += sum(len(board.postings) for board in boards)
            items = {board.company: night_items(board, at) for board in boards}
            # What the nodes hand over: each company's capture, written as a node's writer writes it.
            captures = [write_capture(node_dir, dict(company=board.company, platform="greenhouse", started_at=at,
                                                     finished_at=at, code_version="benchmark"), items[board.company])
                        for board in boards]
            spent: dict[str, float] = {}
            tools = ("paywatch", "baseline", "captures")
            order = tools[night % 3:] + tools[:night % 3]
            changed_rows, writing = 0, 0.0
            for tool in order:
                started = time.perf_counter()
                if tool == "captures":
                    for path in captures:
                        ingest_captures([path], ingested, keep_dir=kept_dir)
                    spent[tool] = time.perf_counter() - started
                    timings[tool].append(spent[tool])
                    continue
                for board in boards:
                    if tool == "paywatch":
                        ingest_crawl(archive, company=board.company, platform="greenhouse", items=items[board.company],
                                     started_at=at, finished_at=at, code_version="benchmark")
                    else:
                        rows, seconds = baseline_write(baseline, board.company, items[board.company], at)
                        changed_rows, writing = changed_rows + rows, writing + seconds
                spent[tool] = time.perf_counter() - started
                timings[tool].append(spent[tool])
            timings["writing"].append(writing)
            print(f"{night:>5}{changed_rows:>9}{spent['paywatch']:>12.3f}{spent['baseline']:>12.3f}{writing:>11.3f}"
                  f"{spent['paywatch'] / spent['baseline']:>7.1f}x{spent['captures']:>12.3f}"
                  f"{spent['captures'] / spent['paywatch']:>11.2f}x", flush=True)
        archive.close()
        ingested.close()
        baseline.close()
        problems = check_archive(archive_path, boards, versions_expected)
        problems += [f"from captures: {difference[:300]}" for difference in compare(archive_path, ingested_path)]
        archive_bytes, baseline_bytes = file_size(archive_path), file_size(baseline_path)

    steady = {tool: statistics.median(values[1:]) for tool, values in timings.items()} if args.nights > 1 else None
    print()
    print(f"night 0 (all new): paywatch {timings['paywatch'][0]:.2f} s, baseline {timings['baseline'][0]:.2f} s, "
          f"{timings['paywatch'][0] / timings['baseline'][0]:.1f}x")
    if steady:
        print(f"steady night (median of {args.nights - 1}): paywatch {steady['paywatch']:.3f} s, baseline "
              f"{steady['baseline']:.3f} s, {steady['paywatch'] / steady['baseline']:.1f}x (goal <= 3x); the baseline's "
              f"executemany alone {steady['writing']:.3f} s")
    postings = sum(len(board.postings) for board in boards)
    registry_mean = statistics.mean(count for count, _source in REAL_POSTINGS.values())
    night_seconds = 5 * 3600  # PAYWATCH_NIGHT_HOURS' default
    first_rate = postings / timings["captures"][0]
    print(f"one archive writer, from captures: night 0 {first_rate:,.0f} postings/s "
          f"({timings['captures'][0] / timings['paywatch'][0]:.2f}x ingesting directly)", end="")
    if steady:
        steady_rate = postings / steady["captures"]
        print(f", steady night {steady_rate:,.0f} postings/s ({steady['captures'] / steady['paywatch']:.2f}x "
              "ingesting directly)")
        print(f"at the registry's mean of {registry_mean:,.0f} postings a company ({len(REAL_POSTINGS)} companies, "
              f"nightlab.REAL_POSTINGS), one writer takes {steady_rate * night_seconds / registry_mean:,.0f} companies "
              f"in a 5-hour steady night, {first_rate * night_seconds / registry_mean:,.0f} on a first night")
    else:
        print()
    projected = snapshot_bytes * args.nights
    print(f"archive after {args.nights} nights: {archive_bytes / 1e6:.1f} MB; baseline's {baseline_bytes / 1e6:.1f} MB; "
          f"every posting every night: {projected / 1e6:.0f} MB ({snapshot_bytes / 1e6:.1f} MB a night written, "
          f"x {args.nights}); archive / snapshots = {archive_bytes / projected:.3f}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
