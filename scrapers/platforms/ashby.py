"""Ashby job boards.

A registry entry gives ``board``: the name in ``jobs.ashbyhq.com/{board}``. One request reads the
whole public board with descriptions; ``includeCompensation=true`` adds the pay tiers the board
publishes. Postings marked ``isListed: false`` are skipped (counted ``paywatch/ashby/unlisted``).
"""

from __future__ import annotations

from typing import Any, AsyncIterator
from urllib.parse import quote

from scrapers.extract import ashby as extract
from scrapers.platforms.base import PlatformSpider


class AshbySpider(PlatformSpider):
    platform = "ashby"
    required_ids = ("board",)
    base_url_setting = "ASHBY_API_URL"
    default_base_url = "https://api.ashbyhq.com"

    async def start(self) -> AsyncIterator[Any]:
        board = quote(str(self.company_id("board")), safe="")
        url = f"{self.base_url}/posting-api/job-board/{board}?includeCompensation=true"
        yield self.request(url, callback=self.parse_board)

    def parse_board(self, response):
        jobs = self.read_page(response, extract.board_jobs)
        if jobs is None:
            return
        stats = self.crawler.stats
        for raw in self.raw_postings(jobs):
            if not extract.is_listed(raw):
                stats.inc_value("paywatch/ashby/unlisted")
                continue
            if "compensation" not in raw:
                # Asked for with includeCompensation=true: its absence means the API changed.
                stats.inc_value("paywatch/ashby/no_compensation_block")
                self.logger.warning("%s: Ashby posting %s has no compensation block; pay only from text",
                                    self.company_slug, raw.get("id"))
            item = extract.parse_job(raw, company=self.company_slug, scraped_at=self.crawl_started_at)
            yield self.finish_item(item, raw)
