#!/usr/bin/env python
"""The fault matrix on every platform the night lab serves (issue 23).

    python benchmarks/platform_faults.py [--size 40] [--faults NAME,...] [--workers 2] [--workdir DIR]

``benchmarks/faults.py`` puts Greenhouse, Workday and Lever under some thirty hand-made faults. This
lab puts the same kinds of fault on all thirteen platforms, served by ``benchmarks/nightlab.py`` in
their real reply shapes (Greenhouse, Lever, Ashby, Amazon, Workday, Eightfold, SmartRecruiters, Phenom,
SuccessFactors, Apple, Oracle, Google Careers, JSON-LD): one company a platform, from the shipped
registry (Google Careers and JSON-LD, which no shipped company uses: ``closures.LAB_ENTRIES``), each a board of
``--size`` postings with a real night's churn (postings opened, closed, re-titled, pay raised).

For each fault, four nights with the real ``paywatch crawl`` of all thirteen companies: night 1 good
(crawled once, copied for every fault), night 2 with the fault on every company's listing, nights 3
and 4 good. The fault changes what the server *sends*, never what is true:

- transport: ``down`` (503 on every listing request), ``stall`` (an answer later than the download
  timeout), ``truncated`` (half the body under the full Content-Length), ``html`` (a maintenance page
  where JSON or the feed goes);
- truncation: ``cut`` (a random 60%, counted as sent where the platform counts), ``head`` (the first
  half, counted as sent), ``empty`` (nothing listed, the count 0);
- ids: ``renumbered`` (every id changed overnight), ``dup_before`` / ``dup_after`` (one posting
  listed twice, a re-titled copy before or after the real one).

Measured per platform against a fault-free run of the same four nights, from the archive (read-only):
the fault night's status, false closures (postings closed on a night the server truly listed them,
or later reopened), spurious and lost versions (each posting's content hashes against the fault-free
run's, longest common subsequence), lost nights (a crawl that left no row), and convergence (after
night 4, the open postings and their content equal the fault-free run's).

Exit code 1 when a row closes a listed posting, loses a night, does not converge, writes a spurious
version, or records a fault night ``complete`` that cannot prove it saw the whole listing.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.closures import Archive, ServedBoard, SoakServer, crawl_night, lab_registry, soak_companies  # noqa: E402
from benchmarks.faultlab import LabConfig, common_subsequence, copy_archive, read_state  # noqa: E402
from benchmarks.nightlab import Board, Churn  # noqa: E402

NIGHTS = (1, 2, 3, 4)
FAULT_NIGHT = 2
NOT_COMPLETE = "not complete"
ANY = "any"
# fault -> (what the fault night must be, the share a truncation keeps)
FAULTS: dict[str, tuple[str, float]] = {
    "down": (NOT_COMPLETE, 0.0),
    "stall": (NOT_COMPLETE, 0.0),
    "truncated": (NOT_COMPLETE, 0.0),
    "html": (NOT_COMPLETE, 0.0),
    "cut": (NOT_COMPLETE, 0.6),
    "head": (NOT_COMPLETE, 0.5),
    "empty": (NOT_COMPLETE, 0.0),
    "renumbered": (NOT_COMPLETE, 0.0),
    "dup_before": (ANY, 0.0),
    "dup_after": (ANY, 0.0),
}
# nightlab's real churn, more of it: 2% of a board opened, closed, re-titled and raised a night.
CHURN = Churn(new=0.02, closed=0.02, list_changed=0.02, pay_raised=0.02)


@dataclass
class Row:
    fault: str
    platform: str
    company: str
    expect: str
    statuses: dict[int, str]
    false_closures: int
    spurious: int
    lost: int
    lost_nights: int
    converged: bool

    @property
    def problems(self) -> list[str]:
        found = []
        if self.false_closures:
            found.append(f"{self.false_closures} false closures")
        if self.spurious:
            found.append(f"{self.spurious} spurious versions")
        if self.lost_nights:
            found.append(f"{self.lost_nights} lost nights")
        if not self.converged:
            found.append("not converged")
        if self.expect == NOT_COMPLETE and self.statuses.get(FAULT_NIGHT) == "complete":
            found.append("fault night complete")
        return found


class Lab:
    def __init__(self, size: int, workdir: Path, config: LabConfig) -> None:
        self.registry = lab_registry(workdir)
        self.companies = soak_companies(registry=self.registry)
        self.boards = {company.slug: Board(company, size, CHURN) for company in self.companies}
        self.workdir = workdir
        self.config = config
        self.slugs = list(self.boards)

    def run(self, label: str, fault: str | None, night1: Path | None) -> tuple[Archive, list[str]]:
        """Nights 2 to 4 on a copy of ``night1``, ``fault`` on night 2; without ``night1``, night 1 alone."""
        plan = {} if fault is None else {(FAULT_NIGHT, slug): (fault, FAULTS[fault][1]) for slug in self.slugs}
        archive = Archive(self.workdir / f"{label}.db", REPO_ROOT)
        nights = NIGHTS[:1]
        if night1 is not None:
            copy_archive(night1, archive.db)
            raw = Path(f"{night1}.raw")
            if raw.is_dir():
                shutil.copytree(raw, Path(f"{archive.db}.raw"), dirs_exist_ok=True)
            archive.record_night(1)
            nights = NIGHTS[1:]
        served = {slug: ServedBoard(board, plan) for slug, board in self.boards.items()}
        with SoakServer(served, latency=0.0, max_seconds=self.config.server_max_seconds) as server:
            server.stall_seconds = self.config.download_timeout + 2
            for night in nights:
                crawl_night(archive.db, REPO_ROOT, server, night, self.slugs, self.config, self.registry)
                archive.record_night(night)
            errors = list(server.errors)
        return archive, errors

    def measure(self, fault: str, archive: Archive, reference: Archive) -> list[Row]:
        ours, theirs = read_state(archive.db), read_state(reference.db)
        by_night: dict[int, dict[str, str]] = {}
        for crawl in ours.crawls:
            by_night.setdefault(archive.crawl_night[crawl["id"]], {})[crawl["company"]] = crawl["status"]
        rows = []
        for company in self.companies:
            slug, board = company.slug, self.boards[company.slug]
            false = 0
            for crawl_id, closed_company, ref in ours.closures:
                if closed_company != slug:
                    continue
                night = archive.crawl_night[crawl_id]
                if ref in board.by_ref(night) or (slug, ref) in ours.reopened:
                    false += 1
            spurious = lost = 0
            for key in {key for key in set(ours.versions) | set(theirs.versions) if key[0] == slug}:
                mine, reference_hashes = ours.versions.get(key, []), theirs.versions.get(key, [])
                shared = common_subsequence(mine, reference_hashes)
                spurious += len(mine) - shared
                lost += len(reference_hashes) - shared
            converged = ({k: v for k, v in ours.open_current.items() if k[0] == slug}
                         == {k: v for k, v in theirs.open_current.items() if k[0] == slug})
            statuses = {night: by_night.get(night, {}).get(slug, "—") for night in NIGHTS}
            rows.append(Row(fault, company.platform, slug, FAULTS[fault][0], statuses, false, spurious, lost,
                            sum(1 for status in statuses.values() if status == "—"), converged))
        return rows


def render(rows: list[Row]) -> str:
    from tabulate import tabulate

    table = [[row.fault, row.platform, row.expect, *(row.statuses[night] for night in NIGHTS[1:]), row.false_closures,
              row.spurious, row.lost, row.lost_nights, "yes" if row.converged else "no",
              "; ".join(row.problems) or "ok"] for row in rows]
    table.append(["TOTAL", f"{len({row.platform for row in rows})} platforms", "", "", "", "",
                  sum(row.false_closures for row in rows), sum(row.spurious for row in rows),
                  sum(row.lost for row in rows), sum(row.lost_nights for row in rows),
                  f"{sum(row.converged for row in rows)}/{len(rows)}",
                  f"{sum(1 for row in rows if row.problems)} rows with problems"])
    return tabulate(table, headers=["fault", "platform", "expect n2", "n2", "n3", "n4", "false closed", "spurious ver",
                                    "lost ver", "lost nights", "converged", "verdict"],
                    tablefmt="simple", disable_numparse=True)


def run_matrix(size: int, faults: list[str], workers: int, workdir: Path, progress=print) -> tuple[list[Row], list[str]]:
    """Every fault's four nights on all the lab's platforms: the rows, and the lab's own errors."""
    config = LabConfig(download_timeout=3.0, retry_times=1, lever_page_size=100, crawl_timeout=600,
                       server_max_seconds=3600)
    started = time.monotonic()
    lab = Lab(size, workdir, config)
    progress(f"# {len(lab.slugs)} companies on {len({c.platform for c in lab.companies})} platforms, boards of "
             f"{size}, faults: {', '.join(faults)}")
    night1, errors = lab.run("night1", None, None)
    reference, more = lab.run("reference", None, night1.db)  # every row starts from a copy of night 1
    errors += more

    def row(fault: str) -> list[Row]:
        archive, problems = lab.run(fault, fault, night1.db)
        errors.extend(problems)
        found = lab.measure(fault, archive, reference)
        progress(f"#   {fault}: {sum(1 for r in found if r.problems)} of {len(found)} platforms with problems "
                 f"({time.monotonic() - started:.0f} s)")
        return found

    with ThreadPoolExecutor(max_workers=workers) as pool:
        rows = [found for batch in pool.map(row, faults) for found in batch]
    return rows, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=40, help="postings a board (default 40)")
    parser.add_argument("--faults", type=lambda text: [name for name in text.split(",") if name], default=list(FAULTS),
                        help=f"comma-separated, of: {', '.join(FAULTS)}")
    parser.add_argument("--workers", type=int, default=2, help="faults run side by side (default 2)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the archives here (default: a temp dir)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.faults) - set(FAULTS))
    if unknown or not 10 <= args.size <= 500 or args.workers < 1:
        parser.error(f"unknown faults {unknown}" if unknown else "--size within [10, 500], --workers at least 1")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="paywatch-platform-faults-") as temporary:
        workdir = args.workdir or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        rows, errors = run_matrix(args.size, args.faults, args.workers, workdir, progress=print)
    print(render(rows))
    if errors:
        print(f"lab errors: {errors[:5]}")
    print(f"# {len(rows)} rows in {time.monotonic() - started:.0f} s")
    return 1 if errors or any(row.problems for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
