#!/usr/bin/env python
"""Issue 9's proof: the fault matrix, a kill -9 run and a fuzz run.

    python benchmarks/faults.py [--quick] [--rows NAME,...] [--workers N]
                                [--kill-runs N] [--kill-random N] [--kill-board N] [--fuzz N] [--fuzz-seconds S]
                                [--skip-matrix] [--seed N]

1. The matrix (``benchmarks/faultlab.py``): for every fault row, good night → fault night → good
   night with the real ``paywatch crawl`` against the fault server on 127.0.0.1, measured from the
   archive against a fault-free run of the same nights. Boards: 200 Greenhouse postings, 60 Workday
   postings with details, 60 Lever postings (``--quick``: the tests' 30 / 40 / 30).
2. kill -9: an archive with one good night, then a night whose Greenhouse write is large
   (``--kill-board`` postings, every one edited, 2% taken down). ``--kill-runs`` crawls of
   Greenhouse alone are SIGKILLed at a random moment inside the archive write (from the moment its
   raw capture appears, written just before the transaction; the delay is drawn over the measured
   time from there to the commit and a quarter more), and
   ``--kill-random`` crawls of
   the whole registry at a random moment of the whole run. After each: ``PRAGMA integrity_check``,
   ``foreign_key_check``, and every crawl fully present (its row, and exactly the versions, ranges,
   changes, events and posting updates an un-killed run writes) or fully absent (the company's
   postings exactly as night 1 left them), and, once the next night's start has settled the captures
   the kill left pending, a rebuild from the raw captures equal to the archive in every table.
   Finally a crawl on a killed archive must succeed.
3. Fuzz: ``--fuzz`` generated inputs each to ``parse_pay`` (several default currencies) and
   ``classify_role``, in a child process stopped after ``--fuzz-seconds``: crashes and invariant
   violations (PayRange: finite, 0 < min <= max, three upper-case letters, known period and
   basis, ``raw`` a substring of the input; RoleClass: known role type and seniority, bool flag,
   the same answer twice).

Exit code 1 when any row breaks issue 9's model (false closures, lost nights, a fault night that
should not be complete recorded complete), any kill leaves a half-written crawl, or the fuzz finds a
crash, a violation or runs out of time.
"""

from __future__ import annotations

import argparse
import html
import math
import multiprocessing
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.faultlab import (  # noqa: E402
    ANY_STATUS, COMPANIES, FAULTS, MATRIX_LEGEND, Fault, FaultLab, FaultServer, LabConfig, copy_archive,
    crawl_command, crawl_env, crawl_settings, expectation_failures, render_matrix, run_crawl, write_registry,
)

QUICK_SIZES = {"greenhouse": 30, "workday": 40, "lever": 30}
FULL_SIZES = {"greenhouse": 200, "workday": 60, "lever": 60}


# ------------------------------------------------------------------------------------------------
# 1. The matrix.
# ------------------------------------------------------------------------------------------------
def run_matrix(args: argparse.Namespace, workdir: Path) -> bool:
    config = LabConfig(sizes=QUICK_SIZES if args.quick else FULL_SIZES,
                       runaway_total=999 if args.quick else 1999)
    faults = [fault for fault in FAULTS if not args.rows or fault.name in args.rows]
    print(f"== Fault matrix: {len(faults)} rows, boards {config.sizes}, "
          f"DOWNLOAD_TIMEOUT={config.download_timeout:g} RETRY_TIMES={config.retry_times}", flush=True)
    started = time.monotonic()
    lab = FaultLab(config, workdir / "matrix")
    reference = lab.reference()
    print(f"fault-free reference: {sum(len(v) for v in reference.versions.values())} versions, "
          f"statuses {sorted({s for night in reference.status.values() for s, _ in night.values()})}, "
          f"integrity {reference.integrity}", flush=True)
    results = lab.run_rows(faults, workers=args.workers)
    print()
    print(render_matrix(results))
    print()
    print(MATRIX_LEGEND)
    bad = 0
    for result in results:
        problems = expectation_failures(result) + result.lab_problems
        if problems:
            bad += 1
        print(f"-- {result.name}: {result.summary} [{result.seconds:.0f}s]"
              f"{' — BREAKS: ' + '; '.join(problems) if problems else ''}")
        for line in result.evidence:
            print(f"     {line}")
    print(f"\nmatrix: {len(results)} rows in {time.monotonic() - started:.0f}s; "
          f"{bad} rows break issue 9's model (false closures, lost nights or a complete fault night)")
    return bad == 0


