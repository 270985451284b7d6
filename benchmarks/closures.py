#!/usr/bin/env python
"""The closure soak (issue 23): 30 nights of churn with faults mixed in, checked against the truth.

    python benchmarks/closures.py [--nights 30] [--size 60] [--churn 0.02] [--seed 23]
                                  [--baseline-checkout DIR] [--workdir DIR]

What runs: one company of the shipped registry for each platform the night lab serves (Greenhouse,
Lever, Ashby, Amazon, Workday, Eightfold, SmartRecruiters, Phenom, SuccessFactors, Apple, Oracle), and a
lab company each for Google Careers and JSON-LD, which no shipped company uses (``LAB_ENTRIES``),
each a board of ``--size`` postings in its platform's real reply shape (``benchmarks/nightlab.py``)
that opens and closes ``--churn`` of itself a night. Each night is the real ``paywatch crawl`` of all
of them, in a subprocess, against the lab's server on 127.0.0.1. Faults are mixed in by a seeded
plan, at most one a company every other night, each changing what the server *sends*, never what is
true:

- ``cut``: a random 60-90% of the listing, counted as sent where the platform counts;
- ``head``: the first half of the listing, counted as sent;
- ``empty``: an empty listing (the count says 0);
- ``down``: every listing request answered 503;
- ``leak``: for seven nights, 5% more of the listing missing each night (the same postings stay
  missing), then whole again.

Measured every night against the boards (the truth), from the archive (read-only):

- false closures: ``closed`` events for postings truly listed on the night that wrote them or on the
  night they are dated, and postings the archive holds closed that are truly listed tonight;
- closure latency: for every posting truly taken down (first missing on night t), the night its
  closure was written, in nights after t; and how far its date is from t;
- lost nights: a company's night that left no crawl row.

``--baseline-checkout DIR`` runs the same nights, on the same plan, with the paywatch in DIR (for
instance ``git worktree add DIR <commit>``) into its own archive, interleaved night by night, and
prints both: how latency and false closures changed.

Exit code 1 when the soak shows a false closure, a lost night, or a real closure not archived within
two nights (``LATENCY_GOAL``) of going.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.faultlab import LabConfig, crawl_settings, read_only  # noqa: E402
from benchmarks.nightlab import Board, Churn, NightServer, PostingState, posting_ref  # noqa: E402
from scrapers.platforms import load_registry  # noqa: E402
from scrapers.registry import Company  # noqa: E402

REGISTRY = REPO_ROOT / "scrapers" / "companies.toml"
# The platforms no shipped company uses (google.com's robots.txt forbids paging its results; JSON-LD is
# the generic fallback): one lab company each, beside the shipped registry's entries.
LAB_ENTRIES = """
[[company]]
slug = "lab_google"
name = "Google"
sector = "tech"
platform = "google"
careers_url = "https://www.google.com/about/careers/applications/jobs/results"

[[company]]
slug = "lab_jsonld_studio"
name = "Lab Studio"
sector = "studio"
platform = "jsonld"
listing_url = "https://careers.lab-studio.example/jobs"
link_css = "ul li a"
careers_url = "https://careers.lab-studio.example/jobs"
"""
SERVED_PLATFORMS = ("greenhouse", "lever", "ashby", "amazon", "workday", "eightfold", "smartrecruiters", "phenom",
                    "successfactors", "apple", "oracle", "google", "jsonld")


def lab_registry(workdir: Path) -> Path:
    """The shipped registry and the lab's own entries, in ``workdir``."""
    path = workdir / "lab-companies.toml"
    path.write_text(REGISTRY.read_text(encoding="utf-8") + LAB_ENTRIES, encoding="utf-8")
    return path
SINGLE_NIGHT_FAULTS = ("cut", "head", "empty", "down")
LEAK_NIGHTS = 7
LEAK_STEP = 0.05
LATENCY_GOAL = 2  # every real closure archived by the second night after it happened


