"""Stage 100, ValidatePipeline: drop postings that cannot be archived: no identity (ref) or no title.

Two copies of one posting in a crawl are counted and both passed on: the archive keeps the same one
whatever order they came in (dropping the second here would make the version depend on the order).
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from pipelines.base import PaywatchPipeline

REQUIRED_FIELDS = ("platform", "company", "ref", "title")


class ValidatePipeline(PaywatchPipeline):
    enabled_setting = None  # never off: the archive relies on every item having an identity

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.refs_seen: set[tuple[str, str, str]] = set()

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        for field_name in REQUIRED_FIELDS:
            value = adapter.get(field_name)
            if value is None or (isinstance(value, str) and not value.strip()):
                raise self.drop(item, f"missing_{field_name}", f"no {field_name} (platform field missing or empty)")
        identity = (adapter["platform"], adapter["company"], str(adapter["ref"]))
        if identity in self.refs_seen:
            self.count("items/duplicate")
        self.refs_seen.add(identity)
        self.count("items/valid")
        return item