# ------------------------------------------------------------------------------------------------
# 2. kill -9 during the archive write.
# ------------------------------------------------------------------------------------------------
def _churn(call: Any, reply: Any) -> None:
    """A heavy good night: every Greenhouse posting edited, one in fifty taken down (a board 5% shorter
    overnight is held as cut short, issue 23: its closures would wait for the next night anyway)."""
    jobs = reply.data["jobs"]
    reply.data["jobs"] = [job for position, job in enumerate(jobs) if position % 50 != 7]
    reply.data["meta"]["total"] = len(reply.data["jobs"])  # a real board counts what it sends
    for job in reply.data["jobs"]:
        job["content"] += html.escape("<p>Updated for the new season.</p>")


CHURN = Fault("churn", "greenhouse", "every posting edited, 2% taken down", ANY_STATUS, _churn, ("board",))
CRAWL_TABLES = ("posting_versions", "posting_events")


@dataclass
class ArchiveFacts:
    """What 'fully present' and 'fully absent' are checked against."""

    crawls: dict[str, dict[str, Any]]                    # company -> its night-2 crawl row
    writes: dict[str, dict[str, Any]]                    # company -> what its night-2 crawl wrote
    postings: dict[str, set[tuple]]                      # company -> posting rows (the latest-state index)


def archive_facts(db: Path, after_crawl_id: int) -> ArchiveFacts:
    connection = sqlite3.connect(db, timeout=30)
    connection.row_factory = sqlite3.Row
    try:
        crawls = {row["company"]: dict(row) for row in connection.execute(
            "SELECT * FROM crawls WHERE id > ?", [after_crawl_id])}
        writes = {}
        for company, crawl in crawls.items():
            crawl_id = crawl["id"]
            writes[company] = {
                "versions": sorted(tuple(row) for row in connection.execute(
                    "SELECT p.ref, v.version, v.content_hash FROM posting_versions v "
                    "JOIN postings p ON p.id = v.posting_id WHERE v.crawl_id = ?", [crawl_id])),
                "pay_ranges": connection.execute(
                    "SELECT count(*) FROM pay_ranges r JOIN posting_versions v ON v.id = r.version_id "
                    "WHERE v.crawl_id = ?", [crawl_id]).fetchone()[0],
                "version_changes": connection.execute(
                    "SELECT count(*) FROM version_changes c JOIN posting_versions v ON v.id = c.version_id "
                    "WHERE v.crawl_id = ?", [crawl_id]).fetchone()[0],
                "events": sorted(tuple(row) for row in connection.execute(
                    "SELECT p.ref, e.event FROM posting_events e JOIN postings p ON p.id = e.posting_id "
                    "WHERE e.crawl_id = ?", [crawl_id])),
                "postings_seen": connection.execute(
                    "SELECT count(*) FROM postings WHERE last_crawl_id = ?", [crawl_id]).fetchone()[0],
            }
        postings: dict[str, set[tuple]] = {}
        for row in connection.execute(
            "SELECT company, ref, closed_at, current_version, last_crawl_id, last_seen_at FROM postings"
        ):
            postings.setdefault(row["company"], set()).add(tuple(row)[1:])
    finally:
        connection.close()
    return ArchiveFacts(crawls, writes, postings)


