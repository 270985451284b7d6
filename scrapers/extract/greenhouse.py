"""Greenhouse job board API: `GET /v1/boards/{token}/jobs?content=true&pay_transparency=true`.

The whole board comes in one reply (`jobs[]`, `meta.total`). `content` is entity-escaped HTML.
Pay appears as structured `pay_input_ranges` (cents) where the board exposes them, else inside
`content` as a `content-pay-transparency` block, else in prose.
"""

from __future__ import annotations

import html
import math
from datetime import datetime
from typing import Any

from parsel import Selector

from scrapers.extract.common import (
    clean_inline, dig, html_to_text, int_or_none, iso_timestamp, join_names, ref_text, required_list,
    stamped_posting, structured_pay, unique,
)
from scrapers.items import JobPosting

PLATFORM = "greenhouse"


def board_jobs(data: Any) -> list[dict[str, Any]]:
    return required_list(data, "jobs", "Greenhouse board reply")


def board_total(data: Any) -> int | None:
    """How many postings the board says it holds (`meta.total`), or None when it does not say."""
    return int_or_none(dig(data, "meta", "total"))


def parse_job(raw: dict[str, Any], *, company: str, scraped_at: datetime) -> JobPosting:
    content_html = html.unescape(raw["content"]) if isinstance(raw.get("content"), str) else None
    location = raw.get("location") if isinstance(raw.get("location"), dict) else {}
    locations = unique(part for part in str(location.get("name") or "").split(";"))
    if not locations:
        locations = unique(office.get("name") for office in raw.get("offices") or [] if isinstance(office, dict))
    pay_ranges = pay_input_ranges(raw.get("pay_input_ranges"))
    published_ranges = raw.get("pay_input_ranges") if isinstance(raw.get("pay_input_ranges"), list) else []
    lost = (["pay_ranges"] if len(pay_ranges) < len(published_ranges) else [])
    lost += ["employment_type"] if raw.get("metadata") is not None and not isinstance(raw.get("metadata"), list) else []
    return stamped_posting(
        PLATFORM, company, scraped_at,
        ref=ref_text(raw.get("id")),
        title=clean_inline(raw.get("title")),
        url=clean_inline(raw.get("absolute_url")),
        department=join_names(raw.get("departments")),
        locations=locations,
        employment_type=_metadata_value(raw, "employment type"),
        posted_at=iso_timestamp(raw.get("first_published")),
        updated_at=iso_timestamp(raw.get("updated_at")),
        description=html_to_text(content_html),
        pay_text=pay_block_text(content_html),
        pay_ranges=pay_ranges,
        lost_values=lost,
    )


def pay_input_ranges(ranges: Any) -> list[dict[str, Any]]:
    """Greenhouse's structured pay (`min_cents`, `max_cents`, `currency_type`, `title`)."""
    result = []
    for entry in ranges if isinstance(ranges, list) else []:
        if not isinstance(entry, dict):
            continue
        cents = [entry.get("min_cents"), entry.get("max_cents")]
        dollars = [_dollars(amount) for amount in cents]
        if any(amount is not None and value is None for amount, value in zip(cents, dollars)):
            continue  # a figure that is not a number ("n/a"): that range is lost, not the posting
        pay = structured_pay(
            minimum=dollars[0],
            maximum=dollars[1],
            currency=entry.get("currency_type"),
            period=None,  # Greenhouse gives no interval; inferred from magnitude and flagged
            label=entry.get("title"),
            raw=f"{entry.get('title') or ''}: {cents[0]}-{cents[1]} cents {entry.get('currency_type')}".strip(": "),
        )
        if pay is not None:
            result.append(pay)
    return result


def pay_block_text(content_html: str | None) -> str | None:
    """The `content-pay-transparency` block as lines of "title: range" text for the pay parser."""
    if not content_html or "pay-transparency" not in content_html:
        return None
    selector = Selector(text=content_html)
    lines = []
    for pay_input in selector.css(".content-pay-transparency .pay-input"):
        title = clean_inline(" ".join(pay_input.css(".title ::text").getall()))
        amounts = clean_inline(" ".join(pay_input.css(".pay-range ::text").getall()))
        if amounts:
            lines.append(f"{title}: {amounts}" if title else amounts)
    if not lines:
        return None
    description = html_to_text(" ".join(selector.css(".content-pay-transparency .description").getall()))
    return "\n".join(([description] if description else []) + lines)


def _dollars(cents: Any) -> float | None:
    """A cents figure as dollars; None when it is missing or not a finite number."""
    if cents is None or isinstance(cents, bool):
        return None
    try:
        value = float(cents) / 100
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _metadata_value(raw: dict[str, Any], name: str) -> str | None:
    metadata = raw.get("metadata")
    for entry in metadata if isinstance(metadata, list) else []:
        if isinstance(entry, dict) and str(entry.get("name", "")).strip().lower() == name:
            value = entry.get("value")
            return clean_inline(value) if isinstance(value, (str, int, float)) else None
    return None
