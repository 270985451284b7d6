"""`paywatch demo`: saved responses replayed from 127.0.0.1 into a fresh archive, three nights.

Night 1 and night 2 are real-shaped platform replies written for the demo. Between them ranges are
raised and one widened, postings open and others leave the boards. Night 3 replays night 2's replies
a day later: a posting is closed only once two listings in a row miss it, dated the night it was first
missed, so night 3 closes what night 2 no longer listed. The demo crawls each night with the real
`paywatch crawl` and prints each night's summary, Netflix's ML/AI postings after night 1, then what
changed since night 2. Netflix's board (Eightfold) holds the ML/AI postings the project was born from,
with the market ranges in Netflix's own wording: a Product Manager - Machine Learning Platform at
$300,000 - $900,000 total compensation, a Research Scientist (ML) at $390,000 - $900,000 (raised to
$420,000 - $960,000 on night 2) and a Machine Learning Engineering Manager at up to $849,000.

The nights are dated as nightly crawls would have been, night 1 a week ago, night 2 two days ago and
night 3 yesterday
(``PAYWATCH_CRAWL_TIME``; each crawl row keeps when it really ran, ``replayed_at``), so the archive's
"over time" charts, ``days_open`` and ``diff --since "2 days ago"`` read as they would on a real one.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack, closing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from archive.access import open_read_only
from archive.datasette import canned_query
from archive.raw import raw_dir_for
from scrapers.demo.replay import ReplayServer

DEMO_DIR = Path(__file__).parent
# The saved replies each night replays: night 3's boards are night 2's, so it confirms night 2's absences.
NIGHTS = ("night1", "night2", "night2")
# Politeness towards our own loopback server is not needed; it keeps the demo to seconds.
# `paywatch serve`'s default port and the dashboard archive/metadata.yml names `pay`.
DASHBOARD_URL = "http://127.0.0.1:8001/-/dashboards/pay"
FAST_LOCAL_SETTINGS = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS_PER_DOMAIN=8")
# When the shipped timer crawls (deploy/paywatch-crawl.timer), and how many days before today each
# night was: most of a week between the first two, so days_open and "N days ago" have days to count.
NIGHT_TIME = (3, 15)
NIGHTS_AGO = (7, 2, 1)
BAD_INPUT = 2  # the CLI's exit code for a usage the demo refuses


def replay_settings(server_url: str, night: str) -> list[str]:
    """Every platform's base URL pointed at ``/<night>/<platform>`` on the replay server."""
    from scrapers.platforms import PLATFORMS

    settings = [f"{spider.base_url_setting}={server_url}/{night}/{name}" for name, spider in sorted(PLATFORMS.items())]
    return settings + [f"LEVER_EU_API_URL={server_url}/{night}/lever"]


# `demo --nodes`: a demo night takes seconds; a node job still running after this is stuck.
DEMO_NODE_WAIT_S = 300


def night_times(now: datetime) -> list[datetime]:
    """When each demo night is dated: NIGHTS_AGO days before ``now``'s UTC day, at NIGHT_TIME."""
    today = now.astimezone(timezone.utc).replace(hour=NIGHT_TIME[0], minute=NIGHT_TIME[1], second=0, microsecond=0)
    return [today - timedelta(days=days) for days in NIGHTS_AGO]


def crawl_command(db: str, registry: Path, settings: list[str], cluster: list[str] = ()) -> list[str]:
    command = [sys.executable, "-m", "scrapers.cli", "crawl", "--db", db, "--registry", str(registry), *cluster]
    for setting in [*settings, *FAST_LOCAL_SETTINGS]:
        command += ["-s", setting]
    return command


def run_demo(db: str = "paywatch-demo.db", keep: bool = False, nodes: int = 0) -> int:
    """The demo's two nights into ``db``; with ``nodes``, crawled on that many Scrapyd nodes started
    on 127.0.0.1 for it (the egg built and deployed to each, the nodes stopped at the end), their
    captures ingested into ``db`` by this machine as ``paywatch crawl --nodes`` does."""
    if not nodes:
        return _run_nights(db, keep, [])
    from scrapers.cluster import LocalNode, build_egg, deploy_egg

    with tempfile.TemporaryDirectory(prefix="paywatch-demo-nodes-") as work, ExitStack() as running:
        work_dir = Path(work)
        print(f"== Building paywatch's Scrapyd egg and starting {nodes} Scrapyd nodes on 127.0.0.1", flush=True)
        egg = build_egg(work_dir / "egg")
        urls = []
        for number in range(1, nodes + 1):
            node = running.enter_context(LocalNode(work_dir / f"node{number}", max_seconds=3 * DEMO_NODE_WAIT_S))
            spiders = deploy_egg(node.url, egg)
            print(f"   node {number}: {node.url} (pid {node.process.pid}), {spiders} spiders deployed", flush=True)
            urls.append(node.url)
        return _run_nights(db, keep, ["--nodes", ",".join(urls), "--shared-dir", str(work_dir / "shared"),
                                      "-s", f"PAYWATCH_NODE_WAIT={DEMO_NODE_WAIT_S}"])


