"""Workday CXS career sites (`{tenant}.wdN.myworkdayjobs.com`).

List: `POST /wday/cxs/{tenant}/{site}/jobs` with `{"appliedFacets": {...}, "limit": 20, "offset": N,
"searchText": ""}` → `{total, jobPostings[{title, externalPath, locationsText, postedOn,
bulletFields[]}], facets[], userAuthenticated}`. The list has no description, so every posting is
read again from `GET /wday/cxs/{tenant}/{site}{externalPath}` → `{jobPostingInfo{id, title,
jobDescription (HTML), location, additionalLocations, postedOn, startDate, timeType, jobReqId,
jobPostingId, country, jobRequisitionLocation, externalUrl, ...}, hiringOrganization, similarJobs}`.

Identity (``ref``): the posting id at the end of ``externalPath`` — the text after the last "_" of
its last segment, e.g. ``/job/Hobart-TAS/Quality-Specialist_JR-7309`` → ``JR-7309`` and
``/job/Saint-Laurent-QC/Senior-Manager--Sanitation_JR63751-1`` → ``JR63751-1``. That is Workday's
job-posting id (``jobPostingInfo.jobPostingId`` ends with it). It survives title and location
edits (which change the slug before it) and, unlike ``jobReqId``, tells apart two postings of one
requisition (``JR63751`` vs ``JR63751-1``). Only when a path carries no "_id" is
``jobPostingInfo.jobReqId`` used.

Pay: Workday has no pay field. The blocks of the description that name pay (pay, salary,
compensation, hiring range, wage, rate...) *and* carry an amount, or head an amount on the next
block, go to ``pay_text`` (``extract.pay_paragraphs``, Workday's wording).
Dates: ``startDate`` (ISO date) from the detail; else the relative ``postedOn`` ("Posted 3 Days
Ago") resolved against the crawl start; "Posted 30+ Days Ago" is not a date and gives None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from scrapers.extract.common import (
    PageShapeError, clean_inline, html_to_text, int_or_none, parse_text_date, required_list, stamped_posting,
    unique,
)
from scrapers.extract.countries import country_code
from scrapers.extract.pay_paragraphs import pay_paragraphs
from scrapers.items import JobPosting

PLATFORM = "workday"
PAGE_SIZE = 20  # Workday refuses limit > 20
TOTAL_CAP = 2000  # many tenants never report (or page past) more than 2000 results per search

_POSTING_ID = re.compile(r"_([^_/]+)/?$")
_N_LOCATIONS = re.compile(r"^\d+\s+locations?$", re.IGNORECASE)


class WorkdayError(PageShapeError):
    """Workday answered with its error body (`{"errorCode": "HTTP_400", ...}`)."""


@dataclass(frozen=True)
class FacetValue:
    id: str
    descriptor: str | None
    count: int


@dataclass(frozen=True)
class Facet:
    parameter: str
    values: tuple[FacetValue, ...]

    @property
    def coverage(self) -> int:
        return sum(value.count for value in self.values)

    @property
    def largest(self) -> int:
        return max((value.count for value in self.values), default=0)


# -- list pages ---------------------------------------------------------------------------------
def error_message(data: Any) -> str | None:
    """Workday's error body as one line, or None when ``data`` is not one."""
    if not isinstance(data, dict) or "errorCode" not in data:
        return None
    parts = [str(data.get("errorCode"))]
    if data.get("message"):
        parts.append(str(data["message"]))
    if data.get("errorCaseId"):
        parts.append(f"case {data['errorCaseId']}")
    return ": ".join(parts[:2]) + (f" ({parts[2]})" if len(parts) > 2 else "")


def jobs_page(data: Any) -> tuple[int | None, list[Any], list[Any]]:
    """(total, jobPostings, facets) of one list page; ``total`` is None when the page omits it."""
    message = error_message(data)
    if message is not None:
        raise WorkdayError(f"Workday error reply: {message}")
    postings = required_list(data, "jobPostings", "Workday jobs reply")
    facets = data.get("facets") if isinstance(data.get("facets"), list) else []
    return int_or_none(data.get("total")), postings, facets


def facet_options(facets: Any) -> list[Facet]:
    """Every facet with selectable values, flattening Workday's nested groups.

    A group looks like ``{"facetParameter": "locationMainGroup", "values": [{"facetParameter":
    "locations", "values": [{id, descriptor, count}, ...]}, ...]}``; a plain facet has the
    ``{id, descriptor, count}`` values directly.
    """
    found: list[Facet] = []

    def walk(entries: Any) -> None:
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or not entry.get("facetParameter"):
                continue
            values = []
            for value in entry.get("values") or []:
                if not isinstance(value, dict):
                    continue
                if "facetParameter" in value:
                    walk([value])
                    continue
                count = int_or_none(value.get("count"))
                if value.get("id") and count is not None and count > 0:
                    values.append(FacetValue(str(value["id"]), clean_inline(value.get("descriptor")), count))
            if values:
                found.append(Facet(str(entry["facetParameter"]), tuple(values)))

    walk(facets)
    return found


