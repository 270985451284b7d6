"""Stage 300, PayRangePipeline: each posting's pay ranges. Platform fields first; else ``parse_pay``
(pipelines/pay_parser.py) on the pay text, else on the description. A range whose period is
implausible for its size is kept as published and flagged ``period_suspect``.

A sentence the parser cannot read is counted and the item kept without ranges: a wrong number in
the archive is worse than none, and one odd sentence must never stop a crawl.
"""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter

from pipelines.base import PaywatchPipeline
from pipelines.pay_parser import parse_pay, period_suspect
from scrapers.extract.countries import default_currency_for_country

logger = logging.getLogger(__name__)


def pay_ranges_for(adapter: ItemAdapter) -> tuple[list[dict[str, Any]], str | None]:
    """(ranges, source) for one posting; source is "structured", "pay_text", "description" or None."""
    structured = [dict(pay) for pay in adapter.get("pay_ranges") or []]
    if structured:
        for pay in structured:  # kept as the platform published it, flagged when its period is implausible
            pay["period_suspect"] = period_suspect(pay["min"], pay["max"], pay["currency"], pay["period"])
        return structured, "structured"
    currency = default_currency_for_country(adapter.get("country"))
    for field_name in ("pay_text", "description"):
        text = adapter.get(field_name)
        if text:
            ranges = parse_pay(text, default_currency=currency)
            if ranges:
                return [pay.to_dict() for pay in ranges], field_name
    return [], None


class PayRangePipeline(PaywatchPipeline):
    enabled_setting = "PAYWATCH_PAY_ENABLED"

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        try:
            ranges, source = pay_ranges_for(adapter)
        except Exception:  # a parser bug on one posting must not lose the posting
            logger.exception("pay parser failed on %s/%s", adapter.get("company"), adapter.get("ref"))
            self.count("pay/parser_error")
            ranges, source = [], None
        adapter["pay_ranges"] = ranges
        adapter["pay_source"] = source
        self.count(f"pay/{source or 'none'}")
        return item
