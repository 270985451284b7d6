"""The night at real scale, on 127.0.0.1: requests a steady night sends against a full re-read, and
the wall time of a real night at the default politeness (issue 10).

Usage: python benchmarks/night.py [--scale 0.05] [--nights 7] [--latency 0.02] [--quick] [--workdir DIR]
                                  [--companies SLUG,...]

What runs: every company of the shipped registry (``scrapers/companies.toml``), each with a board in
its platform's real reply shape (``benchmarks/nightlab.py``) ``--scale`` times its realistic size
(``nightlab.REAL_POSTINGS`` states each count and where it comes from), served with ``--latency``
seconds a request. Night 1 is a first crawl (every posting new); then ``--nights`` steady nights,
each with a real night's churn (1% opened, 1% closed, 1% re-titled, and 1% whose pay is raised in
the text only a detail shows). Each night is the real ``paywatch crawl`` in subprocesses. Before each
steady night the archive is copied and the same night is crawled on the copy as a *full re-read*
(``PAYWATCH_DETAIL_REFRESH_DAYS=1``, ``..._AT_LEAST`` and the budget unbounded: every detail, every
night), so the two are measured on the same boards in the same run.

Scaled down, and how:

- Politeness is the lab's (``faultlab.crawl_settings``: no download delay, no AutoThrottle, 8 in
  flight, robots.txt served): wall time at loopback says nothing about a real night, so the real
  night is *projected* instead (below).
- The detail budget is what the default would give each company at real scale (its share of the
  5-hour night at its platform's pace, ``PlatformSpider.detail_limits`` on the default settings),
  times ``--scale``, passed as ``PAYWATCH_DETAIL_BUDGET``. That setting is one number a crawl while
  the defaults differ by platform (Workday 36,000, Eightfold 9,000, SmartRecruiters 4,500 for each of
  its four companies on one host, Phenom 18,000), so a night is one ``paywatch crawl`` per detail
  platform (the list-only platforms ride with Workday), each on its own archive, side by side, as
  host groups run side by side in one crawl. ``PAYWATCH_NIGHT_HOURS`` is scaled too, so each
  company's time limit is its scaled share of the night; at loopback pace it never binds (the
  projection checks the real time). ``PAYWATCH_DETAIL_REFRESH_AT_LEAST`` (50) is scaled with the
  boards, so a board re-read whole nightly at real size is re-read whole here.
- The projection: each company's requests at real scale (its details / ``--scale``; its list pages
  for its board's real size at its platform's page size, ``nightlab.list_requests``) times what a
  request costs at the default politeness (``details.seconds_per_request`` on its spider class's
  ``custom_settings`` over ``scrapers/settings.py``); a host group's companies one after another,
  the groups side by side: the night takes as long as its longest group.

Goals (exit 1 if one fails): every company's crawl complete every night, within its budget (detail
reads, and its real-scale time within its share of the night); a steady night's requests at most 25%
of a full re-read's; every pay raise only a detail shows found within ``REFRESH_DAYS`` nights (and no
pay change where none happened); no detail older than ``REFRESH_DAYS`` nights.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any, Iterable

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.faultlab import LabConfig, copy_archive, read_only, run_crawl  # noqa: E402
from benchmarks.nightlab import (  # noqa: E402
    DETAIL_PLATFORMS, ISSUE_NIGHT_REQUESTS, REAL_POSTINGS, Board, CompanyNight, HostPlan, NightProjection,
    NightServer, Raise, boards, list_requests, pace, pay_raises, project_night,
)
from scrapers import settings as defaults  # noqa: E402
from scrapers.platforms import load_registry  # noqa: E402
from scrapers.registry import Company, RegistryError  # noqa: E402

REGISTRY = REPO_ROOT / "scrapers" / "companies.toml"
STEADY_GOAL = 0.25
REFRESH_DAYS = int(defaults.PAYWATCH_DETAIL_REFRESH_DAYS)
NIGHT_SECONDS = defaults.PAYWATCH_NIGHT_HOURS * 3600
UNBOUNDED = 10 ** 9


# ------------------------------------------------------------------------------------------------
# Running the nights.
# ------------------------------------------------------------------------------------------------
@dataclass
class Phase:
    """One night of the whole registry: the incremental crawl, or the full re-read on a copy."""

    night: int
    full: bool
    counts: dict[tuple[str, str], int]
    rows: dict[str, dict[str, Any]]          # company -> its crawls row
    exit_codes: dict[str, int | None]         # crawl class -> `paywatch crawl`'s exit code
    seconds: float
    problems: list[str] = field(default_factory=list)

    def requests(self, slug: str, kind: str) -> int:
        return self.counts.get((slug, kind), 0)


def crawl_classes(companies: Iterable[Company]) -> dict[str, list[Company]]:
    """One crawl a detail platform (one budget each); the list-only platforms with Workday's."""
    classes: dict[str, list[Company]] = {}
    for company in companies:
        key = company.platform if company.platform in DETAIL_PLATFORMS else "workday"
        classes.setdefault(key, []).append(company)
    return classes