def choose_split_facet(facets: Any, applied: dict[str, list[str]], total: int) -> Facet | None:
    """The facet to split a capped search by, or None when no facet can cover it.

    Only facets not yet applied whose value counts add up to at least the reported total (so they
    can hold every posting). Among those, facets whose every value is under the cap come first
    (no further splitting), then the fewest values (fewest requests), then the largest coverage
    (a facet some postings lack, e.g. a job family, sums to less).
    """
    candidates = [
        facet for facet in facet_options(facets)
        if facet.parameter not in applied and facet.coverage >= total
    ]
    if not candidates:
        return None
    return min(
        candidates, key=lambda facet: (facet.largest >= TOTAL_CAP, len(facet.values), -facet.coverage, facet.parameter),
    )


def search_body(applied: dict[str, list[str]], offset: int, limit: int = PAGE_SIZE) -> dict[str, Any]:
    return {"appliedFacets": applied, "limit": limit, "offset": offset, "searchText": ""}


# -- detail pages -------------------------------------------------------------------------------
def detail_info(data: Any) -> dict[str, Any]:
    message = error_message(data)
    if message is not None:
        raise WorkdayError(f"Workday error reply: {message}")
    if not isinstance(data, dict) or not isinstance(data.get("jobPostingInfo"), dict):
        raise PageShapeError("Workday job detail has no 'jobPostingInfo' object")
    return data["jobPostingInfo"]


def posting_ref(external_path: Any, info: dict[str, Any] | None = None) -> str | None:
    """The stable posting id: the "_id" ending ``externalPath``, else ``jobReqId`` (see module doc)."""
    if isinstance(external_path, str):
        match = _POSTING_ID.search(external_path.strip())
        if match:
            return match.group(1)
    if info:
        return clean_inline(info.get("jobReqId"))
    return None


def parse_job(
    posting: dict[str, Any],
    info: dict[str, Any] | None,
    *,
    company: str,
    scraped_at: datetime,
    public_site_url: str | None = None,
) -> JobPosting:
    """One posting from its list entry and (when read) its detail's ``jobPostingInfo``.

    ``public_site_url`` is ``https://{host}/{site}``: the public page is that + ``externalPath``
    when the detail gives no ``externalUrl``. ``scraped_at`` is the crawl start, which relative
    "Posted N Days Ago" dates are resolved against.
    """
    info = info if isinstance(info, dict) else {}
    external_path = posting.get("externalPath")
    description_html = info.get("jobDescription") if isinstance(info.get("jobDescription"), str) else None
    description = html_to_text(description_html)
    url = clean_inline(info.get("externalUrl"))
    if url is None and public_site_url and isinstance(external_path, str) and external_path.startswith("/"):
        url = f"{public_site_url.rstrip('/')}{external_path}"
    return stamped_posting(
        PLATFORM, company, scraped_at,
        ref=posting_ref(external_path, info),
        title=clean_inline(info.get("title")) or clean_inline(posting.get("title")),
        url=url,
        locations=_locations(posting, info),
        country=_country(info),
        employment_type=clean_inline(info.get("timeType")),
        posted_at=_iso_date(info.get("startDate"))
        or parse_text_date(info.get("postedOn") or posting.get("postedOn"), now=scraped_at),
        description=description,
        pay_text=pay_paragraphs(description, PLATFORM),
    )


def _country(info: dict[str, Any]) -> str | None:
    for holder in (info, info.get("jobRequisitionLocation")):
        country = holder.get("country") if isinstance(holder, dict) else None
        if isinstance(country, dict) and country.get("alpha2Code"):
            return country_code(country["alpha2Code"])
    country = info.get("country")
    return country_code(country.get("descriptor")) if isinstance(country, dict) else None


def _locations(posting: dict[str, Any], info: dict[str, Any]) -> list[str]:
    extra = info.get("additionalLocations") if isinstance(info.get("additionalLocations"), list) else []
    locations = unique([info.get("location"), *extra])
    if locations:
        return locations
    listed = clean_inline(posting.get("locationsText"))
    # "12 Locations" is a count, not a place; the detail names them.
    return [listed] if listed and not _N_LOCATIONS.match(listed) else []


def _iso_date(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        return None
