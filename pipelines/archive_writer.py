"""Stage 900, ArchiveWriterPipeline: append each company crawl to the archive: items are buffered and written in one transaction.

The write happens when the company's crawl closes (``company_closed``: a crawler may crawl a host
group's companies in turn; for a spider that does not announce its companies, when it closes), once
Scrapy has said why it closed. A crawl is recorded
as complete only if it finished normally, the spider saw nothing wrong (including what it can only
judge at the end: every listed posting identified, every listing as long as the platform said, no
request refused for its host) and it returned postings; otherwise it is recorded as failed, which
closes nothing. The ids of every posting the platform listed go with the items, so a posting that
was listed but not read (or dropped by validation) is seen, not closed.

With ``PAYWATCH_CRAWL_TIME`` (ISO) the crawl's times are that night's, not the wall clock's (a replay
of saved responses, archive/clock.py), and the crawl row says when it really ran (``replayed_at``).

Each crawl's ingest_crawl arguments are also written as a raw capture (``PAYWATCH_RAW_DIR``, default
``<PAYWATCH_DB>.raw``; ``PAYWATCH_RAW_CAPTURE = False`` turns it off), which `paywatch rebuild` replays.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import NotConfigured

from sqlite_utils import Database

from archive.access import is_disk_full
from archive.clock import CrawlClock
from archive.schema import open_archive
from archive.raw import PendingCapture, raw_dir_for, write_capture, write_pending_capture
from archive.store import ingest_crawl
from scrapers.signals import archive_disk_full, company_archived, company_closed, company_opened

logger = logging.getLogger(__name__)

# One connection per archive file for the whole process (issue 10: opening it, checking its migrations
# and checkpointing its WAL at close was a connection per company). Keyed by path and checked against
# the file's identity, so an archive replaced at the same path is opened afresh; closed when the
# reactor shuts down, after the night's last crawl.
_open_archives: dict[str, tuple[tuple[int, int], Database]] = {}


def shared_archive(path: str) -> Database:
    """The process's connection to the archive at ``path``, opened (and migrated) the first time."""
    if path == ":memory:":
        return open_archive(path)  # a new, empty database each time, as before
    key = os.path.abspath(path)
    cached = _open_archives.get(key)
    if cached is not None:
        try:
            stat = os.stat(key)
        except OSError:
            stat = None
        if stat is not None and (stat.st_dev, stat.st_ino) == cached[0]:
            return cached[1]
        cached[1].close()
    db = open_archive(path)
    stat = os.stat(key)
    _open_archives[key] = ((stat.st_dev, stat.st_ino), db)
    return db


def close_shared_archives() -> None:
    while _open_archives:
        _key, (_identity, db) = _open_archives.popitem()
        db.close()


def _close_at_reactor_shutdown() -> None:
    """Once per process, and only with a reactor Scrapy installed (never install one from here)."""
    from scrapy.utils.reactor import is_reactor_installed

    if getattr(_close_at_reactor_shutdown, "registered", False) or not is_reactor_installed():
        return
    from twisted.internet import reactor

    reactor.addSystemEventTrigger("before", "shutdown", close_shared_archives)
    _close_at_reactor_shutdown.registered = True


def crawl_status(finish_reason: str, spider_failures: list[str], items: int, dropped: int,
                 answered_empty: bool = False) -> tuple[str, str | None]:
    """("complete", None) or ("failed", why)."""
    if finish_reason != "finished":
        return "failed", f"crawl ended early: {finish_reason}"
    if spider_failures:
        extra = f" (+{len(spider_failures) - 1} more)" if len(spider_failures) > 1 else ""
        return "failed", spider_failures[0] + extra
    if items == 0 and not (answered_empty and dropped == 0):
        # Zero postings is far more often a broken crawl than a company with no openings: only a board
        # that answered normally that it lists nothing is a listing (and the archive closes on it only
        # when the next night's listing is empty too).
        reason = "no postings returned" if dropped == 0 else f"all {dropped} postings were dropped"
        return "failed", reason
    return "complete", None