def real_budget(company: Company, hosts: HostPlan) -> int:
    return pace(company.platform, hosts.share(company.slug)).budget


def class_budget(companies: list[Company], hosts: HostPlan, scale: float) -> int:
    """The scaled default budget of a crawl class (one platform: one budget; see the module doc)."""
    budgets = {real_budget(company, hosts) for company in companies if company.platform in DETAIL_PLATFORMS}
    return max(1, round(min(budgets) * scale)) if budgets else UNBOUNDED


class NightRunner:
    def __init__(self, board_of: dict[str, Board], classes: dict[str, list[Company]], hosts: HostPlan,
                 scale: float, workdir: Path, server: NightServer, config: LabConfig) -> None:
        self.board_of, self.classes, self.hosts, self.scale = board_of, classes, hosts, scale
        self.workdir, self.server, self.config = workdir, server, config
        self.budgets = {key: class_budget(members, hosts, scale) for key, members in classes.items()}
        self.common = [f"PAYWATCH_NIGHT_HOURS={defaults.PAYWATCH_NIGHT_HOURS * scale:g}",
                       f"PAYWATCH_DETAIL_REFRESH_AT_LEAST={math.ceil(defaults.PAYWATCH_DETAIL_REFRESH_AT_LEAST * scale)}"]

    def archive(self, key: str, night: int | None = None) -> Path:
        return self.workdir / (f"{key}.db" if night is None else f"{key}-full-night{night}.db")

    def settings(self, key: str, full: bool) -> list[str]:
        if full:
            return self.common + [f"PAYWATCH_DETAIL_BUDGET={UNBOUNDED}", "PAYWATCH_DETAIL_REFRESH_DAYS=1",
                                  f"PAYWATCH_DETAIL_REFRESH_AT_LEAST={UNBOUNDED}"]
        return self.common + [f"PAYWATCH_DETAIL_BUDGET={self.budgets[key]}"]

    def run_class(self, key: str, night: int, full: bool) -> tuple[int | None, list[dict[str, Any]], str]:
        db = self.archive(key, night if full else None)
        before = max_crawl_id(db)
        slugs = [company.slug for company in self.classes[key]]
        run = run_crawl(db, REGISTRY, self.server, night, None, self.config, slugs, self.settings(key, full))
        return run.exit_code, crawl_rows(db, before), run.stderr[-2000:]

    def phase(self, night: int, full: bool) -> Phase:
        if full:
            for key in self.classes:
                copy_archive(self.archive(key), self.archive(key, night))
        self.server.set_night(night)
        self.server.take_counts()
        started = time.monotonic()
        with ThreadPoolExecutor(len(self.classes)) as pool:
            results = {key: pool.submit(self.run_class, key, night, full) for key in self.classes}
            results = {key: future.result() for key, future in results.items()}
        phase = Phase(night, full, self.server.take_counts(), {}, {}, time.monotonic() - started)
        for key, (code, rows, stderr) in results.items():
            phase.exit_codes[key] = code
            phase.rows.update({row["company"]: row for row in rows})
            if code != 0:
                phase.problems.append(f"night {night} {'full re-read' if full else 'crawl'} ({key}): "
                                      f"exit {code}: {stderr.strip().splitlines()[-1:] or ''}")
        return phase


