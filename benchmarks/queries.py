"""How fast the archive answers at size: every Datasette view page (its first page, and one facet),
every canned query (default parameters) and `paywatch diff --since <last night>`.

Usage: python benchmarks/queries.py [--scale N] [--quick] [--reps N] [--rebuild]

The archive is synthetic and built through `archive.store.ingest_crawl`, as the crawls build it:
30 nights of 20 companies with 1,000 postings each (20,000 postings a night; `--scale 10`: 200,000),
2% of each company's postings replaced every night, and 1% of them given a new pay range. Two thirds
publish pay, a tenth are ML/AI roles. It is built once and cached under /tmp (named by its size);
`--rebuild` builds it again. `--quick` is 5 nights of 2,000 postings, to try the script.

Pages are requested through Datasette's own test client (the same metadata and settings as `paywatch
serve`); `diff` runs as a subprocess, the way a user runs it. Each is timed --reps times, taking turns
with a baseline measured in the same run: `/-/versions.json` (a Datasette page that reads no table)
for the pages, `paywatch --help` (Python and the CLI's imports) for diff. The table prints the median
ms, the median minus its baseline, and the goal: < 100 ms for diff, < 200 ms per page or query at 1x,
< 1 s at 10x.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from archive.companies import sync_companies  # noqa: E402
from archive.datasette import datasette_app, metadata_for  # noqa: E402
from archive.schema import open_archive  # noqa: E402
from archive.store import ingest_crawl  # noqa: E402

COMPANIES = 20
NIGHTS = 30
CHURN = 0.02
PAY_CHANGES = 0.01
TITLES = [("Software Engineer", "engineering", False), ("Machine Learning Engineer", "engineering", True),
          ("Product Manager", "product", False), ("AI Product Manager", "product", True),
          ("Data Scientist", "data", False), ("Research Scientist, Machine Learning", "research", True),
          ("Designer", "design", False), ("Producer", "production", False), ("Animator", "art", False),
          ("Recruiter", "people", False)]
WORDS = ("build ship scale render stream content studio model pipeline data platform team global "
         "mission craft story audience analytics inference training product design film series").split()


def archive_path(postings_a_night: int, nights: int) -> Path:
    return Path(f"/tmp/paywatch-bench-{nights}x{postings_a_night}.db")


def make_posting(company: str, number: int, rng: random.Random, pay_level: int) -> dict:
    title, role_type, ai_related = TITLES[number % len(TITLES)] if number % 10 else TITLES[1 + 2 * (number % 3)]
    ranges = []
    if number % 3:
        low = 80_000 + (number * 7919) % 150_000 + pay_level * 5_000
        ranges.append({"min": low, "max": low + 60_000, "currency": "USD", "period": "year",
                       "basis": "total" if number % 7 == 0 else "base", "label": None, "raw": f"${low}",
                       "source": "text", "period_inferred": False, "annual_min": low, "annual_max": low + 60_000,
                       "annualized": False})
    words = " ".join(rng.choice(WORDS) for _ in range(40))
    return {"platform": "greenhouse", "company": company, "ref": str(number), "title": f"{title} {number % 97}",
            "url": f"https://example.test/{company}/{number}", "department": role_type,
            "locations": ["Los Angeles, CA"], "description": f"{title}. {words}.",
            "pay_text": f"level {pay_level}" if ranges else None, "pay_ranges": ranges, "role_type": role_type,
            "ai_related": ai_related, "seniority": "senior" if number % 4 == 0 else "mid"}


def build(path: Path, postings_a_night: int, nights: int) -> None:
    """The synthetic archive: ``nights`` nights of COMPANIES companies, written by ingest_crawl."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    rng = random.Random(11)
    db = open_archive(str(path))
    names = [f"company{number:02d}" for number in range(COMPANIES)]
    sync_companies(db, [{"slug": name, "name": name.title(), "sector": "studio" if number % 2 else "tech",
                         "platform": "greenhouse"} for number, name in enumerate(names)])
    per_company = postings_a_night // COMPANIES
    listing = {name: list(range(per_company)) for name in names}
    pay_level = {name: {} for name in names}
    next_number = {name: per_company for name in names}
    started = time.perf_counter()
    for night in range(nights):
        for name in names:
            if night:
                for _ in range(int(per_company * CHURN)):  # replaced: one closes, one opens
                    listing[name].pop(rng.randrange(len(listing[name])))
                    listing[name].append(next_number[name])
                    next_number[name] += 1
                for number in rng.sample(listing[name], int(per_company * PAY_CHANGES)):
                    pay_level[name][number] = pay_level[name].get(number, 0) + 1
            items = [make_posting(name, number, random.Random(number), pay_level[name].get(number, 0))
                     for number in listing[name]]
            ingest_crawl(db, company=name, platform="greenhouse", items=items,
                         started_at=f"2026-10-{1 + night:02d}T03:00:00+00:00",
                         finished_at=f"2026-10-{1 + night:02d}T03:30:00+00:00")
        print(f"  night {night + 1}/{nights} written ({time.perf_counter() - started:.0f} s)", flush=True)
    db.close()


