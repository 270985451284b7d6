"""Stage 200, CleanPipeline: normalise strings: trimmed single-line title and department, de-duplicated locations."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from pipelines.base import PaywatchPipeline
from scrapers.extract.common import clean_inline, unique


class CleanPipeline(PaywatchPipeline):
    enabled_setting = "PAYWATCH_CLEAN_ENABLED"

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        for field_name in ("title", "department", "employment_type", "url", "country"):
            if field_name in adapter:
                adapter[field_name] = clean_inline(adapter.get(field_name))
        if adapter.get("country"):
            adapter["country"] = adapter["country"].upper()
        adapter["locations"] = unique(adapter.get("locations") or [])
        return item