def max_crawl_id(db: Path) -> int:
    if not db.exists():
        return 0
    with read_only(db) as connection:
        return connection.execute("SELECT coalesce(max(id), 0) FROM crawls").fetchone()[0]


def crawl_rows(db: Path, after: int) -> list[dict[str, Any]]:
    if not db.exists():
        return []
    with read_only(db) as connection:
        return [dict(row) for row in connection.execute("SELECT * FROM crawls WHERE id > ? ORDER BY id", [after])]


def pay_changes(db: Path) -> list[tuple[str, str, int]]:
    """(company, ref, crawl id) of every version whose pay changed (version 2 on; not a late first read)."""
    with read_only(db) as connection:
        return [tuple(row) for row in connection.execute(
            "SELECT p.company, p.ref, v.crawl_id FROM posting_versions v JOIN postings p ON p.id = v.posting_id "
            "WHERE v.version > 1 AND EXISTS (SELECT 1 FROM version_changes vc WHERE vc.version_id = v.id "
            "AND vc.field = 'pay_ranges')")]


# ------------------------------------------------------------------------------------------------
# What the nights show.
# ------------------------------------------------------------------------------------------------
def projection(phase: Phase, companies: list[Company], hosts: HostPlan, scale: float,
               board_of: dict[str, Board]) -> NightProjection:
    nights = []
    for company in companies:
        row = phase.rows.get(company.slug) or {}
        real_size = round((row.get("seen") or board_of[company.slug].size) / scale)
        details = round(phase.requests(company.slug, "detail") / scale)
        share = hosts.share(company.slug)
        nights.append(CompanyNight(company.slug, company.platform, hosts.host_of[company.slug],
                                   list_requests(company.platform, real_size), details,
                                   pace(company.platform, share).seconds_per_request))
    return project_night(nights)


@dataclass
class RaiseCheck:
    found: int = 0
    missed: list[Raise] = field(default_factory=list)
    pending: int = 0       # its REFRESH_DAYS nights not over when the run ended
    closed_first: int = 0  # taken down before it was due to be read
    spurious: list[tuple[str, str, int]] = field(default_factory=list)


def check_raises(raises: list[Raise], changes: set[tuple[str, str, int]], platform_of: dict[str, str],
                 last_night: int, window: int) -> dict[str, RaiseCheck]:
    """Each raise against the pay changes the archive recorded (company, ref, night): found within
    ``window`` nights (a detail platform) or the same night (a list that carries pay)."""
    checks: dict[str, RaiseCheck] = {}
    matched: set[tuple[str, str, int]] = set()
    for event in raises:
        check = checks.setdefault(platform_of[event.company], RaiseCheck())
        days = window if platform_of[event.company] in DETAIL_PLATFORMS else 1
        due = event.night + days - 1
        seen = [key for key in changes if key[:2] == (event.company, event.ref) and event.night <= key[2] <= due]
        if seen:
            check.found += 1
            matched.add(min(seen, key=lambda key: key[2]))
        elif event.closed is not None and event.closed <= min(due, last_night):
            check.closed_first += 1
        elif due > last_night:
            check.pending += 1
        else:
            check.missed.append(event)
    for key in sorted(changes - matched):
        checks.setdefault(platform_of[key[0]], RaiseCheck()).spurious.append(key)
    return checks


def nights_of(phases: list[Phase]) -> dict[tuple[str, str], int]:
    """(company, crawl started_at) -> night, for the incremental crawls (when each detail was read)."""
    return {(slug, row["started_at"]): phase.night for phase in phases if not phase.full
            for slug, row in phase.rows.items()}


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"


