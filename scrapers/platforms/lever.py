"""Lever postings.

A registry entry gives ``site``: the name in ``jobs.lever.co/{site}``. Optional ``region = "eu"``
for boards hosted on Lever's EU instance (``LEVER_EU_API_URL``). Pages of ``page_size`` postings are
read with ``skip``/``limit`` until a short page.
"""

from __future__ import annotations

from typing import Any, AsyncIterator

from scrapers.extract import lever as extract
from scrapers.platforms.base import PlatformSpider


class LeverSpider(PlatformSpider):
    platform = "lever"
    required_ids = ("site",)
    optional_ids = ("region",)
    id_patterns = {"site": r"[A-Za-z0-9][A-Za-z0-9._-]*", "region": r"eu"}
    base_url_setting = "LEVER_API_URL"
    # A page of LEVER_PAGE_SIZE (100) postings, each with its text: 27,689 B a posting (the larger real
    # Mistral posting, tests/fixtures/lever/mistral_posting_no_lists.json) x 100 = 2.8 MB; warned at
    # 6 MiB, cut off at 11 MiB (a board's size does not matter: it is paged).
    largest_reply = 27_689 * 100
    default_base_url = "https://api.lever.co"
    entry_is_posting = True

    @property
    def base_url(self) -> str:
        if self.company_id("region") == "eu":
            return str(self.settings.get("LEVER_EU_API_URL") or "https://api.eu.lever.co").rstrip("/")
        return super().base_url

    @property
    def page_size(self) -> int:
        return self.settings.getint("LEVER_PAGE_SIZE", 100)

    async def start(self) -> AsyncIterator[Any]:
        yield self.page_request(skip=0)

    def page_request(self, skip: int):
        site = self.quoted_id("site")
        url = f"{self.base_url}/v0/postings/{site}?mode=json&skip={skip}&limit={self.page_size}"
        return self.request(url, callback=self.parse_page, cb_kwargs={"skip": skip})

    def parse_page(self, response, skip: int):
        postings = self.read_page(response, extract.postings_page)
        if postings is None:
            return
        refs = [str(raw.get("id")) for raw in postings if isinstance(raw, dict)]
        if not self.page_is_new("postings", refs):
            return
        for raw in self.raw_postings(postings):
            yield self.build_item(extract.parse_posting, raw)
        if len(postings) >= self.page_size:
            yield self.page_request(skip=skip + self.page_size)
