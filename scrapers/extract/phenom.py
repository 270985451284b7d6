"""Phenom People career sites (careers.wbd.com, careers.adobe.com, careers.mars.com ...).

Phenom sites are driven by one endpoint, ``POST {site}/widgets``, whose JSON body names a
"ddoKey":

- ``refineSearch`` (the search page): ``from``/``size`` paging; reply ``{"refineSearch":
  {"totalHits": N, "data": {"jobs": [{title, jobId, jobSeqNo, reqId, category, type, city,
  state, country, cityState, cityStateCountry, multi_location[], applyUrl, descriptionTeaser,
  postedDate, ...}]}}}`` (real replies: corpus ``phenom__mars__widgets-refinesearch.json``; the
  real request body the Adobe site sends: ``phenom__adobe__widgets-refinesearch-page1.json``).
- ``jobDetail`` with ``jobSeqNo`` (and ``jobId``): reply ``{"jobDetail": {"data": {"job":
  {..., "description": "<html>"}}}}``. No recorded reply is in the corpus; the shape is the one
  several public clients read (see the platform module's docstring), so it is *unverified*.

The site's own page (``/{locale}/search-results``) carries the settings the widget calls need in
``var phApp = phApp || {...}`` (``refNum``, ``locale``, ``country``, ``pageId``, ``siteType``...)
and a ``<div id="csrfToken">`` some tenants require as a ``csrf-token`` header (real page:
the HTML inside the Adobe capture).

Identity (``ref``): ``jobId`` (the requisition id the site shows, e.g. ``R149968``; on Workday-
backed sites it equals the Workday req); ``jobSeqNo`` only when a job has no ``jobId``.
Pay: Phenom has no pay field; the detail description's pay paragraph(s) go to ``pay_text``. When
no detail is read, only the ~200-character ``descriptionTeaser`` is known and pay is found only if
the teaser happens to state it.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from scrapers.extract.common import (
    PageShapeError, clean_inline, dig, html_to_text, int_or_none, iso_timestamp, stamped_posting, unique,
)
from scrapers.extract.countries import country_code
from scrapers.extract.pay_paragraphs import pay_paragraphs
from scrapers.items import JobPosting

PLATFORM = "phenom"
_PHAPP = re.compile(r"\bphApp\s*=\s*phApp\s*\|\|\s*(?=\{)")
_CSRF = re.compile(r"""id\s*=\s*["']csrfToken["'][^>]*>\s*([^<\s]+)\s*<""")
# The settings read from phApp; anything else in it is ignored.
SITE_KEYS = ("refNum", "locale", "country", "pageId", "pageName", "siteType", "deviceType")


def site_config(page_html: str | None) -> dict[str, Any]:
    """The widget settings from a Phenom page's ``phApp`` object (+ ``csrfToken``); {} when absent."""
    if not page_html:
        return {}
    config: dict[str, Any] = {}
    match = _PHAPP.search(page_html)
    if match:
        try:
            data, _ = json.JSONDecoder().raw_decode(page_html, match.end())
        except ValueError:
            data = None
        if isinstance(data, dict):
            config = {key: data[key] for key in SITE_KEYS if isinstance(data.get(key), str) and data[key]}
    token = _CSRF.search(page_html)
    if token:
        config["csrfToken"] = token.group(1)
    return config


def search_page(data: Any) -> tuple[int | None, list[Any]]:
    """(totalHits, jobs) of one refineSearch reply."""
    refine = data.get("refineSearch") if isinstance(data, dict) else None
    if not isinstance(refine, dict):
        if isinstance(data, dict) and data.get("tokenAvailable") is False:
            raise PageShapeError("Phenom refused the search (tokenAvailable: false; no session/CSRF token)")
        raise PageShapeError("Phenom widgets reply has no 'refineSearch' object")
    inner = refine.get("data")
    jobs = inner.get("jobs") if isinstance(inner, dict) else None
    if not isinstance(jobs, list):
        raise PageShapeError("Phenom refineSearch reply has no 'data.jobs' list")
    return int_or_none(refine.get("totalHits")), jobs


def job_detail(data: Any) -> dict[str, Any]:
    job = dig(data, "jobDetail", "data", "job")
    if not isinstance(job, dict):
        raise PageShapeError("Phenom jobDetail reply has no 'jobDetail.data.job' object")
    return job


def job_ref(raw: dict[str, Any]) -> str | None:
    return clean_inline(raw.get("jobId")) or clean_inline(raw.get("jobSeqNo"))


def parse_job(
    raw: dict[str, Any],
    detail: dict[str, Any] | None,
    *,
    company: str,
    scraped_at: datetime,
    site_url: str | None = None,
    locale_path: str | None = None,
) -> JobPosting:
    """One job from its search entry and (when read) its ``jobDetail.data.job``.

    ``site_url``/``locale_path`` (``https://careers.wbd.com``, ``global/en``) build the public
    job page ``{site_url}/{locale_path}/job/{jobId}``.
    """
    detail = detail if isinstance(detail, dict) else {}
    merged = {**raw, **{key: value for key, value in detail.items() if value not in (None, "", [])}}
    description_html = detail.get("description") if isinstance(detail.get("description"), str) else None
    teaser = clean_inline(raw.get("descriptionTeaser"))
    description = html_to_text(description_html) or teaser
    ref = job_ref(raw) or job_ref(detail)
    url = None
    if site_url and ref:
        url = "/".join(part.strip("/") for part in (site_url, locale_path or "", "job", str(ref)) if part.strip("/"))
    return stamped_posting(
        PLATFORM, company, scraped_at,
        ref=ref,
        title=clean_inline(merged.get("title")),
        url=url,
        department=_first_text(merged.get("category")) or _first_text(merged.get("multi_category")),
        locations=_locations(merged),
        country=country_code(merged.get("country")),
        employment_type=_first_text(merged.get("type")),
        posted_at=iso_timestamp(merged.get("postedDate")),
        updated_at=iso_timestamp(merged.get("dateUpdated")) if "dateUpdated" in merged else None,
        description=description,
        pay_text=pay_paragraphs(html_to_text(description_html or teaser), PLATFORM),
    )


def _first_text(value: Any) -> str | None:
    if isinstance(value, list):
        return next((clean_inline(item) for item in value if clean_inline(item)), None)
    return clean_inline(value) if isinstance(value, str) else None


def _locations(job: dict[str, Any]) -> list[str]:
    multi = job.get("multi_location") if isinstance(job.get("multi_location"), list) else []
    names = [
        entry.get("cityStateCountry") or entry.get("location") if isinstance(entry, dict) else entry
        for entry in multi
    ]
    found = unique(name for name in names if isinstance(name, str))
    if found:
        return found
    single = job.get("cityStateCountry") or job.get("location") or ", ".join(
        part for part in (clean_inline(job.get(key)) for key in ("city", "state", "country")) if part
    )
    return unique([single]) if isinstance(single, str) else []
