"""Eightfold "PCS" careers sites: Netflix (explore.jobs.netflix.net), Microsoft, Activision, ...

A registry entry gives ``host`` (the tenant's careers host, e.g. ``explore.jobs.netflix.net``) and
``domain`` (the tenant's ``domain=`` parameter, e.g. ``netflix.com``). The base URL is
``https://{host}`` unless the ``EIGHTFOLD_BASE_URL`` setting points elsewhere (replays, tests).

The list is read 10 positions at a time (``num`` above 10 is ignored) by ``start`` until
``start >= count`` or an empty page. The list leaves ``job_description`` empty, so each posting
costs one detail request. Eightfold answers bursts with 429 + Retry-After: the spider keeps a
modest DOWNLOAD_DELAY, and ``scrapers.middlewares.RetryAfterMiddleware`` (on for every platform)
slows the host's slot by what the server asks for before Scrapy's RetryMiddleware retries.
"""

from __future__ import annotations

from typing import Any, AsyncIterator
from urllib.parse import quote, urlencode

from scrapers.extract import eightfold as extract
from scrapers.platforms.base import HOSTNAME, PlatformSpider

class EightfoldSpider(PlatformSpider):
    platform = "eightfold"
    required_ids = ("host", "domain")
    id_patterns = {"host": HOSTNAME, "domain": HOSTNAME}
    base_url_setting = "EIGHTFOLD_BASE_URL"
    # A list page of 10 positions (821 B each in the real tests/fixtures/eightfold/fcx_list.json) or a
    # detail (17,750 B, the real microsoft_detail.json): the detail is the larger, under the floors
    # (warned at 2 MiB, cut off at 8 MiB).
    largest_reply = 17_750
    default_base_url = ""  # https://{host}; see base_url
    host_id = "host"
    custom_settings = {"DOWNLOAD_DELAY": 2.0}

    @property
    def site_url(self) -> str:
        """The tenant's real public site: posting URLs point here even when replaying."""
        return f"https://{self.company_id('host')}"

    @property
    def base_url(self) -> str:
        return str(self.settings.get(self.base_url_setting) or self.site_url).rstrip("/")

    async def start(self) -> AsyncIterator[Any]:
        yield self.list_request(start=0)

    def list_request(self, start: int):
        query = urlencode({"domain": self.company_id("domain"), "start": start,
                           "num": extract.PAGE_SIZE, "sort_by": "relevance"})
        return self.request(f"{self.base_url}/api/apply/v2/jobs?{query}", callback=self.parse_list,
                            cb_kwargs={"start": start})

    def detail_request(self, ref: str, listed: dict[str, Any]):
        query = urlencode({"domain": self.company_id("domain")})
        url = f"{self.base_url}/api/apply/v2/jobs/{quote(ref, safe='')}?{query}"
        return self.request(url, callback=self.parse_detail, detail=True, cb_kwargs={"listed": listed})

    def parse_list(self, response, start: int):
        page = self.read_page(response, extract.list_page)
        if page is None:
            return
        positions, count = page
        refs = [extract.position_ref(raw) or "" for raw in positions if isinstance(raw, dict)]
        if not self.page_is_new("positions", refs):
            return
        if start == 0:
            self.expect_postings("positions", count)
        for raw in self.raw_postings(positions, listing="positions"):
            ref = extract.position_ref(raw)
            if ref is None:
                # No id: no detail to ask for; the validation pipeline drops it with a counted reason.
                yield self._item(raw, None)
                continue
            if self.listed_before(ref, "paywatch/eightfold/duplicate_position"):
                continue
            self.note_listed(raw)
            if raw.get("job_description"):
                yield self._item(raw, None)  # the list already has it
            else:
                yield from self.detail_or_defer(raw, lambda ref=ref, raw=raw: self.detail_request(ref, raw),
                                                lambda raw=raw: self._item(raw, None))
        next_start = start + extract.PAGE_SIZE
        if positions and next_start < count:
            yield self.list_request(start=next_start)

    def parse_detail(self, response, listed: dict[str, Any]):
        detail = self.read_detail(response, extract.detail_position)
        if detail is None:
            # Its list entry has no description: an item from it would read as "description removed".
            self.crawler.stats.inc_value("paywatch/eightfold/detail_without_description")
            return
        yield self._item(listed, detail)

    def _item(self, listed: dict[str, Any], detail: dict[str, Any] | None):
        return self.build_item(extract.parse_position, listed, detail, raw={**listed, **(detail or {})},
                               site_url=self.site_url)
