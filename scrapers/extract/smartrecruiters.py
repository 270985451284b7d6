"""SmartRecruiters Posting API.

List: `GET /v1/companies/{id}/postings?limit=100&offset=N` -> `{offset, limit, totalFound, content[]}`
with identity, location, department and dates but no text. Detail:
`GET /v1/companies/{id}/postings/{postingId}` adds `postingUrl`, `applyUrl` and
`jobAd.sections` (`companyDescription`, `jobDescription`, `qualifications`,
`additionalInformation`, each `{title, text}` with HTML text). Pay, when published, is prose in one
of those sections (most often `additionalInformation`); there is no structured pay field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scrapers.extract.common import (
    PageShapeError,
    clean_inline, html_to_text, int_or_none, iso_timestamp, ref_text, required_list, stamped_posting, unique,
)
from scrapers.extract.countries import country_code
from scrapers.extract.pay_paragraphs import pay_paragraphs
from scrapers.items import JobPosting

PLATFORM = "smartrecruiters"
PUBLIC_JOBS_URL = "https://jobs.smartrecruiters.com"
SECTION_ORDER = ("companyDescription", "jobDescription", "qualifications", "additionalInformation")


def postings_page(data: Any) -> tuple[list[Any], int | None]:
    """The page's postings and `totalFound` (None when the reply does not say)."""
    return required_list(data, "content", "SmartRecruiters postings reply"), int_or_none(data.get("totalFound"))


def parse_posting(listing: dict[str, Any], detail: dict[str, Any] | None, *, company: str,
                  scraped_at: datetime) -> JobPosting:
    """One posting from its list entry and (when read) its detail reply; detail fields win."""
    raw = {**listing, **(detail or {})}
    location = raw.get("location") if isinstance(raw.get("location"), dict) else {}
    sections = job_ad_sections(raw)
    return stamped_posting(
        PLATFORM, company, scraped_at,
        ref=ref_text(raw.get("id")),
        title=clean_inline(raw.get("name")),
        url=clean_inline(raw.get("postingUrl")) or _public_url(raw),
        department=_label(raw.get("department")),
        locations=_locations(location),
        country=country_code(location.get("country")),
        employment_type=_label(raw.get("typeOfEmployment")),
        posted_at=iso_timestamp(raw.get("releasedDate")),
        description=description_text(sections),
        pay_text=pay_section_text(sections),
        pay_ranges=[],
    )


def posting_detail(data: Any) -> dict[str, Any]:
    """A posting's detail reply, which must be a JSON object."""
    if not isinstance(data, dict):
        raise PageShapeError("SmartRecruiters posting detail is not a JSON object")
    return data


def has_job_ad(detail: Any) -> bool:
    return isinstance(detail, dict) and isinstance(detail.get("jobAd"), dict) and isinstance(
        detail["jobAd"].get("sections"), dict)


def job_ad_sections(raw: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    """(key, title, plain text) of each non-empty job-ad section, in the platform's order."""
    if not has_job_ad(raw):
        return []
    sections = raw["jobAd"]["sections"]
    keys = [key for key in SECTION_ORDER if key in sections] + [key for key in sections if key not in SECTION_ORDER]
    result = []
    for key in keys:
        section = sections.get(key)
        if not isinstance(section, dict) or not isinstance(section.get("text"), str):
            continue
        text = html_to_text(section["text"])
        if text:
            result.append((key, clean_inline(section.get("title")), text))
    return result


def description_text(sections: list[tuple[str, str | None, str]]) -> str | None:
    parts = [f"{title}\n{text}" if title else text for _, title, text in sections]
    return "\n\n".join(parts) or None


def pay_section_text(sections: list[tuple[str, str | None, str]]) -> str | None:
    """The pay paragraphs of the section that states pay most, or None.

    The most pay lines wins; on a tie `additionalInformation` (where boards usually put pay), then
    the earlier section.
    """
    found = [(paragraphs, key) for key, _, text in sections if (paragraphs := pay_paragraphs(text, PLATFORM))]
    if not found:
        return None
    paragraphs, _ = max(found, key=lambda pair: (pair[0].count("\n"), pair[1] == "additionalInformation"))
    return paragraphs


def _locations(location: dict[str, Any]) -> list[str]:
    full = clean_inline(location.get("fullLocation"))
    if not full:
        parts = unique([location.get("city"), location.get("region"), (location.get("country") or "").upper()])
        full = ", ".join(parts) or None
    places = [full] if full else []
    if location.get("remote") is True:
        places.append("Remote")
    return unique(places)


def _label(value: Any) -> str | None:
    return clean_inline(value.get("label")) if isinstance(value, dict) else None


def _public_url(raw: dict[str, Any]) -> str | None:
    company = raw.get("company") if isinstance(raw.get("company"), dict) else {}
    identifier, ref = clean_inline(company.get("identifier")), clean_inline(raw.get("id"))
    return f"{PUBLIC_JOBS_URL}/{identifier}/{ref}" if identifier and ref else None
