"""Greenhouse job boards.

A registry entry gives ``token``: the board token in ``boards.greenhouse.io/{token}`` (or the
``for=`` parameter of an embedded board). One request reads the whole board with descriptions;
``pay_transparency=true`` asks for the structured pay ranges where the board publishes them.
"""

from __future__ import annotations

from typing import Any, AsyncIterator
from urllib.parse import quote

from scrapers.extract import greenhouse as extract
from scrapers.platforms.base import PlatformSpider


class GreenhouseSpider(PlatformSpider):
    platform = "greenhouse"
    required_ids = ("token",)
    base_url_setting = "GREENHOUSE_API_URL"
    default_base_url = "https://boards-api.greenhouse.io"

    async def start(self) -> AsyncIterator[Any]:
        token = quote(str(self.company_id("token")), safe="")
        url = f"{self.base_url}/v1/boards/{token}/jobs?content=true&pay_transparency=true"
        yield self.request(url, callback=self.parse_board)

    def parse_board(self, response):
        jobs = self.read_page(response, extract.board_jobs)
        if jobs is None:
            return
        for raw in self.raw_postings(jobs):
            item = extract.parse_job(raw, company=self.company_slug, scraped_at=self.crawl_started_at)
            yield self.finish_item(item, raw)
