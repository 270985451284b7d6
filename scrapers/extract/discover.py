"""Which careers platform a company's careers page embeds or links to, and with which identifiers.

``paywatch discover`` reads one page (fetched or saved) and looks for the marks each platform leaves
in a page that uses it: the board links, embed scripts, iframes and API calls whose URLs carry the
identifiers a registry entry needs (a Greenhouse token, a Workday tenant and site, ...), the markers
of sites a platform hosts under the company's own name (Eightfold, Phenom), and schema.org
``JobPosting`` JSON-LD. Everything here is a pure function of the page's text and URL.

A finding names what it was found from (``evidence``: the URL or marker as it appears), so the
registry entry made from it can say where its identifiers came from.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator
from urllib.parse import unquote, urlsplit

from w3lib.html import remove_comments

from scrapers.extract.jsonld import job_postings_from_html


@dataclass(frozen=True)
class Finding:
    """One board: its platform and identifiers (what makes two findings the same board) and the text
    it was first found by."""

    platform: str
    ids: tuple[tuple[str, Any], ...]  # (key, value) in the registry entry's order
    evidence: str = field(compare=False)

    @property
    def id_dict(self) -> dict[str, Any]:
        """The identifiers as a registry entry holds them (a tuple of URLs as a list)."""
        return {key: list(value) if isinstance(value, tuple) else value for key, value in self.ids}


# Path words that follow a platform's host but are not a board's name (embed scripts, API paths, assets).
_NOT_A_BOARD = {
    "embed", "v1", "v0", "api", "static", "assets", "favicon.ico", "robots.txt", "sitemap.xml", "jobs", "job",
    "posting-api", "js", "css", "images", "apply", "search", "careers", "privacy", "login", "cdn", "my-applications",
}
_SLUG = r"[A-Za-z0-9][A-Za-z0-9._%-]*"

# (platform, pattern over the page's unescaped text, ids from the match or None to skip it, weight).
# An embed or a board setting names the page's own board (weight EMBED); a link may point anywhere,
# another company's jobs included (weight LINK): the page's own board comes first.
Rule = tuple[str, re.Pattern[str], Callable[[re.Match[str]], dict[str, Any] | None], int]
EMBED, LINK = 5, 1


def _board(key: str, group: int = 1, **fixed: Any) -> Callable[[re.Match[str]], dict[str, Any] | None]:
    def ids(match: re.Match[str]) -> dict[str, Any] | None:
        value = unquote(match.group(group)).strip(".")
        if not value or value.lower() in _NOT_A_BOARD:
            return None
        return {key: value, **{name: value_ for name, value_ in fixed.items() if value_ is not None}}
    return ids


def _lever(match: re.Match[str]) -> dict[str, Any] | None:
    ids = _board("site", 2)(match)
    if ids is not None and match.group(1):
        ids["region"] = "eu"
    return ids


def _workday(match: re.Match[str]) -> dict[str, Any] | None:
    tenant, pod, site = match.group("tenant"), match.group("pod"), match.group("site")
    if site.lower() in {"wday", "en-us"} or re.fullmatch(r"[a-z]{2}-[A-Z]{2}", site):
        return None
    return {"host": f"{tenant.lower()}.{pod}.myworkdayjobs.com", "tenant": tenant, "site": site}


RULES: list[Rule] = [
    # Greenhouse: the embed script or iframe (?for=token), board pages and posting links, the board API.
    ("greenhouse", re.compile(r"(?:boards|job-boards|app)(?:\.[a-z]{2})?\.greenhouse\.io/embed/job_(?:board|app)(?:/js)?\?"
                              r"(?:[^\"'\s<>]*&)?for=(" + _SLUG + ")"), _board("token"), EMBED),
    ("greenhouse", re.compile(r"(?:job-)?boards(?:\.eu)?\.greenhouse\.io/(" + _SLUG + r")(?=[/?#\"'\s<>]|$)"), _board("token"),
     LINK),
    ("greenhouse", re.compile(r"boards-api\.greenhouse\.io/v1/boards/(" + _SLUG + ")"), _board("token"), EMBED),
    # Lever: the lever-jobs-embed widget's settings, job links and the postings API (US or EU host).
    ("lever", re.compile(r"leverJobsOptions\s*=\s*\{[^}]*?accountName\s*:\s*['\"](" + _SLUG + ")['\"]"),
     _board("site"), EMBED),
    ("lever", re.compile(r"jobs\.(eu\.)?lever\.co/(" + _SLUG + r")(?=[/?#\"'\s<>]|$)"), _lever, LINK),
    ("lever", re.compile(r"api\.(eu\.)?lever\.co/v0/postings/(" + _SLUG + ")"), _lever, EMBED),
    # Ashby: the embed's board URL setting, job links and the embed script, the posting API.
    ("ashby", re.compile(r"ashbyBaseJobBoardUrl\W{1,6}https?://jobs\.ashbyhq\.com/(" + _SLUG + ")"), _board("board"), EMBED),
    ("ashby", re.compile(r"jobs\.ashbyhq\.com/(" + _SLUG + r")(?=[/?#\"'\s<>]|$)"), _board("board"), LINK),
    ("ashby", re.compile(r"api\.ashbyhq\.com/posting-api/job-board/(" + _SLUG + ")"), _board("board"), EMBED),
    # Workday: https://{tenant}.wd{N}.myworkdayjobs.com[/{locale}]/{site}, or its cxs API path.
    ("workday", re.compile(r"(?P<tenant>[A-Za-z0-9-]+)\.(?P<pod>wd\d+)\.myworkdayjobs\.com/(?:wday/cxs/[A-Za-z0-9_-]+/|"
                           r"[a-z]{2}-[A-Z]{2}/)?(?P<site>[A-Za-z0-9_-]+)"), _workday, LINK),
    # SmartRecruiters: the career page, posting links, the posting API.
    ("smartrecruiters", re.compile(r"(?:careers|jobs)\.smartrecruiters\.com/(" + _SLUG + r")(?=[/?#\"'\s<>]|$)"),
     _board("company_id"), LINK),
    ("smartrecruiters", re.compile(r"api\.smartrecruiters\.com/v1/companies/(" + _SLUG + ")"), _board("company_id"), EMBED),
    # Oracle Recruiting Cloud: a site's pages, https://{pod}.fa.{region}.oraclecloud.com/hcmUI/CandidateExperience/{lang}/sites/{site}.
    ("oracle", re.compile(r"(?P<host>[a-z0-9-]+\.fa(?:\.[a-z0-9-]+)*\.oraclecloud\.com)/hcmUI/CandidateExperience/"
                          r"[A-Za-z-]+/sites/(?P<site>[A-Za-z0-9_-]+)"),
     lambda match: {"host": match.group("host"), "site": match.group("site")}, LINK),
    # Google's own careers site (its results pages).
    ("google", re.compile(r"google\.com/about/careers/applications(?=[/?#\"'\s<>]|$)"), lambda match: {}, LINK),
    # Platforms paywatch has no spider for, named so a user learns where the board is: Avature career
    # sites ({tenant}.avature.net, e.g. ea.avature.net before it moved to jobs.ea.com) and iCIMS
    # ({portal}.icims.com, e.g. careers-audacy.icims.com).
    ("avature", re.compile(r"https?://([a-z0-9-]+\.avature\.net)(?=[/?#\"'\s<>]|$)"),
     lambda match: {"host": match.group(1)}, LINK),
    ("icims", re.compile(r"https?://([a-z0-9-]+\.icims\.com)(?=[/?#\"'\s<>]|$)"), lambda match: {"host": match.group(1)},
     LINK),
    # Apple's own jobs site (one company).
    ("apple", re.compile(r"https?://jobs\.apple\.com(?=[/?#\"'\s<>]|$)"), lambda match: {}, LINK),
]

# Eightfold-hosted careers sites: the platform's CDN or its API path in the page.
_EIGHTFOLD_MARKERS = re.compile(r"static\.vscdn\.net|eightfold\.ai|/api/apply/v2/jobs|window\._EF_[A-Z_]+|\bPCS_?CONFIG\b")
_EIGHTFOLD_HOST = re.compile(r"https?://([a-z0-9-]+(?:\.[a-z0-9-]+)*\.eightfold\.ai)(?=[/?#\"'\s<>]|$)")
_EIGHTFOLD_GROUP_ID = re.compile(r"""_EF_GROUP_ID\s*=\s*["']([a-z0-9-]+(?:\.[a-z0-9-]+)+)""")
_EIGHTFOLD_DOMAIN = re.compile(r"""(?:[?&]domain=|["']domain["']\s*:\s*["'])([a-z0-9-]+(?:\.[a-z0-9-]+)+)""")
# Phenom-hosted careers sites: the platform's CDN or its page settings object.
_PHENOM_MARKERS = re.compile(r"phenompeople\.com|\bphApp\.ddo\b|var\s+phApp\s*=")
_PHENOM_REF_NUM = re.compile(r"""["']refNum["']\s*:\s*["']([A-Za-z0-9]+)["']|CareerConnectResources/([A-Z0-9]+)/""")
_PHENOM_SITE = re.compile(r"""["'](?:widgetApiEndpoint|baseUrl)["']\s*:\s*["']https://([a-z0-9.-]+)/""")
# SAP SuccessFactors Recruiting Marketing sites: its CDN and its page framework (j2w).
_SUCCESSFACTORS_MARKERS = re.compile(r"rmkcdn\.successfactors\.com|/platform/(?:js|css)/j2w/|\bj2w\.init\(")
_PHENOM_LOCALE_PATH = re.compile(r"^/([a-z]+/[a-z]{2}(?:_[a-z]{2})?)/")


