"""Ashby posting API: `GET /posting-api/job-board/{board}?includeCompensation=true`.

The whole board comes in one reply, `{jobs: [...], apiVersion}`. Postings with `isListed: false`
are not on the public board and are skipped. With `includeCompensation=true` each job carries a
`compensation` block: `compensationTierSummary` / `scrapeableCompensationSalarySummary` (text) and
`compensationTiers[].components[]` (`compensationType`, `interval` "1 YEAR"…, `currencyCode`,
`minValue`, `maxValue`); a tier's `title` labels its range (one range per tier).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from scrapers.extract.common import (
    clean_inline, html_to_text, iso_timestamp, plain_text, ref_text, required_list, stamped_posting,
    structured_pay, unique,
)
from scrapers.extract.countries import country_code
from scrapers.items import JobPosting

PLATFORM = "ashby"
# Component types that are a wage; equity, bonus, commission and benefits are not a pay range.
WAGE_TYPES = {"salary", "hourly", "hourlywage", "wage"}
_INTERVAL = re.compile(r"^\s*1\s+(YEAR|MONTH|WEEK|DAY|HOUR)S?\s*$", re.IGNORECASE)
EMPLOYMENT_TYPES = {
    "FullTime": "Full-time",
    "PartTime": "Part-time",
    "Intern": "Intern",
    "Contract": "Contract",
    "Temporary": "Temporary",
}


def board_jobs(data: Any) -> list[Any]:
    return required_list(data, "jobs", "Ashby job board reply")


def is_listed(raw: dict[str, Any]) -> bool:
    """Only an explicit `isListed: false` hides a posting (older replies may not send the key)."""
    return raw.get("isListed") is not False


def parse_job(raw: dict[str, Any], *, company: str, scraped_at: datetime) -> JobPosting:
    postal = _postal_address(raw.get("address"))
    secondary = [entry for entry in raw.get("secondaryLocations") or [] if isinstance(entry, dict)]
    employment = clean_inline(raw.get("employmentType"))
    return stamped_posting(
        PLATFORM, company, scraped_at,
        ref=ref_text(raw.get("id")),
        title=clean_inline(raw.get("title")),
        url=clean_inline(raw.get("jobUrl")),
        department=" / ".join(unique([raw.get("department"), raw.get("team")])) or None,
        locations=unique([raw.get("location"), *(entry.get("location") for entry in secondary)]),
        country=country_code(postal.get("addressCountry")),
        employment_type=EMPLOYMENT_TYPES.get(employment or "", employment),
        posted_at=iso_timestamp(raw.get("publishedAt")),
        description=plain_text(raw.get("descriptionPlain")) or html_to_text(raw.get("descriptionHtml")),
        pay_text=compensation_text(raw.get("compensation")),
        pay_ranges=compensation_ranges(raw.get("compensation")),
    )


def compensation_text(compensation: Any) -> str | None:
    """Ashby's own summary of the pay ("$211.4K – $290.6K • Offers Equity"), one line per labelled tier."""
    if not isinstance(compensation, dict):
        return None
    tiers = [tier for tier in compensation.get("compensationTiers") or [] if isinstance(tier, dict)]
    if len(tiers) > 1:
        lines = []
        for tier in tiers:
            summary = clean_inline(tier.get("tierSummary"))
            if summary:
                title = clean_inline(tier.get("title"))
                lines.append(f"{title}: {summary}" if title else summary)
        if lines:
            return "\n".join(lines)
    return clean_inline(compensation.get("compensationTierSummary")) or clean_inline(
        compensation.get("scrapeableCompensationSalarySummary"))


def compensation_ranges(compensation: Any) -> list[dict[str, Any]]:
    """One structured range per wage component of every tier (tier title as the label)."""
    if not isinstance(compensation, dict):
        return []
    result = []
    tiers = [tier for tier in compensation.get("compensationTiers") or [] if isinstance(tier, dict)]
    if tiers:
        pairs = [(tier, component) for tier in tiers
                 for component in tier.get("components") or [] if isinstance(component, dict)]
    else:  # no tiers: the board-level summary components, when sent
        pairs = [({}, component) for component in compensation.get("summaryComponents") or []
                 if isinstance(component, dict)]
    for tier, component in pairs:
        if str(component.get("compensationType") or "").strip().lower() not in WAGE_TYPES:
            continue
        match = _INTERVAL.match(str(component.get("interval") or ""))
        if not match:
            continue
        label = clean_inline(tier.get("title"))
        summary = clean_inline(component.get("summary")) or (
            f"{component.get('minValue')}-{component.get('maxValue')} {component.get('currencyCode')} "
            f"{component.get('interval')}")
        pay = structured_pay(
            minimum=component.get("minValue"),
            maximum=component.get("maxValue"),
            currency=component.get("currencyCode"),
            period=match.group(1).lower(),
            basis="base",
            label=label,
            raw=f"{label}: {summary}" if label else summary,
        )
        if pay is not None and pay not in result:
            result.append(pay)
    return result


def _postal_address(address: Any) -> dict[str, Any]:
    if isinstance(address, dict) and isinstance(address.get("postalAddress"), dict):
        return address["postalAddress"]
    return {}
