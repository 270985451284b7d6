"""What raw captures cost: bytes per posting (gzip) and write time, and how long a rebuild takes.

Usage: python benchmarks/raw_capture.py [--reps N]

1. The demo's two nights, crawled for real (`paywatch demo`) with captures on: capture bytes per
   posting captured, against the uncompressed JSON and the archive's own size.
2. A synthetic 2,000-posting company: the 28 real postings of the Ashby fixtures (serval, lambda;
   full descriptions and structured pay) repeated with their own ids and titles, captured at the
   shipped compression level and at gzip's maximum, taking turns; bytes per posting and seconds.
3. The demo rebuilt from its captures (`rebuild_archive`) against the same crawls ingested from
   memory into a fresh archive, taking turns: what reading the captures adds to the archive write.
   Both rebuilt archives are checked to be row-for-row identical to the demo's, ids included.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from archive import raw  # noqa: E402
from archive.schema import open_archive  # noqa: E402
from archive.store import ingest_crawl  # noqa: E402
from scrapers.extract import ashby  # noqa: E402

TABLES = ("crawls", "postings", "posting_versions", "version_changes", "pay_ranges", "posting_events", "descriptions")


def uncompressed_size(path: Path) -> int:
    with gzip.open(path, "rb") as lines:
        return len(lines.read())


def same_rows(first: Path, second: Path) -> bool:
    a, b = sqlite3.connect(first), sqlite3.connect(second)
    return all(a.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()
               == b.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in TABLES)


def synthetic_company(postings: int) -> list[dict]:
    scraped = datetime(2026, 11, 1, 3, tzinfo=timezone.utc)
    real = []
    for board in ("serval", "lambda"):
        data = json.loads((REPO_ROOT / "tests/fixtures/ashby" / f"{board}.json").read_text(encoding="utf-8"))
        real += [ashby.parse_job(job, company="bigco", scraped_at=scraped) for job in ashby.board_jobs(data)]
    items = []
    for number in range(postings):
        item = vars(real[number % len(real)]).copy()
        item.update(ref=f"{number:08d}-{item['ref'][:18]}", title=f"{item['title']} ({number})",
                    role_type="engineering", ai_related=False, seniority="senior")
        items.append(item)
    return items


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="paywatch-raw-bench-"))

    # 1. the demo
    demo_db = work / "demo.db"
    demo = subprocess.run([sys.executable, "-m", "scrapers.cli", "demo", "--db", str(demo_db)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)
    if demo.returncode != 0:
        print(demo.stderr, file=sys.stderr)
        return 1
    captures = raw.captures_in_order(f"{demo_db}.raw")
    if not captures:
        print(f"the demo wrote no captures under {demo_db}.raw", file=sys.stderr)
        return 1
    loaded = [raw.read_capture(capture.path) for capture in captures]
    items = sum(len(capture.items) for capture in loaded)
    packed = sum(capture.path.stat().st_size for capture in captures)
    unpacked = sum(uncompressed_size(capture.path) for capture in captures)
    print(f"demo: {len(captures)} captures, {items} postings captured: {packed:,} bytes gzip "
          f"({packed / items:,.0f} bytes a posting; {unpacked / items:,.0f} uncompressed, {unpacked / packed:.1f}x); "
          f"the archive itself {demo_db.stat().st_size:,} bytes")

    # 2. a 2,000-posting company
    big = synthetic_company(2000)
    crawl = {"company": "bigco", "platform": "ashby", "listed_refs": {item["ref"] for item in big},
             "started_at": "2026-11-01T03:00:00+00:00", "finished_at": "2026-11-01T03:40:00+00:00",
             "status": "complete", "failure_reason": None, "dropped": 0, "code_version": "bench"}
    shipped = raw.COMPRESS_LEVEL
    timings: dict[int, list[float]] = {shipped: [], 9: []}
    sizes: dict[int, int] = {}
    for rep in range(args.reps):
        for level in (shipped, 9) if rep % 2 == 0 else (9, shipped):
            raw.COMPRESS_LEVEL = level
            started = time.perf_counter()
            path = raw.write_capture(work / f"big-{level}", crawl, big)
            timings[level].append(time.perf_counter() - started)
            sizes[level] = path.stat().st_size
            path.unlink()
    raw.COMPRESS_LEVEL = shipped
    path = raw.write_capture(work / "big", crawl, big)
    started = time.perf_counter()
    raw.read_capture(path)
    read_seconds = time.perf_counter() - started
    plain = uncompressed_size(path)
    for level in (shipped, 9):
        print(f"2,000-posting company, gzip level {level}: {sizes[level]:,} bytes ({sizes[level] / len(big):,.0f} "
              f"bytes a posting; {plain / len(big):,.0f} uncompressed), written in "
              f"{statistics.median(timings[level]):.3f} s (median of {args.reps})")
    print(f"  level {shipped} against 9: {sizes[shipped] / sizes[9]:.3f}x the bytes in "
          f"{statistics.median(timings[shipped]) / statistics.median(timings[9]):.2f}x the time; read back in "
          f"{read_seconds:.3f} s")

    # 3. rebuilding the demo
    rebuilt, direct = [], []
    for rep in range(args.reps):
        for kind in ("rebuild", "memory") if rep % 2 == 0 else ("memory", "rebuild"):
            target = work / f"{kind}-{rep}.db"
            started = time.perf_counter()
            if kind == "rebuild":
                raw.rebuild_archive(f"{demo_db}.raw", target)
                rebuilt.append(time.perf_counter() - started)
            else:
                db = open_archive(str(target))
                for capture in loaded:
                    ingest_crawl(db, **capture.crawl, items=capture.items)
                db.close()
                direct.append(time.perf_counter() - started)
            if not same_rows(demo_db, target):
                print(f"{kind}: the archive differs from the demo's", file=sys.stderr)
                return 1
    print(f"demo rebuild: {statistics.median(rebuilt):.3f} s for {len(captures)} crawls "
          f"({statistics.median(rebuilt) / len(captures) * 1000:.1f} ms a crawl); the same crawls ingested from "
          f"memory {statistics.median(direct):.3f} s: {statistics.median(rebuilt) / statistics.median(direct):.2f}x "
          f"(median of {args.reps}; every rebuilt archive identical to the demo's, ids included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
