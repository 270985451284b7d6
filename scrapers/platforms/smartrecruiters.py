"""SmartRecruiters postings.

A registry entry gives ``company_id``: the name in ``jobs.smartrecruiters.com/{company_id}`` (case as
shown there, e.g. ``NBCUniversal3``). The list is paged by ``offset`` (``limit`` at most 100) until
``totalFound`` is reached or a page comes back short or empty. The list has no text, so each posting
costs one detail request for its job ad (description and any pay). A failed detail request fails the
crawl; a detail without ``jobAd`` yields the posting with no description
(``paywatch/smartrecruiters/detail_missing_jobad``).
"""

from __future__ import annotations

from typing import Any, AsyncIterator
from urllib.parse import quote

from scrapers.extract import smartrecruiters as extract
from scrapers.platforms.base import PlatformSpider


class SmartRecruitersSpider(PlatformSpider):
    platform = "smartrecruiters"
    required_ids = ("company_id",)
    id_patterns = {"company_id": r"[A-Za-z0-9][A-Za-z0-9_-]*"}
    base_url_setting = "SMARTRECRUITERS_API_URL"
    # A list page of 100 postings at 1,657 B each (the real tests/fixtures/smartrecruiters/visa.json,
    # 3,315 B for 2) = 166 KB; a detail ~4 KB. Under the floors (warned at 2 MiB, cut off at 8 MiB).
    largest_reply = 1_657 * 100
    default_base_url = "https://api.smartrecruiters.com"

    @property
    def page_size(self) -> int:
        return max(1, min(100, self.settings.getint("SMARTRECRUITERS_PAGE_SIZE", 100)))

    @property
    def postings_url(self) -> str:
        return f"{self.base_url}/v1/companies/{self.quoted_id('company_id')}/postings"

    async def start(self) -> AsyncIterator[Any]:
        yield self.page_request(offset=0)

    def page_request(self, offset: int):
        url = f"{self.postings_url}?limit={self.page_size}&offset={offset}"
        return self.request(url, callback=self.parse_page, cb_kwargs={"offset": offset})

    def parse_page(self, response, offset: int):
        page = self.read_page(response, extract.postings_page)
        if page is None:
            return
        postings, total = page
        refs = [str(raw.get("id")) for raw in postings if isinstance(raw, dict)]
        if not self.page_is_new("postings", refs):
            return
        if offset == 0:
            self.expect_postings("postings", total)
        for raw in self.raw_postings(postings, listing="postings"):
            posting_id = raw.get("id")
            if posting_id in (None, ""):
                # No id, no detail to ask for: yielded so the validator drops it with a counted reason.
                yield self.build_item(extract.parse_posting, raw, None)
                continue
            self.note_listed(raw)
            url = f"{self.postings_url}/{quote(str(posting_id), safe='')}"
            yield from self.detail_or_defer(
                raw, lambda url=url, raw=raw: self.request(url, callback=self.parse_detail, detail=True,
                                                           cb_kwargs={"listing": raw}),
                lambda raw=raw: self.build_item(extract.parse_posting, raw, None))
        next_offset = offset + len(postings)
        if postings and len(postings) >= self.page_size and (total is None or next_offset < total):
            yield self.page_request(offset=next_offset)

    def parse_detail(self, response, listing: dict[str, Any]):
        detail = self.read_detail(response, extract.posting_detail)
        if detail is None:
            return
        if not extract.has_job_ad(detail):
            self.crawler.stats.inc_value("paywatch/smartrecruiters/detail_missing_jobad")
            self.logger.warning("%s: SmartRecruiters posting %s has no jobAd sections; no description",
                                self.company_slug, listing.get("id"))
        yield self.build_item(extract.parse_posting, listing, detail, raw={**listing, **detail})