# Set on the crawler's stats when an archive write found the disk full (its value says where and why).
DISK_FULL_STAT = "paywatch/archive/disk_full"


class ArchiveWriterPipeline:
    """Archives each company crawl as it closes (raw capture first, then ``ingest_crawl``). With
    ``PAYWATCH_CAPTURE_ONLY`` (a Scrapyd node of a cluster, docs/SCALE.md) it writes the raw capture
    alone, into ``PAYWATCH_RAW_DIR``: one process on the archive machine ingests the nodes' captures
    in crawl order (``archive.raw.ingest_captures``), so the archive has a single writer."""

    def __init__(self, crawler: Any, db_path: str | None, raw_dir: str | None = None, capture_only: bool = False) -> None:
        self.crawler = crawler
        self.db_path = db_path
        self.raw_dir = raw_dir
        self.capture_only = capture_only
        self.items: list[dict[str, Any]] = []
        self.clock = CrawlClock(crawler.settings.get("PAYWATCH_CRAWL_TIME"))
        self.company_opened(None)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.company_closed, signal=company_closed)
        crawler.signals.connect(self.company_opened, signal=company_opened)

    @classmethod
    def from_crawler(cls, crawler: Any):
        db_path = crawler.settings.get("PAYWATCH_DB")
        if crawler.settings.getbool("PAYWATCH_CAPTURE_ONLY"):
            raw_dir = crawler.settings.get("PAYWATCH_RAW_DIR")
            if not raw_dir:
                raise ValueError("PAYWATCH_CAPTURE_ONLY needs PAYWATCH_RAW_DIR: where the crawl's capture goes")
            return cls(crawler, None, raw_dir, capture_only=True)
        if not db_path:
            raise NotConfigured("PAYWATCH_DB is not set")
        raw_dir = None
        if crawler.settings.getbool("PAYWATCH_RAW_CAPTURE"):
            raw_dir = raw_dir_for(db_path, crawler.settings.get("PAYWATCH_RAW_DIR"))
        _close_at_reactor_shutdown()
        return cls(crawler, db_path, raw_dir)

    def capture(self, crawl: dict[str, Any]) -> PendingCapture | Path | None:
        """Write the crawl's raw capture (archive/raw.py) before the archive write: pending, to be
        published with the crawl's commit (on a node, where the capture is the crawl, straight into its
        night); None when captures are off or this one could not be written. A capture that fails is
        logged and counted and the archive write goes on: the archive must never lose a night because
        the disk that holds captures is full."""
        if self.raw_dir is None:
            return None
        try:
            if self.capture_only:
                written = write_capture(self.raw_dir, crawl, self.items)
                size = written.stat().st_size
            else:
                written = write_pending_capture(self.raw_dir, crawl, self.items)
                size = written.path.stat().st_size
        except Exception as error:
            self.crawler.stats.inc_value("paywatch/raw/failed")
            logger.error("%s: raw capture not written under %s (%s); archiving the crawl without one",
                         crawl["company"], self.raw_dir, error)
            return None
        self.crawler.stats.inc_value("paywatch/raw/captured")
        self.crawler.stats.set_value("paywatch/raw/bytes", size)
        return written

    def process_item(self, item: Any) -> Any:
        # A shallow copy: this is the last stage, nothing changes the item after it, and the archive
        # copies what it stores (asdict() deep-copied every posting: 11% of a crawl, issue 10).
        self.items.append(dict(ItemAdapter(item)))
        return item

    def spider_closed(self, spider: Any, reason: str) -> None:
        if not getattr(spider, "announces_company_closes", False):
            self.company_closed(spider, reason, self.crawler.stats.get_stats() or {})

    def company_opened(self, spider: Any) -> None:
        self.items = []
        self.started_at = self.clock.now_iso()
        self.replayed_at = self.clock.replayed_at()

    def company_closed(self, spider: Any, reason: str, stats: dict[str, Any]) -> None:
        """Archive the company crawl that just closed; ``stats`` are its own (see PlatformSpider.company_stats)."""
        dropped = sum(
            value for key, value in stats.items()
            if key.startswith("paywatch/dropped/") and isinstance(value, int)
        )
        problems = list(getattr(spider, "failure_reasons", []))
        if hasattr(spider, "completeness_problems"):
            problems += spider.completeness_problems()
        # A posting handed over as unchanged (not extracted again) was read as surely as one extracted.
        unchanged = getattr(spider, "unchanged_refs", set())
        answered_empty = getattr(spider, "listing_answered_empty", lambda: False)()
        status, failure_reason = crawl_status(reason, problems, len(self.items) + len(unchanged), dropped,
                                              answered_empty)
        listed = getattr(spider, "listed_refs", None) if getattr(spider, "identifies_listed_postings", False) else None
        company = getattr(spider, "company", None)
        # Every ingest_crawl argument but the items, in one dict: the raw capture is written from it,
        # so an argument added here is captured and replayed by `paywatch rebuild` with no other change.
        crawl = dict(
            company=company.slug if company else spider.name,
            platform=getattr(spider, "platform", "unknown"),
            listed_refs=listed,
            started_at=self.started_at,
            finished_at=self.clock.now_iso(),
            status=status,
            failure_reason=failure_reason,
            dropped=dropped,
            code_version=self.crawler.settings.get("PAYWATCH_VERSION"),
            deferred_refs=getattr(spider, "deferred_refs", set()),
            unchanged_refs=unchanged,
            list_fingerprints=getattr(spider, "list_fingerprints", None),
            detail_reads=getattr(spider, "detail_reads", 0),
            requests=stats.get("downloader/request_count", 0),
            replayed_at=self.replayed_at,
        )
        capture = self.capture(crawl)
        if self.capture_only:
            self.items = []
            if capture is None:  # on a node the capture is the crawl: without it, the crawl is lost
                logger.error("%s: crawl not captured under %s; the archive will not see it", crawl["company"],
                             self.raw_dir)
            else:
                logger.info("%s: captured crawl (%s) in %s for the archive machine", crawl["company"], status, capture)
            return
        try:
            summary = ingest_crawl(shared_archive(self.db_path), items=self.items, **crawl)
        except Exception as error:
            if capture:
                logger.error("%s: the archive write failed; its raw capture is set aside (not history) as %s",
                             crawl["company"], capture.set_aside())
            if is_disk_full(error):
                # Every crawl after this one would fail the same way: the night stops, the archive keeps
                # every crawl committed before, and `paywatch crawl` exits 3 naming the full disk.
                self.crawler.stats.set_value(DISK_FULL_STAT, f"{self.db_path}: {error}")
                logger.error("%s: not archived: the disk is full (%s); the night stops here", crawl["company"], error)
                self.items = []
                self.crawler.signals.send_catch_log(archive_disk_full, path=self.db_path, error=str(error))
                return
            raise
        if capture:
            try:
                capture.publish()
            except OSError as error:  # the next night's start publishes it (settle_pending_captures)
                logger.error("%s: archived, but its raw capture stays pending in %s (%s)", crawl["company"],
                             capture.path, error)
        self.items = []  # the crawl is archived: its postings need not stay in memory until the night ends
        self.crawler.signals.send_catch_log(company_archived, company=summary.company, crawl_id=summary.crawl_id,
                                            status=summary.status)
        log = logger.info if summary.status == "complete" else logger.warning
        log("%s: archived crawl %d (%s%s): seen %d, new %d, changed %d, unreadable %d, closed %d, with pay %d, "
            "dropped %d, details read %d, deferred %d", summary.company, summary.crawl_id, summary.status,
            f": {summary.failure_reason}" if summary.failure_reason else "", summary.seen, summary.new,
            summary.changed, summary.unreadable, summary.closed, summary.with_pay, summary.dropped,
            summary.detail_reads, summary.deferred)
