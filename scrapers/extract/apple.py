"""Apple's jobs site (jobs.apple.com).

Search: ``POST /api/v1/search`` (a CSRF token from ``GET /api/v1/CSRFToken``'s
``X-Apple-CSRF-Token`` header, and the session's cookies) with ``{query, filters, page, locale, sort,
format}``, 20 results a page from page 1 -> ``{"res": {"searchResults": [...], "totalRecords": N}}``.
A result has ``id`` (the posting's identity: ``PIPE-114438158`` for retail pipeline roles),
``positionId``, ``postingTitle``, ``transformedPostingTitle`` (the URL slug), ``postDateInGMT``,
``locations[]`` (``postLocationId``, ``city``, ``stateProvince``, ``countryName``, ``name``,
``countryID`` as ``iso-country-USA``), ``team`` (``teamName``), ``homeOffice`` and a plain-text
``jobSummary``; no description and no pay (recorded reply: piervicari/JobResearCHEF
``runtime/fixtures/apple_catalog_page.json``).

Detail: the posting's page ``/en-us/details/{positionId}/{slug}`` embeds
``window.__staticRouterHydrationData = JSON.parse("...")``; its ``loaderData.jobDetails.jobsData``
holds ``description``, ``responsibilities``, ``minimumQualifications``,
``preferredQualifications``, ``employmentType``, and the pay footer
``postingPostLocationData[locale][locationId].postingSupplementFooter.content`` (HTML; older pages:
``postingFooters[].localizations[locale][].content``). These names are the ones public clients read
(kalil0321/ats-scrapers ``src/jobhive/scrapers/apple.py`` and others); no recorded page was found,
so the detail fixtures are built from that shape (``.meta.json`` says "shape-only").
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from scrapers.extract.common import (
    PageShapeError, clean_inline, dig, html_to_text, int_or_none, iso_timestamp, plain_text, ref_text,
    required_list, stamped_posting, unique,
)
from scrapers.extract.countries import country_code
from scrapers.extract.pay_paragraphs import pay_paragraphs
from scrapers.items import JobPosting

PLATFORM = "apple"
PAGE_SIZE = 20  # fixed by the site
PUBLIC_SITE = "https://jobs.apple.com"
_HYDRATION = re.compile(r"window\.__staticRouterHydrationData\s*=\s*JSON\.parse\((\"(?:[^\"\\]|\\.)*\")\)", re.DOTALL)
# Escapes a JavaScript string literal may hold that a JSON string may not.
_JS_ONLY_ESCAPES = re.compile(r"\\(x[0-9A-Fa-f]{2}|')")
DETAIL_SECTIONS = (("description", "Description"), ("responsibilities", "Responsibilities"),
                   ("minimumQualifications", "Minimum Qualifications"),
                   ("preferredQualifications", "Preferred Qualifications"))


def search_page(data: Any) -> tuple[list[Any], int | None]:
    """A search reply's results and ``totalRecords`` (0 past the last page)."""
    res = data.get("res") if isinstance(data, dict) else None
    if not isinstance(res, dict):
        raise PageShapeError("Apple search reply has no 'res' object")
    return required_list(res, "searchResults", "Apple search reply"), int_or_none(res.get("totalRecords"))


def job_details(page_html: str) -> dict[str, Any]:
    """``loaderData.jobDetails.jobsData`` of a posting page; PageShapeError when the page has none
    (a closed posting's page has no ``jobDetails``)."""
    match = _HYDRATION.search(page_html)
    if match is None:
        raise PageShapeError("Apple posting page has no __staticRouterHydrationData")
    literal = _JS_ONLY_ESCAPES.sub(lambda m: "'" if m.group(1) == "'" else "\\u00" + m.group(1)[1:], match.group(1))
    try:
        data = json.loads(json.loads(literal))
    except (ValueError, RecursionError) as error:
        raise PageShapeError(f"Apple posting page's hydration data is not JSON: {error}") from None
    jobs_data = dig(data, "loaderData", "jobDetails", "jobsData")
    if not isinstance(jobs_data, dict):
        raise PageShapeError("Apple posting page has no loaderData.jobDetails.jobsData")
    return jobs_data


