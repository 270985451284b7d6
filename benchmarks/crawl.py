#!/usr/bin/env python
"""Issue 10's crawl benchmark: ``paywatch crawl`` against a bare Scrapy spider on the same boards.

    python benchmarks/crawl.py [--boards 400] [--jobs 50] [--rounds 3] [--quick]
                               [--concurrency 32] [--before DIR] [--profile] [--profile-boards 100] [--keep DIR]

A loopback server (127.0.0.1, stops itself after ``--server-seconds``) replays N Greenhouse boards
of ``--jobs`` postings each in the real board reply's shape (``benchmarks/synthetic.py``), on two
deterministic nights: night 0, then night 1 where 2% of the postings changed. Each round, in
alternating order, ``paywatch crawl`` (a subprocess, the real command, a fresh archive per round:
night 0 is every posting new, night 1 a steady night) and ``benchmarks/bare_spider.py`` (one
request per board, ``json.loads``, one dict per job, no pipelines) read both nights with politeness
off (no robots.txt, no delay, no AutoThrottle, ``--concurrency`` requests at a time).

Printed per night: jobs/s of each (medians over the rounds) and their ratio (issue 10's goal:
paywatch >= 0.3x the bare spider), the same per CPU-second of the child (user + system time, far
steadier than wall time on a shared machine), the peak RSS of each process (goal <= 300 MB for 400 x 50; the
command's own ``ru_maxrss``, taken by a small launcher so this process's memory is not inherited), and the per-company overhead: paywatch's extra wall
time over the bare spider's, per board. ``--before DIR`` (repeatable) adds a crawler running
paywatch's code from DIR (another checkout) to the same rounds: a change measured before and after under the same
load. ``--profile`` then runs night 0 of ``--profile-boards`` boards under cProfile and prints
where paywatch's time goes.

Exit code 1 when a crawl fails or reads fewer jobs than were served.
"""

from __future__ import annotations

import argparse
import cProfile  # noqa: F401  (run as ``python -m cProfile``; imported so a missing module fails early)
import json
import os
import pstats
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.synthetic import Board  # noqa: E402
from scrapers.demo.replay import LoopbackServer, QuietHandler, read_request  # noqa: E402

HOST = "127.0.0.1"
NIGHTS = (0, 1)
BOARD_PATH = "/greenhouse/v1/boards/{token}/jobs"
ROBOTS_TXT = b"User-agent: *\nAllow: /\n"


# ------------------------------------------------------------------------------------------------
# The boards and the server that replays them.
# ------------------------------------------------------------------------------------------------
def company_slug(number: int) -> str:
    return f"bench_studio_{number:04d}"


def make_boards(count: int, jobs: int) -> list[Board]:
    return [Board(company_slug(number), jobs) for number in range(count)]


def render_night(boards: list[Board], night: int) -> dict[str, bytes]:
    """Every board's reply on ``night`` (boards start at night 0 and only move forward)."""
    payloads = {}
    for board in boards:
        while board.night < night:
            board.advance()
        payloads[BOARD_PATH.format(token=board.token())] = json.dumps(board.greenhouse_board()).encode("utf-8")
    return payloads


class BusyServer(ThreadingHTTPServer):
    request_queue_size = 128  # hundreds of boards asked for at once: no connection refused for a full queue


class BoardServer(LoopbackServer):
    """``with BoardServer(nights, max_seconds) as server:`` serves ``nights[server.night]`` on 127.0.0.1."""

    def __init__(self, nights: dict[int, dict[str, bytes]], max_seconds: float) -> None:
        self.nights = nights
        self.night = 0
        self.requests = 0
        self.misses: list[str] = []
        server = self

        class Handler(QuietHandler):
            def _serve(self, method: str) -> None:
                split, _query, _body = read_request(self)
                server.requests += 1
                if split.path == "/robots.txt":
                    payload, status, kind = ROBOTS_TXT, 200, "text/plain"
                else:
                    payload = server.nights[server.night].get(split.path)
                    status, kind = (200, "application/json") if payload is not None else (404, "application/json")
                    if payload is None:
                        server.misses.append(split.path)
                        payload = b'{"error": "not found"}'
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(payload)))
                    self.send_header("Connection", "close")  # HTTP/1.0 server: no pooled connection to go stale
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    self.close_connection = True

        super().__init__(Handler, host=HOST, max_seconds=max_seconds, server_class=BusyServer)


