"""Google Careers (www.google.com/about/careers/applications): Google, YouTube, Google DeepMind, ...

Results: ``GET /about/careers/applications/jobs/results?sort_by=date`` (page 1), then ``&page=N``,
20 a page (the site ignores any page size asked). The page embeds its results as
``AF_initDataCallback({key: 'ds:1', hash: '…', data:[jobs, null, total, 20], sideChannel: {}})``:
``data[0]`` the page's job records (null past the last page), ``data[2]`` how many the search
matches. ``ds:0`` lists the companies. Each record is a positional array, the whole posting:
``[0]`` id, ``[1]`` title, ``[3]``/``[4]``/``[10]``/``[15]``/``[18]`` ``[null, html]`` texts
(responsibilities, qualifications, about the job, benefits, a note), ``[7]`` the company's name,
``[9]`` locations ``[display, [address], city, postal code, region, country]``, ``[12]``-``[14]``
``[seconds, nanos]`` timestamps (which is which is not labelled: the earliest is taken as posted).
Pay, when published, is prose in ``[10]`` ("The US base salary range for this full-time position
is $207,000-$300,000 + bonus + equity + benefits", or "US: $86000 - $118000 (USD) + 15% bonus
target + equity + benefits"). Sources: the record in shared/corpus (zhaoanliu/job-tracker's
recorded ``google-careers-job.json``), and job-hunter-toolkit/job-hunter-toolkit
``internal/companies/google.go`` for the page's data layout (checked live against 3,252 records).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from scrapers.extract.common import (
    PageShapeError, clean_inline, html_to_text, iso_from_epoch, ref_text, stamped_posting, unique,
)
from scrapers.extract.countries import country_code
from scrapers.extract.pay_paragraphs import pay_paragraphs
from scrapers.items import JobPosting

PLATFORM = "google"
PAGE_SIZE = 20  # fixed by the site
PUBLIC_RESULTS = "https://www.google.com/about/careers/applications/jobs/results"
_RESULTS_DATA = re.compile(r"AF_initDataCallback\(\{\s*key:\s*'ds:1'\s*,[^{}]*?data:")
# The record's texts, in the order a reader meets them on the posting's page.
TEXTS = ((10, None), (3, "Responsibilities"), (4, None), (15, None), (18, None))


def results_page(page_html: str) -> tuple[list[Any], int | None]:
    """(the page's job records, how many the search matches). A page past the last one has no
    records (``data[0]`` null); a page without the results data is a PageShapeError."""
    match = _RESULTS_DATA.search(page_html)
    if match is None:
        raise PageShapeError("Google Careers page has no AF_initDataCallback ds:1 results data")
    try:
        data, _ = json.JSONDecoder().raw_decode(page_html, match.end())
    except (ValueError, RecursionError) as error:
        raise PageShapeError(f"Google Careers results data is not JSON: {error}") from None
    if not isinstance(data, list) or len(data) < 3 or not (data[0] is None or isinstance(data[0], list)):
        raise PageShapeError("Google Careers results data is not [jobs, _, total, size]")
    total = data[2] if isinstance(data[2], int) and not isinstance(data[2], bool) else None
    return list(data[0] or []), total


def record_ref(record: Any) -> str | None:
    return ref_text(record[0]) if isinstance(record, list) and record else None


def parse_record(record: list[Any], *, company: str, scraped_at: datetime) -> JobPosting:
    title = clean_inline(_at(record, 1))
    ref = record_ref(record)
    description = description_text(record)
    places = [place for place in (_at(record, 9) or []) if isinstance(place, list)]
    return stamped_posting(
        PLATFORM, company, scraped_at,
        ref=ref,
        title=title,
        url=public_url(ref, title),
        department=None,
        locations=unique(_at(place, 0) for place in places),
        country=_country(places),
        employment_type=None,
        posted_at=_posted(record),
        description=description,
        pay_text=pay_paragraphs(html_to_text(_text(record, 10)), PLATFORM),
        pay_ranges=[],
    )


def public_url(ref: str | None, title: str | None) -> str | None:
    """The posting's page: ``…/jobs/results/{id}-{slug}`` (the site reads only the id)."""
    if not ref:
        return None
    slug = re.sub(r"[^a-z0-9]+", "-", (title or "").lower()).strip("-")
    return f"{PUBLIC_RESULTS}/{ref}" + (f"-{slug}" if slug else "")


def description_text(record: list[Any]) -> str | None:
    parts = []
    for index, heading in TEXTS:
        text = html_to_text(_text(record, index))
        if text:
            parts.append(f"{heading}\n{text}" if heading else text)
    return "\n\n".join(parts) or None


def _text(record: list[Any], index: int) -> str | None:
    value = _at(record, index)
    return value[1] if isinstance(value, list) and len(value) > 1 and isinstance(value[1], str) else None


def _at(values: Any, index: int) -> Any:
    return values[index] if isinstance(values, list) and len(values) > index else None


def _country(places: list[list[Any]]) -> str | None:
    codes = unique(country_code(_at(place, 5)) for place in places)
    return codes[0] if len(codes) == 1 else None


def _posted(record: list[Any]) -> str | None:
    seconds = [stamp[0] for stamp in (_at(record, index) for index in (12, 13, 14))
               if isinstance(stamp, list) and stamp and isinstance(stamp[0], int) and not isinstance(stamp[0], bool)]
    return iso_from_epoch(min(seconds)) if seconds else None