def _newest_crawl(db_path: Path) -> str | None:
    if not db_path.exists():
        return None
    with closing(open_read_only(str(db_path))) as archive:
        return archive.execute("SELECT max(started_at) FROM crawls").fetchone()[0]


def _run_nights(db: str, keep: bool, cluster: list[str]) -> int:
    db_path = Path(db)
    dated = night_times(datetime.now(timezone.utc))
    if not keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        # The fresh archive's raw captures start fresh too, or a rebuild from them would replay old runs.
        shutil.rmtree(raw_dir_for(db_path), ignore_errors=True)
    else:
        newest = _newest_crawl(db_path)
        # The archive is history in time order: nights dated before a crawl it holds would rewrite it.
        if newest is not None and newest >= dated[0].isoformat():
            print(f"paywatch demo: {db_path} already holds crawls dated {newest[:10]}; the demo's nights are dated "
                  f"{dated[0].date()} to {dated[-1].date()}, so --keep cannot append them after it (run without "
                  "--keep for a fresh archive)", file=sys.stderr)
            return BAD_INPUT
    # Each platform's saved replies have their own manifest: routes_<platform>.json.
    mounts = {f"/{night}": sorted((DEMO_DIR / night).glob("routes*.json")) for night in NIGHTS}
    with ReplayServer(mounts) as server:
        for number, (night, at) in enumerate(zip(NIGHTS, dated), start=1):
            print(f"\n== Night {number}, dated {at:%Y-%m-%d %H:%M} UTC: replaying the saved {night} responses "
                  f"from {server.url}", flush=True)
            if night in NIGHTS[:number - 1]:
                print(f"   (the boards as {night} left them: what it no longer listed is missed a second time, and "
                      "closed)", flush=True)
            settings = [*replay_settings(server.url, night), f"PAYWATCH_CRAWL_TIME={at.isoformat()}"]
            code = subprocess.call(crawl_command(str(db_path), DEMO_DIR / "companies.toml", settings, cluster))
            if code != 0:
                print(f"paywatch demo: night {number} crawl failed (exit {code})", file=sys.stderr)
                return code
            if number == 1:
                print(f"\n== Netflix's ML/AI postings after night 1, with their published ranges (the archive's "
                      f"ai_roles query)\n{ml_postings_table(str(db_path), 'netflix')}", flush=True)
        if server.misses:
            print(f"paywatch demo: unexpected requests: {server.misses}", file=sys.stderr)
            return 1
    since = dated[1].date().isoformat()
    print(f"\n== Changes since night 2: paywatch diff --since {since} --db {db_path}", flush=True)
    code = subprocess.call([sys.executable, "-m", "scrapers.cli", "diff", "--since", since, "--db", str(db_path)])
    print(f"\nArchive written to {db_path}. See it in the browser:\n"
          f"  paywatch serve --db {db_path}\n"
          f"  then open {DASHBOARD_URL} (pay over time, ML/AI roles against the rest)")
    return code


def ml_postings_table(db: str, company: str) -> str:
    """``company``'s ML/AI postings as the archive holds them, a range a line, read-only."""
    from tabulate import tabulate

    with closing(open_read_only(db)) as archive:
        rows = canned_query(archive, "ai_roles", company=company)
    return tabulate([[row["title"], spoken_range(row), row["basis"] if row["basis"] != "unknown" else "",
                      "open" if row["status"] == "open" else "closed"] for row in rows],
                    headers=["title", "range", "basis", "status"], tablefmt="simple", disable_numparse=True)


def spoken_range(row: dict[str, Any]) -> str:
    """A range as a reader says it: ``USD 300,000–900,000 a year``; a posting without one says so."""
    if row["min"] is None:
        return "no published pay"
    low, high = f"{row['min']:,.0f}", f"{row['max']:,.0f}"
    return f"{row['currency']} {low if low == high else f'{low}–{high}'} a{'n' if row['period'] == 'hour' else ''} {row['period']}"