def detail_path(raw: dict[str, Any], locale: str = "en-us") -> str | None:
    """The posting page's path, from a search result (None without a position id)."""
    position = clean_inline(raw.get("positionId"))
    if not position:
        return None
    slug = clean_inline(raw.get("transformedPostingTitle"))
    return f"/{locale}/details/{position}" + (f"/{slug}" if slug else "")


def parse_posting(listing: dict[str, Any], detail: dict[str, Any] | None, *, company: str, scraped_at: datetime,
                  locale: str = "en-us") -> JobPosting:
    """One posting from its search result and (when read) its page's job data."""
    detail = detail or {}
    places = listing.get("locations") if isinstance(listing.get("locations"), list) else []
    places = [place for place in places if isinstance(place, dict)]
    team = listing.get("team") if isinstance(listing.get("team"), dict) else {}
    path = detail_path(listing, locale)
    description = description_text(detail) or plain_text(listing.get("jobSummary"))
    return stamped_posting(
        PLATFORM, company, scraped_at,
        ref=ref_text(listing.get("id")),
        title=clean_inline(listing.get("postingTitle")) or clean_inline(detail.get("postingTitle")),
        url=f"{PUBLIC_SITE}{path}" if path else None,
        department=clean_inline(team.get("teamName")) or _first_name(detail.get("teamNames")),
        locations=_locations(places, listing.get("homeOffice") is True),
        country=_country(places),
        employment_type=clean_inline(detail.get("employmentType")) or clean_inline(detail.get("jobType")),
        posted_at=iso_timestamp(_whole_microseconds(listing.get("postDateInGMT"))),
        description=description,
        pay_text=pay_footer_text(detail) or pay_paragraphs(description, PLATFORM),
        pay_ranges=[],
    )


def description_text(detail: dict[str, Any]) -> str | None:
    parts = []
    for key, heading in DETAIL_SECTIONS:
        value = detail.get(key)
        text = html_to_text(value) if isinstance(value, str) else None
        if text:
            parts.append(f"{heading}\n{text}")
    return "\n\n".join(parts) or None


def pay_footer_text(detail: dict[str, Any]) -> str | None:
    """The pay paragraphs of the posting's supplement footers (where Apple states base pay)."""
    footers = []
    by_locale = detail.get("postingPostLocationData")
    if isinstance(by_locale, dict):
        for by_location in by_locale.values():
            for data in (by_location.values() if isinstance(by_location, dict) else []):
                footer = data.get("postingSupplementFooter") if isinstance(data, dict) else None
                if isinstance(footer, dict) and isinstance(footer.get("content"), str):
                    footers.append(footer["content"])
    for footer in detail.get("postingFooters") or []:
        localizations = footer.get("localizations") if isinstance(footer, dict) else None
        for entries in (localizations.values() if isinstance(localizations, dict) else []):
            footers += [entry["content"] for entry in entries or []
                        if isinstance(entry, dict) and isinstance(entry.get("content"), str)]
    paragraphs = unique(pay_paragraphs(html_to_text(footer), PLATFORM) for footer in footers)
    return "\n".join(paragraphs) or None


def _locations(places: list[dict[str, Any]], home_office: bool) -> list[str]:
    names = []
    for place in places:
        city, state = clean_inline(place.get("city")), clean_inline(place.get("stateProvince"))
        country = clean_inline(place.get("countryName")) or clean_inline(place.get("name"))
        names.append(", ".join(part for part in (city, state, country) if part))
    return unique([*names, "Remote" if home_office else None])


def _country(places: list[dict[str, Any]]) -> str | None:
    codes = unique(_country_of(place) for place in places)
    return codes[0] if len(codes) == 1 else None


def _country_of(place: dict[str, Any]) -> str | None:
    iso = clean_inline(place.get("countryID")) or ""
    return country_code(iso.removeprefix("iso-country-")) or country_code(place.get("countryName"))


def _first_name(values: Any) -> str | None:
    return clean_inline(values[0]) if isinstance(values, list) and values else None


def _whole_microseconds(value: Any) -> Any:
    """``2026-09-05T16:37:02.482172116Z`` (nanoseconds) cut to microseconds, which Python parses."""
    if isinstance(value, str):
        return re.sub(r"(\.\d{6})\d+", r"\1", value)
    return value
