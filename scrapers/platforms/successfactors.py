"""SAP SuccessFactors Recruiting Marketing career sites: Paramount, Lionsgate, Canal+, TF1, SAP, ...

A registry entry gives ``host`` (the career site's host, e.g. ``careers.paramount.com``) and
optionally ``feed_path`` (default ``/sitemal.xml``; some sites publish the same feed as
``/googlefeed.xml``). The base URL is ``https://{host}`` unless ``SUCCESSFACTORS_BASE_URL`` is set
(then ``{SUCCESSFACTORS_BASE_URL}/{host}``, as with Workday).

One request reads the whole site: the feed lists every posting with its text, so there are no
detail requests, and an item equal to the one the archive's version was read from is handed over
as unchanged. The feed says no count, so a feed that is not well-formed RSS, or that lists nothing,
fails the crawl (nothing closed): a site whose feed breaks or empties must not look like a company
closing every posting.
"""

from __future__ import annotations

from typing import Any, Iterator

from scrapers.extract import successfactors as extract
from scrapers.extract.common import PageShapeError
from scrapers.platforms.base import HOSTNAME, OwnHostSpider


class SuccessFactorsSpider(OwnHostSpider):
    platform = "successfactors"
    required_ids = ("host",)
    optional_ids = ("feed_path",)
    id_patterns = {"host": HOSTNAME, "feed_path": r"/[A-Za-z0-9_./-]+\.xml"}
    base_url_setting = "SUCCESSFACTORS_BASE_URL"
    # The whole site in one feed, every description in it. No real feed was recorded (the fixtures are
    # shape-only), so an item is taken to be a Greenhouse posting with its text, 11,430 B (the real
    # tests/fixtures/greenhouse/databricks_detail.json) x 2,000 items (SAP, nightlab's rough size of
    # the largest site) = 22.9 MB; warned at 44 MiB, cut off at 88 MiB.
    largest_reply = 11_430 * 2_000
    entry_is_posting = True

    @property
    def feed_path(self) -> str:
        return str(self.company_id("feed_path") or "/sitemal.xml")

    async def start(self):
        yield self.request(f"{self.base_url}{self.feed_path}", callback=self.parse_feed)

    def listing_ref(self, raw: dict[str, Any]) -> str | None:
        return extract.item_ref(raw)

    def parse_feed(self, response) -> Iterator[Any]:
        try:
            _, items = extract.feed_items(response.body)
        except PageShapeError as error:
            self.crawler.stats.inc_value("paywatch/response/malformed")
            self.mark_failed(f"{error} ({response.url})")
            return
        if not items:
            self.mark_failed(f"the feed {response.url} lists no postings: a broken or emptied feed closes nothing")
            return
        for item in self.raw_postings(items):
            if self.listing_ref(item) is not None and self.listed_before(
                    self.listing_ref(item), "paywatch/successfactors/duplicate_item", entry=item):
                continue
            yield self.build_item(extract.parse_item, item)
