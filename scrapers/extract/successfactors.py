"""SAP SuccessFactors Recruiting Marketing career sites (Paramount, Lionsgate, Canal+, TF1, SAP, ...).

Feed: ``GET https://{host}/sitemal.xml`` (the name is SAP's), an RSS 2.0 feed with the Google Base
namespace (``xmlns:g="http://base.google.com/ns/1.0"``) listing every posting of the site with its
text: ``title`` ("Senior Data Engineer (Burbank, CA, US, 91505)": the location rides along),
``link`` (``https://{host}[/{brand}]/job/{City-Title-ST-Zip}/{id}/``), ``description`` (HTML, in
CDATA or escaped), ``guid`` and, on most sites, ``g:id``, ``g:location``, ``g:employer``,
``g:job_function`` and ``g:expiration_date``; usually no ``pubDate``. Public readers of it:
shivavvs7/ats-scrapers ``src/jobhive/scrapers/successfactors.py`` and colophon-group/jobseek
``apps/crawler/src/core/monitors/rss.py`` (as ``/googlefeed.xml``); kalil0321/ats-scrapers PR #171
found it whole on 560 sites (4,694 items on the largest), unlike the 20-item ``/services/rss/job/``
search feed. Pay, when published, is prose in the description.

The feed is parsed strictly (lxml, no entities, no network): a truncated or broken feed is a
``PageShapeError``, never a shorter list.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lxml import etree

from scrapers.extract.common import PageShapeError, clean_inline, html_to_text, ref_text, stamped_posting, unique
from scrapers.extract.countries import country_code
from scrapers.extract.pay_paragraphs import pay_paragraphs
from scrapers.items import JobPosting

PLATFORM = "successfactors"
GOOGLE_BASE = "http://base.google.com/ns/1.0"
_G = f"{{{GOOGLE_BASE}}}"
# " (Tempe, AZ, US, 85288)" at the end of a title: the location the feed appends.
_TITLE_LOCATION = re.compile(r"\s*\(([^()]*,[^()]*)\)\s*$")
_JOB_ID_IN_LINK = re.compile(r"/job/[^/]+/([^/?#]+)/?$")
# g:job_function's placeholder on sites that map no category.
_NO_FUNCTION = {"ATS_WEBFORM"}
_FIELDS = {"title": "title", "link": "link", "description": "description", "guid": "guid", "pubDate": "pub_date",
           f"{_G}id": "id", f"{_G}location": "location", f"{_G}employer": "employer",
           f"{_G}job_function": "job_function", f"{_G}job_type": "job_type", f"{_G}employment_type": "job_type",
           f"{_G}expiration_date": "expiration_date"}


def feed_items(body: bytes) -> tuple[str | None, list[dict[str, Any]]]:
    """(the channel's title, one dict a ``<item>``: title, link, description, guid, id, location,
    employer, job_function, job_type, expiration_date, pub_date; each only when the item has it)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, recover=False)
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError) as error:
        raise PageShapeError(f"SuccessFactors feed is not well-formed XML: {error}") from None
    channel = root.find("channel") if root.tag == "rss" else None
    if channel is None:
        raise PageShapeError("SuccessFactors feed is not an RSS document with a channel")
    items = []
    for node in channel.iter("item"):
        item: dict[str, Any] = {}
        for child in node:
            key = _FIELDS.get(child.tag) if isinstance(child.tag, str) else None
            if key and key not in item and (child.text or "").strip():
                item[key] = child.text.strip()
        items.append(item)
    return clean_inline(channel.findtext("title")), items


def item_ref(item: dict[str, Any]) -> str | None:
    """The posting's id: ``g:id``, else the id its link ends with, else ``guid``."""
    if item.get("id"):
        return ref_text(item["id"])
    match = _JOB_ID_IN_LINK.search(urlsplit(item.get("link") or "").path)
    return match.group(1) if match else ref_text(item.get("guid"))


def parse_item(item: dict[str, Any], *, company: str, scraped_at: datetime) -> JobPosting:
    title, title_location = _split_title(item.get("title"))
    location = clean_inline(item.get("location")) or title_location
    description = html_to_text(item.get("description"))
    function = clean_inline(item.get("job_function"))
    return stamped_posting(
        PLATFORM, company, scraped_at,
        ref=item_ref(item),
        title=title,
        url=_without_query(item.get("link")),
        department=function if function not in _NO_FUNCTION else None,
        locations=unique([location]),
        country=_country(location),
        employment_type=clean_inline(item.get("job_type")),
        posted_at=_rfc822(item.get("pub_date")),
        description=description,
        pay_text=pay_paragraphs(description, PLATFORM),
        pay_ranges=[],
    )


def _split_title(value: Any) -> tuple[str | None, str | None]:
    title = clean_inline(value)
    if not title:
        return None, None
    match = _TITLE_LOCATION.search(title)
    if match and match.start() > 0:
        return title[:match.start()].strip(), clean_inline(match.group(1))
    return title, None


def _country(location: str | None) -> str | None:
    """The country of "City, ST, US, 91505" / "Tel Aviv, Israel, 6944020": the last part that is not a
    postal code, when it names a country. A two-letter part counts only after city and region
    ("Santa Monica, CA" is California, not Canada)."""
    parts = [part.strip() for part in (location or "").split(",")]
    named = [part for part in parts if part and not any(ch.isdigit() for ch in part)]
    if len(named) < 2:
        return None
    last = named[-1]
    if len(last) == 2 and len(named) < 3:
        return None
    return country_code(last)


def _without_query(url: Any) -> str | None:
    """A posting link without the feed's tracking query (``?feedId=256801``)."""
    text = clean_inline(url)
    if not text:
        return None
    parts = urlsplit(text)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _rfc822(value: Any) -> str | None:
    text = clean_inline(value)
    if not text:
        return None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).isoformat()
