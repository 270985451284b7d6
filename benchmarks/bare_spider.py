#!/usr/bin/env python
"""The baseline of ``benchmarks/crawl.py``: a bare Scrapy spider over the same Greenhouse boards.

    python benchmarks/bare_spider.py BASE_URL TOKENS_FILE [-s KEY=VALUE ...]

One request per board, ``json.loads``, one dict per job, no pipelines, no archive: what reading the
boards costs Scrapy itself. Prints one line of JSON: how many jobs and boards it read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import scrapy
from scrapy.crawler import AsyncCrawlerProcess


class BareGreenhouseSpider(scrapy.Spider):
    name = "bare_greenhouse"

    def __init__(self, base_url: str, tokens: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens

    async def start(self):
        for token in self.tokens:
            yield scrapy.Request(f"{self.base_url}/v1/boards/{token}/jobs?content=true&pay_transparency=true")

    def parse(self, response):
        for job in json.loads(response.text)["jobs"]:
            yield {"id": job["id"], "title": job["title"], "content": job.get("content")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("base_url")
    parser.add_argument("tokens_file", type=Path)
    parser.add_argument("-s", dest="settings", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    settings = {"LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False}
    settings.update(setting.split("=", 1) for setting in args.settings)
    process = AsyncCrawlerProcess(settings)
    crawler = process.create_crawler(BareGreenhouseSpider)
    tokens = args.tokens_file.read_text(encoding="utf-8").split()
    process.crawl(crawler, base_url=args.base_url, tokens=tokens)
    process.start()
    stats = crawler.stats.get_stats()
    print(json.dumps({"jobs": stats.get("item_scraped_count", 0), "boards": stats.get("response_received_count", 0)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
