"""Google Careers, www.google.com/about/careers/applications (Google's own site: Google, YouTube,
Google DeepMind and the rest of Alphabet on one board).

A registry entry may give ``company`` (the site's company filter, its display name as the site
writes it, e.g. ``YouTube``; case matters) to read one company's postings. The results pages carry
every posting whole, so there are no detail requests: page 1, 2, ... (20 a page, newest first)
until the first page's count is read or a page holds no records. Results move between pages while
they are read: one seen twice is handed over once (``paywatch/google/duplicate_listed``) and counts
once, so the crawl is complete only when as many distinct postings were read as the first page
counted.

robots.txt: public copies of google.com's robots.txt disallow ``…/jobs/results?page=`` for every
crawler, and paywatch obeys robots.txt: where that rule holds, the pages after the first are refused,
the crawl cannot show it read the whole board, and it fails (nothing closed). The shipped registry
leaves Google out for that reason (see its comment); the platform is here for a board whose
robots.txt allows it.
"""

from __future__ import annotations

from typing import Any, Iterator
from urllib.parse import urlencode

from scrapers.extract import google as extract
from scrapers.extract.common import PageShapeError
from scrapers.platforms.base import PlatformSpider


class GoogleSpider(PlatformSpider):
    platform = "google"
    optional_ids = ("company",)
    id_patterns = {"company": r"[A-Za-z0-9][A-Za-z0-9 .&-]*"}
    base_url_setting = "GOOGLE_CAREERS_URL"
    # A results page of 20 records at 7,535 B a record (the real Google Careers record,
    # tests/fixtures/google/careers_job_initdata.json) = 151 KB with the page around it, under the floors
    # (warned at 2 MiB, cut off at 8 MiB).
    largest_reply = 7_535 * 20
    default_base_url = "https://www.google.com"
    entry_is_posting = True
    custom_settings = {"DOWNLOAD_DELAY": 2.0}

    async def start(self):
        yield self.results_request(page=1)

    def results_request(self, page: int):
        query = {"sort_by": "date"}
        if self.company_id("company"):
            query["company"] = str(self.company_id("company"))
        if page > 1:
            query["page"] = str(page)
        url = f"{self.base_url}/about/careers/applications/jobs/results?{urlencode(query)}"
        return self.request(url, callback=self.parse_results, cb_kwargs={"page": page})

    def listing_ref(self, raw: Any) -> str | None:
        return extract.record_ref(raw.get("record")) if isinstance(raw, dict) else None

    def parse_results(self, response, page: int) -> Iterator[Any]:
        try:
            records, total = extract.results_page(response.text)
        except PageShapeError as error:
            self.mark_failed(f"{error} ({response.url})")
            return
        if not self.page_is_new("results", [extract.record_ref(record) or "" for record in records]):
            return
        if page == 1:
            self.expect_postings("results", total)
        # A record is a list; the base spider's listing helpers take a dict a posting.
        for raw in self.raw_postings([{"record": record} for record in records], listing="results"):
            ref = self.listing_ref(raw)
            if ref is not None and self.listed_before(ref, "paywatch/google/duplicate_listed", listing="results",
                                                    entry=raw):
                continue
            yield self.build_item(self.parse_record, raw)
        latest = self.listing_end("results", total)
        if records and (latest is None or page * extract.PAGE_SIZE < latest):
            yield self.results_request(page + 1)

    def parse_record(self, raw: dict[str, Any], **context: Any):
        record = raw.get("record")
        if not isinstance(record, list):
            raise ValueError("a Google Careers result that is not a record")
        return extract.parse_record(record, **context)
