"""Apple's jobs site, jobs.apple.com (Apple's own platform: one company, its whole catalogue).

A registry entry needs no identifiers; ``locale`` (default ``en-us``) picks the catalogue's language
and the posting pages read. Crawl:

1. ``GET {base}/api/v1/CSRFToken``: the reply's ``X-Apple-CSRF-Token`` header, and the session
   cookies Scrapy keeps, which the search needs (a bare search is refused). No token: failed.
2. ``POST {base}/api/v1/search`` page 1, 2, ... (20 a page) with the token, until the latest page's
   ``totalRecords`` are read or a page is empty. Results move between pages while the catalogue is
   read: one seen twice is handed over once (``paywatch/apple/duplicate_listed``) and counts once,
   so the crawl is complete only when as many distinct postings were read as the first page counted.
3. Each posting's page (``/{locale}/details/{positionId}/{slug}``) for its description and pay
   footer, within the night's detail budget (``detail_or_defer``).
"""

from __future__ import annotations

from typing import Any, AsyncIterator

from scrapers.extract import apple as extract
from scrapers.extract.common import PageShapeError
from scrapers.platforms.base import PlatformSpider


class AppleSpider(PlatformSpider):
    platform = "apple"
    optional_ids = ("locale",)
    id_patterns = {"locale": r"[a-z]{2}-[a-z]{2}"}
    base_url_setting = "APPLE_JOBS_URL"
    # A search page of 20 rows at 1,751 B a row (the real tests/fixtures/apple/search_page1_trimmed.json,
    # 5,254 B for 3 rows) = 35 KB; a posting's page is one HTML page. Under the floors (warned at 2 MiB,
    # cut off at 8 MiB).
    largest_reply = 1_751 * 20
    default_base_url = "https://jobs.apple.com"
    custom_settings = {"DOWNLOAD_DELAY": 2.0}

    def reset_company_state(self) -> None:
        super().reset_company_state()
        self.csrf_token: str | None = None

    @property
    def locale(self) -> str:
        return str(self.company_id("locale") or "en-us")

    async def start(self) -> AsyncIterator[Any]:
        yield self.request(f"{self.base_url}/api/v1/CSRFToken", callback=self.parse_token)

    def parse_token(self, response):
        token = response.headers.get("X-Apple-CSRF-Token")
        if not token:
            self.mark_failed(f"no X-Apple-CSRF-Token header from {response.url}: the search cannot be asked")
            return
        self.csrf_token = token.decode("ascii", "replace")
        yield self.search_request(page=1)

    def search_request(self, page: int):
        body = {"query": "", "filters": {}, "page": page, "locale": self.locale, "sort": "",
                "format": {"longDate": "MMMM D, YYYY", "mediumDate": "MMM D, YYYY"}}
        site = extract.PUBLIC_SITE
        headers = {"X-Apple-CSRF-Token": self.csrf_token, "Origin": site, "Referer": f"{site}/{self.locale}/search"}
        return self.request(f"{self.base_url}/api/v1/search", callback=self.parse_search, data=body, headers=headers,
                            cb_kwargs={"page": page})

    def parse_search(self, response, page: int):
        found = self.read_page(response, extract.search_page)
        if found is None:
            return
        results, total = found
        if not self.page_is_new("search", [str(raw.get("id")) for raw in results if isinstance(raw, dict)]):
            return
        if page == 1:
            self.expect_postings("search", total)
        for raw in self.raw_postings(results, listing="search"):
            ref = self.listing_ref(raw)
            if ref is not None and self.listed_before(ref, "paywatch/apple/duplicate_listed", listing="search"):
                continue
            self.note_listed(raw)
            path = extract.detail_path(raw, self.locale)
            if path is None:
                yield self.build_item(self.parse_posting, raw, None)
                continue
            yield from self.detail_or_defer(
                raw, lambda path=path, raw=raw: self.request(f"{self.base_url}{path}", callback=self.parse_detail,
                                                             detail=True, cb_kwargs={"listed": raw}),
                lambda raw=raw: self.build_item(self.parse_posting, raw, None))
        latest = self.listing_end("search", total)
        if results and (latest is None or page * extract.PAGE_SIZE < latest):
            yield self.search_request(page + 1)

    def parse_detail(self, response, listed: dict[str, Any]):
        try:
            details = extract.job_details(response.text)
        except PageShapeError as error:
            self._detail_unreadable(f"{response.url}: {error}")
            return
        yield self.build_item(self.parse_posting, listed, details, raw={**listed, **details})

    def parse_posting(self, listed: dict[str, Any], details: dict[str, Any] | None, **context: Any):
        return extract.parse_posting(listed, details, locale=self.locale, **context)
