"""A night's crawl: the selected companies in one Scrapy process, each into the archive; its log
file and its alert hook.

Companies whose crawls talk to the same host (``PlatformSpider.host_key``) are crawled one after
another by one crawler, because Scrapy's per-host politeness limits hold within one crawler, not
across crawlers, and a crawler's start and stop cost more than a small board's crawl; different
hosts run side by side. Each company's crawl is archived as it closes; ``run_crawl`` then reads each
crawl's archived row back, so what it reports is what was recorded.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import typing
from dataclasses import asdict
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from scrapy.crawler import AsyncCrawlerProcess
from scrapy.settings import Settings

from archive.access import DiskFull, is_disk_full, open_read_only
from archive.clock import CrawlClock
from archive.raw import begin_night, raw_dir_for
from archive.report import anomalies
from archive.schema import open_archive
from archive.store import crawl_records
from scrapers import settings as paywatch_settings
from scrapers.middlewares import NightRobotsTxtMiddleware
from scrapers.platforms import generated_for_registry, load_registry
from scrapers.signals import archive_disk_full, company_archived, company_closed
from scrapers.registry import Company

# Called as each company's crawl closes: (companies done, companies in all, slug, its status as archived,
# why it is worth a look or None: why it is not complete, what looks wrong against its recent nights).
Progress = Callable[[int, int, str, str, "str | None"], None]


def progress_line(done: int, total: int, slug: str, status: str, why: str | None, width: int = 120) -> str:
    """``[3/5] a24: failed (request failed: HTTP 503)``, shortened to ``width`` (the log has it whole)."""
    line = f"[{done}/{total}] {slug}: {status}"
    if why:
        room = max(width - len(line) - 3, 20)
        # Cut mid-word: a reason is often one long URL, which shortening at spaces would drop whole.
        line += f" ({why if len(why) <= room else why[:room - 1] + '…'})"
    return line


class UnknownCompanies(ValueError):
    """Company slugs asked for that the registry does not hold."""


# Scrapy's INFO lines, a hundred a company, would bury the progress lines and the problems on a
# terminal; the night's log file (--log-dir) keeps them, as does an explicit --log-level.
TERMINAL_LOG_LEVEL = "WARNING"


def project_settings(
    db: str | None,
    registry: str | None = None,
    overrides: Mapping[str, str] | None = None,
    log_level: str | None = None,
    terminal: bool = False,
) -> Settings:
    """paywatch's Scrapy settings with what the command line set on top; ``terminal``: Scrapy logs
    to the terminal, so only its warnings and errors unless ``log_level`` says otherwise."""
    settings = Settings()
    settings.setmodule("scrapers.settings", priority="project")
    if db is not None:
        settings.set("PAYWATCH_DB", db, priority="cmdline")
    if registry:
        settings.set("PAYWATCH_REGISTRY", registry, priority="cmdline")  # the spider loader reads it
    if log_level or terminal:
        settings.set("LOG_LEVEL", (log_level or TERMINAL_LOG_LEVEL).upper(), priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def known_setting_names() -> set[str]:
    """Every setting Scrapy or paywatch reads: Scrapy's defaults and paywatch's settings module (which
    names each of its own, None where it has no default, so a misspelling is never taken silently)."""
    from scrapy.settings import default_settings

    return {name for module in (default_settings, paywatch_settings) for name in dir(module) if name.isupper()}


# How a setting's value is read, by its type: a value that cannot be read so is refused on the command
# line, not when a spider first asks for it mid-crawl. A whole-number default is read as any number,
# as Scrapy reads several of them (DOWNLOAD_TIMEOUT = 180, CLOSESPIDER_TIMEOUT = 0) with getfloat; a
# paywatch setting's annotation says its type exactly.
_READERS = ((bool, "getbool", "true or false"), (int, "getfloat", "a number"), (float, "getfloat", "a number"),
            (dict, "getdict", "a JSON object"), (list, "getlist", "a list"))
_DECLARED_READERS = {int: ("getint", "a whole number"), float: ("getfloat", "a number")}


def setting_problem(key: str, value: str) -> str | None:
    """What is wrong with ``-s key=value`` (an unknown key, naming the closest known one; a value its
    setting cannot take), or None."""
    import difflib

    known = known_setting_names()
    if key not in known:
        closest = difflib.get_close_matches(key.upper(), sorted(known), n=1, cutoff=0.6)
        return f"{key} is not a Scrapy or paywatch setting" + (f" (did you mean {closest[0]}?)" if closest else "")
    default = project_settings(None).get(key)
    # A setting without a default says its type by annotation in scrapers/settings.py.
    declared = typing.get_args(getattr(paywatch_settings, "__annotations__", {}).get(key)) or ()
    readers = [_DECLARED_READERS[kind] for kind in declared if kind in _DECLARED_READERS] if default is None else [
        (reader, what) for kind, reader, what in _READERS if isinstance(default, kind)][:1]
    for reader, what in readers:
        try:
            getattr(Settings({key: value}), reader)(key)
        except (TypeError, ValueError):
            return f"{key} takes {what}, not {value!r}"
    return None


def select_companies(
    registry: str | None,
    platforms: Iterable[str] = (),
    companies: Iterable[str] = (),
    sectors: Iterable[str] = (),
) -> list[Company]:
    """The registry entries matching every filter given (an empty filter matches all)."""
    platforms, companies, sectors = set(platforms), list(companies), set(sectors)
    entries = load_registry(registry)
    unknown = [slug for slug in companies if slug not in {entry.slug for entry in entries}]
    if unknown:
        raise UnknownCompanies(f"not in the registry: {', '.join(unknown)}")
    return [
        entry for entry in entries
        if (not platforms or entry.platform in platforms)
        and (not companies or entry.slug in companies)
        and (not sectors or entry.sector in sectors)
    ]


def host_groups(selected: Iterable[Company], load_spider: Callable[[str], Any]) -> dict[str, list[Company]]:
    """Companies grouped by the host their crawl talks to (see PlatformSpider.host_key)."""
    groups: dict[str, list[Company]] = {}
    for company in selected:
        groups.setdefault(load_spider(company.slug).host_key(company), []).append(company)
    return groups


def crawler_runs(group: list[Company], load_spider: Callable[[str], Any]) -> list[list[Company]]:
    """A host group's companies as crawler runs: each run's companies share one crawler, crawled in
    turn (the first's spider class takes the rest as its ``company_queue``). Companies of one platform
    whose spiders the registry generated share one; a hand-written spider gets a crawler of its own."""
    runs: list[list[Company]] = []
    shared: dict[str, list[Company]] = {}  # by platform: two platforms may name one host
    for company in group:
        spider_class = load_spider(company.slug)
        if generated_for_registry(spider_class):  # a PlatformSpider subclass, which takes a queue
            shared.setdefault(company.platform, []).append(company)
        else:
            runs.append([company])
    return list(shared.values()) + runs


def run_crawl(settings: Settings, selected: list[Company], progress: Progress | None = None) -> list[dict[str, Any]]:
    """Crawl the selected companies in one process; one result per company, in ``selected`` order:
    its archived ``crawls`` row, or a failed result when the crawl was never archived.

    Each host group's companies are crawled in turn by one crawler, each archived as it closes; one
    that reaches its own limit (CompanyCloseSpider) closes that crawler, and a new one takes up the
    companies still queued."""
    NightRobotsTxtMiddleware.forget_run()
    db_path = settings.get("PAYWATCH_DB")
    db = open_archive(db_path)
    try:
        keep_dir = raw_dir_for(db_path, settings.get("PAYWATCH_RAW_DIR")) if settings.getbool("PAYWATCH_RAW_CAPTURE") else None
        # Names and sectors for research, kept with the captures so a rebuild has them too.
        begin_night(db, [asdict(company) for company in selected], keep_dir,
                    CrawlClock(settings.get("PAYWATCH_CRAWL_TIME")).now_iso())
    except Exception as error:
        if is_disk_full(error):
            raise DiskFull(f"disk full: {db_path}: {error}; nothing was crawled") from None
        raise
    finally:
        db.close()
    process = AsyncCrawlerProcess(settings)
    loader = process.spider_loader
    closed: dict[str, str] = {}  # company -> why its crawl closed
    crawl_ids: dict[str, int] = {}
    reader: list[Any] = []  # the archive read for the progress lines, opened at the first
    disk_full: list[str] = []  # why the night stopped, when an archive write found the disk full

    def on_company_closed(spider: Any, reason: str) -> None:
        closed[spider.company.slug] = reason

    def on_disk_full(path: str, error: str) -> None:
        if not disk_full:
            disk_full.append(f"disk full: {path}: {error}")
            process.stop()  # every crawl after would fail to be archived the same way

    def on_company_archived(company: str, crawl_id: int, status: str) -> None:
        crawl_ids[company] = crawl_id
        if progress is not None:
            progress(len(crawl_ids), len(selected), company, status, worth_a_look(crawl_id))

    def worth_a_look(crawl_id: int) -> str | None:
        """What the report will say of the crawl: why it is not complete, and its anomalies."""
        if not reader:
            reader.append(open_read_only(settings.get("PAYWATCH_DB")))
        crawl = crawl_records(reader[0], [crawl_id]).get(crawl_id)
        if crawl is None:
            return None
        said = [crawl["failure_reason"]] if crawl["failure_reason"] else []
        return "; ".join(said + [anomaly["message"] for anomaly in anomalies(reader[0], crawl)]) or None

    def crawl_run(run: list[Company], host_share: int, more_runs: list[list[Company]]) -> None:
        crawler = process.create_crawler(loader.load(run[0].slug))
        crawler.signals.connect(on_company_closed, signal=company_closed)
        crawler.signals.connect(on_company_archived, signal=company_archived)
        crawler.signals.connect(on_disk_full, signal=archive_disk_full)
        queue = {"company_queue": run[1:]} if len(run) > 1 else {}
        task = process.crawl(crawler, host_share=host_share, **queue)  # each company its share of the night
        task.add_done_callback(partial(run_done, crawler, run, host_share, more_runs))

    def run_done(crawler: Any, run: list[Company], host_share: int, more_runs: list[list[Company]],
                 _finished_task: Any = None) -> None:
        for company in run:  # archived or not, every company the crawler opened is done
            if company.slug in closed and company.slug not in crawl_ids and progress is not None:
                reason = closed[company.slug]
                progress(len(crawl_ids), len(selected), company.slug, "not archived",
                         "see the log" if reason == "finished" else f"crawl ended early: {reason}; see the log")
        spider = crawler.spider
        restart = spider.companies_to_restart(closed.get(spider.company.slug, "")) if spider is not None else []
        if restart:
            more_runs.insert(0, restart)
        if more_runs and not disk_full:
            crawl_run(more_runs.pop(0), host_share, more_runs)

    for group in host_groups(selected, loader.load).values():
        runs = crawler_runs(group, loader.load)
        crawl_run(runs.pop(0), len(group), runs)
    try:
        process.start()
    finally:
        for held in reader:
            held.close()
    if disk_full:
        raise DiskFull(f"{disk_full[0]}; the night stopped after {len(crawl_ids)} of {len(selected)} crawls were "
                       "archived (the archive holds them whole; the next night crawls the rest again)")

    db = open_archive(settings.get("PAYWATCH_DB"))
    try:
        archived = crawl_records(db, list(crawl_ids.values()))
    finally:
        db.close()
    return [
        archived.get(crawl_ids.get(company.slug)) or {
            "company": company.slug, "platform": company.platform, "status": "failed",
            "failure_reason": "crawl was not archived (see the log)",
        }
        for company in selected
    ]


# One log file a night, named by the local date the crawl started; a second crawl that night appends.
NIGHT_LOG = re.compile(r"crawl-\d{4}-\d{2}-\d{2}\.log")


def night_log_name(day: date) -> str:
    return f"crawl-{day.isoformat()}.log"


def logs_to_delete(names: Iterable[str], tonight: str, keep: int) -> list[str]:
    """Which nightly logs go so that ``keep`` remain, tonight's among them: the oldest by date.
    Only names shaped like a nightly log are ever candidates; tonight's never is."""
    older = sorted((name for name in set(names) if NIGHT_LOG.fullmatch(name) and name != tonight), reverse=True)
    return sorted(older[max(keep - 1, 0):])


def night_log(directory: Path, day: date, keep: int) -> Path:
    """Tonight's log file in ``directory`` (created if missing), older nightly logs beyond ``keep`` deleted."""
    directory.mkdir(parents=True, exist_ok=True)
    tonight = night_log_name(day)
    for name in logs_to_delete((path.name for path in directory.iterdir() if path.is_file()), tonight, keep):
        (directory / name).unlink(missing_ok=True)
    return directory / tonight


# An alert hook that hangs must not hold the next night's lock; two minutes is plenty to post a message.
ON_FAILURE_TIMEOUT_S = 120


def run_on_failure(argv: list[str], report_path: Path, timeout: float = ON_FAILURE_TIMEOUT_S) -> str | None:
    """Run ``argv`` with the report's path as its last argument, no shell; what went wrong, or None.
    It runs in its own process group, so on timeout whatever it started is killed with it."""
    try:
        process = subprocess.Popen([*argv, str(report_path)], stdin=subprocess.DEVNULL, start_new_session=True)
    except OSError as error:
        return f"could not run it: {error.strerror or error}"
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return f"killed after {timeout:g} s"
    return None if code == 0 else f"exited {code}"
