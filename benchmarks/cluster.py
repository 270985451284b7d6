#!/usr/bin/env python
"""Issue 14's cluster benchmark: the registry's nights crawled in one process and on local Scrapyd
nodes, timed side by side, and their archives compared.

    python benchmarks/cluster.py [--nodes 2] [--scale 0.02] [--nights 2] [--latency 0.02] [--quick]

Every company of the shipped registry gets a board in its platform's real reply shape
(``benchmarks/nightlab.py``, ``--scale`` times its real size), served from 127.0.0.1 with
``--latency`` seconds a request. Night 1 is a first crawl; then ``--nights`` steady nights with a real
night's churn. Each night is crawled twice, taking turns which goes first:

- **one process**: ``paywatch crawl``, the baseline;
- **on the nodes**: ``paywatch crawl --nodes`` on ``--nodes`` Scrapyd nodes started on 127.0.0.1 for
  the run (the egg built and deployed to each, ``max_proc`` 2 each, stopped by PID at the end).

Each into its own archive. Printed: each night's seconds for both and their ratio, medians; and whether the two archives hold the same history after every night
(``benchmarks/archive_equal.py``; ``crawls.requests`` left out, since every node job reads the host's
robots.txt itself). On one 2-core machine the nodes share its cores, so the ratio is the cluster's
overhead (a Scrapy process a job, Scrapyd's polling), not the speed-up separate machines give; see
docs/SCALE.md. Exit code 1 when the archives differ or a night is not complete.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.archive_equal import compare  # noqa: E402
from benchmarks.faultlab import LabConfig, crawl_command, crawl_env, crawl_settings  # noqa: E402
from benchmarks.nightlab import NightServer, boards  # noqa: E402
from scrapers import settings as defaults  # noqa: E402
from scrapers.platforms import load_registry  # noqa: E402

REGISTRY = REPO_ROOT / "scrapers" / "companies.toml"
CRAWL_TIMEOUT_S = 1800


def night_crawl(db: Path, settings: list[str], cluster: list[str]) -> tuple[int, float, str]:
    command = crawl_command(db, REGISTRY, settings) + cluster
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=REPO_ROOT, env=crawl_env(), capture_output=True, text=True,
                              timeout=CRAWL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return -1, time.monotonic() - started, f"killed after {CRAWL_TIMEOUT_S} s"
    return done.returncode, time.monotonic() - started, done.stderr


def statuses(db: Path, night: int) -> dict[str, int]:
    """Crawl statuses of the night's crawls (each company's ``night``-th crawl)."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT status, count(*) FROM (SELECT company, status, row_number() OVER "
            "(PARTITION BY company ORDER BY id) AS place FROM crawls) WHERE place = ? GROUP BY status", [night])
        return dict(rows.fetchall())
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=2, help="local Scrapyd nodes (default 2)")
    parser.add_argument("--scale", type=float, default=0.02, help="board sizes against real ones (default 0.02)")
    parser.add_argument("--nights", type=int, default=2, help="steady nights after the first (default 2)")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds the server takes to answer")
    parser.add_argument("--quick", action="store_true", help="scale 0.01, 1 steady night")
    args = parser.parse_args(argv)
    if args.quick:
        args.scale, args.nights = 0.01, 1
    if not 1 <= args.nodes <= 8 or not 0 < args.scale <= 0.5 or args.nights < 0:
        parser.error("--nodes within 1-8, --scale within (0, 0.5], --nights at least 0")
    try:
        from scrapers.cluster import LocalNode, build_egg, deploy_egg
    except ImportError as error:
        parser.error(f"needs the scale extra (pip install -e '.[scale]'): {error}")

    companies = load_registry(REGISTRY)
    config = LabConfig(download_timeout=10.0, retry_times=1, lever_page_size=100, server_max_seconds=3600)
    # The night's length scaled with the boards, as benchmarks/night.py does, so each company's
    # default detail budget and time limit are its scaled share of the night, in both crawls alike.
    common = [f"PAYWATCH_NIGHT_HOURS={defaults.PAYWATCH_NIGHT_HOURS * args.scale:g}", "PAYWATCH_NODE_WAIT=1500"]
    print(f"# cluster.py: {len(companies)} companies, scale {args.scale:g}, night 1 + {args.nights} steady nights, "
          f"one process against {args.nodes} local Scrapyd node{'s' if args.nodes > 1 else ''}", flush=True)
    seconds: dict[str, list[float]] = {"one process": [], "nodes": []}
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="paywatch-cluster-bench-") as temporary, ExitStack() as running:
        workdir = Path(temporary)
        egg = build_egg(workdir / "egg")
        urls = []
        for number in range(1, args.nodes + 1):
            node = running.enter_context(LocalNode(workdir / f"node{number}", max_seconds=3 * CRAWL_TIMEOUT_S))
            deploy_egg(node.url, egg)
            urls.append(node.url)
        server = running.enter_context(NightServer(boards(companies, args.scale), latency=args.latency,
                                                   max_seconds=config.server_max_seconds))
        settings = crawl_settings(server.url, config) + common
        archives = {"one process": workdir / "one-process.db", "nodes": workdir / "nodes.db"}
        cluster = {"one process": [], "nodes": ["--nodes", ",".join(urls), "--shared-dir", str(workdir / "shared")]}
        print(f"{'night':>5}{'one process s':>15}{'nodes s':>10}{'ratio':>8}  same history", flush=True)
        for night in range(1, args.nights + 2):
            server.set_night(night)
            order = ("one process", "nodes") if night % 2 else ("nodes", "one process")
            for variant in order:
                code, took, stderr = night_crawl(archives[variant], settings, cluster[variant])
                seconds[variant].append(took)
                if code != 0:
                    problems.append(f"night {night}, {variant}: exit {code}: {stderr.strip().splitlines()[-1:]}")
            differences = compare(archives["one process"], archives["nodes"], ignore_columns=frozenset({"requests"}))
            problems += [f"night {night}: {difference[:400]}" for difference in differences]
            for variant, db in archives.items():
                night_statuses = statuses(db, night)
                if set(night_statuses) != {"complete"}:
                    problems.append(f"night {night}, {variant}: crawl statuses {night_statuses}")
            print(f"{night:>5}{seconds['one process'][-1]:>15.1f}{seconds['nodes'][-1]:>10.1f}"
                  f"{seconds['nodes'][-1] / seconds['one process'][-1]:>7.1f}x  {'yes' if not differences else 'NO'}",
                  flush=True)
    steady = {variant: statistics.median(values[1:]) for variant, values in seconds.items() if len(values) > 1}
    print(f"\nnight 1: one process {seconds['one process'][0]:.1f} s, on {args.nodes} nodes {seconds['nodes'][0]:.1f} s "
          f"({seconds['nodes'][0] / seconds['one process'][0]:.1f}x)")
    if steady:
        print(f"steady night (median of {args.nights}): one process {steady['one process']:.1f} s, on the nodes "
              f"{steady['nodes']:.1f} s ({steady['nodes'] / steady['one process']:.1f}x)")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
