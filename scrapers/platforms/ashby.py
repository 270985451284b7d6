"""Ashby job boards.

A registry entry gives ``board``: the name in ``jobs.ashbyhq.com/{board}``. One request reads the
whole public board with descriptions; ``includeCompensation=true`` adds the pay tiers the board
publishes. Postings marked ``isListed: false`` are skipped (counted ``paywatch/ashby/unlisted``).
"""

from __future__ import annotations

from scrapers.extract import ashby as extract
from scrapers.platforms.base import PlatformSpider


class AshbySpider(PlatformSpider):
    platform = "ashby"
    required_ids = ("board",)
    id_patterns = {"board": r"[A-Za-z0-9][A-Za-z0-9._%-]*"}
    base_url_setting = "ASHBY_API_URL"
    # The whole board in one reply: 13,156 B a job (the real Lambda board, 157,883 B for 12 jobs,
    # tests/fixtures/ashby/lambda.json; its compensation blocks are a few hundred more) x 733 jobs
    # (OpenAI, the largest Ashby board nightlab counts) = 9.6 MB; warned at 19 MiB, cut off at 37 MiB.
    largest_reply = 13_156 * 733
    default_base_url = "https://api.ashbyhq.com"
    entry_is_posting = True
    board_path = "/posting-api/job-board/{board}?includeCompensation=true"

    def parse_board(self, response):
        """The whole public board; unlisted postings are left out."""
        stats = self.crawler.stats
        for raw in self.raw_postings(self.read_page(response, extract.board_jobs) or []):
            if not extract.is_listed(raw):
                stats.inc_value("paywatch/ashby/unlisted")
                continue
            if "compensation" not in raw:
                # Asked for with includeCompensation=true: its absence means the API changed.
                stats.inc_value("paywatch/ashby/no_compensation_block")
                self.logger.warning("%s: Ashby posting %s has no compensation block; pay only from text",
                                    self.company_slug, raw.get("id"))
            yield self.build_item(extract.parse_job, raw)