def write_registry(directory: Path, boards: list[Board]) -> Path:
    path = directory / "bench-companies.toml"
    entries = [
        f'[[company]]\nslug = "{board.company}"\nname = "{board.company}"\nsector = "studio"\n'
        f'platform = "greenhouse"\ntoken = "{board.token()}"\ncareers_url = "https://boards.greenhouse.io/{board.token()}"\n'
        for board in boards
    ]
    path.write_text("# benchmarks/crawl.py's made-up companies, served from 127.0.0.1.\n\n" + "\n".join(entries),
                    encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------
# Running the two crawlers.
# ------------------------------------------------------------------------------------------------
def politeness_off(concurrency: int) -> list[str]:
    return ["ROBOTSTXT_OBEY=False", "DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False",
            f"CONCURRENT_REQUESTS={concurrency}", f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}",
            "LOG_LEVEL=WARNING"]


def paywatch_command(server_url: str, db: Path, registry: Path, concurrency: int) -> list[str]:
    command = [sys.executable, "-m", "scrapers.cli", "crawl", "--db", str(db), "--registry", str(registry),
               "--log-level", "WARNING", "-s", f"GREENHOUSE_API_URL={server_url}/greenhouse"]
    for setting in politeness_off(concurrency):
        command += ["-s", setting]
    return command


def bare_command(server_url: str, tokens: Path, concurrency: int) -> list[str]:
    command = [sys.executable, str(REPO_ROOT / "benchmarks" / "bare_spider.py"), f"{server_url}/greenhouse", str(tokens)]
    for setting in politeness_off(concurrency):
        command += ["-s", setting]
    return command


@dataclass
class Run:
    seconds: float
    cpu_seconds: float  # user + system: steadier than wall time when other work shares the machine
    peak_rss_mb: float
    exit_code: int
    stdout: str
    stderr: str


# A child forked from this process carries this process's peak RSS (the server holds every board) into
# its own ru_maxrss: Linux keeps the larger of the two across fork and exec. So each measured command is
# started by a small launcher, a fresh interpreter of a few MB, which reports its child's own usage.
LAUNCHER = ("import json, os, subprocess, sys\n"
            "child = subprocess.Popen(sys.argv[2:])\n"
            "_pid, status, usage = os.wait4(child.pid, 0)\n"
            "with open(sys.argv[1], 'w') as report:\n"
            "    json.dump({'cpu': usage.ru_utime + usage.ru_stime, 'maxrss_kb': usage.ru_maxrss}, report)\n"
            "sys.exit(os.waitstatus_to_exitcode(status))\n")


def run_child(command: list[str], workdir: Path, timeout: float, source: Path = REPO_ROOT) -> Run:
    """Run ``command`` on the code in ``source``; its wall time, CPU time and its own peak RSS (the
    command's own ``ru_maxrss``, measured by ``LAUNCHER``, not inherited from this process)."""
    out, err, usage_file = workdir / "child.out", workdir / "child.err", workdir / "child.usage.json"
    usage_file.unlink(missing_ok=True)
    env = dict(os.environ, TZ="UTC", PYTHONPATH=str(source))
    env.pop("PAYWATCH_REGISTRY", None)
    with out.open("w") as stdout, err.open("w") as stderr:
        started = time.monotonic()
        process = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(usage_file), *command], cwd=source, env=env,
                                   stdout=stdout, stderr=stderr, start_new_session=True)
        # The launcher and the command are one process group: a timeout or an interrupt kills both.
        killer = threading.Timer(timeout, os.killpg, (process.pid, signal.SIGKILL))
        killer.start()
        try:
            process.wait()
        except BaseException:  # interrupted: the crawl must not outlive the benchmark and its server
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
        finally:
            killer.cancel()
        seconds = time.monotonic() - started
    usage = json.loads(usage_file.read_text()) if usage_file.exists() else {"cpu": float("nan"), "maxrss_kb": 0}
    return Run(seconds, usage["cpu"], usage["maxrss_kb"] / 1024, process.returncode, out.read_text(), err.read_text())


