"""Oracle Recruiting Cloud (Oracle HCM "Candidate Experience") career sites: Hearst, Sinclair, ITV, ...

List: ``GET /hcmRestApi/resources/latest/recruitingCEJobRequisitions?onlyData=true&expand=requisitionList
&finder=findReqs;siteNumber={site},limit={n},offset={o},sortBy=POSTING_DATES_DESC`` (limit and offset
count only inside the finder) -> ``{"items": [{"TotalJobsCount": N, "requisitionList": [...], ...}]}``:
one item holding the search, its requisitions with ``Id`` (a string), ``Title``, ``PostedDate``
(``YYYY-MM-DD``), ``PrimaryLocation``, ``PrimaryLocationCountry`` (ISO alpha-2), ``WorkplaceTypeCode``
(``ORA_REMOTE``, ...), ``JobSchedule``, ``JobFamily``, ``Department``, and no description (recorded
replies: job-hunter-toolkit/job-hunter-toolkit ``internal/services/testdata/oracle_kroger_requisitions.json``).

Detail: ``recruitingCEJobRequisitionDetails?expand=all&onlyData=true&finder=ById;Id="{Id}",siteNumber={site}``
-> ``{"items": [one requisition]}`` with the HTML texts ``ExternalDescriptionStr``,
``ExternalResponsibilitiesStr``, ``ExternalQualificationsStr`` (where Oracle's own postings state
"US: Hiring Range in USD from: $92,500 to $209,500 per annum"), ``ExternalPostedStartDate``,
``secondaryLocations[]`` and ``requisitionFlexFields[]`` (``{Prompt, Value}``; some sites give pay in
one of its own: "Base Pay/Salary"). There is no structured pay field.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from scrapers.extract.common import (
    PageShapeError, clean_inline, html_to_text, int_or_none, iso_timestamp, ref_text, required_list, stamped_posting,
    unique,
)
from scrapers.extract.countries import country_code
from scrapers.extract.pay_paragraphs import pay_paragraphs
from scrapers.items import JobPosting

PLATFORM = "oracle"
# The most requisitions a list page returns, whatever limit asks; and the deepest a search reads
# (offset + limit past it answers an empty list with a count of 0).
MAX_PAGE_SIZE = 200
SEARCH_WINDOW = 10_000
TEXT_FIELDS = ("ExternalDescriptionStr", "ExternalResponsibilitiesStr", "ExternalQualificationsStr")
_PAY_PROMPT = re.compile(r"\b(?:pay|salary|compensation|wage|hiring range|pay range)\b", re.IGNORECASE)


def list_page(data: Any) -> tuple[list[Any], int | None]:
    """The page's requisitions and the site's ``TotalJobsCount``. A reply without its one search item
    means a wrong site number or a changed API, not an empty board."""
    items = required_list(data, "items", "Oracle requisitions reply")
    if not items or not isinstance(items[0], dict):
        raise PageShapeError("Oracle requisitions reply has no search item (a wrong site number?)")
    search = items[0]
    return required_list(search, "requisitionList", "Oracle requisitions reply's search"), int_or_none(
        search.get("TotalJobsCount"))


def requisition_detail(data: Any) -> dict[str, Any]:
    """The one requisition of a detail reply (finder form: ``items[0]``; path form: the object itself)."""
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        if not data["items"] or not isinstance(data["items"][0], dict):
            raise PageShapeError("Oracle requisition detail reply has no requisition (closed?)")
        return data["items"][0]
    if isinstance(data, dict) and data.get("Id") is not None:
        return data
    raise PageShapeError("Oracle requisition detail reply is not a requisition")


def public_url(host: str, site: str, ref: str | None, language: str = "en") -> str | None:
    return f"https://{host}/hcmUI/CandidateExperience/{language}/sites/{site}/job/{ref}" if ref else None


def parse_posting(listing: dict[str, Any], detail: dict[str, Any] | None, *, company: str, scraped_at: datetime,
                  host: str, site: str) -> JobPosting:
    """One posting from its list entry and (when read) its detail; detail fields win."""
    raw = {**listing, **(detail or {})}
    ref = ref_text(raw.get("Id"))
    description = description_text(raw)
    return stamped_posting(
        PLATFORM, company, scraped_at,
        ref=ref,
        title=clean_inline(raw.get("Title")),
        url=public_url(host, site, ref),
        department=clean_inline(raw.get("Department")) or clean_inline(raw.get("JobFamily"))
        or clean_inline(raw.get("Category")) or clean_inline(raw.get("Organization")),
        locations=_locations(raw),
        country=country_code(raw.get("PrimaryLocationCountry")),
        employment_type=clean_inline(raw.get("JobSchedule")) or clean_inline(raw.get("WorkerType")),
        posted_at=iso_timestamp(raw.get("ExternalPostedStartDate")) or _date(raw.get("PostedDate")),
        description=description,
        pay_text=pay_field_text(raw) or pay_paragraphs(description, PLATFORM),
        pay_ranges=[],
    )


def description_text(raw: dict[str, Any]) -> str | None:
    """The posting's own texts in the site's order, then its flex fields ("Prompt: Value"); the company
    blurb (``CorporateDescriptionStr``), the same on every posting, is left out."""
    parts = [text for key in TEXT_FIELDS if isinstance(raw.get(key), str) and (text := html_to_text(raw[key]))]
    if not parts and isinstance(raw.get("ShortDescriptionStr"), str):
        parts = [text for text in [html_to_text(raw["ShortDescriptionStr"])] if text]
    fields = [f"{prompt}: {value}" for prompt, value in _flex_fields(raw)]
    if fields:
        parts.append("\n".join(fields))
    return "\n\n".join(parts) or None


def pay_field_text(raw: dict[str, Any]) -> str | None:
    """A flex field that states pay ("Base Pay/Salary: New York,NY $137,750.00-$185,000.00"), if any."""
    lines = [f"{prompt}: {value}" for prompt, value in _flex_fields(raw)
             if _PAY_PROMPT.search(prompt) and re.search(r"\d", value)]
    return "\n".join(lines) or None


def _flex_fields(raw: dict[str, Any]) -> list[tuple[str, str]]:
    fields = raw.get("requisitionFlexFields") if isinstance(raw.get("requisitionFlexFields"), list) else []
    pairs = [(clean_inline(field.get("Prompt")), clean_inline(field.get("Value"))) for field in fields
             if isinstance(field, dict)]
    return [(prompt, value) for prompt, value in pairs if prompt and value]


def _locations(raw: dict[str, Any]) -> list[str]:
    secondary = raw.get("secondaryLocations") if isinstance(raw.get("secondaryLocations"), list) else []
    places = [raw.get("PrimaryLocation"), *(place.get("Name") for place in secondary if isinstance(place, dict))]
    if raw.get("WorkplaceTypeCode") == "ORA_REMOTE":
        places.append("Remote")
    return unique(places)


def _date(value: Any) -> str | None:
    text = clean_inline(value)
    return text if text and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