# ------------------------------------------------------------------------------------------------
# The plan: which fault each company's listing suffers on which night.
# ------------------------------------------------------------------------------------------------
def fault_plan(slugs: list[str], nights: int, seed: int) -> dict[tuple[int, str], tuple[str, float]]:
    """(night, slug) -> (fault, share kept). Night 1 is good; a fault is followed by a good night,
    so no two nights in a row are cut short (a board cut short two nights running, the same way, is
    not a fault a history can tell from the truth). One company in three leaks for a week."""
    rng = random.Random(seed)
    plan: dict[tuple[int, str], tuple[str, float]] = {}
    for position, slug in enumerate(slugs):
        night = 2
        if position % 3 == 0:  # a week-long leak, starting at a night of its own
            start = rng.randint(3, max(3, nights - LEAK_NIGHTS - 2))
            for step in range(LEAK_NIGHTS):
                plan[(start + step, slug)] = ("leak", 1 - LEAK_STEP * (step + 1))
        while night <= nights:
            if (night, slug) in plan or (night - 1, slug) in plan or (night + 1, slug) in plan:
                night += 1
                continue
            if rng.random() < 0.15:
                kind = rng.choice(SINGLE_NIGHT_FAULTS)
                plan[(night, slug)] = (kind, {"cut": rng.uniform(0.6, 0.9), "head": 0.5}.get(kind, 0.0))
                night += 2
            else:
                night += 1
    return plan


def kept(postings: list[PostingState], fault: str, share: float, salt: str) -> list[PostingState]:
    """What a faulty listing sends of the true ``postings``."""
    if fault == "empty":
        return []
    if fault == "head":
        return postings[: int(len(postings) * share)]
    if fault == "leak":  # the same postings stay missing as the leak grows: the last ones listed
        ordered = sorted(postings, key=lambda posting: posting.index)
        return ordered[: round(len(ordered) * share)]
    rng = random.Random(salt)
    return [posting for posting in postings if rng.random() < share]