def pages(metadata: dict, db_name: str) -> list[tuple[str, str]]:
    """(label, path) of every view's first page and one facet, then every canned query."""
    database = metadata["databases"][db_name]
    views = ("companies", "open_postings", "pay_history", "range_changes", "posting_lifetimes", "current_postings",
             "pay_changes", "version_detail", "crawls")
    found = []
    for view in views:
        found.append((view, f"/{db_name}/{view}"))
        facet = "sector" if view == "companies" else "company"
        found.append((f"{view} ?_facet={facet}", f"/{db_name}/{view}?_facet={facet}"))
    found.append(("open_postings ?_search=", f"/{db_name}/open_postings?_search=machine"))
    found.append(("pay_history ?company=", f"/{db_name}/pay_history?company=company03"))
    for query in database["queries"]:
        found.append((f"query {query}", f"/{db_name}/{query}"))
    found.append(("dashboard pay (page)", "/-/dashboards/pay?currency=USD"))
    for chart, spec in metadata["plugins"]["datasette-dashboards"]["pay"]["charts"].items():
        if "query" in spec:
            # As the dashboard's default filters ask: USD, any company, role type and basis.
            sql = re.sub(r"\[\[ AND ([\w.]+) = :(company|role_type|basis) \]\]", "", spec["query"])
            sql = re.sub(r"\[\[ AND ([\w.]+) = :currency \]\]", r"AND \1 = 'USD'", sql)
            assert "[[" not in sql, sql
            found.append((f"dashboard chart {chart}", f"/{db_name}.json?sql={quote(sql)}&_shape=objects"))
    return found


async def time_pages(path: Path, reps: int) -> list[tuple[str, float, float]]:
    metadata = metadata_for(str(path))
    datasette = datasette_app(str(path))
    await datasette.invoke_startup()
    results = []
    for label, url in pages(metadata, path.stem):
        own, baseline, timed_out = [], [], False
        for _ in range(reps):
            for target, into in ((url, own), ("/-/versions.json", baseline)):
                started = time.perf_counter()
                response = await datasette.client.get(target)
                into.append((time.perf_counter() - started) * 1000)
                if response.status_code not in (200, 302):
                    raise SystemExit(f"{target}: HTTP {response.status_code}: {response.text[:300]}")
                # A facet past facet_time_limit_ms, or a query past sql_time_limit_ms: fast, but not the page.
                timed_out |= "facets-timed-out" in response.text or "took too long" in response.text
        results.append((label, statistics.median(own), statistics.median(baseline), timed_out))
    return results


def time_diff(path: Path, reps: int) -> tuple[float, float, str]:
    db = open_archive(str(path))
    last_night = db.execute("SELECT max(started_at) FROM crawls").fetchone()[0]
    db.close()
    diff = [sys.executable, "-m", "scrapers.cli", "diff", "--since", last_night, "--db", str(path)]
    help_only = [sys.executable, "-m", "scrapers.cli", "--help"]
    own, baseline = [], []
    for _ in range(reps):
        for command, into in ((diff, own), (help_only, baseline)):
            started = time.perf_counter()
            subprocess.run(command, cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)
            into.append((time.perf_counter() - started) * 1000)
    return statistics.median(own), statistics.median(baseline), last_night


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1, help="postings a night, in units of 20,000")
    parser.add_argument("--quick", action="store_true", help="5 nights of 2,000 postings")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true", help="build the cached archive again")
    args = parser.parse_args()
    postings_a_night, nights = (2_000, 5) if args.quick else (20_000 * args.scale, NIGHTS)
    path = archive_path(postings_a_night, nights)
    if args.rebuild or not path.exists():
        print(f"building {path} ({nights} nights x {postings_a_night:,} postings) ...", flush=True)
        build(path, postings_a_night, nights)
    db = open_archive(str(path))
    sizes = {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
             for table in ("postings", "posting_versions", "pay_ranges", "version_changes", "crawls")}
    db.close()
    print(f"{path}: {path.stat().st_size / 1e6:.0f} MB, " + ", ".join(f"{n:,} {t}" for t, n in sizes.items()))
    goal_ms = 200 if args.scale == 1 else 1000
    rows = [(label, own, base, goal_ms, timed_out)
            for label, own, base, timed_out in asyncio.run(time_pages(path, args.reps))]
    diff_ms, diff_base, last_night = time_diff(path, args.reps)
    rows.append((f"paywatch diff --since {last_night} (subprocess)", diff_ms, diff_base, 100 if args.scale == 1 else 1000,
                 False))
    width = max(len(label) for label, *_ in rows)
    print(f"\n{'page or query':<{width}}  {'ms':>8}  {'baseline':>8}  {'- base':>8}  {'goal':>6}  ok")
    for label, own, base, goal, timed_out in rows:
        ok = "NO (part timed out)" if timed_out else "yes" if own - base < goal else "NO"
        print(f"{label:<{width}}  {own:8.1f}  {base:8.1f}  {own - base:8.1f}  {goal:6d}  {ok}")
    print("\nbaseline: /-/versions.json for pages (taking turns), `paywatch --help` for diff; ok compares ms - baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