def archived_night(db: Path, companies: int) -> tuple[int, int]:
    """(complete crawls, jobs seen) of the archive's latest night: its last ``companies`` crawls."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        rows = connection.execute("SELECT status, seen FROM crawls ORDER BY id DESC LIMIT ?", [companies]).fetchall()
    return sum(status == "complete" for status, _ in rows), sum(seen for _, seen in rows)


@dataclass
class Measures:
    seconds: dict[tuple[str, int], list[float]] = field(default_factory=dict)
    cpu: dict[tuple[str, int], list[float]] = field(default_factory=dict)
    rss: dict[tuple[str, int], list[float]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, tool: str, night: int, run: Run) -> None:
        self.seconds.setdefault((tool, night), []).append(run.seconds)
        self.cpu.setdefault((tool, night), []).append(run.cpu_seconds)
        self.rss.setdefault((tool, night), []).append(run.peak_rss_mb)


def crawl_rounds(args: argparse.Namespace, workdir: Path, boards: list[Board], server: BoardServer,
                 jobs_served: dict[int, int]) -> Measures:
    registry = write_registry(workdir, boards)
    tokens = workdir / "tokens.txt"
    tokens.write_text("\n".join(board.token() for board in boards), encoding="utf-8")
    sources = {"paywatch": REPO_ROOT, **{directory.name[-12:]: directory.resolve() for directory in args.before}}
    tools = [*sources, "bare"]
    measures = Measures()
    for round_number in range(args.rounds):
        order = tools[round_number % len(tools):] + tools[: round_number % len(tools)]  # each goes first in turn
        databases = {tool: workdir / f"round{round_number}-{tool}.db" for tool in sources}
        for night in NIGHTS:
            server.night = night
            for tool in order:
                if tool in sources:
                    db = databases[tool]
                    run = run_child(paywatch_command(server.url, db, registry, args.concurrency), workdir, args.timeout,
                                    sources[tool])
                    complete, read = archived_night(db, len(boards))
                    if run.exit_code != 0 or complete != len(boards):
                        measures.problems.append(f"round {round_number} night {night}: {tool} exit {run.exit_code}, "
                                                 f"{complete} of {len(boards)} crawls complete: {run.stderr[-400:]}")
                else:
                    run = run_child(bare_command(server.url, tokens, args.concurrency), workdir, args.timeout)
                    read = json.loads(run.stdout.strip().splitlines()[-1])["jobs"] if run.exit_code == 0 else 0
                    if run.exit_code != 0:
                        measures.problems.append(f"round {round_number} night {night}: bare spider exit "
                                                 f"{run.exit_code}: {run.stderr[-400:]}")
                if read != jobs_served[night]:
                    measures.problems.append(f"round {round_number} night {night}: {tool} read {read} of "
                                             f"{jobs_served[night]} jobs")
                measures.add(tool, night, run)
                print(f"  round {round_number + 1} night {night} {tool:12}: {run.seconds:6.2f} s, "
                      f"{jobs_served[night] / run.seconds:8.0f} jobs/s, CPU {run.cpu_seconds:6.2f} s, peak RSS {run.peak_rss_mb:6.1f} MB", flush=True)
        for db in databases.values():
            if args.keep is None or round_number < args.rounds - 1:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
    return measures


def print_summary(measures: Measures, boards: int, jobs_served: dict[int, int]) -> None:
    print()
    print(f"{'night':<14}{'crawler':<14}{'jobs/s':>8}{'x bare':>8}{'overhead ms/company':>21}"
          f"{'jobs/CPU-s':>12}{'x bare':>8}{'CPU ms/company':>16}{'peak RSS MB':>13}")
    for night in NIGHTS:
        label = "0 (all new)" if night == 0 else f"{night} (steady)"
        bare = statistics.median(measures.seconds[("bare", night)])
        bare_cpu = statistics.median(measures.cpu[("bare", night)])
        for tool in [tool for tool, tool_night in measures.seconds if tool_night == night]:
            seconds = statistics.median(measures.seconds[(tool, night)])
            cpu = statistics.median(measures.cpu[(tool, night)])
            overhead = f"{(seconds - bare) / boards * 1000:.1f}" if tool != "bare" else ""
            cpu_overhead = f"{(cpu - bare_cpu) / boards * 1000:.1f}" if tool != "bare" else ""
            print(f"{label:<14}{tool:<14}{jobs_served[night] / seconds:>8.0f}{bare / seconds:>7.2f}x{overhead:>21}"
                  f"{jobs_served[night] / cpu:>12.0f}{bare_cpu / cpu:>7.2f}x{cpu_overhead:>16}"
                  f"{max(measures.rss[(tool, night)]):>13.1f}")
            label = ""
    print("goals (issue 10): paywatch >= 0.3x the bare spider; peak RSS <= 300 MB for 400 boards x 50 jobs. "
          "Medians of the rounds; RSS the largest. CPU: the child's user + system time, steadier than wall time "
          "when the machine is shared (the crawl is CPU-bound on loopback).")


# ------------------------------------------------------------------------------------------------
# Where paywatch's time goes.
# ------------------------------------------------------------------------------------------------
NAMED_COSTS = (
    ("HTML to text", "scrapers/extract/common.py", "html_to_text"),
    ("Greenhouse pay block (parsel)", "scrapers/extract/greenhouse.py", "pay_block_text"),
    ("extraction (parse_job)", "scrapers/extract/greenhouse.py", "parse_job"),
    ("json.loads of replies", "scrapers/platforms/base.py", "load_json"),
    ("pay parser", "pipelines/pay_parser.py", "parse_pay"),
    ("role classifier", "pipelines/role_classifier.py", "classify_role"),
    ("archive write (ingest_crawl)", "archive/store.py", "ingest_crawl"),
    ("archive open + migrations", "archive/schema.py", "open_archive"),
    ("ItemAdapter.asdict", "itemadapter/adapter.py", "asdict"),
    ("archive writer at spider close", "pipelines/archive_writer.py", "spider_closed"),
    ("crawler creation", "scrapy/crawler.py", "create_crawler"),
    ("crawler start (engine, middlewares)", "scrapy/crawler.py", "crawl"),
    ("engine stop / spider close", "scrapy/core/engine.py", "close_spider"),
)


def profile(args: argparse.Namespace, workdir: Path, boards: list[Board], server: BoardServer) -> None:
    chosen = boards[: args.profile_boards]
    registry = write_registry(workdir, chosen)
    db, output = workdir / "profile.db", workdir / "crawl.prof"
    server.night = 0
    command = paywatch_command(server.url, db, registry, args.concurrency)
    command = [sys.executable, "-m", "cProfile", "-o", str(output), *command[1:]]
    run = run_child(command, workdir, args.timeout)
    print(f"\n== Profile: paywatch crawl of {len(chosen)} boards, night 0 (all new), under cProfile: "
          f"{run.seconds:.1f} s, exit {run.exit_code}")
    stats = pstats.Stats(str(output))
    total = stats.total_tt
    cumulative: dict[str, float] = {}
    for (filename, _line, function), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        for label, path, name in NAMED_COSTS:
            if function == name and filename.endswith(path):
                cumulative[label] = max(cumulative.get(label, 0.0), ct)
    print(f"total {total:.2f} s profiled; cumulative time of the named costs (they overlap: parse_job holds "
          "html_to_text):")
    for label, _path, _name in NAMED_COSTS:
        if label in cumulative:
            print(f"  {label:<40}{cumulative[label]:8.2f} s {100 * cumulative[label] / total:5.1f}%")
    print("top 20 functions by own time:")
    rows = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:20]
    for (filename, line, function), (_cc, calls, own, ct, _callers) in rows:
        where = filename.replace(str(REPO_ROOT) + "/", "").split("site-packages/")[-1]
        print(f"  {own:7.2f} s {100 * own / total:5.1f}%  {calls:>9} calls  {function} ({where}:{line})")


def main() -> int:
    parser = argparse.ArgumentParser(description="paywatch crawl against a bare Scrapy spider (issue 10)")
    parser.add_argument("--boards", type=int, default=400)
    parser.add_argument("--jobs", type=int, default=50, help="postings per board")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--quick", action="store_true", help="25 boards x 20 jobs, 3 rounds (about 20 s)")
    parser.add_argument("--profile", action="store_true", help="also profile a paywatch crawl")
    parser.add_argument("--profile-only", action="store_true", help="only the profile")
    parser.add_argument("--profile-boards", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds one crawl may take")
    parser.add_argument("--server-seconds", type=float, default=3600.0, help="the server stops itself after this")
    parser.add_argument("--keep", type=Path, help="keep the last round's archives and the profile in this directory")
    parser.add_argument("--before", type=Path, metavar="DIR", action="append", default=[],
                        help="also crawl with the paywatch code in DIR (e.g. `git archive main | tar -x -C DIR`), "
                             "in the same rounds, to measure a change before and after (repeatable; shown by the "
                             "directory's name)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so a child crawl is stopped with us
    if args.quick:
        args.boards, args.jobs = 25, 20
    boards_needed = max(args.boards, args.profile_boards if (args.profile or args.profile_only) else 0)
    started = time.monotonic()
    boards = make_boards(boards_needed, args.jobs)
    nights = {night: render_night(boards, night) for night in NIGHTS}
    served = {night: sum(len(json.loads(payload)["jobs"]) for path, payload in list(nights[night].items())[: args.boards])
              for night in NIGHTS}
    print(f"== {args.boards} Greenhouse boards x {args.jobs} jobs ({served[0]} jobs on night 0, {served[1]} on "
          f"night 1, {sum(map(len, nights[0].values())) / 1e6:.0f} MB of replies a night), {args.rounds} rounds, "
          f"concurrency {args.concurrency}; rendered in {time.monotonic() - started:.1f} s", flush=True)
    with tempfile.TemporaryDirectory(prefix="paywatch-crawl-bench-") as temporary:
        workdir = args.keep or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        with BoardServer(nights, args.server_seconds) as server:
            ok = True
            if not args.profile_only:
                measures = crawl_rounds(args, workdir, boards[: args.boards], server, served)
                print_summary(measures, args.boards, served)
                for problem in measures.problems:
                    print(f"PROBLEM: {problem}")
                ok = not measures.problems
            if args.profile or args.profile_only:
                profile(args, workdir, boards, server)
            if server.misses:
                print(f"PROBLEM: unexpected requests: {server.misses[:5]}")
                ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
