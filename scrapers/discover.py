"""`paywatch discover`: a careers page in, a registry entry out.

The page is a saved HTML file or a URL, fetched once through Scrapy with the crawl's own politeness
(robots.txt obeyed, the paywatch User-Agent, retries with backoff, a time limit); redirects are
followed and their URLs read as links too, since a careers page often redirects to its board.
``scrapers.extract.discover`` finds the boards; each finding is checked against its platform's
identifier rules (the ones ``paywatch companies --check`` applies) and against the registry, and
rendered as a ``[[company]]`` entry with the source comment the registry asks for.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from scrapers.extract.discover import Finding, canonical_url, discover, site_name
from scrapers.platforms import PLATFORMS, load_registry
from scrapers.registry import SECTORS, Company, RegistryError, board_key

FETCH_SECONDS = 120  # the whole fetch, retries included
LOOKED_FOR = ("Greenhouse, Lever, Ashby, Workday, SmartRecruiters, Eightfold, Phenom, Oracle Recruiting Cloud, "
              "SAP SuccessFactors, Apple, Google Careers and JobPosting JSON-LD")


class PageUnavailable(Exception):
    """The page could not be read: a missing file, a refused or failed fetch."""


@dataclass(frozen=True)
class Page:
    html: str
    url: str | None  # where it was read from (None: a saved file with no --url)
    seen_urls: tuple[str, ...] = ()  # the redirects on the way
    saved_as: str | None = None  # the file it was read from, when it was saved


@dataclass(frozen=True)
class Discovered:
    finding: Finding
    problem: str | None  # what the platform's identifier rules say of the ids, or None
    registered_as: str | None  # the registry entry already crawling this board


def read_page(source: str, page_url: str | None = None, settings: Mapping[str, str] | None = None) -> Page:
    """``source`` as a page: a saved file (``page_url`` says where it was saved from) or an http(s) URL."""
    if re.match(r"https?://", source, re.IGNORECASE):
        return fetch_page(source, settings or {})
    path = Path(source)
    if not path.is_file():
        raise PageUnavailable(f"{source} is neither an http(s) URL nor a file")
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise PageUnavailable(f"cannot read {source}: {error.strerror or error}") from None
    return Page(text, page_url or canonical_url(text), saved_as=path.name)


def fetch_page(url: str, settings: Mapping[str, str]) -> Page:
    """One GET of ``url`` with the crawl's settings (``settings`` on top, as ``-s`` gives them)."""
    import scrapy
    from scrapy.crawler import AsyncCrawlerProcess

    from scrapers.crawl import project_settings

    result: dict[str, Any] = {}

    class CareersPageSpider(scrapy.Spider):
        name = "paywatch_discover"

        async def start(self):
            yield scrapy.Request(url, callback=self.parse, errback=self.failed, dont_filter=True)

        def parse(self, response):
            if not hasattr(response, "text"):
                result["error"] = f"{response.url} is not a text page"
                return
            result["page"] = Page(response.text, response.url, tuple(response.meta.get("redirect_urls", ())))

        def failed(self, failure):
            response = getattr(failure.value, "response", None)
            why = f"HTTP {response.status}" if response is not None else failure.getErrorMessage()
            result["error"] = f"could not fetch {url}: {why}"

    crawl_settings = project_settings(None, overrides={"CLOSESPIDER_TIMEOUT": str(FETCH_SECONDS), "LOG_LEVEL": "ERROR",
                                                      **settings})
    # One page read is no crawl of a company: nothing goes through the stages, so no archive, no
    # capture and no failed crawl of a pseudo-company are written where discover runs.
    crawl_settings.set("ITEM_PIPELINES", {}, priority="cmdline")
    process = AsyncCrawlerProcess(crawl_settings)
    process.crawl(CareersPageSpider)
    process.start()
    if "page" in result:
        return result["page"]
    raise PageUnavailable(result.get("error") or f"could not fetch {url} (robots.txt may forbid it, or it timed out)")


def discovered_boards(page: Page, registry: str | None = None) -> list[Discovered]:
    """The boards ``page`` points to, the page's own first (``discover``'s order), each with what its
    platform says of its ids and whether the registry already has it."""
    try:
        entries = load_registry(registry)
    except RegistryError:
        entries = []  # discovering needs no registry; it only says when a board is already there
    known = {board_key(entry.platform, entry.ids): entry.slug for entry in entries}
    result = []
    for finding in discover(page.html, page.url, page.seen_urls):
        probe = Company(slug="probe", name="probe", sector="tech", platform=finding.platform, ids=finding.id_dict)
        problem = PLATFORMS[finding.platform].entry_problem(probe) if finding.platform in PLATFORMS else (
            f"paywatch has no {finding.platform} spider")
        result.append(Discovered(finding, problem, known.get(board_key(finding.platform, finding.id_dict))))
    return result


def describe(item: Discovered, *, registry: bool = True) -> str:
    """One line: the board, what it was found by, and (with ``registry``) whether the registry has it
    and what stands in its way."""
    ids = ", ".join(f"{key}={value}" for key, value in item.finding.ids)
    line = f"{item.finding.platform} {ids} ({_one_line(item.finding.evidence)})".replace("  ", " ")
    if item.registered_as and registry:
        line += f"; in the registry as {item.registered_as}"
    if item.problem:
        line += f"; not usable: {item.problem}"
    return line


def registry_entry(item: Discovered, page: Page, *, name: str | None = None, slug: str | None = None,
                   sector: str | None = None, today: date | None = None) -> str:
    """A ``[[company]]`` entry for the registry, its source comment first."""
    name = name or site_name(page.html) or _name_from(item.finding)
    slug = slug or slug_for(name)
    where = page.url or f"the saved page {page.saved_as or '?'}"
    if page.url and page.saved_as:
        where += f" (saved as {page.saved_as})"
    lines = [f"# Found by paywatch discover on {where} ({(today or date.today()).isoformat()}): "
             f"{_one_line(item.finding.evidence)}",
             "[[company]]",
             f"slug = {_toml(slug)}",
             f"name = {_toml(name)}"]
    if sector:
        lines.append(f"sector = {_toml(sector)}")
    else:
        lines.append(f"sector = \"\"  # required: one of {', '.join(SECTORS)}")
    lines.append(f"platform = {_toml(item.finding.platform)}")
    lines += [f"{key} = {_toml(value)}" for key, value in item.finding.id_dict.items()]
    if page.url:
        lines.append(f"careers_url = {_toml(page.url)}")
    return "\n".join(lines) + "\n"


def slug_for(name: str) -> str:
    """A registry slug (lower snake case, starting with a letter) from a company's name."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return slug if re.match(r"[a-z]", slug) else f"company_{slug}".rstrip("_")


def _name_from(finding: Finding) -> str:
    ids = finding.id_dict
    for key in ("token", "site", "board", "company_id", "tenant", "host", "site_url"):
        if ids.get(key):
            value = str(ids[key])
            return urlsplit(value).hostname or value if "://" in value else value
    return "Unknown"


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 160 else text[:157] + "..."


def _toml(value: Any) -> str:
    """A TOML value: a JSON string is a TOML basic string, a JSON list of strings a TOML array."""
    return json.dumps(value, ensure_ascii=False)
