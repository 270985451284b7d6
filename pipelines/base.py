"""What every paywatch pipeline shares: the crawler's stats, a switch to turn it off, counted drops."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem, NotConfigured


class PaywatchPipeline:
    """A pipeline stage. ``enabled_setting`` (e.g. PAYWATCH_PAY_ENABLED = False) turns it off."""

    enabled_setting: str | None = None

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Any):
        if cls.enabled_setting and not crawler.settings.getbool(cls.enabled_setting, True):
            raise NotConfigured(f"{cls.enabled_setting} is off")
        return cls(crawler)

    def count(self, key: str, amount: int = 1) -> None:
        self.stats.inc_value(f"paywatch/{key}", amount)

    def drop(self, item: Any, reason: str, detail: str) -> DropItem:
        """A DropItem to raise, counted under paywatch/dropped/<reason> and logged with the posting."""
        adapter = ItemAdapter(item)
        self.count(f"dropped/{reason}")
        message = f"dropped {adapter.get('company')}/{adapter.get('ref')}: {detail}"
        return DropItem(message)
