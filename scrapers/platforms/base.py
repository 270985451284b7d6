"""What every platform base spider shares: company wiring, base URLs, JSON loading, crawl health.

Presence comes from the listing: every posting the platform lists is noted (``note_listed``) when
the spider accepts it, before its detail is asked for or its fields are read, so a posting whose
detail fails, whose extraction raises or which validation drops is still *seen* (counted
unreadable by the archive), never closed for that.

A crawl is *complete* only when it can show it saw the whole listing: every request succeeded,
every page had the shape expected, no page repeated, every listed posting had an identity, each
listing gave as many postings as the platform said it holds, no callback raised, and no request
went to a host the company's platform does not name. Anything else marks the crawl failed
(``mark_failed``): the archive then records the crawl and closes nothing, because a broken crawl
must never look like a company taking its postings down.

Every reply is bounded: each platform states the largest reply it expects (``largest_reply``), and
Scrapy's ``DOWNLOAD_WARNSIZE`` and ``DOWNLOAD_MAXSIZE`` follow from it (``reply_limits``). Scrapy
applies them to a body as sent and again as it is decompressed, so a small gzip reply that inflates
past the limit is cut off too; a listing reply cut off fails the crawl, naming the URL and the limit.

Details are read within a budget a night (``detail_or_defer``; the order is
``scrapers/platforms/details.py``'s): a new posting's detail is asked for as it is listed, the known
postings' once the whole listing is read (``on_idle``), in batches, until the budget or the
company's time runs out. A posting whose detail waits is seen, never closed or changed for that.

One crawler crawls a host group's companies in turn (``company_queue``, which ``run_crawl`` fills):
when one company's crawl has nothing left to do, the spider announces it closed
(``scrapers.signals.company_closed``, which the archive writer archives), takes up the next company's
state and sends its first requests. Each company's crawl state, stats (``company_stats``) and limits
(``CompanyCloseSpider``) are its own, as they were with a crawler each, without a crawler's start and
stop per company.
"""

from __future__ import annotations

import functools
import json
import math
import re
import sqlite3
import time
from pathlib import Path
from typing import Any, AsyncIterator, Callable, ClassVar, Iterable, Iterator, TypeVar
from urllib.parse import quote, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import JsonRequest, Response
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.defer import CancelledError
from twisted.python.failure import Failure

from archive.access import ArchiveUnusable, open_read_only
from archive.clock import CrawlClock
from archive.handoff import read_detail_history
from archive.store import detail_history
from scrapers import signals as company_signals
from scrapers.extract.common import PageShapeError, ref_text
from scrapers.items import JobPosting
from scrapers.platforms.details import (
    KnownDetail, WantedDetail, default_budget, detail_tier, extraction_code_version, list_fingerprint, night_order,
    seconds_per_request, time_limits,
)
from scrapers.registry import Company, read_registry

try:
    from scrapy.exceptions import DownloadCancelledError
except ImportError:  # Scrapy 2.18 lets Twisted's own through
    DownloadCancelledError = CancelledError

T = TypeVar("T")
# Known postings' details sent per idle turn: the budget and the time limit are checked between batches.
DETAIL_BATCH = 32
# What json.loads raises on a reply that is not JSON; RecursionError: one nested absurdly deep.
NOT_JSON = (ValueError, AttributeError, RecursionError)


# A host name, as id_patterns match one (lower case, dotted labels).
HOSTNAME = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+"


MiB = 1 << 20
# No platform's limits are below these: one posting's HTML page or a list page with a long facet list
# stays far under them, while a reply that would fill memory (Scrapy's own default is 1 GiB) does not.
REPLY_WARN_FLOOR = 2 * MiB
REPLY_MAX_FLOOR = 8 * MiB


def reply_limits(largest_reply: int) -> dict[str, int]:
    """Scrapy's size settings for a platform whose largest reply is expected to be ``largest_reply``
    bytes: a warning at twice that (the estimate was low; the limit is getting near), the reply cut
    off at four times (a board can grow, a description can be long, but not without bound), each in
    whole MiB and at least the floors."""
    def whole_mib(size: float) -> int:
        return math.ceil(size / MiB) * MiB
    return {"DOWNLOAD_WARNSIZE": max(REPLY_WARN_FLOOR, whole_mib(2 * largest_reply)),
            "DOWNLOAD_MAXSIZE": max(REPLY_MAX_FLOOR, whole_mib(4 * largest_reply))}


