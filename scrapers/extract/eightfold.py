"""Eightfold "PCS" careers sites (Netflix's explore.jobs.netflix.net, Microsoft, Activision, ...).

List: `GET {site}/api/apply/v2/jobs?domain={domain}&start=N&num=10&sort_by=relevance` replies
`{domain, count, positions[]}`; at most 10 positions a page and every `job_description` is "".
Detail: `GET {site}/api/apply/v2/jobs/{id}?domain={domain}` replies one position with the
`job_description` HTML (and `custom_JD.data_fields`, whose values are lists of strings).
`t_create` / `t_update` are epoch seconds. Pay is prose inside the description, e.g. Netflix's
"The overall market range for roles in this area of Netflix is typically $X - $Y. This market
range is based on total compensation (vs. only base salary)…" or Microsoft's "The typical base pay
range for this role across the U.S. is USD $X - $Y per year".
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from scrapers.extract.common import (
    PageShapeError, clean_inline, dig, html_to_text, iso_from_epoch, ref_text, required_int, required_list,
    stamped_posting, unique,
)
from scrapers.extract.pay_paragraphs import pay_paragraphs
from scrapers.items import JobPosting

PLATFORM = "eightfold"
PAGE_SIZE = 10  # the list endpoint ignores `num` above 10

_POSTING_DATE = re.compile(r"^\s*(\d{1,2})-(\d{1,2})-(\d{4})\s*$")
# Eightfold sends no country, only place text in several orders ("New Orleans, LA USA 70112", "United
# States, Washington, Redmond", "Helsinki,Finland"). A posting is US when every place names the US;
# other countries are not read from it (that would change the archived, hashed country of every
# non-US posting at once).
_US_LOCATION = re.compile(r"\b(?:USA|United States(?: of America)?|U\.S\.)\b")


def list_page(data: Any) -> tuple[list[Any], int]:
    """The positions of one list page and the board's `count`."""
    reply = "Eightfold list reply"
    return required_list(data, "positions", reply), required_int(data, "count", reply)


def detail_position(data: Any) -> dict[str, Any]:
    """The position of a detail reply; it must carry the `job_description` the list leaves empty."""
    if not isinstance(data, dict) or "job_description" not in data:
        raise PageShapeError("Eightfold detail reply has no 'job_description'")
    return data


def position_ref(raw: dict[str, Any]) -> str | None:
    return ref_text(raw.get("id"))


def public_url(site_url: str, ref: str | None) -> str | None:
    return f"{site_url.rstrip('/')}/careers/job/{ref}" if ref else None


def parse_position(
    listed: dict[str, Any],
    detail: dict[str, Any] | None,
    *,
    company: str,
    scraped_at: datetime,
    site_url: str,
) -> JobPosting:
    """One posting from its list entry and detail reply (detail wins; the list fills gaps).

    ``site_url`` is the tenant's public site (``https://explore.jobs.netflix.net``), used for
    the posting URL when the reply has no ``canonicalPositionUrl``.
    """
    merged = {**listed, **{key: value for key, value in (detail or {}).items() if value not in (None, "")}}
    ref = position_ref(merged)
    description_html = merged.get("job_description") if isinstance(merged.get("job_description"), str) else None
    description = html_to_text(description_html) if description_html else None
    locations = unique(merged.get("locations") or []) if isinstance(merged.get("locations"), list) else []
    if not locations:
        locations = unique([merged.get("location")])
    department = " / ".join(unique([merged.get("department"), data_field(merged, "team")])) or None
    return stamped_posting(
        PLATFORM, company, scraped_at,
        ref=ref,
        title=clean_inline(merged.get("name")) or clean_inline(merged.get("posting_name")),
        url=clean_inline(merged.get("canonicalPositionUrl")) or public_url(site_url, ref),
        department=department,
        locations=locations,
        country="US" if locations and all(_US_LOCATION.search(place) for place in locations) else None,
        employment_type=data_field(merged, "employment_type"),
        posted_at=posting_date(data_field(merged, "posting_date")) or iso_from_epoch(merged.get("t_create")),
        updated_at=iso_from_epoch(merged.get("t_update")),
        description=description,
        pay_text=pay_paragraphs(description, PLATFORM),
    )


def data_field(raw: dict[str, Any], key: str) -> str | None:
    """A `custom_JD.data_fields` value (sent as a list of strings; the first is the value)."""
    value = dig(raw, "custom_JD", "data_fields", key)
    if isinstance(value, list):
        value = value[0] if value else None
    return clean_inline(value) if isinstance(value, (str, int, float)) else None


def posting_date(value: str | None) -> str | None:
    """`custom_JD` posting_date, MM-DD-YYYY, as an ISO date."""
    match = _POSTING_DATE.match(value or "")
    if not match:
        return None
    month, day, year = (int(part) for part in match.groups())
    try:
        return datetime(year, month, day).date().isoformat()
    except ValueError:
        return None
