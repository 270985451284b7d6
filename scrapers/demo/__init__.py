"""`paywatch demo`: two nights of saved responses replayed from 127.0.0.1 into a fresh archive.

Night 1 and night 2 are real-shaped platform replies written for the demo. Between them one range
is raised, one widened, a posting opens and one closes; the demo crawls both nights with the real
`paywatch crawl` and prints each night's summary and then the diff of night 2 against night 1.
Netflix's board (Eightfold) holds the ML/AI postings the project was born from, with the market
ranges in Netflix's own wording: a Product Manager - Machine Learning Platform at $300,000 - $900,000,
a Research Scientist (ML) at $390,000 - $900,000 (raised to $420,000 - $960,000 on night 2) and a
Machine Learning Engineering Manager at up to $849,000; the demo ends with where to see them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

from archive.raw import raw_dir_for
from scrapers.demo.replay import ReplayServer

DEMO_DIR = Path(__file__).parent
NIGHTS = ("night1", "night2")
# Politeness towards our own loopback server is not needed; it keeps the demo to seconds.
# `paywatch serve`'s default port and the dashboard archive/metadata.yml names `pay`.
DASHBOARD_URL = "http://127.0.0.1:8001/-/dashboards/pay"
FAST_LOCAL_SETTINGS = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS_PER_DOMAIN=8")


def replay_settings(server_url: str, night: str) -> list[str]:
    """Every platform's base URL pointed at ``/<night>/<platform>`` on the replay server."""
    from scrapers.platforms import PLATFORMS

    settings = [f"{spider.base_url_setting}={server_url}/{night}/{name}" for name, spider in sorted(PLATFORMS.items())]
    return settings + [f"LEVER_EU_API_URL={server_url}/{night}/lever"]


# `demo --nodes`: a demo night takes seconds; a node job still running after this is stuck.
DEMO_NODE_WAIT_S = 300


def crawl_command(db: str, registry: Path, settings: list[str], cluster: list[str] = ()) -> list[str]:
    command = [sys.executable, "-m", "scrapers.cli", "crawl", "--db", db, "--registry", str(registry),
               "--log-level", "WARNING", *cluster]
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


def _run_nights(db: str, keep: bool, cluster: list[str]) -> int:
    db_path = Path(db)
    if not keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        # The fresh archive's raw captures start fresh too, or a rebuild from them would replay old runs.
        shutil.rmtree(raw_dir_for(db_path), ignore_errors=True)
    # Each platform's saved replies have their own manifest: routes_<platform>.json.
    mounts = {f"/{night}": sorted((DEMO_DIR / night).glob("routes*.json")) for night in NIGHTS}
    night_started: dict[str, str] = {}
    with ReplayServer(mounts) as server:
        for number, night in enumerate(NIGHTS, start=1):
            if number > 1:
                time.sleep(1)  # crawl times have one-second resolution; keep the nights apart
            night_started[night] = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
            print(f"\n== Night {number}: crawling the saved {night} responses from {server.url}", flush=True)
            code = subprocess.call(crawl_command(str(db_path), DEMO_DIR / "companies.toml",
                                                 replay_settings(server.url, night), cluster))
            if code != 0:
                print(f"paywatch demo: night {number} crawl failed (exit {code})", file=sys.stderr)
                return code
        if server.misses:
            print(f"paywatch demo: unexpected requests: {server.misses}", file=sys.stderr)
            return 1
    print(f"\n== What changed on night 2 (paywatch diff --since {night_started['night2']} --db {db_path})", flush=True)
    code = subprocess.call([sys.executable, "-m", "scrapers.cli", "diff", "--since", night_started["night2"],
                            "--db", str(db_path)])
    print(f"\nArchive written to {db_path}. See it in the browser:\n"
          f"  paywatch serve --db {db_path}\n"
          f"  then open {DASHBOARD_URL} (pay over time, ML/AI roles against the rest)")
    return code
