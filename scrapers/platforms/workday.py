"""Workday CXS career sites.

A registry entry gives ``host`` (``disney.wd5.myworkdayjobs.com``), ``tenant`` (``disney``) and
``site`` (``disneycareer``): the public board is ``https://{host}/{site}``.

Base URL: ``WORKDAY_BASE_URL`` empty (the default) means the real ``https://{host}``. When it is
set (tests, the demo), requests go to ``{WORKDAY_BASE_URL}/{host}`` instead, so one local server
can replay several tenants: e.g. ``WORKDAY_BASE_URL=http://127.0.0.1:8000/night1/workday`` →
``http://127.0.0.1:8000/night1/workday/disney.wd5.myworkdayjobs.com/wday/cxs/disney/disneycareer/jobs``.

Crawl:
- ``POST {base}/wday/cxs/{tenant}/{site}/jobs``, 20 postings a page (Workday's maximum), ``offset``
  stepping by 20 until ``offset >= total`` (the total the search's first page reported; later pages
  may report 0) or an empty page.
- Workday caps ``total`` (and paging) at 2000 on many tenants. A search whose first page reports
  ``total >= 2000`` is not paged; it is split into one search per value of a facet from that
  page's ``facets[]`` (``appliedFacets {param: [id]}``), recursively while a split still reports
  2000. Postings are de-duplicated across splits by ``externalPath``. With no facet able to cover
  the search, the crawl is marked failed (it cannot be complete) and the capped search is paged
  as far as Workday allows.
- Each new posting's detail, ``GET {base}/wday/cxs/{tenant}/{site}{externalPath}``, supplies the
  description (and pay prose), dates, locations and country.
- Headers: Workday answers 400/406 to requests without the JSON headers its own web app sends, so
  every request carries ``Content-Type``/``Accept: application/json``, ``Accept-Language: en-US``
  and the board as ``Origin``/``Referer``; the User-Agent stays paywatch's own.
- A Workday error body (``{"errorCode": "HTTP_400", ...}``, with a 4xx status or not) fails the
  crawl with that message. A search page all of whose postings that search already returned is a
  loop: the crawl fails and that search stops.
"""

from __future__ import annotations

import json
from typing import Any, AsyncIterator, Callable, TypeVar

from scrapers.extract import workday as extract
from scrapers.extract.common import PageShapeError
from scrapers.platforms.base import OwnHostSpider

# Statuses Workday sends its JSON error body with; read in the callback so the message is kept.
WORKDAY_ERROR_STATUSES = [400, 401, 403, 404, 406, 409, 410, 422]
T = TypeVar("T")


