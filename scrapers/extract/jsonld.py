"""schema.org `JobPosting` JSON-LD embedded in careers pages (the generic fallback platform).

Many careers sites (Ashby's and Workday's hosted pages among them) embed one
`<script type="application/ld+json">` JobPosting per posting page for search engines. The
embedded metadata is read with extruct; `@graph` containers and top-level lists are walked, and
`@type` may be a string, a list or a prefixed IRI. Pay is the `baseSalary` MonetaryAmount:
`{currency, value: QuantitativeValue {minValue, maxValue, value, unitText}}`.
"""

from __future__ import annotations

import html as html_lib
import re
from datetime import datetime
from typing import Any, Iterator

import extruct
from parsel import Selector

from scrapers.extract.common import clean_inline, html_to_text, iso_timestamp, stamped_posting, structured_pay, unique
from scrapers.extract.countries import country_code
from scrapers.extract.pay_paragraphs import pay_paragraphs
from scrapers.items import JobPosting

PLATFORM = "jsonld"
UNITS = {"HOUR": "hour", "DAY": "day", "WEEK": "week", "MONTH": "month", "YEAR": "year",
         "HOURLY": "hour", "DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year",
         "ANNUAL": "year", "ANNUALLY": "year"}
EMPLOYMENT_TYPES = {
    "FULL_TIME": "Full-time", "PART_TIME": "Part-time", "CONTRACTOR": "Contractor", "TEMPORARY": "Temporary",
    "INTERN": "Intern", "VOLUNTEER": "Volunteer", "PER_DIEM": "Per diem", "OTHER": "Other",
}


def extract_json_ld(page_html: str, base_url: str) -> list[Any]:
    """Every JSON-LD object on the page. A broken script loses only itself, not its neighbours."""
    if not page_html or not page_html.strip():
        return []
    try:
        return extruct.extract(page_html, base_url=base_url, syntaxes=["json-ld"], uniform=True).get("json-ld", [])
    except Exception:  # extruct raises on the first script that is not JSON: read the scripts one by one
        pass
    found: list[Any] = []
    for script in Selector(text=page_html).css('script[type="application/ld+json"]').getall():
        try:
            found += extruct.extract(f"<html><head>{script}</head></html>", base_url=base_url,
                                     syntaxes=["json-ld"], uniform=True).get("json-ld", [])
        except Exception:
            continue
    return found


def job_postings(objects: Any) -> list[dict[str, Any]]:
    """The JobPosting objects among JSON-LD data (walking lists and `@graph`)."""
    return [node for node in _walk(objects) if _is_job_posting(node)]


def job_postings_from_html(page_html: str, base_url: str) -> list[dict[str, Any]]:
    return job_postings(extract_json_ld(page_html, base_url))


def parse_job_posting(data: dict[str, Any], *, page_url: str, company: str, scraped_at: datetime) -> JobPosting:
    places = _places(data.get("jobLocation"))
    locations = unique(_place_text(place) for place in places)
    if _is_remote(data):
        if not locations:
            locations = unique(_names(data.get("applicantLocationRequirements")))
        locations = unique([*locations, "Remote"])
    countries = [_country(place) for place in places] or [country_code(name) for name in _names(
        data.get("applicantLocationRequirements"))]
    description = _description(data.get("description"))
    return stamped_posting(
        PLATFORM, company, scraped_at,
        ref=_identifier(data) or page_url,
        title=clean_inline(_first(data.get("title"))) or clean_inline(_first(data.get("name"))),
        url=clean_inline(_first(data.get("url"))) or page_url,
        department=None,
        locations=locations,
        country=next((code for code in countries if code), None),
        employment_type=_employment_type(data.get("employmentType")),
        posted_at=_date(_first(data.get("datePosted"))),
        description=description,
        pay_text=pay_paragraphs(description, PLATFORM),
        pay_ranges=base_salary_ranges(data.get("baseSalary")),
    )