def render(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(cell) for cell in row] for row in [headers] + rows]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]
    lines = ["  ".join(cell.rjust(width) if index else cell.ljust(width) for index, (cell, width)
                       in enumerate(zip(row, widths))) for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


# ------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=None, help="board sizes against real ones (default 0.05)")
    parser.add_argument("--nights", type=int, default=None,
                        help=f"steady nights after the first (default {REFRESH_DAYS}: a raise on night 2 is due by the last)")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds the server takes to answer a request")
    parser.add_argument("--quick", action="store_true",
                        help="scale 0.02, 2 steady nights, the last of them also as a full re-read (about a minute)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the archives here (default: a temp dir)")
    parser.add_argument("--companies", default=None,
                        help="comma-separated slugs: a reproduction on part of the registry (the goals are the "
                             "registry's; a part's steady/full ratio says little)")
    args = parser.parse_args(argv)
    scale = args.scale if args.scale is not None else (0.02 if args.quick else 0.05)
    steady = args.nights if args.nights is not None else (2 if args.quick else REFRESH_DAYS)
    if not 0 < scale <= 0.5:
        parser.error("--scale must be in (0, 0.5]: larger boards pass the platforms' search caps the lab does not split")
    if steady < 1 or not 0 <= args.latency <= 1:
        parser.error("--nights must be at least 1 and --latency within [0, 1] seconds")
    try:
        companies = load_registry(REGISTRY)
    except RegistryError as error:
        print(f"night.py: {error}", file=sys.stderr)
        return 2
    if args.companies:
        chosen = {slug.strip() for slug in args.companies.split(",") if slug.strip()}
        missing = sorted(chosen - {company.slug for company in companies})
        if missing:
            parser.error(f"--companies: not in the registry: {', '.join(missing)}")
        companies = [company for company in companies if company.slug in chosen]
    unknown = [company.slug for company in companies if company.slug not in REAL_POSTINGS]
    if unknown:
        print(f"night.py: no realistic posting count for {', '.join(unknown)} (add it to nightlab.REAL_POSTINGS)",
              file=sys.stderr)
        return 2

    board_of = boards(companies, scale)
    hosts = HostPlan.of(companies)
    classes = crawl_classes(companies)
    platform_of = {company.slug: company.platform for company in companies}
    platforms = sorted({company.platform for company in companies}, key=lambda p: (p not in DETAIL_PLATFORMS, p))
    last_night = 1 + steady
    config = LabConfig(download_timeout=10.0, retry_times=1, lever_page_size=100, crawl_timeout=600,
                       server_max_seconds=3600)
    print(f"# night.py: {len(companies)} companies on {len(platforms)} platforms, {sum(b.size for b in board_of.values())} "
          f"postings served (scale {scale:g} of {sum(REAL_POSTINGS[c.slug][0] for c in companies):,}), "
          f"latency {args.latency:g} s, night 1 + {steady} steady nights, "
          f"{'the last' if args.quick else 'each'} also crawled as a full re-read")

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="paywatch-night-") as temporary:
        workdir = args.workdir or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        with NightServer(board_of, latency=args.latency, max_seconds=config.server_max_seconds) as server:
            runner = NightRunner(board_of, classes, hosts, scale, workdir, server, config)
            print("# budgets a night (scaled): " + ", ".join(
                f"{key} {budget}" for key, budget in runner.budgets.items() if budget != UNBOUNDED))
            phases: list[Phase] = []
            for night in range(1, last_night + 1):
                compared = night > 1 and (not args.quick or night == last_night)
                if compared:
                    phases.append(runner.phase(night, full=True))
                phases.append(runner.phase(night, full=False))
                done = phases[-1]
                print(f"#   night {night}: {sum(done.counts.values())} requests, {done.seconds:.1f} s"
                      + (f" (full re-read: {sum(phases[-2].counts.values())} requests, {phases[-2].seconds:.1f} s)"
                         if compared else ""), flush=True)
            changes = set()
            started_at = nights_of(phases)
            crawl_night = {(phase.night, slug): row["id"] for phase in phases if not phase.full
                           for slug, row in phase.rows.items()}
            night_of_crawl = {(slug, crawl_id): night for (night, slug), crawl_id in crawl_night.items()}
            for key in classes:
                changes |= {(company, ref, night_of_crawl[(company, crawl_id)])
                            for company, ref, crawl_id in pay_changes(runner.archive(key))}
            lab_errors, lab_misses = list(server.errors), list(server.misses)
    return report(phases, companies, board_of, hosts, runner.budgets, classes, platforms, platform_of, scale,
                  steady, last_night, changes, started_at, lab_errors, lab_misses, time.monotonic() - started)