def discover(page_html: str, page_url: str | None = None, seen_urls: list[str] | tuple[str, ...] = ()) -> list[Finding]:
    """Every platform board ``page_html`` embeds or links to, the page's own first: by weight (an
    embed or board setting outweighs links), then by first mention.

    ``page_url`` is where the page was read (its host names a site the company runs on a platform
    that has no host of its own); ``seen_urls`` are the URLs on the way to it (redirects), which are
    read as links too. What HTML comments hold is not read: a commented-out embed is a board the
    page no longer shows."""
    text = html.unescape(remove_comments(page_html) if "<!--" in page_html else page_html)
    linked = "\n".join([*seen_urls, page_url or "", text])
    weights: dict[Finding, int] = {}
    order: list[Finding] = []
    for finding, weight in [*_board_links(linked), *_hosted_sites(text, page_url), *_json_ld_postings(page_html, page_url)]:
        if finding not in weights:
            order.append(finding)
        weights[finding] = weights.get(finding, 0) + weight
    return sorted(order, key=lambda finding: (-weights[finding], order.index(finding)))


def _board_links(text: str) -> Iterator[tuple[Finding, int]]:
    for platform, pattern, make_ids, weight in RULES:
        for match in pattern.finditer(text):
            ids = make_ids(match)
            if ids is not None:
                yield Finding(platform, tuple(ids.items()), match.group(0)), weight