def base_salary_ranges(salary: Any) -> list[dict[str, Any]]:
    result = []
    for amount in salary if isinstance(salary, list) else [salary]:
        if not isinstance(amount, dict):
            continue
        currency = amount.get("currency")
        values = amount.get("value")
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, dict):
                low, high = value.get("minValue"), value.get("maxValue")
                if low in (None, "") and high in (None, ""):
                    low = high = value.get("value")
                unit = value.get("unitText") or amount.get("unitText")
                currency = value.get("currency") or currency
            elif isinstance(value, (int, float, str)) and not isinstance(value, bool):
                low = high = value
                unit = amount.get("unitText")
            else:
                continue
            unit_key = str(unit or "").strip().upper()
            period = UNITS.get(unit_key)
            if unit_key and period is None:
                continue  # a unit we do not know (e.g. "PIECE"): not a rate
            pay = structured_pay(
                minimum=_number(low), maximum=_number(high), currency=currency, period=period, basis="base",
                raw=f"baseSalary {low}-{high} {currency} {unit or ''}".strip(),
            )
            if pay is not None and pay not in result:
                result.append(pay)
    return result


# -- helpers --------------------------------------------------------------------------------------

def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for child in node:
            yield from _walk(child)
    elif isinstance(node, dict):
        yield node
        if "@graph" in node:
            yield from _walk(node["@graph"])


def _is_job_posting(node: dict[str, Any]) -> bool:
    types = node.get("@type")
    for value in types if isinstance(types, list) else [types]:
        if isinstance(value, str) and re.split(r"[/:#]", value)[-1] == "JobPosting":
            return True
    return False


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _identifier(data: dict[str, Any]) -> str | None:
    identifier = _first(data.get("identifier"))
    if isinstance(identifier, (str, int)) and not isinstance(identifier, bool):
        return clean_inline(identifier)
    if not isinstance(identifier, dict):
        return None
    value = clean_inline(identifier.get("value")) or clean_inline(identifier.get("@id"))
    if value:
        return value
    # `name` is sometimes the employer's name (Ashby) or the title (Workday): not an id then.
    name = clean_inline(identifier.get("name"))
    organization = data.get("hiringOrganization")
    not_ids = {clean_inline(data.get("title")),
               clean_inline(organization.get("name")) if isinstance(organization, dict) else None}
    return name if name and name not in not_ids else None


def _places(value: Any) -> list[dict[str, Any]]:
    return [place for place in (value if isinstance(value, list) else [value]) if isinstance(place, dict)]


def _address(place: dict[str, Any]) -> dict[str, Any] | str | None:
    address = _first(place.get("address"))
    return address if isinstance(address, (dict, str)) else None


def _place_text(place: dict[str, Any]) -> str | None:
    address = _address(place)
    if isinstance(address, str):
        return clean_inline(address)
    if isinstance(address, dict):
        country = address.get("addressCountry")
        if isinstance(country, dict):
            country = country.get("name")
        parts = unique([address.get("addressLocality"), address.get("addressRegion"), country])
        if parts:
            return ", ".join(parts)
    return clean_inline(place.get("name"))


def _country(place: dict[str, Any]) -> str | None:
    address = _address(place)
    if not isinstance(address, dict):
        return None
    country = address.get("addressCountry")
    if isinstance(country, dict):
        country = country.get("identifier") or country.get("name")
    return country_code(country)


def _names(value: Any) -> list[str]:
    names = []
    for entry in value if isinstance(value, list) else [value]:
        if isinstance(entry, dict):
            entry = entry.get("name")
        if isinstance(entry, str) and entry.strip():
            names.append(entry.strip())
    return names


def _is_remote(data: dict[str, Any]) -> bool:
    kinds = data.get("jobLocationType")
    return any(str(kind).upper() == "TELECOMMUTE" for kind in (kinds if isinstance(kinds, list) else [kinds]))


def _employment_type(value: Any) -> str | None:
    values = value if isinstance(value, list) else [value]
    names = [EMPLOYMENT_TYPES.get(str(entry).strip().upper().replace("-", "_").replace(" ", "_"), clean_inline(entry))
             for entry in values if isinstance(entry, str)]
    return ", ".join(unique(names)) or None


def _description(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    escaped = "&lt;" in value and "<" not in value  # HTML sent entity-escaped inside the JSON string
    return html_to_text(value, escaped=escaped)


def _date(value: Any) -> str | None:
    """A date-only `datePosted` stays a date; a timestamp is normalised."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return value.strip()
    return iso_timestamp(value)


def _number(value: Any) -> Any:
    if isinstance(value, str):
        value = html_lib.unescape(value).replace(",", "").replace("$", "").strip()
    return value
