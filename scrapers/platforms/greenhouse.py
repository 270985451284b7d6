"""Greenhouse job boards.

A registry entry gives ``token``: the board token in ``boards.greenhouse.io/{token}`` (or the
``for=`` parameter of an embedded board). One request reads the whole board with descriptions;
``pay_transparency=true`` asks for the structured pay ranges where the board publishes them.
"""

from __future__ import annotations

from scrapers.extract import greenhouse as extract
from scrapers.platforms.base import PlatformSpider


class GreenhouseSpider(PlatformSpider):
    platform = "greenhouse"
    required_ids = ("token",)
    id_patterns = {"token": r"[A-Za-z0-9][A-Za-z0-9_-]*"}
    base_url_setting = "GREENHOUSE_API_URL"
    # The whole board in one reply, every description in it: 11,430 B a posting (the real Databricks
    # posting, tests/fixtures/greenhouse/databricks_detail.json) x 2,084 postings (Anduril, the largest
    # board nightlab counts) = 23.8 MB; warned at 46 MiB, cut off at 91 MiB (reply_limits).
    largest_reply = 11_430 * 2_084
    default_base_url = "https://boards-api.greenhouse.io"
    entry_is_posting = True
    board_path = "/v1/boards/{token}/jobs?content=true&pay_transparency=true"

    def parse_board(self, response):
        """The whole board, which must hold as many postings as its ``meta.total`` says."""
        board = self.read_page(response, lambda data: (extract.board_jobs(data), extract.board_total(data)))
        jobs, total = board or ([], None)
        self.expect_postings("board", total)
        for raw in self.raw_postings(jobs, listing="board"):
            yield self.build_item(extract.parse_job, raw)
