"""Careers sites whose posting pages embed schema.org JobPosting JSON-LD (the generic fallback).

A registry entry gives either ``listing_url`` (a careers page that links to every posting;
optional ``link_css``, a CSS selector for the posting links, else every same-host ``a[href]``) or
``posting_urls`` (a list of posting pages). Each posting page is read for its JobPosting JSON-LD.

``JSONLD_BASE_URL`` (unset by default: the registry URLs are used as they are) replaces the scheme
and host of every listing and posting URL, so tests and the demo can serve the pages from
127.0.0.1; the postings keep their real URLs.

Crawl health: a listing page with no posting links is treated as a changed page (crawl failed, so
nothing is closed). A posting page without a JobPosting is counted ``paywatch/jsonld/no_jobposting``
and skipped; any HTTP error fails the crawl.
"""

from __future__ import annotations

from typing import Any, AsyncIterator
from urllib.parse import urldefrag, urljoin, urlsplit

from scrapers.extract import jsonld as extract
from scrapers.platforms.base import PlatformSpider


class JsonLdSpider(PlatformSpider):
    platform = "jsonld"
    required_ids = ()
    optional_ids = ("listing_url", "link_css", "posting_urls")
    base_url_setting = "JSONLD_BASE_URL"
    # A listing or posting page of HTML (the saved ones are 1-2 KB; a careers site's heavy page is a
    # few hundred KB): under the floors (warned at 2 MiB, cut off at 8 MiB).
    largest_reply = 500_000
    default_base_url = ""
    identifies_listed_postings = False  # a posting's id is in its own page, not in the listing

    @classmethod
    def host_key(cls, company) -> str:
        urls = company.ids.get("posting_urls") or [""]
        return urlsplit(str(company.ids.get("listing_url") or (urls if isinstance(urls, list) else [urls])[0])).netloc

    @classmethod
    def entry_problem(cls, company) -> str | None:
        problem = super().entry_problem(company)
        if problem is None and not (company.ids.get("listing_url") or company.ids.get("posting_urls")):
            return "jsonld needs listing_url or posting_urls"
        return problem

    def allowed_urls(self) -> list[str]:
        urls = self.company_id("posting_urls") or []
        urls = [urls] if isinstance(urls, str) else list(urls)
        urls.append(self.company_id("listing_url"))
        return [self.local_url(str(url)) for url in urls if url]

    # -- URLs -------------------------------------------------------------------------------------
    def local_url(self, url: str) -> str:
        """``url`` with its scheme and host replaced by JSONLD_BASE_URL (when set)."""
        base = self.base_url
        if not base:
            return url
        parts = urlsplit(url)
        return f"{base}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")

    def posting_request(self, url: str, linked_elsewhere: bool = False):
        # Links picked by the entry's own link_css may lead to another host; that host is the entry's word.
        meta = {"allow_offsite": True} if linked_elsewhere else {}
        return self.request(self.local_url(url), callback=self.parse_posting_page, cb_kwargs={"page_url": url},
                            meta=meta)

    async def start(self) -> AsyncIterator[Any]:
        posting_urls = self.company_id("posting_urls")
        if posting_urls:
            for url in [posting_urls] if isinstance(posting_urls, str) else posting_urls:
                yield self.posting_request(str(url))
            return
        listing_url = str(self.company_id("listing_url"))
        yield self.request(self.local_url(listing_url), callback=self.parse_listing,
                           cb_kwargs={"listing_url": listing_url})

    # -- callbacks --------------------------------------------------------------------------------
    def parse_listing(self, response, listing_url: str):
        if not hasattr(response, "css"):
            self.mark_failed(f"listing page is not HTML ({response.url})")
            return
        link_css = self.company_id("link_css")
        selector = str(link_css) if link_css else "a[href]"
        if not selector.rstrip().endswith("::attr(href)"):
            selector = f"{selector}::attr(href)"
        real = urlsplit(listing_url)
        seen: list[str] = []
        for href in response.css(selector).getall():
            href = href.strip()
            if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
                continue
            # Relative links are resolved against the real listing URL, not the local replay.
            url = urldefrag(urljoin(listing_url, href))[0]
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https"):
                continue
            if not link_css and parts.netloc != real.netloc:
                continue
            if url.rstrip("/") == listing_url.rstrip("/") or url in seen:
                continue
            seen.append(url)
        if not seen:
            self.mark_failed(f"listing page has no posting links matching {selector!r} ({response.url})")
            return
        if not self.page_is_new("listing", seen):
            return
        for url in seen:
            yield self.posting_request(url, linked_elsewhere=bool(link_css))

    def parse_posting_page(self, response, page_url: str):
        text = getattr(response, "text", None)
        postings = extract.job_postings_from_html(text, page_url) if isinstance(text, str) else []
        if not postings:
            self.crawler.stats.inc_value("paywatch/jsonld/no_jobposting")
            self.logger.warning("%s: no schema.org JobPosting on %s; skipped", self.company_slug, page_url)
            return
        for raw in self.raw_postings(postings):
            yield self.build_item(extract.parse_job_posting, raw, page_url=page_url)