def orphans(db: Path) -> list[str]:
    """Rows that point at a crawl or version that does not exist, and SQLite's own checks."""
    connection = sqlite3.connect(db, timeout=30)
    try:
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check") if row[0] != "ok"]
        problems += [f"foreign key: {tuple(row)}" for row in connection.execute("PRAGMA foreign_key_check")]
        for table, column in (("posting_versions", "crawl_id"), ("posting_events", "crawl_id"),
                              ("postings", "last_crawl_id"), ("postings", "first_crawl_id")):
            count = connection.execute(
                f"SELECT count(*) FROM {table} WHERE {column} NOT IN (SELECT id FROM crawls)").fetchone()[0]
            if count:
                problems.append(f"{count} {table} rows point at a crawl that is not recorded")
        count = connection.execute(
            "SELECT count(*) FROM postings p WHERE NOT EXISTS (SELECT 1 FROM posting_versions v "
            "WHERE v.posting_id = p.id AND v.version = p.current_version)").fetchone()[0]
        if count:
            problems.append(f"{count} postings point at a version that is not recorded")
    finally:
        connection.close()
    return problems


def crawl_verdicts(after: ArchiveFacts, before: ArchiveFacts,
                   finished: ArchiveFacts) -> tuple[dict[str, str], list[str]]:
    """Per company: 'present' (exactly what an un-killed run wrote), 'absent' (exactly night 1's
    state), and any way it is neither."""
    verdicts, problems = {}, []
    for company in finished.crawls:
        if company in after.crawls:
            verdicts[company] = "present"
            row, full = after.crawls[company], finished.crawls[company]
            for count in ("seen", "new", "changed", "unchanged", "reopened", "closed", "status"):
                if row[count] != full[count]:
                    problems.append(f"{company}: crawl row {count} = {row[count]}, "
                                    f"an un-killed run records {full[count]}")
            for key, value in finished.writes[company].items():
                if after.writes[company][key] != value:
                    problems.append(f"{company}: its {key} differ from an un-killed run's")
        else:
            verdicts[company] = "absent"
            if after.postings.get(company) != before.postings.get(company):
                problems.append(f"{company}: no crawl row, yet its postings differ from night 1's")
    return verdicts, problems


@dataclass
class KillRun:
    mode: str
    planned_delay: float
    killed_at: float | None       # seconds after start; None: the crawl had already ended
    wal_grew: bool
    path: Path
    verdicts: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def greenhouse_captures(db: Path) -> int:
    """How many Greenhouse captures the archive's raw directory holds, pending ones included: one more
    than before marks the start of the Greenhouse archive write (its capture is written just before the
    transaction), where the WAL's first growth is already the night's start."""
    slug = COMPANIES["greenhouse"]
    # os.walk passes over a directory that goes while it walks (a pending directory, emptied and removed).
    return sum(1 for _directory, _subdirectories, names in os.walk(f"{db}.raw")
               for name in names if slug in name and name.endswith(".jsonl.gz"))


def wal_size(db: Path) -> int:
    try:
        return os.path.getsize(f"{db}-wal")
    except OSError:
        return 0