class WorkdaySpider(OwnHostSpider):
    platform = "workday"
    required_ids = ("host", "tenant", "site")
    id_patterns = {"host": r"[a-z0-9-]+\.wd\d+\.myworkdayjobs\.com", "tenant": r"[A-Za-z0-9_-]+", "site": r"[A-Za-z0-9_-]+"}
    base_url_setting = "WORKDAY_BASE_URL"
    # CXS replies are small: a list page of 20 postings is 21,442 B (the real Saputo page with its
    # facets, tests/fixtures/workday/saputo.json), a detail 7,134 B (begacheese_detail.json); a tenant
    # ten times Saputo's locations (Comcast's 3,500 postings) adds ~90 KB of facets: ~110 KB, under the
    # floors (warned at 2 MiB, cut off at 8 MiB).
    largest_reply = 21_442 + 10 * 9_230
    list_volatile_keys = ("postedOn",)  # "Posted 3 Days Ago" is rewritten daily
    # Workday tenants answer a few requests at a time (other open crawlers use 5 in flight).
    custom_settings = {"CONCURRENT_REQUESTS_PER_DOMAIN": 4, "DOWNLOAD_DELAY": 0.25,
                       "AUTOTHROTTLE_TARGET_CONCURRENCY": 2.0}

    def listing_ref(self, raw: dict[str, Any]) -> str | None:
        return extract.posting_ref(raw.get("externalPath"))

    def reset_company_state(self) -> None:
        super().reset_company_state()
        self._search_seen: dict[str, set[str]] = {}

    # -- wiring -------------------------------------------------------------------------------
    @property
    def cxs_url(self) -> str:
        tenant = self.quoted_id("tenant")
        site = self.quoted_id("site")
        return f"{self.base_url}/wday/cxs/{tenant}/{site}"

    @property
    def public_site_url(self) -> str:
        return f"https://{self.host}/{self.company_id('site')}"

    def headers(self) -> dict[str, str]:
        """What Workday's own web app sends (JsonRequest adds Content-Type to the searches)."""
        return {
            "Accept": "application/json",
            "Accept-Language": "en-US",
            "Origin": f"https://{self.host}",
            "Referer": self.public_site_url,
        }

    # -- requests ------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        yield self.search_request({}, offset=0)

    def search_request(self, applied: dict[str, list[str]], offset: int, total: int | None = None):
        return self.request(
            f"{self.cxs_url}/jobs",
            callback=self.parse_search,
            data=extract.search_body(applied, offset),
            headers=self.headers(),
            meta={"handle_httpstatus_list": WORKDAY_ERROR_STATUSES},
            cb_kwargs={"applied": applied, "offset": offset, "total": total},
        )

    def detail_request(self, posting: dict[str, Any]):
        return self.request(
            f"{self.cxs_url}{posting['externalPath']}",
            callback=self.parse_detail,
            detail=True,
            headers=self.headers(),
            meta={"handle_httpstatus_list": WORKDAY_ERROR_STATUSES},
            cb_kwargs={"posting": posting},
        )

    # -- callbacks -----------------------------------------------------------------------------
    def read_reply(self, response, reader: Callable[[Any], T], detail: bool = False) -> T | None:
        """What ``reader`` finds in a Workday reply; None for malformed JSON, a reply without the
        expected shape, or a Workday error (its error body, or an error status). A bad search reply
        fails the crawl; a bad ``detail`` reply makes only that posting unreadable."""
        def unless_error(data: Any) -> T:
            message = extract.error_message(data)
            if message is not None or response.status >= 400:
                self.crawler.stats.inc_value("paywatch/workday/error_reply")
                raise PageShapeError(f"Workday HTTP {response.status} {message or 'error'}")
            return reader(data)

        return self.read_detail(response, unless_error) if detail else self.read_page(response, unless_error)

    def parse_search(self, response, applied: dict[str, list[str]], offset: int, total: int | None):
        page = self.read_reply(response, extract.jobs_page)
        if page is None:
            return
        page_total, postings, facets = page
        listing = json.dumps(applied, sort_keys=True)
        if offset == 0:
            if page_total is None:
                self.mark_failed(f"Workday jobs reply has no 'total' on its first page ({response.url})")
                return
            total = page_total
            if total >= extract.TOTAL_CAP:
                facet = extract.choose_split_facet(facets, applied, total)
                if facet is not None:
                    self.crawler.stats.inc_value("paywatch/workday/facet_splits")
                    self.logger.info("%s: %s results reported (capped); splitting by %s (%d values)",
                                     self.company_slug, total, facet.parameter, len(facet.values))
                    for value in facet.values:
                        yield self.search_request({**applied, facet.parameter: [value.id]}, offset=0)
                    return
                self.mark_failed(
                    f"Workday reports {total} results (its cap) for {listing} and no facet can split "
                    "the search; the crawl cannot see every posting"
                )
        total = total if total is not None else page_total or 0

        paths = [str(raw.get("externalPath")) for raw in postings if isinstance(raw, dict)]
        if not self.page_is_new(listing, paths):
            return
        seen_here = self._search_seen.setdefault(listing, set())
        if paths and all(path in seen_here for path in paths):
            self.mark_failed(f"Workday page at offset {offset} repeats postings already read ({listing}); "
                             "stopping pagination")
            return
        seen_here.update(paths)

        if offset == 0:
            self.expect_postings(listing, total)
        for raw in self.raw_postings(postings, listing=listing):
            path = raw.get("externalPath")
            if not isinstance(path, str) or not path.startswith("/"):
                # No detail can be read: hand over what the list has; validation drops it (no ref).
                self.crawler.stats.inc_value("paywatch/workday/posting_without_external_path")
                self.logger.warning("%s: Workday posting without externalPath: %r", self.company_slug,
                                    raw.get("title"))
                yield self.build_item(extract.parse_job, raw, None, public_site_url=self.public_site_url)
                continue
            if self.listed_before(path, "paywatch/workday/duplicate_across_searches"):
                continue
            self.note_listed(raw)
            yield from self.detail_or_defer(raw, lambda raw=raw: self.detail_request(raw), lambda raw=raw: self.build_item(
                extract.parse_job, raw, None, public_site_url=self.public_site_url))

        next_offset = offset + extract.PAGE_SIZE
        if postings and next_offset < total:
            yield self.search_request(applied, offset=next_offset, total=total)

    def parse_detail(self, response, posting: dict[str, Any]):
        info = self.read_reply(response, extract.detail_info, detail=True)
        if info is not None:
            yield self.build_item(extract.parse_job, posting, info, public_site_url=self.public_site_url)