def failed_url(failure: Failure) -> str:
    request = getattr(failure, "request", None)
    return request.url if request is not None else "?"


def failure_text(failure: Failure, settings: Any) -> str:
    """Why a request failed, in words a failure reason can keep. A reply cut off by the size limit
    says which limit: Scrapy's own message for a body cut off while it streams in is empty."""
    message = failure.getErrorMessage()
    # In Scrapy's HTTP handlers the only cancellation is DOWNLOAD_MAXSIZE's (a timeout is its own error).
    cut_off = failure.check(DownloadCancelledError, CancelledError)
    inflated = failure.check(IgnoreRequest) and "DOWNLOAD_MAXSIZE" in message
    if not (cut_off or inflated):
        return message
    request = getattr(failure, "request", None)
    limit = (request.meta if request is not None else {}).get("download_maxsize", settings.getint("DOWNLOAD_MAXSIZE"))
    return f"reply larger than DOWNLOAD_MAXSIZE ({limit} bytes){' once decompressed' if inflated else ''}, not read"


class PlatformSpider(scrapy.Spider):
    """Base for one careers platform. Subclasses declare:

    - ``platform``: the registry's platform name;
    - ``required_ids`` / ``optional_ids``: the identifiers a registry entry must / may give;
    - ``base_url_setting``: the Scrapy setting holding the platform's base URL, and
      ``default_base_url``: the real public endpoint used when that setting is not given;
    - ``host_id``: the registry identifier naming the host a company's crawl talks to, when each
      company has its own (a Workday tenant's host); None when the whole platform is one host;
    - ``largest_reply``: the bytes of the largest reply a crawl of the platform should get (bytes a
      posting times the postings that reply holds, from saved real replies and the largest board),
      from which its download size limits follow (``reply_limits``);
    - ``board_path``, for platforms whose one reply lists the whole board (Greenhouse, Ashby): its
      path after the base URL, ``{id}`` standing for the entry's URL-quoted identifiers; the reply
      goes to ``parse_board``. Platforms that page or read details override ``start()``.

    Hooks a company subclass may override: ``adjust_raw_posting(raw)`` (the platform's dict for one
    posting, before extraction) and ``adjust_item(item, raw)`` (the finished JobPosting).
    """

    platform: ClassVar[str]
    required_ids: ClassVar[tuple[str, ...]] = ()
    optional_ids: ClassVar[tuple[str, ...]] = ()
    # What a well-formed identifier looks like (a full match), so a pasted URL or a typo fails when the
    # registry loads rather than as a 404 at night.
    id_patterns: ClassVar[dict[str, str]] = {}
    base_url_setting: ClassVar[str]
    default_base_url: ClassVar[str]
    largest_reply: ClassVar[int]
    host_id: ClassVar[str | None] = None
    board_path: ClassVar[str] = ""
    # False where a listing cannot name its postings' ids before they are read (JSON-LD pages):
    # then presence is what was read.
    identifies_listed_postings: ClassVar[bool] = True
    # List-entry fields that change while the posting does not; left out of its list fingerprint.
    list_volatile_keys: ClassVar[tuple[str, ...]] = ()
    # True where a list entry is the whole posting and its extraction depends on nothing but the
    # entry (Greenhouse, Lever, Ashby; not Amazon, whose "posted 3 days ago" is read against the
    # clock): an entry equal to the one the archive's version was read from, by the same code, is
    # handed over as unchanged instead of being extracted again (``entry_unchanged``).
    entry_is_posting: ClassVar[bool] = False
    company: ClassVar[Company | None] = None
    # Companies crawled one after another on this crawl's host (``run_crawl`` passes it): each gets
    # its share of the night.
    host_share: int = 1
    # The companies this crawler crawls after ``company``, in turn (``run_crawl`` passes them): the
    # same platform and host, each a registry entry this class can crawl.
    company_queue: list[Company] = []
    # The archive writer waits for ``company_closed`` rather than ``spider_closed``.
    announces_company_closes: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        company = cls.__dict__.get("company")
        problem = cls.entry_problem(company) if company is not None else None
        if problem:
            raise TypeError(f"{cls.__name__}: {problem}")

    @classmethod
    def entry_problem(cls, company: Company) -> str | None:
        """What is wrong with ``company``'s identifiers for this platform, or None. The registry
        loader and spider-class creation both ask this, so an entry is judged in one place."""
        unknown = set(company.ids) - set(cls.required_ids) - set(cls.optional_ids)
        if unknown:
            return f"keys not used by {cls.platform}: {', '.join(sorted(unknown))}"
        missing = [key for key in cls.required_ids if not company.ids.get(key)]
        if missing:
            return f"{cls.platform} needs {', '.join(missing)}"
        for key, pattern in cls.id_patterns.items():
            value = company.ids.get(key)
            if value is not None and not (isinstance(value, str) and re.fullmatch(pattern, value)):
                return f"{key} {value!r} is not a well-formed {cls.platform} {key}"
        return None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.company is None:
            # The spider loader binds a hand-written spider to its registry entry (scrapers/loader.py).
            raise ValueError(f"spider {self.name!r} has no entry in the companies registry")
        self.company_queue = list(self.company_queue)
        for queued in self.company_queue:
            problem = self.entry_problem(queued) if queued.platform == self.platform else f"not a {self.platform} entry"
            if problem:
                raise ValueError(f"spider {self.name!r} cannot crawl {queued.slug}: {problem}")
        self._starting = False
        # Where this company's share of the crawler's stats starts: nothing for the first (the stats
        # exist only once the crawl starts), a snapshot for each company after it (next_company).
        self._stats_at_open: dict[str, Any] = {}
        self.reset_company_state()

    def reset_company_state(self) -> None:
        """What one company's crawl knows; set afresh as each company of the queue begins."""
        self.failure_reasons: list[str] = []
        self._pages_seen: set[tuple[str, tuple[str, ...]]] = set()
        self._postings_listed: set[str] = set()
        self._entries_listed: dict[str, set[str]] = {}  # ref -> its list entries' hashes (listed_before)
        self.listed_refs: set[str] = set()  # every posting the platform listed this crawl
        self.unidentified = 0  # listed entries with no id: the listing cannot be accounted for
        self.listing_replies_read = 0  # listing replies read in the platform's shape (read_page)
        self._listing_counts: dict[str, tuple[int, int]] = {}  # listing -> (the platform's count, postings read)
        # Detail reads (see details.py): the archive's record of each open posting, tonight's list
        # fingerprints, the known postings' details waiting for the listing to end, and those deferred.
        self.detail_history: dict[str, KnownDetail] = {}
        self.list_fingerprints: dict[str, str] = {}
        self.deferred_refs: set[str] = set()
        self.unchanged_refs: set[str] = set()  # listed entries equal to what the archive's version was read from
        self.detail_reads = 0
        self._details_waiting: list[WantedDetail] = []
        self._details_planned: list[WantedDetail] | None = None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "PlatformSpider":
        queued = kwargs.get("company_queue")
        if isinstance(queued, str):  # `-a company_queue=slug,slug`: a cluster's Scrapyd job (scrapers/cluster.py)
            kwargs["company_queue"] = cls.registry_entries(queued, crawler.settings.get("PAYWATCH_REGISTRY"))
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_spider_error, signal=signals.spider_error)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        spider.open_company()
        return spider

    @staticmethod
    def registry_entries(slugs: str, registry: str | None) -> list[Company]:
        """The registry's entries for comma-separated ``slugs``, in that order."""
        wanted = [slug.strip() for slug in slugs.split(",") if slug.strip()]
        entries = {company.slug: company for company in read_registry(registry)}
        unknown = [slug for slug in wanted if slug not in entries]
        if unknown:
            raise ValueError(f"company_queue names companies not in the registry: {', '.join(unknown)}")
        return [entries[slug] for slug in wanted]

    def open_company(self) -> None:
        """What a company's crawl needs from the crawler: its hosts (the base URL is a setting), its
        detail limits and history, and where its share of the stats starts."""
        # A replay's items are stamped with the night it stands for, as the archive writer dates its crawl.
        self.crawl_started_at = CrawlClock(self.settings.get("PAYWATCH_CRAWL_TIME")).now()
        self.allowed_domains = sorted({urlsplit(url).hostname for url in self.allowed_urls()} - {None})
        self.detail_budget, self.detail_time_limit = self.detail_limits()
        self.detail_deadline = time.monotonic() + self.detail_time_limit
        self.detail_history = self.load_detail_history()

    def company_stats(self) -> dict[str, Any]:
        """This company's share of the crawler's stats: each counter less what it held when the
        company's crawl opened (the crawler may have crawled others of its host group before)."""
        before = self._stats_at_open
        own = {}
        for key, value in (self.crawler.stats.get_stats() or {}).items():
            earlier = before.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and isinstance(earlier, (int, float)):
                if value != earlier:
                    own[key] = value - earlier
            elif earlier != value:
                own[key] = value
        return own

    def company_stat(self, key: str) -> Any:
        return self.company_stats().get(key, 0)

    # -- a host group's companies in turn ------------------------------------------------------------
    def next_company(self) -> bool:
        """Close this company's crawl and open the queue's next one; False when the queue is empty."""
        if not self.company_queue:
            return False
        self.announce_closed("finished")
        self.company = self.company_queue.pop(0)
        self.name = self.company.slug
        self.reset_company_state()
        self.open_company()
        self._stats_at_open = dict(self.crawler.stats.get_stats() or {})
        self.crawler.signals.send_catch_log(company_signals.company_opened, spider=self)
        self._starting = True
        deferred_from_coro(self._send_start_requests())
        return True

    async def _send_start_requests(self) -> None:
        try:
            async for request in self.start():
                self.crawler.engine.crawl(request)
        except Exception as error:  # a start that raises leaves this company's crawl failed, not the night
            self.mark_failed(f"the crawl could not start: {error!r}")
        finally:
            self._starting = False

    def announce_closed(self, reason: str) -> None:
        self.crawler.signals.send_catch_log(company_signals.company_closed, spider=self, reason=reason,
                                            stats=self.company_stats())

    def on_closed(self, spider: Any = None, reason: str = "finished") -> None:
        if spider is None or spider is self:
            self.announce_closed(reason)

    def companies_to_restart(self, reason: str) -> list[Company]:
        """The queue's companies a new crawler should take up after this one closed for ``reason``:
        all of them when the close was one company's limit (``closespider_…``, see CompanyCloseSpider);
        none when the run itself is ending (a shutdown, a cancel)."""
        return list(self.company_queue) if reason.startswith("closespider_") else []

    @classmethod
    def host_key(cls, company: Company) -> str:
        """What host a crawl of this company talks to. Companies sharing one are crawled one after
        another, because Scrapy's per-host limits apply within one crawler, not across crawlers."""
        return str(company.ids.get(cls.host_id)) if cls.host_id else cls.platform

    # -- wiring -------------------------------------------------------------------------------
    @property
    def company_slug(self) -> str:
        return self.company.slug

    def company_id(self, key: str) -> Any:
        return self.company.ids.get(key)

    @property
    def base_url(self) -> str:
        return str(self.settings.get(self.base_url_setting) or self.default_base_url).rstrip("/")

    def allowed_urls(self) -> list[str]:
        """URLs naming the hosts (and ports) this crawl may talk to: the offsite filter holds requests
        and redirects to them, and a refused request fails the crawl (see ``completeness_problems``)."""
        return [self.base_url] if self.base_url else []

    def quoted_id(self, key: str) -> str:
        """A registry identifier made safe for a URL path or query."""
        return quote(str(self.company_id(key)), safe="")

    async def start(self) -> AsyncIterator[Any]:
        ids = {key: self.quoted_id(key) for key in self.company.ids}
        yield self.request(self.base_url + self.board_path.format(**ids), callback=self.parse_board)

    def parse_board(self, response: Response) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} sets board_path but has no parse_board")

    def adjust_raw_posting(self, raw: dict[str, Any]) -> dict[str, Any]:
        return raw

    def adjust_item(self, item: JobPosting, raw: dict[str, Any]) -> JobPosting:
        return item

    # -- crawl health ---------------------------------------------------------------------------
    @property
    def crawl_failed(self) -> bool:
        return bool(self.failure_reasons)

    def mark_failed(self, reason: str) -> None:
        """Record why this crawl cannot be trusted to be complete (and so must close nothing)."""
        self.failure_reasons.append(reason)
        self.crawler.stats.inc_value("paywatch/crawl/failures")
        self.logger.error("%s: crawl marked failed: %s", self.company_slug, reason)

    def on_spider_error(self, failure: Failure, response: Response, spider: Any = None) -> None:
        """A callback raised: the rest of that page was never read, so the crawl cannot be complete."""
        if spider is None or spider is self:
            self.mark_failed(f"callback error on {response.url}: {failure.getErrorMessage()}")

    def on_request_error(self, failure: Failure) -> None:
        self.mark_failed(f"request failed: {failed_url(failure)}: {failure_text(failure, self.settings)}")

    def load_json(self, response: Response) -> Any | None:
        """The page as JSON, or None (crawl marked failed) when it is not JSON."""
        try:
            return json.loads(response.text)
        except NOT_JSON as error:
            self.crawler.stats.inc_value("paywatch/response/malformed")
            self.mark_failed(f"malformed JSON from {response.url}: {error}")
            return None

    def read_page(self, response: Response, reader: Callable[[Any], T]) -> T | None:
        """What ``reader`` finds in the page's JSON, or None (crawl marked failed) when the page is
        not JSON or lacks the structure the reader needs (``PageShapeError``)."""
        data = self.load_json(response)
        if data is None:
            return None
        try:
            page = reader(data)
        except PageShapeError as error:
            self.mark_failed(f"{error} ({response.url})")
            return None
        self.listing_replies_read += 1
        return page

    # -- which details a night reads ----------------------------------------------------------------
    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        # The cut follows from the budget (a -s CLOSESPIDER_TIMEOUT, at a higher priority, still wins).
        _, _, cut = cls.night_limits(settings, 1)
        settings.set("CLOSESPIDER_TIMEOUT", round(cut), priority="spider")
        # As the cut, a -s DOWNLOAD_MAXSIZE or DOWNLOAD_WARNSIZE wins over the platform's own.
        for name, size in reply_limits(cls.largest_reply).items():
            settings.set(name, size, priority="spider")

    @classmethod
    def request_seconds(cls, settings: Any) -> float:
        """What a request costs this platform's host slot with these settings (details.seconds_per_request)."""
        autothrottle = settings.getbool("AUTOTHROTTLE_ENABLED")
        concurrency = (settings.getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY") if autothrottle
                       else settings.getfloat("CONCURRENT_REQUESTS_PER_DOMAIN"))
        return seconds_per_request(settings.getfloat("DOWNLOAD_DELAY"),
                                   settings.getfloat("PAYWATCH_EXPECTED_LATENCY", 1.0), concurrency)

    @classmethod
    def night_limits(cls, settings: Any, host_share: int) -> tuple[int, float, float]:
        """(detail requests a company may send tonight, seconds it may spend sending them, seconds
        after which its crawl is cut): ``PAYWATCH_DETAIL_BUDGET`` if set, else what its share of the
        night allows at what a request costs with this platform's settings; the times follow from it."""
        per_request = cls.request_seconds(settings)
        night = settings.getfloat("PAYWATCH_NIGHT_HOURS", 5.0) * 3600
        budget = settings.getint("PAYWATCH_DETAIL_BUDGET") or default_budget(night, per_request, host_share)
        return (budget, *time_limits(night, per_request, budget, host_share))

    def detail_limits(self) -> tuple[int, float]:
        """(detail requests this company may send tonight, seconds it may spend sending them)."""
        budget, details, _ = self.night_limits(self.settings, max(1, int(self.host_share)))
        return budget, details

    def load_detail_history(self) -> dict[str, KnownDetail]:
        """The archive's record of this company's open postings' detail reads (read-only; none when
        there is no archive yet or it cannot be read: then every posting counts as new). On a cluster
        node (``PAYWATCH_DETAIL_HISTORY_DIR``) the record the archive machine handed over instead."""
        handoff = self.settings.get("PAYWATCH_DETAIL_HISTORY_DIR")
        if handoff:
            history = read_detail_history(handoff, self.company_slug, self.platform) or {}
            return {ref: KnownDetail(list_hash, read_at) for ref, (list_hash, read_at) in history.items()}
        path = self.settings.get("PAYWATCH_DB")
        if not path or path == ":memory:" or not Path(path).is_file():
            return {}
        try:
            db = open_read_only(path)
            try:
                history = detail_history(db, self.company_slug, self.platform)
            finally:
                db.close()
        except (ArchiveUnusable, sqlite3.Error) as error:
            self.logger.warning("%s: cannot read the archive's detail history (%s); every posting counts as new",
                                self.company_slug, error)
            return {}
        return {ref: KnownDetail(list_hash, read_at) for ref, (list_hash, read_at) in history.items()}

    def detail_or_defer(self, raw: dict[str, Any], make_request: Callable[[], Any],
                        list_only_item: Callable[[], JobPosting | None]) -> Iterator[Any]:
        """For a listed posting (already ``note_listed``) whose text needs a detail request: a new
        posting's request now while the budget lasts, else its item from the list alone (opened, its
        detail read on a later night); a known posting's request waits for the listing to end."""
        ref = self.listing_ref(raw)
        fingerprint = list_fingerprint(raw, self.list_volatile_keys)
        known = self.detail_history.get(ref) if ref is not None else None
        if ref is not None:
            self.list_fingerprints[ref] = fingerprint
        if known is not None:
            self._details_waiting.append(WantedDetail(ref, detail_tier(known, fingerprint), known.read_at, make_request))
            return
        if ref is None or self.detail_reads < self.detail_budget:
            self.detail_reads += 1
            yield make_request()
            return
        self.deferred_refs.add(ref)
        self.crawler.stats.inc_value("paywatch/detail/deferred_new")
        item = list_only_item()
        if item is not None:
            item.list_only = True
            yield item

    def on_idle(self, spider: Any = None) -> None:
        """The listing and every request so far are done: send the next batch of known postings'
        details, while the budget and the company's time last (keeps the spider open)."""
        if spider is not None and spider is not self:
            return
        if self._starting:  # the next company's first requests are on their way
            raise DontCloseSpider
        if self._details_planned is None:
            self._details_planned = night_order(
                self._details_waiting, self.settings.getfloat("PAYWATCH_DETAIL_REFRESH_DAYS", 7.0),
                self.settings.getint("PAYWATCH_DETAIL_REFRESH_AT_LEAST", 50))
            planned = {wanted.ref for wanted in self._details_planned}
            self.deferred_refs.update(wanted.ref for wanted in self._details_waiting if wanted.ref not in planned)
            self._details_waiting = []
        left = self.detail_budget - self.detail_reads
        if self._details_planned and (self.crawl_failed or left <= 0 or time.monotonic() > self.detail_deadline):
            # A failed listing writes nothing, so its details are not worth a request.
            why = "the listing failed" if self.crawl_failed else "the night's detail budget or time is spent"
            self.logger.info("%s: %d details left for a later night: %s", self.company_slug,
                             len(self._details_planned), why)
            self.deferred_refs.update(wanted.ref for wanted in self._details_planned)
            self._details_planned = []
        take = max(0, min(left, DETAIL_BATCH))
        batch, self._details_planned = self._details_planned[:take], self._details_planned[take:]
        if not batch:
            if self.next_company():
                raise DontCloseSpider
            return
        self.detail_reads += len(batch)
        for wanted in batch:
            self.crawler.engine.crawl(wanted.make_request())
        raise DontCloseSpider

    # -- details: one posting each; a bad one makes that posting unreadable, not the crawl failed --
    def on_detail_error(self, failure: Failure) -> None:
        self._detail_unreadable(f"{failed_url(failure)}: {failure_text(failure, self.settings)}")

    def read_detail(self, response: Response, reader: Callable[[Any], T]) -> T | None:
        """What ``reader`` finds in a posting's detail reply, or None: that posting is then unreadable
        tonight (it stays listed and keeps its version); the listing, and so the crawl, is unaffected."""
        try:
            return reader(json.loads(response.text))
        except NOT_JSON as error:  # PageShapeError is a ValueError too
            self._detail_unreadable(f"{response.url}: {str(error)[:200]}")
            return None

    def _detail_unreadable(self, why: str) -> None:
        self.crawler.stats.inc_value("paywatch/detail/unreadable")
        self.logger.warning("%s: a posting's detail could not be read; it stays as it was: %s", self.company_slug, why)

    def raw_postings(self, postings: Iterable[Any], listing: str | None = None) -> Iterator[dict[str, Any]]:
        """Each posting dict of a page, through ``adjust_raw_posting``; anything else is counted, and
        leaves the listing unaccounted for. With ``listing``, the entries count towards what that
        listing gave (see ``expect_postings``)."""
        postings = list(postings)
        if listing is not None:
            expected, read = self._listing_counts.get(listing, (-1, 0))
            self._listing_counts[listing] = (expected, read + len(postings))
        for raw in postings:
            if not isinstance(raw, dict):
                self.crawler.stats.inc_value("paywatch/response/malformed_posting")
                self.unidentified += 1
                continue
            yield self.adjust_raw_posting(raw)

    # -- presence and completeness ---------------------------------------------------------------
    def listing_ref(self, raw: dict[str, Any]) -> str | None:
        """The platform's id of a listed posting, read from its listing entry."""
        return ref_text(raw.get("id"))

    def note_listed(self, raw: dict[str, Any]) -> None:
        """The platform lists this posting tonight, whatever becomes of its detail or fields."""
        if not self.identifies_listed_postings:
            return
        ref = self.listing_ref(raw)
        if ref is None:
            self.unidentified += 1
            self.crawler.stats.inc_value("paywatch/listing/posting_without_id")
        else:
            self.listed_refs.add(ref)

    def expect_postings(self, listing: str, count: int | None) -> None:
        """The platform says ``listing`` holds ``count`` postings (None: it does not say)."""
        if count is not None:
            _, read = self._listing_counts.get(listing, (-1, 0))
            self._listing_counts[listing] = (count, read)

    def listing_end(self, listing: str, total: int | None) -> int | None:
        """How many postings a listing read by page or offset holds now: the latest page's count
        (postings added while it is read push the oldest further down, and those must still be read),
        else the first page's (a page past the end counts 0), else None (the platform never said)."""
        if total:
            return total
        expected, _ = self._listing_counts.get(listing, (-1, 0))
        return expected if expected >= 0 else None

    def completeness_problems(self) -> list[str]:
        """Why this crawl cannot show it saw the whole listing, beyond what ``mark_failed`` recorded."""
        problems = []
        if self.unidentified:
            problems.append(f"{self.unidentified} listed postings had no id: the listing cannot be accounted for")
        for listing, (expected, read) in sorted(self._listing_counts.items()):
            if expected >= 0 and read < expected:
                problems.append(f"listing {listing}: the platform counts {expected} postings, {read} were read")
            elif expected >= 0 and read > expected + max(20, expected // 10):
                problems.append(f"listing {listing}: {read} postings read where the platform counts {expected}")
        refused = self.company_stat("offsite/filtered")
        if refused:
            problems.append(f"{refused} requests or redirects to hosts outside {', '.join(self.allowed_domains)} "
                            "were refused")
        return problems

    def listing_answered_empty(self) -> bool:
        """True when the platform answered normally that the company lists nothing tonight: no posting
        listed, nothing failed, and either the platform's own count said 0 or a listing reply was read in
        its usual shape (an empty list where the postings go). A page scraped from HTML that found no
        posting (JSON-LD, a SuccessFactors feed with no count) says nothing of the kind."""
        if self.listed_refs or self.unidentified or self.failure_reasons or self.completeness_problems():
            return False
        said_zero = any(expected == 0 for expected, _ in self._listing_counts.values())
        return said_zero or self.listing_replies_read > 0

    def page_is_new(self, listing: str, refs: Iterable[str]) -> bool:
        """False (and the crawl marked failed) when a page repeats one already read.

        Pagination that loops would otherwise never end or would silently read the same postings
        twice; either way the crawl is not a complete picture of the board.
        """
        key = (listing, tuple(refs))
        if key[1] and key in self._pages_seen:
            self.mark_failed(f"page repeats an earlier page ({listing}); stopping pagination")
            return False
        self._pages_seen.add(key)
        return True

    def listed_before(self, ref: str, duplicate_stat: str, listing: str | None = None,
                      entry: dict[str, Any] | None = None) -> bool:
        """True (counted under ``duplicate_stat``) when this crawl already listed the posting ``ref``:
        pages and facet splits overlap, and a posting is handed over once. With ``listing``, the repeat
        no longer counts towards what that listing gave: a list that moved while it was read by offset
        repeats one posting where it pushed another past the end, and only the postings read once
        each show the listing was read whole. With ``entry`` (a platform whose list entry is the
        posting), a repeat that differs from the first copy is handed over too (False, counted under
        ``<duplicate_stat>_differing``): the archive keeps the copy its open version holds, whichever
        came first, where keeping the first would flip the posting's version back and forth."""
        digest = None if entry is None else list_fingerprint(entry, self.list_volatile_keys)
        if ref in self._postings_listed:
            if digest is not None and digest not in self._entries_listed.setdefault(ref, set()):
                self._entries_listed[ref].add(digest)
                self.crawler.stats.inc_value(f"{duplicate_stat}_differing")
                return False
            self.crawler.stats.inc_value(duplicate_stat)
            if listing is not None and listing in self._listing_counts:
                expected, read = self._listing_counts[listing]
                self._listing_counts[listing] = (expected, read - 1)
            return True
        self._postings_listed.add(ref)
        if digest is not None:
            self._entries_listed[ref] = {digest}
        return False

    @functools.cached_property
    def fingerprint_code(self) -> str:
        """The code an entry's fingerprint names: the release and the extraction code (one string a crawl)."""
        return f"{self.settings.get('PAYWATCH_VERSION') or ''}+{extraction_code_version()}"

    def entry_unchanged(self, raw: dict[str, Any]) -> bool:
        """True (the ref noted in ``unchanged_refs``) when this platform's list entry is the whole
        posting and equals, under this code version, the entry the archive's open version was read
        from; its fingerprint is kept either way, for tomorrow. The archive checks the same equality
        before it takes the posting as seen and unchanged."""
        if not self.entry_is_posting:
            return False
        ref = self.listing_ref(raw)
        if ref is None or ref in self.unchanged_refs:  # another copy of an id already found unchanged:
            return False  # read, and the archive chooses between the two (keeping the one that matched)
        fingerprint = list_fingerprint(raw, self.list_volatile_keys, self.fingerprint_code)
        self.list_fingerprints[ref] = fingerprint
        known = self.detail_history.get(ref)
        if known is None or known.read_at is None or known.list_hash != fingerprint:
            return False
        self.unchanged_refs.add(ref)
        self.crawler.stats.inc_value("paywatch/posting/unchanged_entry")
        return True

    def build_item(self, parse: Callable[..., JobPosting | None], *sources: Any, raw: dict[str, Any] | None = None,
                   **context: Any) -> JobPosting | None:
        """``parse(*sources, company=..., scraped_at=..., **context)``, finished by ``adjust_item``
        (which sees ``raw``, by default the first source: the platform's dict for the posting); None
        for an entry unchanged since the archive read it (``entry_unchanged``)."""
        listed = sources[0]
        if isinstance(listed, dict):
            self.note_listed(listed)
            if len(sources) == 1 and raw is None and self.entry_unchanged(listed):
                return None
        try:
            item = parse(*sources, company=self.company_slug, scraped_at=self.crawl_started_at, **context)
            return None if item is None else self.adjust_item(item, listed if raw is None else raw)
        except Exception:  # one odd posting is unreadable; it stays listed, the rest of the page is read
            self.crawler.stats.inc_value("paywatch/posting/unreadable")
            self.logger.exception("%s: could not read a listed posting; it stays as it was", self.company_slug)
            return None

    def request(self, url: str, callback: Any, *, data: Any = None, detail: bool = False, **kwargs: Any) -> scrapy.Request:
        """A request whose failure fails the crawl, or with ``detail`` makes only that posting
        unreadable; with ``data``, a POST of that JSON body."""
        errback = self.on_detail_error if detail else self.on_request_error
        if detail:
            kwargs.setdefault("priority", -1)  # the listing first: presence comes from it
        if data is not None:
            return JsonRequest(url, data=data, method="POST", callback=callback, errback=errback, **kwargs)
        return scrapy.Request(url, callback=callback, errback=errback, **kwargs)


class OwnHostSpider(PlatformSpider):
    """A platform on which every company has a host of its own, named by its ``host`` identifier (a
    Workday tenant, an Oracle or SuccessFactors career site): the base URL is ``https://{host}``, or
    ``{setting}/{host}`` when the platform's base-URL setting is given (a replay serves every
    company from one server that way)."""

    host_id = "host"
    default_base_url = ""  # empty: https://{host}

    @property
    def host(self) -> str:
        return str(self.company_id("host")).strip().strip("/")

    @property
    def base_url(self) -> str:
        override = str(self.settings.get(self.base_url_setting) or "").rstrip("/")
        return f"{override}/{self.host}" if override else f"https://{self.host}"