def start_crawl(db: Path, registry: Path, server: FaultServer, config: LabConfig, companies: list[str]):
    server.set_night(2, CHURN)
    command = crawl_command(db, registry, crawl_settings(server.url, config), companies)
    return subprocess.Popen(command, cwd=REPO_ROOT, env=crawl_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def rebuild_differences(db: Path) -> list[str]:
    """What a rebuild from a killed archive's raw captures makes of it, once the next night's start has
    settled what the kill left pending: its differences from the archive (issue 23: none, whatever the
    kill point; the captures are the archive's history exactly)."""
    from archive.raw import rebuild_archive, settle_pending_captures
    from archive.schema import open_archive
    from benchmarks.archive_equal import compare

    archive = open_archive(str(db))
    try:
        settle_pending_captures(f"{db}.raw", archive)
    finally:
        archive.close()
    rebuilt = db.with_name(f"{db.stem}-rebuilt.db")
    rebuilt.unlink(missing_ok=True)
    rebuild_archive(f"{db}.raw", rebuilt)
    return [f"rebuild differs: {difference}" for difference in compare(db, rebuilt)]


def kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


def measure_write_window(db: Path, registry: Path, server: FaultServer, config: LabConfig,
                         deadline: float) -> tuple[float, float, float]:
    """(its capture's appearance to its commit, to its exit, the whole run) of an un-killed
    Greenhouse-only crawl, in seconds. The commit is when its crawls row becomes visible to a
    reader (WAL readers never block the writer)."""
    start_captures = greenhouse_captures(db)
    reader = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    crawls_before = reader.execute("SELECT count(*) FROM crawls").fetchone()[0]
    process = start_crawl(db, registry, server, config, [COMPANIES["greenhouse"]])
    started = time.monotonic()
    first_growth = committed = None
    try:
        while process.poll() is None and time.monotonic() - started < deadline:
            if first_growth is None and greenhouse_captures(db) > start_captures:
                first_growth = time.monotonic()
            if first_growth is not None and committed is None:
                if reader.execute("SELECT count(*) FROM crawls").fetchone()[0] > crawls_before:
                    committed = time.monotonic()
            time.sleep(0.001)
    finally:
        reader.close()
    if process.poll() is None:
        kill(process)
        raise RuntimeError("the calibration crawl did not finish in time")
    ended = time.monotonic()
    if process.returncode != 0 or first_growth is None:
        raise RuntimeError(f"the calibration crawl failed (exit {process.returncode})")
    committed = committed or ended
    return committed - first_growth, ended - first_growth, ended - started


def run_kills(args: argparse.Namespace, workdir: Path) -> bool:
    rng = random.Random(args.seed)
    config = LabConfig(sizes={"greenhouse": args.kill_board, "workday": 60, "lever": 60}, crawl_timeout=300)
    directory = workdir / "kill"
    directory.mkdir(parents=True, exist_ok=True)
    registry = write_registry(directory)
    print(f"\n== kill -9: {args.kill_runs} kills inside the Greenhouse archive write, {args.kill_random} at random "
          f"moments of a whole night; Greenhouse board of {args.kill_board}", flush=True)
    started = time.monotonic()
    night1 = directory / "night1.db"
    runs: list[KillRun] = []
    with FaultServer(config) as server:
        first = run_crawl(night1, registry, server, 1, None, config)
        if first.exit_code != 0:
            print(f"night 1 failed (exit {first.exit_code}):\n{first.stderr[-2000:]}")
            return False
        night1_last = sqlite3.connect(night1).execute("SELECT max(id) FROM crawls").fetchone()[0]
        before = archive_facts(night1, night1_last)

        # What an un-killed night writes, for each selection: the facts a present crawl must match.
        finished = {}
        whole_night = 0.0
        for label, companies in (("greenhouse", [COMPANIES["greenhouse"]]), ("all", [])):
            db = directory / f"unkilled-{label}.db"
            copy_archive(night1, db)
            run = run_crawl(db, registry, server, 2, CHURN, config, companies)
            if run.exit_code != 0:
                print(f"the un-killed {label} night failed (exit {run.exit_code}):\n{run.stderr[-2000:]}")
                return False
            finished[label] = archive_facts(db, night1_last)
            whole_night = run.seconds
        db = directory / "calibration.db"
        copy_archive(night1, db)
        to_commit, to_exit, whole_gh = measure_write_window(db, registry, server, config, deadline=300)
        # Kills are drawn over the transaction and a little past its commit (a quarter more).
        write_span = to_commit * 1.25
        print(f"un-killed Greenhouse crawl: {whole_gh:.2f}s; from its capture's appearance {to_commit:.2f}s to the "
              f"commit, {to_exit:.2f}s to exit; a whole night: about {whole_night:.1f}s; greenhouse writes "
              f"{len(finished['greenhouse'].writes[COMPANIES['greenhouse']]['versions'])} versions", flush=True)

        def kill_once(number: int, mode: str, delay: float) -> KillRun:
            """One crawl on a fresh copy of night 1, SIGKILLed ``delay`` seconds after its Greenhouse
            capture appears (mode "write": Greenhouse alone; its archive write follows at once) or after
            the start (mode "random": the whole registry); then the archive is checked."""
            db = directory / f"kill{number:02d}.db"
            copy_archive(night1, db)
            shutil.rmtree(f"{db}.raw", ignore_errors=True)
            shutil.copytree(f"{night1}.raw", f"{db}.raw")  # night 1's captures: the rebuild needs the whole history
            start_size, start_captures = wal_size(db), greenhouse_captures(db)
            companies = [COMPANIES["greenhouse"]] if mode == "write" else []
            process = start_crawl(db, registry, server, config, companies)
            t0 = time.monotonic()
            trigger = t0 if mode == "random" else None
            wal_grew = False
            killed_at = None
            while process.poll() is None and time.monotonic() - t0 < config.crawl_timeout:
                now = time.monotonic()
                if not wal_grew and wal_size(db) > start_size:
                    wal_grew = True
                if trigger is None and greenhouse_captures(db) > start_captures:
                    trigger = now
                if trigger is not None and now - trigger >= delay:
                    kill(process)
                    killed_at = now - t0
                    break
                time.sleep(0.001)
            if process.poll() is None:
                kill(process)
            run = KillRun(mode, delay, killed_at, wal_grew, path=db)
            after = archive_facts(db, night1_last)
            run.problems = orphans(db)
            run.verdicts, problems = crawl_verdicts(after, before, finished["greenhouse" if mode == "write" else "all"])
            run.problems += problems
            run.problems += rebuild_differences(db)
            state = ", ".join(f"{company} {verdict}" for company, verdict in sorted(run.verdicts.items()))
            when = f"killed at {killed_at:.3f}s" if killed_at is not None else "ended before the kill"
            print(f"  kill {number:2d} [{mode:6}] delay {delay:.3f}s, {when}: {state}"
                  f"{' — ' + '; '.join(run.problems) if run.problems else ''}", flush=True)
            return run

        # Kills inside the write until --kill-runs have landed (a crawl can end before its kill;
        # at most twice as many attempts), then kills at random moments of a whole night.
        attempts = 0
        while (sum(1 for run in runs if run.killed_at is not None) < args.kill_runs
               and attempts < 2 * args.kill_runs):
            attempts += 1
            runs.append(kill_once(len(runs) + 1, "write", rng.uniform(0, write_span)))
        for _ in range(args.kill_random):
            runs.append(kill_once(len(runs) + 1, "random", rng.uniform(0.5, whole_night * 1.1)))

        # A killed archive must take the next night as if nothing had happened.
        recovered_ok = True
        killed = next((run.path for run in runs if run.killed_at is not None), None)
        if killed is not None:
            recovery = run_crawl(killed, registry, server, 3, None, config)
            recovered_ok = recovery.exit_code == 0 and not orphans(killed)
            print(f"  next night on killed archive {killed.name}: exit {recovery.exit_code}, "
                  f"{'consistent' if not orphans(killed) else orphans(killed)}")

    landed = [run for run in runs if run.killed_at is not None]
    inside = [run for run in landed if run.mode == "write" and run.verdicts.get(COMPANIES["greenhouse"]) == "absent"]
    broken = [run for run in runs if run.problems]
    print(f"kill -9: {len(runs)} runs, {len(landed)} killed while running ({len(inside)} inside the Greenhouse "
          f"transaction: absent afterwards, {len([r for r in landed if r.mode == 'write']) - len(inside)} after its "
          f"commit: present), {len(broken)} left a half-written crawl, a damaged archive or captures a rebuild "
          f"does not make the archive from; "
          f"{time.monotonic() - started:.0f}s")
    return not broken and recovered_ok and len([r for r in landed if r.mode == "write"]) >= args.kill_runs


# ------------------------------------------------------------------------------------------------
# 3. Fuzz parse_pay and classify_role.
# ------------------------------------------------------------------------------------------------
PAY_WORDS = [
    "$", "USD", "US$", "CA$", "A$", "€", "EUR", "£", "GBP", "¥", "JPY", "₹", "INR", "CHF", "MXN", "R$", "kr",
    "k", "K", "M", "mil", "per hour", "/hr", "an hour", "hourly", "per year", "annually", "/yr", "a year",
    "per month", "monthly", "a week", "daily", "per annum", "base", "base salary", "OTE", "total compensation",
    "salary", "pay range", "hiring range", "compensation", "wage", "rate", "to", "-", "–", "—", "~", "between",
    "and", "from", "up to", "+", "plus equity", "bonus", "(", ")", ":", ",", ".", ";", "\n", "\n\n", " ", " ",
    "Local Pay Range", "The base salary range for this role is", "pesos", "lakh", "LPA", "per diem", "DOE",
]
ROLE_WORDS = [
    "Senior", "Sr.", "Staff", "Principal", "Lead", "Intern", "Internship", "Junior", "Associate", "Director",
    "VP", "Vice President", "Head of", "Chief", "Manager", "Engineer", "Software", "Machine Learning", "ML", "AI",
    "LLM", "Research", "Scientist", "Data", "Analyst", "Designer", "Product", "Producer", "Artist", "Animator",
    "Recruiter", "Counsel", "Account Executive", "Sales", "Marketing", "Operations", "Support", "II", "III", "IV",
    "L5", "E6", "Level 3", "(Remote)", "- Los Angeles", ",", "/", "&", "of", "for", "Game AI", "Algorithms",
]
CURRENCIES = ["USD", "EUR", "GBP", "CAD", "INR", "JPY", "MXN", "CHF", "AUD", "BRL"]
DIGIT_SETS = ["0123456789", "０１２３４５６７８９", "٠١٢٣٤٥٦٧٨٩", "०१२३४५६७८९", "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗"]
STRANGE = ["\ud800", "\udfff", "\ud83d", "\u0301", "\u200b", "\u200f", "\u202e", "\ufeff", "\x00", "\x1b",
           "\u00a0", "\u202f", "\u3000", "😀", "ﬀ", "Ⅻ", "½", "²", "NaN", "nan", "Infinity", "inf", "-0", "1e309",
           "<b>", "</p>", "&amp;", "&#36;", "\\u0024", "%s", "{0}", "$$", "..."]


def fuzz_number(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.15:
        return "9" * rng.randint(16, 400)                  # huge
    if kind < 0.25:
        return rng.choice(["0", "0.0", "-5", ".5", "1e9", "1e309", "007", "1,2,3", "1.2.3", "12,34,567"])
    value = rng.choice([rng.randint(1, 99), rng.randint(10, 999), rng.randint(1000, 999_999),
                        rng.randint(10**6, 10**12)])
    style = rng.random()
    if style < 0.3:
        text = f"{value:,}"
    elif style < 0.45:
        text = f"{value:,}".replace(",", ".")
    elif style < 0.55:
        text = f"{value:,}".replace(",", rng.choice([" ", "\u00a0", "\u202f", "'"]))
    elif style < 0.7:
        text = f"{value}.{rng.randint(0, 99):02d}"
    else:
        text = str(value)
    if rng.random() < 0.25:  # the same number in another script's digits
        digits = rng.choice(DIGIT_SETS)
        text = text.translate({ord(str(d)): digits[d] for d in range(10)})
    return text


def fuzz_pay_text(rng: random.Random) -> str:
    pieces = []
    for _ in range(rng.randint(1, 40)):
        roll = rng.random()
        if roll < 0.35:
            pieces.append(fuzz_number(rng))
        elif roll < 0.8:
            pieces.append(rng.choice(PAY_WORDS))
        elif roll < 0.92:
            pieces.append(rng.choice(STRANGE))
        else:
            pieces.append("".join(chr(rng.randint(0, 0x10FFFF)) for _ in range(rng.randint(1, 6))))
        pieces.append(rng.choice(["", " ", " ", "  ", "\t", "\n"]))
    text = "".join(pieces)
    if rng.random() < 0.05:
        text = text * rng.randint(2, 50)                   # long, repetitive descriptions
    return text


def fuzz_title(rng: random.Random) -> tuple[str | None, str | None]:
    if rng.random() < 0.02:
        return rng.choice([None, "", " "]), None
    pieces = [rng.choice(ROLE_WORDS + STRANGE) if rng.random() < 0.85 else chr(rng.randint(0, 0x10FFFF))
              for _ in range(rng.randint(1, 12))]
    title = " ".join(pieces)
    if rng.random() < 0.02:
        title = title * rng.randint(50, 500)               # far past any real title
    department = None if rng.random() < 0.5 else " ".join(rng.choice(ROLE_WORDS) for _ in range(rng.randint(1, 3)))
    return title, department


def input_rng(seed: int, number: int) -> random.Random:
    return random.Random(seed * 1_000_003 + number)


def pay_violations(text: str, ranges: Any) -> list[str]:
    from scrapers.items import BASES, PERIODS, PayRange

    if not isinstance(ranges, list):
        return [f"parse_pay returned {type(ranges).__name__}, not a list"]
    problems = []
    for pay in ranges:
        if not isinstance(pay, PayRange):
            problems.append(f"item of type {type(pay).__name__}")
            continue
        if not (isinstance(pay.min, (int, float)) and isinstance(pay.max, (int, float))
                and math.isfinite(pay.min) and math.isfinite(pay.max)):
            problems.append(f"not finite: {pay.min!r}-{pay.max!r}")
        elif not 0 < pay.min <= pay.max:
            problems.append(f"not 0 < min <= max: {pay.min!r}-{pay.max!r}")
        elif not (math.isfinite(pay.annual_min) and math.isfinite(pay.annual_max)):
            problems.append(f"annualised pay not finite: {pay.annual_min!r}-{pay.annual_max!r}")
        if not (isinstance(pay.currency, str) and re.fullmatch(r"[A-Z]{3}", pay.currency)):
            problems.append(f"currency {pay.currency!r}")
        if pay.period not in PERIODS:
            problems.append(f"period {pay.period!r}")
        if pay.basis not in BASES:
            problems.append(f"basis {pay.basis!r}")
        if not (isinstance(pay.raw, str) and pay.raw in text):
            problems.append(f"raw {pay.raw[:60]!r} is not a substring of the input")
    return problems


def role_violations(result: Any, again: Any) -> list[str]:
    from pipelines.role_classifier import ROLE_TYPES, SENIORITIES, RoleClass

    if not isinstance(result, RoleClass):
        return [f"classify_role returned {type(result).__name__}"]
    problems = []
    if result.role_type not in ROLE_TYPES:
        problems.append(f"role_type {result.role_type!r}")
    if result.seniority not in SENIORITIES:
        problems.append(f"seniority {result.seniority!r}")
    if type(result.ai_related) is not bool:
        problems.append(f"ai_related {result.ai_related!r}")
    if again is not None and again != result:
        problems.append("a second call answered differently")
    return problems


def fuzz_worker(target: str, seed: int, count: int, progress: Any, results: Any) -> None:
    """Runs in a child process, so a hang can be stopped from outside; reports what it found."""
    from pipelines.pay_parser import parse_pay
    from pipelines.role_classifier import classify_role

    crashes, violations, slowest = [], [], (0.0, None)
    ranges_found = unencodable_raw = 0
    for number in range(count):
        progress.value = number
        rng = input_rng(seed, number)
        if target == "parse_pay":
            text, currency = fuzz_pay_text(rng), rng.choice(CURRENCIES)
            shown: Any = (text, currency)
        else:
            title, department = fuzz_title(rng)
            shown = (title, department)
        began = time.perf_counter()
        try:
            if target == "parse_pay":
                found = parse_pay(text, default_currency=currency)
                problems = pay_violations(text, found)
                ranges_found += len(found) if isinstance(found, list) else 0
                for pay in found if isinstance(found, list) else []:
                    try:
                        pay.raw.encode("utf-8")
                    except (UnicodeEncodeError, AttributeError):
                        unencodable_raw += 1
            else:
                result = classify_role(title, department)
                again = classify_role(title, department) if number % 10 == 0 else None
                problems = role_violations(result, again)
        except Exception as error:  # what the fuzz is looking for
            crashes.append((number, f"{type(error).__name__}: {error}"[:200], repr(shown)[:300]))
            continue
        elapsed = time.perf_counter() - began
        if elapsed > slowest[0]:
            slowest = (elapsed, number)
        if problems:
            violations.append((number, "; ".join(problems)[:300], repr(shown)[:300]))
    progress.value = count
    results.put({"target": target, "crashes": crashes[:20], "crash_count": len(crashes),
                 "violations": violations[:20], "violation_count": len(violations), "slowest": slowest,
                 "ranges_found": ranges_found, "unencodable_raw": unencodable_raw})


def regenerate(target: str, seed: int, number: int) -> str:
    rng = input_rng(seed, number)
    if target == "parse_pay":
        return repr((fuzz_pay_text(rng), rng.choice(CURRENCIES)))[:300]
    return repr(fuzz_title(rng))[:300]


def run_fuzz(args: argparse.Namespace) -> bool:
    print(f"\n== Fuzz: {args.fuzz} inputs each to parse_pay and classify_role (seed {args.seed}, "
          f"at most {args.fuzz_seconds:.0f}s each)", flush=True)
    context = multiprocessing.get_context("fork")
    ok = True
    for target in ("parse_pay", "classify_role"):
        progress = context.Value("q", 0)
        results = context.Queue()
        worker = context.Process(target=fuzz_worker, args=(target, args.seed, args.fuzz, progress, results),
                                 daemon=True)
        started = time.monotonic()
        worker.start()
        report = None
        while time.monotonic() - started < args.fuzz_seconds:
            try:
                report = results.get(timeout=0.5)
                break
            except Exception:  # queue.Empty: still running
                if not worker.is_alive():
                    break
        elapsed = time.monotonic() - started
        if report is None:
            worker.kill()
            worker.join(timeout=10)
            stuck = progress.value
            print(f"{target}: stopped after {elapsed:.0f}s at input {stuck} of {args.fuzz} "
                  f"(time limit or the worker died); that input: {regenerate(target, args.seed, stuck)}")
            ok = False
            continue
        worker.join(timeout=10)
        rate = args.fuzz / elapsed if elapsed else 0
        slow_seconds, slow_number = report["slowest"]
        extra = (f", {report['ranges_found']} ranges found, {report['unencodable_raw']} with a raw text that is not "
                 "UTF-8 (lone surrogates)") if target == "parse_pay" else ""
        print(f"{target}: {args.fuzz} inputs in {elapsed:.1f}s ({rate:,.0f}/s), {report['crash_count']} crashes, "
              f"{report['violation_count']} invariant violations{extra}; slowest input {slow_seconds * 1000:.1f} ms "
              f"(#{slow_number})")
        for number, error, shown in report["crashes"][:5]:
            print(f"    crash #{number}: {error}\n      input {shown}")
        for number, problem, shown in report["violations"][:5]:
            print(f"    violation #{number}: {problem}\n      input {shown}")
        ok = ok and report["crash_count"] == 0 and report["violation_count"] == 0
    return ok


# ------------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the tests' small boards (30/40/30) for the matrix")
    parser.add_argument("--rows", type=lambda text: set(text.split(",")), default=set(),
                        help="only these fault rows (comma-separated names)")
    parser.add_argument("--workers", type=int, default=2, help="rows run side by side (default 2)")
    parser.add_argument("--skip-matrix", action="store_true")
    parser.add_argument("--kill-runs", type=int, default=20,
                        help="kills inside the archive write (default 20; 0: none)")
    parser.add_argument("--kill-random", type=int, default=10,
                        help="kills at random moments of a whole night (default 10)")
    parser.add_argument("--kill-board", type=int, default=3000, help="Greenhouse postings in the kill runs")
    parser.add_argument("--fuzz", type=int, default=100_000, help="inputs to each function (default 100000; 0: none)")
    parser.add_argument("--fuzz-seconds", type=float, default=300.0, help="time limit per function (default 300)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep the archives (default: a temporary dir)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="paywatch-faults-"))
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    verdicts = {}
    try:
        if not args.skip_matrix:
            verdicts["matrix"] = run_matrix(args, workdir)
        if args.kill_runs or args.kill_random:
            verdicts["kill -9"] = run_kills(args, workdir)
        if args.fuzz:
            verdicts["fuzz"] = run_fuzz(args)
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    summary = ", ".join(f"{name}: {'ok' if ok else 'FAILS'}" for name, ok in verdicts.items())
    print(f"\n== {summary} ({time.monotonic() - started:.0f}s)")
    return 0 if all(verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
