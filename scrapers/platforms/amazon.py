"""Amazon's own careers site, amazon.jobs.

A registry entry needs no identifier. Optional ``business_categories`` (a list of the
``business_category`` facet values, e.g. ``["aws"]``) limits the crawl to those business units;
optional ``base_query`` is a search phrase (a string) or a table of extra search.json parameters.

One search returns at most 10,000 results (offset + result_limit = 10,000), and an unfiltered
search reports ``hits`` pinned at that window. So the first request also asks for the
``business_category`` facet: when ``hits`` reaches the window, the crawl is split into one search per
business category (deduplicated by ``id_icims``), each read in pages of 100 until its own ``hits``.
A category that alone reaches the window cannot be read whole: the crawl is marked failed.
"""

from __future__ import annotations

from typing import Any, AsyncIterator
from urllib.parse import urlencode

from scrapers.extract import amazon as extract
from scrapers.platforms.base import PlatformSpider

ALL = "*"  # the listing key of the unsplit search


class AmazonSpider(PlatformSpider):
    platform = "amazon"
    optional_ids = ("business_categories", "base_query")
    base_url_setting = "AMAZON_JOBS_URL"
    # A search page of 100 jobs at 4,437 B a job (tests/fixtures/amazon/search_page.json, 13,311 B for
    # 3 jobs with real description HTML) = 444 KB, under the floors (warned at 2 MiB, cut off at 8 MiB).
    largest_reply = 4_437 * 100
    default_base_url = "https://www.amazon.jobs"

    def listing_ref(self, raw: dict[str, Any]) -> str | None:
        return extract.job_ref(raw)

    @property
    def categories(self) -> list[str]:
        value = self.company_id("business_categories")
        if isinstance(value, str):
            value = [value]
        return [str(category) for category in value or [] if str(category).strip()]

    def query_params(self) -> list[tuple[str, str]]:
        base_query = self.company_id("base_query")
        if isinstance(base_query, dict):
            return [(str(key), str(value)) for key, value in base_query.items()]
        return [("base_query", str(base_query))] if base_query else []

    async def start(self) -> AsyncIterator[Any]:
        if self.categories:
            for category in self.categories:
                yield self.page_request(offset=0, category=category)
        else:
            yield self.page_request(offset=0, category=ALL, with_facets=True)

    def page_request(self, offset: int, category: str, with_facets: bool = False):
        params = [("offset", str(offset)), ("result_limit", str(extract.PAGE_SIZE)), ("sort", "recent")]
        params += self.query_params()
        if category != ALL:
            params.append(("business_category[]", category))
        if with_facets:
            params.append(("facets[]", "business_category"))
        return self.request(f"{self.base_url}/en/search.json?{urlencode(params)}", callback=self.parse_page,
                            cb_kwargs={"offset": offset, "category": category})

    def parse_page(self, response, offset: int, category: str):
        # The whole reply is kept too: a split needs its facets.
        page = self.read_page(response, lambda data: (data, *extract.search_page(data)))
        if page is None:
            return
        data, jobs, hits = page
        if category == ALL and offset == 0 and hits >= extract.RESULT_WINDOW:
            yield from self.split_by_category(data, hits, response.url)
            return
        if offset == 0 and hits >= extract.RESULT_WINDOW:
            self.mark_failed(f"business_category {category!r} reports {hits} hits: more than one search can "
                             f"return ({extract.RESULT_WINDOW}); the rest cannot be read")
        refs = [extract.job_ref(raw) or "" for raw in jobs if isinstance(raw, dict)]
        if not self.page_is_new(category, refs):
            return
        if offset == 0:
            self.expect_postings(category, hits)
        for raw in self.raw_postings(jobs, listing=category):
            ref = extract.job_ref(raw)
            if ref is not None and self.listed_before(ref, "paywatch/amazon/duplicate_posting", entry=raw):
                continue
            yield self.build_item(extract.parse_job, raw)
        next_offset = offset + extract.PAGE_SIZE
        if (len(jobs) >= extract.PAGE_SIZE and next_offset < hits
                and next_offset + extract.PAGE_SIZE <= extract.RESULT_WINDOW):
            yield self.page_request(offset=next_offset, category=category)

    def split_by_category(self, data: dict[str, Any], hits: int, url: str):
        counts = extract.category_counts(data)
        if not counts:
            self.mark_failed(f"{hits} hits reach the {extract.RESULT_WINDOW}-result window and the reply has no "
                             f"'{extract.CATEGORY_FACET}' to split the search by ({url})")
            return
        self.logger.info("%s: %d hits reach the search window; splitting into %d business categories",
                         self.company_slug, hits, len(counts))
        self.crawler.stats.set_value("paywatch/amazon/categories", len(counts))
        for category, count in sorted(counts.items()):
            if count > 0:
                yield self.page_request(offset=0, category=category)
