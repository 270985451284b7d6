"""Record mode (issue 24, first step): every request and reply of a night, as a standard WARC file.

With ``PAYWATCH_WEB_ARCHIVE`` on, each crawler (one a host group, docs/NIGHT.md) writes
``<raw dir>/<night>/web/<spider>-<pid>-<n>.warc.gz``: a ``warcinfo`` record (paywatch's version and the
settings a crawl's replies depend on), then for every reply the request (method, URL, headers, body)
and the response exactly as it came off the wire, before decompression (status line, headers, body
still gzip'd when the server sent it so), robots.txt included. A reply whose payload this file
already holds is a ``revisit`` record (identical payload digest) pointing at the first. WARC is ISO
28500; ``warcio`` (the reference library) writes it and reads it back (``warcio index``, ``ArchiveIterator``).

The recorder sits next to the downloader (``WEB_ARCHIVE_PRIORITY``, after HttpCompressionMiddleware's
590 on the way in), so it sees what the server sent. It writes as replies arrive and flushes when
the crawler closes. A reply it cannot write fails the crawl loudly (``mark_failed``): a night that
was meant to keep its replies never silently drops them. ``scrapy-webarchive`` (WACZ) pins Scrapy
< 2.12, older than paywatch's, hence this small recorder on warcio.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.clock import CrawlClock
from archive.raw import raw_dir_for

# Between the downloader (1000) and HttpCompressionMiddleware (590): replies as sent.
WEB_ARCHIVE_PRIORITY = 950
WEB_DIR = "web"
# The settings a night's replies depend on, kept in the file's warcinfo record.
RECORDED_SETTINGS = ("PAYWATCH_VERSION", "USER_AGENT", "DOWNLOAD_DELAY", "CONCURRENT_REQUESTS_PER_DOMAIN",
                     "AUTOTHROTTLE_ENABLED", "PAYWATCH_CRAWL_TIME", "PAYWATCH_DETAIL_BUDGET")
_files = itertools.count(1)


def payload_digest(body: bytes) -> str:
    """The WARC payload digest of ``body`` (SHA-1 in base 32, as warcio writes it)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


class WebArchiveMiddleware:
    """Writes every request and reply of its crawler to one WARC file (see the module docstring)."""

    def __init__(self, crawler: Any, directory: Path) -> None:
        self.crawler = crawler
        self.directory = directory
        self.path: Path | None = None
        self._file: Any = None
        self._writer: WARCWriter | None = None
        self._first: dict[str, tuple[str, str]] = {}  # payload digest -> (URI, WARC-Date) of its response record
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "WebArchiveMiddleware":
        settings = crawler.settings
        if not settings.getbool("PAYWATCH_WEB_ARCHIVE"):
            raise NotConfigured  # off, the default: said with no message, Scrapy says nothing on the terminal
        if not (settings.get("PAYWATCH_DB") or settings.get("PAYWATCH_RAW_DIR")):
            raise NotConfigured("PAYWATCH_WEB_ARCHIVE needs PAYWATCH_DB or PAYWATCH_RAW_DIR: where the night goes")
        night = CrawlClock(settings.get("PAYWATCH_CRAWL_TIME")).now_iso()[:10]
        raw = raw_dir_for(settings.get("PAYWATCH_DB") or "", settings.get("PAYWATCH_RAW_DIR"))
        return cls(crawler, Path(raw) / night / WEB_DIR)

    # -- the file ---------------------------------------------------------------------------------
    def writer(self, spider: Any) -> WARCWriter:
        if self._writer is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.path = self.directory / f"{spider.name}-{os.getpid()}-{next(_files)}.warc.gz"
            self._file = open(self.path, "xb")
            self._writer = WARCWriter(self._file, gzip=True)
            settings = self.crawler.settings
            info = {"software": f"paywatch/{settings.get('PAYWATCH_VERSION') or 'unknown'} (warcio)",
                    "format": "WARC File Format 1.1", "isPartOf": spider.name}
            info.update({name: str(settings.get(name)) for name in RECORDED_SETTINGS if settings.get(name) is not None})
            self._writer.write_record(self._writer.create_warcinfo_record(self.path.name, info))
        return self._writer

    def close(self, spider: Any = None, reason: str | None = None) -> None:
        if self._file is not None:
            self._file.close()
            self._file = self._writer = None

    # -- the records ------------------------------------------------------------------------------
    def process_response(self, request: Any, response: Any, spider: Any) -> Any:
        try:
            self.record(request, response, spider)
        except OSError as error:
            # The night was to keep its replies: one it cannot keep is a failed crawl, not a quiet gap.
            self.crawler.stats.inc_value("paywatch/web_archive/failed")
            if hasattr(spider, "mark_failed"):
                spider.mark_failed(f"web archive not written ({self.directory}): {error}")
        return response

    def record(self, request: Any, response: Any, spider: Any) -> None:
        writer = self.writer(spider)
        uri = request.url
        parts = urlsplit(uri)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request_headers = StatusAndHeaders(f"{request.method} {target} HTTP/1.1", _header_list(request.headers),
                                           is_http_request=True)
        request_record = writer.create_warc_record(uri, "request", payload=BytesIO(request.body or b""),
                                                   http_headers=request_headers)
        body = response.body
        digest = payload_digest(body)
        response_headers = StatusAndHeaders(f"{response.status} {_reason(response.status)}",
                                            _header_list(response.headers), protocol="HTTP/1.1")
        first = self._first.get(digest)
        if first is None:
            response_record = writer.create_warc_record(uri, "response", payload=BytesIO(body),
                                                        http_headers=response_headers)
            self._first[digest] = (uri, response_record.rec_headers.get_header("WARC-Date"))
        else:
            response_record = writer.create_revisit_record(uri, digest, first[0], first[1],
                                                           http_headers=response_headers)
        request_record.rec_headers.add_header("WARC-Concurrent-To",
                                              response_record.rec_headers.get_header("WARC-Record-ID"))
        writer.write_record(response_record)
        writer.write_record(request_record)
        self.crawler.stats.inc_value("paywatch/web_archive/records", 2)
        if first is not None:
            self.crawler.stats.inc_value("paywatch/web_archive/revisits")


def _header_list(headers: Any) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, values in headers.items() for value in values]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
