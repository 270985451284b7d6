"""Downloader middlewares and the extension every paywatch crawl runs (enabled in scrapers/settings.py).

``RetryAfterMiddleware``: Scrapy's RetryMiddleware retries 429/503 at once, whatever Retry-After the
server sent (scrapy/scrapy issue #3849 is still open), so this middleware slows the host's download
slot to what the server asked for before the retry goes out.

``HostOffsiteMiddleware``: Scrapy's OffsiteMiddleware, comparing host *and port* with the URLs a
company's platform names (``spider.allowed_urls()``): another port is another server. Requests and
redirects it refuses are counted ``offsite/filtered``, which fails the crawl.

``NightRobotsTxtMiddleware``: Scrapy's RobotsTxtMiddleware, reading a host's robots.txt once a run
(a night) rather than once a company crawl.

``CompanyCloseSpider``: Scrapy's CloseSpider, its limits (``CLOSESPIDER_TIMEOUT``, ``…_PAGECOUNT``,
``…_ITEMCOUNT``, ``…_ERRORCOUNT``) counted per company: a crawler crawling a host group's companies
in turn starts them afresh for each. A company that reaches one closes the crawler; ``run_crawl``
hands the companies still queued to a new one.

``CompanyDupeFilter``: Scrapy's duplicate-request filter, forgetting what it saw as each company of a
host group begins: a request an earlier company sent (a shared board, an overlapping category page) is
this company's to send again, never silently dropped from its listing.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.dupefilters import RFPDupeFilter
from scrapy.extensions.closespider import CloseSpider
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.utils.httpobj import urlparse_cached

from scrapers.signals import company_opened

# The longest Retry-After honoured; a longer ask is treated as this (the retry still goes out).
MAX_RETRY_AFTER = 300.0


def retry_after_seconds(value: Any, *, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), capped; None if unreadable."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if seconds != seconds or seconds < 0:  # NaN or a date in the past
        return 0.0
    return min(seconds, MAX_RETRY_AFTER)


class RetryAfterMiddleware:
    """On 429/503 with Retry-After, raise the host's download-slot delay to what the server asked.

    Placed after RetryMiddleware (a higher number sees the response first), so the retry that
    RetryMiddleware then schedules waits out the delay. AutoThrottle brings the delay back down
    as later responses succeed.
    """

    STATUSES = (429, 503)

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> "RetryAfterMiddleware":
        return cls(crawler)

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        if response.status not in self.STATUSES:
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if not wait:
            return response
        downloader = getattr(getattr(self.crawler, "engine", None), "downloader", None)
        if downloader is not None:
            slot = downloader.slots.get(downloader.get_slot_key(request))
            if slot is not None and slot.delay < wait:
                slot.delay = wait
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("paywatch/http/retry_after_honoured")
        return response


DEFAULT_PORTS = {"http": 80, "https": 443}


def netloc_of(url_parts: Any) -> tuple[str, int | None]:
    """(host, port) of a parsed URL, the scheme's default port filled in."""
    return (url_parts.hostname or "", url_parts.port or DEFAULT_PORTS.get(url_parts.scheme))


class HostOffsiteMiddleware(OffsiteMiddleware):
    def should_follow(self, request: Any, spider: Any) -> bool:
        urls = spider.allowed_urls() if hasattr(spider, "allowed_urls") else []
        if not urls:  # a spider that names no URLs gets Scrapy's own allowed_domains rule
            return super().should_follow(request, spider)
        return netloc_of(urlparse_cached(request)) in {netloc_of(urlsplit(url)) for url in urls}


class NightRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, reading each host's robots.txt once a night instead of once a
    company: companies on one host (SmartRecruiters' API, a Workday pod, the demo's replay) are
    separate crawlers, and the stock middleware keeps what it read per crawler. Here the crawlers of
    one run share it, a fetch in flight included (a second crawler waits for the first's answer).
    A fetch that failed is shared as the stock middleware keeps it: no rules, for the night."""

    _read_this_run: ClassVar[dict[str, Any]] = {}

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self._parsers = self._read_this_run

    @classmethod
    def forget_run(cls) -> None:
        """A new night starts: robots.txt may have changed since."""
        cls._read_this_run.clear()


class CompanyCloseSpider(CloseSpider):
    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)  # NotConfigured when no limit is set: then nothing to restart
        crawler.signals.connect(self.company_opened, signal=company_opened)

    def company_opened(self, spider: Any) -> None:
        self.counter.clear()
        if hasattr(self, "items_in_period"):
            self.items_in_period = 0
        if self.task is not None:
            self.task.cancel()
            self.task = None
            self.spider_opened(spider)


class CompanyDupeFilter(RFPDupeFilter):
    """The fingerprints seen are kept per company, in memory (paywatch runs no JOBDIR: a night that
    stops is crawled afresh the next night)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen_this_company: set[bytes] = set()

    @classmethod
    def from_crawler(cls, crawler: Any) -> "CompanyDupeFilter":
        dupefilter = super().from_crawler(crawler)
        crawler.signals.connect(dupefilter.company_opened, signal=company_opened)
        return dupefilter

    def request_seen(self, request: Any) -> bool:
        fingerprint = self.fingerprinter.fingerprint(request)
        if fingerprint in self.seen_this_company:
            return True
        self.seen_this_company.add(fingerprint)
        return False

    def company_opened(self, spider: Any) -> None:
        self.seen_this_company = set()