def report(phases: list[Phase], companies: list[Company], board_of: dict[str, Board], hosts: HostPlan,
           budgets: dict[str, int], classes: dict[str, list[Company]], platforms: list[str],
           platform_of: dict[str, str], scale: float, steady: int, last_night: int,
           changes: set[tuple[str, str, int]], started_at: dict[tuple[str, str], int],
           lab_errors: list[str], lab_misses: list[str], seconds: float) -> int:
    failures: list[str] = []
    incremental = {phase.night: phase for phase in phases if not phase.full}
    full = {phase.night: phase for phase in phases if phase.full}
    steady_nights = sorted(full)
    class_of = {company.slug: key for key, members in classes.items() for company in members}

    # -- requests per steady night, by platform -----------------------------------------------------
    first_projection = projection(incremental[1], companies, hosts, scale, board_of)
    steady_projections = {n: projection(incremental[n], companies, hosts, scale, board_of) for n in sorted(incremental)
                          if n > 1}
    full_projections = {n: projection(full[n], companies, hosts, scale, board_of) for n in steady_nights}
    every_steady = sorted(steady_projections)

    def measured(phase_of: dict[int, Phase], slugs: list[str], kinds: tuple[str, ...]) -> float:
        return mean(sum(phase_of[night].requests(slug, kind) for slug in slugs for kind in kinds)
                    for night in steady_nights)

    def projected(projections: dict[int, NightProjection], slugs: list[str]) -> float:
        return mean(sum(projections[night].companies[slug].requests for slug in slugs) for night in steady_nights)

    rows = []
    for platform in platforms + ["all"]:
        slugs = [c.slug for c in companies if platform in ("all", c.platform)]
        kinds = ("list", "detail") if platform != "all" else ("list", "detail", "robots")
        slugs_and_robots = slugs + ([""] if platform == "all" else [])
        first = sum(incremental[1].requests(slug, kind) for slug in slugs_and_robots for kind in kinds)
        lists = measured(incremental, slugs_and_robots, ("list", "robots") if platform == "all" else ("list",))
        details = measured(incremental, slugs, ("detail",))
        steady_measured = measured(incremental, slugs_and_robots, kinds)
        full_measured = measured(full, slugs_and_robots, kinds)
        deferred = mean(sum((incremental[n].rows.get(slug) or {}).get("deferred") or 0 for slug in slugs)
                        for n in steady_nights)
        robots = mean(len(full_projections[n].groups) for n in steady_nights) if platform == "all" else 0
        steady_real = projected(steady_projections, slugs) + robots
        full_real = projected(full_projections, slugs) + robots
        rows.append([platform if platform != "all" else "all (robots.txt too)", len(slugs),
                     sum(board_of[s].size for s in slugs), f"{first:,}", f"{lists:,.0f}", f"{details:,.1f}",
                     f"{steady_measured:,.1f}", f"{full_measured:,.1f}", percent(steady_measured, full_measured),
                     f"{deferred:,.0f}", f"{steady_real:,.0f}", f"{full_real:,.0f}", percent(steady_real, full_real)])
    print(f"\n## Requests a night (steady: the mean of nights {steady_nights[0]}-{steady_nights[-1]}, each also crawled "
          f"as a full re-read; measured at scale {scale:g}, then projected to real scale)")
    print(render(["platform", "companies", "postings", "night 1", "steady lists", "steady details", "steady",
                  "full re-read", "steady/full", "deferred", "real steady", "real full", "real steady/full"], rows))
    print("(deferred: known postings whose detail waits for a later night of the rotation. At scale, every board's "
          "first page and every host's robots.txt weigh more than at real scale, so the goal is judged on the "
          "projection: details / scale, list pages for the real board size)")
    ratios = {n: steady_projections[n].requests / full_projections[n].requests for n in steady_nights}
    measured_ratios = {n: sum(incremental[n].counts.values()) / sum(full[n].counts.values()) for n in steady_nights}
    if max(ratios.values()) > STEADY_GOAL:
        failures.append(f"a steady night needs {max(ratios.values()):.1%} of a full re-read's requests at real "
                        f"scale (goal <= {STEADY_GOAL:.0%})")

    # -- every company, every night ---------------------------------------------------------------------
    company_rows = []
    worst_staleness = 0
    for company in companies:
        slug = company.slug
        statuses = [(incremental[n].rows.get(slug) or {}).get("status", "not archived") for n in sorted(incremental)]
        statuses += [(full[n].rows.get(slug) or {}).get("status", "not archived") for n in steady_nights]
        bad = sorted({status for status in statuses if status != "complete"})
        for night, phase in sorted(incremental.items()):
            row = phase.rows.get(slug) or {}
            if row.get("status") != "complete":
                failures.append(f"{slug} night {night}: {row.get('status', 'not archived')} "
                                f"({row.get('failure_reason') or 'no crawl row'})")
        share = hosts.share(slug)
        real = pace(company.platform, share)
        budget = budgets[class_of[slug]] if company.platform in DETAIL_PLATFORMS else None
        reads = max(phase.requests(slug, "detail") for phase in incremental.values())
        worst_night = max([first_projection] + list(steady_projections.values()),
                          key=lambda p: p.companies[slug].seconds).companies[slug]
        within = True
        if budget is not None and reads > budget:
            within = False
            failures.append(f"{slug}: {reads} detail reads in a night against a budget of {budget}")
        if budget is not None and worst_night.detail_requests > real.budget:
            within = False
            failures.append(f"{slug}: {worst_night.detail_requests:,} detail reads projected against its default "
                            f"budget of {real.budget:,}")
        if worst_night.seconds > NIGHT_SECONDS / share:
            within = False
            failures.append(f"{slug}: {hours(worst_night.seconds)} projected against its share of the night, "
                            f"{hours(NIGHT_SECONDS / share)}")
        stale = []
        for night in every_steady:
            row = incremental[night].rows.get(slug) or {}
            read_on = started_at.get((slug, row.get("oldest_detail_at")))
            if read_on is not None:
                stale.append(night - read_on)
        staleness = max(stale, default=0)
        worst_staleness = max(worst_staleness, staleness)
        if staleness > REFRESH_DAYS:
            failures.append(f"{slug}: its oldest detail was {staleness} nights old (goal <= {REFRESH_DAYS})")
        company_rows.append([
            slug, company.platform, f"{REAL_POSTINGS[slug][0]:,}", board_of[slug].size,
            f"{real.budget:,}" if budget is not None else "-", budget if budget is not None else "-",
            f"{incremental[1].requests(slug, 'detail')}",
            f"{mean(incremental[n].requests(slug, 'detail') for n in every_steady):.1f}",
            f"{mean((incremental[n].rows.get(slug) or {}).get('deferred') or 0 for n in every_steady):.0f}",
            "complete" if not bad else "/".join(bad), "yes" if within else "NO", staleness,
            hours(first_projection.companies[slug].seconds), hours(steady_projections[every_steady[-1]].companies[slug].seconds),
            REAL_POSTINGS[slug][1],
        ])
    print("\n## Every company (budget: detail requests a night; details: read a night; stale: the oldest detail's age "
          "in nights, worst steady night; time: projected at real scale)")
    print(render(["company", "platform", "postings", "served", "budget", "scaled", "night-1 details", "steady details",
                  "deferred", "status", "within", "stale", "night 1", "steady", "where the count comes from"],
                 company_rows))

    # -- the real night, projected ----------------------------------------------------------------
    print(f"\n## A real night at the default politeness (projected; {defaults.PAYWATCH_NIGHT_HOURS:g} h a night, "
          f"host groups side by side)")
    pace_rows = []
    for platform in platforms:
        share_values = sorted({hosts.share(c.slug) for c in companies if c.platform == platform})
        pace_rows.append([platform, f"{pace(platform).seconds_per_request:g} s",
                          ", ".join(f"{pace(platform, s).budget:,}" + (f" (x{s} on a host)" if s > 1 else "")
                                    for s in share_values) if platform in DETAIL_PLATFORMS else "-"])
    print(render(["platform", "a request", "default budget"], pace_rows))
    print()
    projected_rows = []
    named = [("night 1 (first crawl)", first_projection)]
    named += [(f"night {n} (steady)", steady_projections[n]) for n in every_steady]
    named += [(f"night {steady_nights[-1]}, full re-read", full_projections[steady_nights[-1]])]
    for label, night in named:
        group = night.longest_group
        projected_rows.append([label, f"{night.requests:,}", hours(night.wall_seconds), group,
                               night.longest_company(group), len(night.groups)])
    print(render(["night", "requests", "wall time", "longest host group", "its longest company", "host groups"],
                 projected_rows))
    table_requests = first_projection.requests
    print(f"(the registry's table projects a first night of {table_requests:,} requests; issue 10 estimated "
          f"~{ISSUE_NIGHT_REQUESTS:,}. Its measured pace: Eightfold 2.3 s a request, Workday 1.2 s; the projection uses "
          "the spiders' settings: a request takes at least its download delay, or the latency shared among those in flight)")

    # -- changes only a detail shows -------------------------------------------------------------
    raises = [event for board in board_of.values() for event in pay_raises(board, last_night)]
    checks = check_raises(raises, changes, platform_of, last_night, REFRESH_DAYS)
    print(f"\n## Pay raises (1% of postings a night; on detail platforms only the detail shows them; due within "
          f"{REFRESH_DAYS} nights there, the same night elsewhere)")
    raise_rows = []
    for platform in platforms:
        check = checks.get(platform, RaiseCheck())
        raise_rows.append([platform, check.found + len(check.missed) + check.pending + check.closed_first,
                           check.found, len(check.missed), check.pending, check.closed_first, len(check.spurious)])
        for event in check.missed:
            failures.append(f"{event.company} {event.ref}: pay raised on night {event.night}, not found by night "
                            f"{event.night + (REFRESH_DAYS if platform in DETAIL_PLATFORMS else 1) - 1}")
        for company, ref, night in check.spurious:
            failures.append(f"{company} {ref}: a pay change recorded on night {night} where none happened")
    print(render(["platform", "raises", "found", "missed", "not yet due", "closed first", "spurious"], raise_rows))

    # -- goals ----------------------------------------------------------------------------------------
    for phase in phases:
        failures += phase.problems
    failures += [f"lab error: {error}" for error in lab_errors[:5]]
    failures += [f"lab had no reply for {miss}" for miss in lab_misses[:5]]
    print(f"\n## Goals ({seconds:.0f} s in all)")
    print(f"- every company complete every night, within its budget: "
          f"{sum(1 for row in company_rows if row[9] == 'complete' and row[10] == 'yes')}/{len(companies)}")
    print(f"- a steady night against a full re-read, real scale: "
          f"{', '.join(f'night {n} {ratio:.1%}' for n, ratio in ratios.items())} (goal <= {STEADY_GOAL:.0%}); "
          f"measured at scale {scale:g}: {', '.join(f'{ratio:.1%}' for ratio in measured_ratios.values())}")
    print(f"- oldest detail: {worst_staleness} nights at most (goal <= {REFRESH_DAYS})")
    print(f"- projected wall time: first night {hours(first_projection.wall_seconds)}, steady night "
          f"{hours(max(p.wall_seconds for p in steady_projections.values()))} at most, a full re-read "
          f"{hours(max(p.wall_seconds for p in full_projections.values()))}")
    if failures:
        print(f"FAIL: {len(failures)} problem(s)")
        for failure in failures[:40]:
            print(f"  - {failure}")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
