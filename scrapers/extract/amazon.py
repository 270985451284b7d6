"""Amazon's own careers site: `GET https://www.amazon.jobs/en/search.json?offset=N&result_limit=100&sort=recent`.

A reply is `{error, hits, facets, content, jobs[]}` (field list: Pavel401/JobsScraper
models/jungleegames.go, a Go model of the real reply). Each job carries its full `description`,
`basic_qualifications` and `preferred_qualifications` as HTML, so no detail request is needed.
`id_icims` is the durable id (the `{id}` of `job_path` `/en/jobs/{id}/{slug}`); `posted_date` is
written for people ("November 3, 2025", with a double space before a one-digit day) and
`updated_time` is relative ("1 day"). `locations[]` holds JSON strings with `normalizedLocation` and
`countryIso2a`. `error` is how the API refuses (e.g. past offset + limit = 10,000) with HTTP 200.

Pay is prose, usually at the end of `preferred_qualifications`, in two real forms: "The base pay for
this position ranges from $115,000/year in our lowest geographic market up to $223,600/year in our
highest geographic market" and, newer, one line per location after an intro sentence:
"USA, CA, SAN DIEGO - 200,100.00 - 270,600.00 USD annually".
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from scrapers.extract.common import (
    PageShapeError, clean_inline, dig, html_to_text, int_or_none, parse_text_date, required_int, required_list,
    stamped_posting, unique,
)
from scrapers.extract.countries import country_code
from scrapers.extract.pay_paragraphs import pay_paragraphs
from scrapers.items import JobPosting

PLATFORM = "amazon"
SITE_URL = "https://www.amazon.jobs"
PAGE_SIZE = 100  # the API refuses result_limit above 100
RESULT_WINDOW = 10_000  # no result past offset + limit = 10,000 in one search
CATEGORY_FACET = "business_category_facet"

_SPACES = re.compile(r"\s+")
_APPROXIMATELY = re.compile(r"^(?:about|over|almost)\s+", re.IGNORECASE)


def search_page(data: Any) -> tuple[list[Any], int]:
    """The jobs of one search page and the search's `hits`."""
    if not isinstance(data, dict):
        raise PageShapeError("Amazon search reply is not a JSON object")
    if data.get("error"):
        raise PageShapeError(f"Amazon search refused: {clean_inline(data['error'])}")
    reply = "Amazon search reply"
    return required_list(data, "jobs", reply), required_int(data, "hits", reply)


def category_counts(data: Any) -> dict[str, int]:
    """The `business_category` facet as {value: count} (sent as a list of one-key objects)."""
    entries = dig(data, "facets", CATEGORY_FACET)
    counts: dict[str, int] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict):
            for name, count in entry.items():
                if isinstance(name, str) and name and int_or_none(count) is not None:
                    counts[name] = counts.get(name, 0) + count
    return counts


def job_ref(raw: dict[str, Any]) -> str | None:
    return clean_inline(raw.get("id_icims"))


def parse_job(raw: dict[str, Any], *, company: str, scraped_at: datetime) -> JobPosting:
    ref = job_ref(raw)
    path = clean_inline(raw.get("job_path"))
    if path and path.startswith("/"):
        url = SITE_URL + path
    elif path and path.startswith("http"):
        url = path
    else:
        url = f"{SITE_URL}/en/jobs/{ref}" if ref else None
    places = _locations(raw.get("locations"))
    locations = unique([place for place, _ in places]) or unique([raw.get("normalized_location") or raw.get("location")])
    countries = unique(country for _, country in places)
    country = countries[0] if len(countries) == 1 else None
    if country is None and not countries:
        country = country_code(raw.get("country_code"))
    return stamped_posting(
        PLATFORM, company, scraped_at,
        ref=ref,
        title=clean_inline(raw.get("title")),
        url=url,
        department=clean_inline(raw.get("job_category")),
        locations=locations,
        country=country,
        employment_type=clean_inline(raw.get("job_schedule_type")),
        posted_at=parse_text_date(_collapse(raw.get("posted_date")), now=scraped_at),
        updated_at=_updated(raw.get("updated_time"), scraped_at),
        description=_description(raw),
        pay_text=pay_text(raw),
    )


def pay_text(raw: dict[str, Any]) -> str | None:
    """The pay paragraph(s): from `preferred_qualifications` first (where Amazon puts them), then
    `description`, then `basic_qualifications`; a pay sentence, or the intro line plus its
    per-location lines."""
    for key in ("preferred_qualifications", "description", "basic_qualifications"):
        value = raw.get(key)
        found = pay_paragraphs(html_to_text(value) if isinstance(value, str) else None, PLATFORM)
        if found:
            return found
    return None


def _description(raw: dict[str, Any]) -> str | None:
    parts = []
    for key, heading in (("description", None), ("basic_qualifications", "Basic Qualifications"),
                         ("preferred_qualifications", "Preferred Qualifications")):
        value = raw.get(key)
        text = html_to_text(value) if isinstance(value, str) else None
        if text:
            parts.append(f"{heading}\n{text}" if heading else text)
    return "\n\n".join(parts) or None


def _locations(values: Any) -> list[tuple[str | None, str | None]]:
    """`locations[]` entries (JSON strings, or objects) as (place, ISO alpha-2 country)."""
    places = []
    for value in values if isinstance(values, list) else []:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                places.append((clean_inline(value), None))
                continue
        if isinstance(value, dict):
            place = clean_inline(value.get("normalizedLocation") or value.get("location") or value.get("name"))
            places.append((place, country_code(value.get("countryIso2a"))))
    return places


def _collapse(value: Any) -> str | None:
    return _SPACES.sub(" ", value).strip() if isinstance(value, str) else None


def _updated(value: Any, now: datetime) -> str | None:
    """`updated_time` is relative ("1 day", "about 2 hours"); resolved against the crawl start."""
    text = _collapse(value)
    if not text:
        return None
    if not re.search(r"\bago\b", text, re.IGNORECASE) and re.search(r"\d|\ban?\b", text):
        text = _APPROXIMATELY.sub("", text) + " ago"
    return parse_text_date(text, now=now)