class ServedBoard:
    """A board as the server sends it: the truth, cut by the night's fault."""

    def __init__(self, board: Board, plan: dict[tuple[int, str], tuple[str, float]]) -> None:
        self.board = board
        self.plan = plan

    def __getattr__(self, name: str) -> Any:
        return getattr(self.board, name)

    def fault(self, night: int) -> str | None:
        return self.plan.get((night, self.board.slug), (None, 0.0))[0]

    def postings(self, night: int) -> list[PostingState]:
        truth = self.board.postings(night)
        fault, share = self.plan.get((night, self.board.slug), (None, 0.0))
        if fault is None or fault in REPLY_FAULTS:
            return truth
        if fault == "renumbered":  # every id changed overnight, nothing else
            return [dataclasses.replace(posting, index=posting.index + RENUMBERED_BY) for posting in truth]
        if fault in ("dup_before", "dup_after"):  # one posting listed twice, the extra copy re-titled
            ordered = list(truth)
            real = ordered[len(ordered) // 2]
            copy = dataclasses.replace(real, title=f"{real.title} (copy)")
            ordered.insert(ordered.index(real) + (fault == "dup_after"), copy)
            return ordered
        return kept(truth, fault, share, f"{self.board.slug}|{night}")

    def by_ref(self, night: int) -> dict[str, PostingState]:
        """What a detail request finds: the posting as it truly is (a listing's fault is the listing's)."""
        fault = self.fault(night)
        return self.board.by_ref(night) if fault in (None, "dup_before", "dup_after") else {
            posting.ref: posting for posting in self.postings(night)}


# Faults in what the server sends for a listing request, not in which postings it lists.
REPLY_FAULTS = ("down", "html", "truncated", "stall")
RENUMBERED_BY = 500_000


class SoakServer(NightServer):
    """The night lab's server, serving each board through its fault plan: ``down`` answers 503,
    ``html`` a maintenance page, ``truncated`` half the body under the full length, ``stall`` waits
    past the crawl's download timeout."""

    stall_seconds = 8.0

    def answer(self, request: Any) -> tuple[int, str, bytes]:
        status, content_type, payload = super().answer(request)
        board = getattr(request, "board", None)
        fault = board.fault(self.night) if board is not None and request.kind == "list" else None
        if fault == "down":
            return 503, "text/plain", b"Service Unavailable"
        if fault == "html":
            return 200, "text/html; charset=utf-8", b"<html><body><h1>Down for maintenance</h1></body></html>"
        if fault == "truncated":
            request.truncate = True
        if fault == "stall":
            request.stall = self.stall_seconds
        return status, content_type, payload


# ------------------------------------------------------------------------------------------------
# A night's crawl, and what the archive then holds.
# ------------------------------------------------------------------------------------------------
def crawl_night(db: Path, checkout: Path, server: SoakServer, night: int, slugs: list[str], config: LabConfig,
                registry: Path = REGISTRY) -> int | None:
    server.set_night(night)
    command = [sys.executable, "-m", "scrapers.cli", "crawl", "--db", str(db), "--registry", str(registry),
               "--log-level", "ERROR"]
    for slug in slugs:
        command += ["--company", slug]
    for setting in crawl_settings(server.url, config):
        command += ["-s", setting]
    env = dict(os.environ, TZ="UTC", PYTHONPATH=str(checkout))
    env.pop("PAYWATCH_REGISTRY", None)
    process = subprocess.Popen(command, cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        _, stderr = process.communicate(timeout=config.crawl_timeout)
        return process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
        return None


@dataclass
class Archive:
    """One soak's archive and what its crawls wrote, night by night."""

    db: Path
    checkout: Path
    crawl_night: dict[int, int] = field(default_factory=dict)   # crawl id -> night
    started: dict[tuple[int, str], str] = field(default_factory=dict)  # (night, slug) -> crawl start

    def record_night(self, night: int) -> dict[str, str]:
        """The crawls this night added: slug -> status."""
        connection = read_only(self.db)
        try:
            rows = connection.execute("SELECT id, company, status, started_at FROM crawls WHERE id > ?",
                                      [max(self.crawl_night, default=0)]).fetchall()
        finally:
            connection.close()
        for row in rows:
            self.crawl_night[row["id"]] = night
            self.started[(night, row["company"])] = row["started_at"]
        return {row["company"]: row["status"] for row in rows}

    def closures(self) -> list[tuple[str, str, int, str]]:
        """(slug, ref, night written, dated at) of every closed event."""
        connection = read_only(self.db)
        try:
            rows = connection.execute("SELECT p.company, p.ref, e.crawl_id, e.at FROM posting_events e "
                                      "JOIN postings p ON p.id = e.posting_id WHERE e.event = 'closed'").fetchall()
        finally:
            connection.close()
        return [(row["company"], row["ref"], self.crawl_night[row["crawl_id"]], row["at"]) for row in rows]

    def closed_now(self) -> set[tuple[str, str]]:
        connection = read_only(self.db)
        try:
            return {(row[0], row[1]) for row in connection.execute(
                "SELECT company, ref FROM postings WHERE closed_at IS NOT NULL")}
        finally:
            connection.close()

    def night_dated(self, slug: str, at: str) -> int | None:
        return next((night for (night, company), started in self.started.items()
                     if company == slug and started == at), None)


@dataclass
class NightFigures:
    night: int
    faults: int = 0
    held: int = 0
    failed: int = 0
    lost: int = 0
    truly_closed: int = 0        # postings truly taken down tonight
    closed: int = 0              # closures written tonight
    false_closures: int = 0
    wrongly_closed: int = 0      # archived closed while truly listed tonight


def measure_night(archive: Archive, night: int, statuses: dict[str, str], boards: dict[str, Board],
                  plan: dict[tuple[int, str], tuple[str, float]]) -> NightFigures:
    figures = NightFigures(night)
    figures.faults = sum(1 for slug in boards if (night, slug) in plan)
    figures.held = sum(1 for status in statuses.values() if status == "suspect")
    figures.failed = sum(1 for status in statuses.values() if status == "failed")
    figures.lost = sum(1 for slug in boards if slug not in statuses)
    if night > 1:
        figures.truly_closed = sum(len(set(board.by_ref(night - 1)) - set(board.by_ref(night)))
                                   for board in boards.values())
    listed = {slug: set(board.by_ref(night)) for slug, board in boards.items()}
    for slug, ref, written, at in archive.closures():
        if written != night:
            continue
        figures.closed += 1
        dated = archive.night_dated(slug, at)
        if ref in listed[slug] or (dated is not None and ref in boards[slug].by_ref(dated)):
            figures.false_closures += 1
    figures.wrongly_closed = sum(1 for slug, ref in archive.closed_now() if ref in listed[slug])
    return figures


@dataclass
class Latency:
    nights: list[int]            # per real closure archived: nights from going to being closed
    dating: list[int]            # per real closure archived: its date's night minus the night it went
    clean: list[int]             # the same nights, for closures with no fault from the night they went to the goal
    clean_dating: list[int]      # and their dates, nights after going
    pending: int                 # real closures not archived by the end (gone in the last nights)
    late: int                    # closures with no fault around them archived later than LATENCY_GOAL (or not)


def closure_latency(archive: Archive, boards: dict[str, Board], last_night: int,
                    plan: dict[tuple[int, str], tuple[str, float]]) -> Latency:
    """How soon real closures reach the archive. A fault on the night a posting went, or the next, may
    hold its closure (a failed night confirms nothing; a leak holds every night it grows): the goal is
    for the others."""
    written = {(slug, ref): (night, archive.night_dated(slug, at)) for slug, ref, night, at in archive.closures()}
    latency = Latency([], [], [], [], 0, 0)
    for slug, board in boards.items():
        for index, born in board.births(last_night).items():
            went = board.closed_on(index, born, last_night)  # the first night it is truly not listed
            if went is None:
                continue
            clean = all((night, slug) not in plan for night in range(went, went + LATENCY_GOAL + 1))
            closed = written.get((slug, posting_ref(board.platform, index)))
            if closed is None:
                if last_night - went < LATENCY_GOAL:
                    latency.pending += 1
                elif clean:
                    latency.late += 1
                continue
            closed_on, dated_on = closed
            latency.nights.append(closed_on - went)
            latency.dating.append((dated_on or closed_on) - went)
            if clean:
                latency.clean.append(closed_on - went)
                latency.clean_dating.append((dated_on or closed_on) - went)
                latency.late += closed_on - went > LATENCY_GOAL
    return latency


# ------------------------------------------------------------------------------------------------
# The soak.
# ------------------------------------------------------------------------------------------------
def soak_companies(platforms: Iterable[str] = SERVED_PLATFORMS, registry: Path = REGISTRY) -> list[Company]:
    """The first company of ``registry`` on each platform."""
    platforms = tuple(platforms)
    chosen: dict[str, Company] = {}
    for company in load_registry(registry):
        if company.platform in platforms and company.platform not in chosen:
            chosen[company.platform] = company
    return [chosen[platform] for platform in platforms if platform in chosen]


@dataclass
class SoakResult:
    label: str
    figures: list[NightFigures]
    latency: Latency

    @property
    def false_closures(self) -> int:
        return sum(night.false_closures + night.wrongly_closed for night in self.figures)

    @property
    def lost_nights(self) -> int:
        return sum(night.lost for night in self.figures)


def run_soak(nights: int, size: int, churn: float, seed: int, workdir: Path,
             checkouts: dict[str, Path], platforms: Iterable[str] = SERVED_PLATFORMS,
             progress=print) -> tuple[list[SoakResult], dict[tuple[int, str], tuple[str, float]]]:
    """The same nights and plan into one archive per checkout (label -> checkout), interleaved."""
    registry = lab_registry(workdir)
    companies = soak_companies(platforms, registry)
    boards = {company.slug: Board(company, size, Churn(new=churn, closed=churn)) for company in companies}
    slugs = list(boards)
    plan = fault_plan(slugs, nights, seed)
    config = LabConfig(download_timeout=5.0, retry_times=1, lever_page_size=100, crawl_timeout=600,
                       server_max_seconds=nights * 200.0 * len(checkouts))
    archives = {label: Archive(workdir / f"{label}.db", checkout) for label, checkout in checkouts.items()}
    figures: dict[str, list[NightFigures]] = {label: [] for label in checkouts}
    served = {slug: ServedBoard(board, plan) for slug, board in boards.items()}
    with SoakServer(served, latency=0.0, max_seconds=config.server_max_seconds) as server:
        for night in range(1, nights + 1):
            for label, archive in archives.items():
                started = time.monotonic()
                crawl_night(archive.db, archive.checkout, server, night, slugs, config, registry)
                statuses = archive.record_night(night)
                figures[label].append(measure_night(archive, night, statuses, boards, plan))
                done = figures[label][-1]
                progress(f"# {label} night {night:2}: {done.faults} faults, {done.held} held, {done.failed} failed, "
                         f"{done.truly_closed} truly closed, {done.closed} closed, {done.false_closures} false, "
                         f"{done.wrongly_closed} closed while listed ({time.monotonic() - started:.1f} s)")
        lab_errors = list(server.errors)
    if lab_errors:
        raise RuntimeError(f"the lab's server failed: {lab_errors[:3]}")
    results = [SoakResult(label, figures[label], closure_latency(archive, boards, nights, plan))
               for label, archive in archives.items()]
    return results, plan


def describe(values: list[int]) -> str:
    if not values:
        return "—"
    return f"median {statistics.median(values):g}, worst {max(values)}"


def render(results: list[SoakResult], plan: dict[tuple[int, str], tuple[str, float]]) -> str:
    from tabulate import tabulate

    lines = []
    for result in results:
        rows = [[f.night, f.faults, f.held, f.failed, f.lost, f.truly_closed, f.closed, f.false_closures,
                 f.wrongly_closed] for f in result.figures]
        rows.append(["total", sum(f.faults for f in result.figures), sum(f.held for f in result.figures),
                     sum(f.failed for f in result.figures), result.lost_nights,
                     sum(f.truly_closed for f in result.figures), sum(f.closed for f in result.figures),
                     sum(f.false_closures for f in result.figures), sum(f.wrongly_closed for f in result.figures)])
        lines.append(f"## {result.label}")
        lines.append(tabulate(rows, headers=["night", "faults", "held", "failed", "lost", "truly closed", "closed",
                                             "false closed", "closed while listed"],
                              tablefmt="simple", disable_numparse=True))
        latency = result.latency
        lines.append(f"closure latency (nights from going to closed): {describe(latency.nights)} over "
                     f"{len(latency.nights)} real closures; with no fault from the night they went to {LATENCY_GOAL} nights after: "
                     f"{describe(latency.clean)} over {len(latency.clean)}, {latency.late} later than {LATENCY_GOAL}")
        lines.append(f"closure dates (nights after going): {describe(latency.dating)}, with no fault around them "
                     f"{describe(latency.clean_dating)}; {latency.pending} closures pending at the end (gone in the "
                     "last nights)")
        lines.append("")
    kinds: dict[str, int] = {}
    for kind, _ in plan.values():
        kinds[kind] = kinds.get(kind, 0) + 1
    lines.append("faults in the plan (company-nights): " + ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--size", type=int, default=60, help="postings a board (default 60)")
    parser.add_argument("--churn", type=float, default=0.02, help="share of a board opened and closed a night")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--baseline-checkout", type=Path, default=None,
                        help="another paywatch checkout to run the same nights with, side by side")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the archives here (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.nights < 3 or not 10 <= args.size <= 2000 or not 0 < args.churn < 0.5:
        parser.error("--nights at least 3, --size within [10, 2000], --churn within (0, 0.5)")
    checkouts = {"paywatch": REPO_ROOT}
    if args.baseline_checkout:
        if not (args.baseline_checkout / "scrapers" / "cli.py").is_file():
            parser.error(f"--baseline-checkout: {args.baseline_checkout} is not a paywatch checkout")
        checkouts = {"baseline": args.baseline_checkout.resolve(), **checkouts}
    with tempfile.TemporaryDirectory(prefix="paywatch-closures-") as temporary:
        workdir = args.workdir or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        results, plan = run_soak(args.nights, args.size, args.churn, args.seed, workdir, checkouts)
    print(render(results, plan))
    ours = results[-1]
    return 1 if ours.false_closures or ours.lost_nights or ours.latency.late else 0


if __name__ == "__main__":
    sys.exit(main())
