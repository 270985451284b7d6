"""Lever postings API: `GET /v0/postings/{site}?mode=json&skip=N&limit=M`.

A reply is a JSON list of postings. Pay is structured in `salaryRange {min, max, currency,
interval}` when the board fills it, with prose in `salaryDescriptionPlain`. `createdAt` is epoch
milliseconds (undocumented, present in real replies).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scrapers.extract.common import (
    PageShapeError, clean_inline, html_to_text, iso_from_epoch, plain_text, ref_text, stamped_posting,
    structured_pay, unique,
)
from scrapers.extract.countries import country_code
from scrapers.items import JobPosting

PLATFORM = "lever"
# Lever's interval values; "one-time" pay is not a rate and is left to the text.
INTERVALS = {
    "per-year-salary": "year",
    "per-month-salary": "month",
    "per-week-salary": "week",
    "per-day-wage": "day",
    "per-hour-wage": "hour",
}


def postings_page(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, list):
        raise PageShapeError("Lever postings reply is not a JSON list")
    return data


def parse_posting(raw: dict[str, Any], *, company: str, scraped_at: datetime) -> JobPosting:
    categories = raw.get("categories") if isinstance(raw.get("categories"), dict) else {}
    locations = unique([categories.get("location"), *(categories.get("allLocations") or [])])
    department = " / ".join(
        part for part in unique([categories.get("department"), categories.get("team")])
    ) or None
    return stamped_posting(
        PLATFORM, company, scraped_at,
        ref=ref_text(raw.get("id")),
        title=clean_inline(raw.get("text")),
        url=clean_inline(raw.get("hostedUrl")),
        department=department,
        locations=locations,
        country=country_code(raw.get("country")),
        employment_type=clean_inline(categories.get("commitment")),
        posted_at=iso_from_epoch(raw.get("createdAt"), milliseconds=True),
        updated_at=iso_from_epoch(raw.get("updatedAt"), milliseconds=True),
        description=_description(raw),
        pay_text=plain_text(raw.get("salaryDescriptionPlain")) or html_to_text(raw.get("salaryDescription")),
        pay_ranges=_salary_range(raw.get("salaryRange")),
    )


def _description(raw: dict[str, Any]) -> str | None:
    parts = [plain_text(raw.get("descriptionPlain")) or html_to_text(raw.get("description"))]
    for section in raw.get("lists") or []:
        if isinstance(section, dict):
            parts.append(clean_inline(section.get("text")))
            parts.append(html_to_text(section.get("content")))
    parts.append(plain_text(raw.get("additionalPlain")) or html_to_text(raw.get("additional")))
    return "\n\n".join(part for part in parts if part) or None


def _salary_range(salary: Any) -> list[dict[str, Any]]:
    if not isinstance(salary, dict) or salary.get("interval") not in INTERVALS:
        return []
    pay = structured_pay(
        minimum=salary.get("min"),
        maximum=salary.get("max"),
        currency=salary.get("currency"),
        period=INTERVALS.get(str(salary.get("interval"))),
        raw=f"salaryRange {salary.get('min')}-{salary.get('max')} {salary.get('currency')} {salary.get('interval')}",
    )
    return [pay] if pay is not None else []