def _hosted_sites(text: str, page_url: str | None) -> Iterator[tuple[Finding, int]]:
    """Platforms that host a careers site under the company's own name, found by their markers."""
    parts = urlsplit(page_url or "")
    page_host = (parts.hostname or "").lower() if parts.scheme in ("https", "http") else ""
    eightfold = _EIGHTFOLD_MARKERS.search(text)
    if eightfold:
        hosts = [match.group(1) for match in _EIGHTFOLD_HOST.finditer(text)]
        # The tenant's group id as the page states it; its host name is no guide to it.
        domain = (_EIGHTFOLD_GROUP_ID.search(text) or _EIGHTFOLD_DOMAIN.search(text)
                  or _EIGHTFOLD_DOMAIN.search(page_url or ""))
        host = hosts[0] if hosts else page_host
        if host and domain:
            yield Finding("eightfold", (("host", host), ("domain", domain.group(1))), eightfold.group(0)), EMBED
    phenom = _PHENOM_MARKERS.search(text)
    site = _PHENOM_SITE.search(text)
    if phenom and (site or page_host):
        ids: list[tuple[str, Any]] = [("site_url", f"https://{site.group(1) if site else page_host}")]
        locale = _PHENOM_LOCALE_PATH.match(parts.path or "")
        if locale and locale.group(1) != "us/en":
            ids.append(("locale_path", locale.group(1)))
        ref_num = _PHENOM_REF_NUM.search(text)
        if ref_num:
            ids.append(("ref_num", ref_num.group(1) or ref_num.group(2)))
        yield Finding("phenom", tuple(ids), phenom.group(0)), EMBED
    successfactors = _SUCCESSFACTORS_MARKERS.search(text)
    if successfactors and page_host:
        yield Finding("successfactors", (("host", page_host),), successfactors.group(0)), EMBED


def _json_ld_postings(page_html: str, page_url: str | None) -> Iterator[tuple[Finding, int]]:
    """A page carrying a schema.org JobPosting is a posting page that the generic JSON-LD spider can read."""
    if not page_url or "ld+json" not in page_html:
        return
    try:
        postings = job_postings_from_html(page_html, page_url)
    except (ValueError, json.JSONDecodeError):
        return
    if postings:
        title = postings[0].get("title")
        evidence = f"JobPosting JSON-LD ({title!r})" if title else "JobPosting JSON-LD"
        yield Finding("jsonld", (("posting_urls", (page_url,)),), evidence), LINK


def site_name(page_html: str) -> str | None:
    """The site's name as the page states it (og:site_name), for the entry's name."""
    match = re.search(r"""<meta[^>]+property=["']og:site_name["'][^>]+content=["']([^"']+)""", page_html, re.IGNORECASE)
    return clean_name(match.group(1)) if match else None


def clean_name(text: str) -> str | None:
    return " ".join(html.unescape(text).split()) or None


def canonical_url(page_html: str) -> str | None:
    """Where a saved page says it lives (its canonical link or og:url), if it says."""
    for pattern in (r"""<link[^>]+rel=["']canonical["'][^>]+href=["'](https?://[^"']+)""",
                    r"""<meta[^>]+property=["']og:url["'][^>]+content=["'](https?://[^"']+)"""):
        match = re.search(pattern, page_html, re.IGNORECASE)
        if match:
            return html.unescape(match.group(1))
    return None
