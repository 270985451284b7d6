"""Oracle Recruiting Cloud career sites (``{pod}.fa.{region}.oraclecloud.com``): Hearst, Sinclair, ITV, ...

A registry entry gives ``host`` (``eevd.fa.us6.oraclecloud.com``) and ``site`` (the site number in
``/hcmUI/CandidateExperience/en/sites/{site}``, e.g. ``CX_1``). The base URL is ``https://{host}``
unless ``ORACLE_BASE_URL`` is set (then ``{ORACLE_BASE_URL}/{host}``, as with Workday).

The list is read ``ORACLE_PAGE_SIZE`` requisitions at a time (200, the most a page holds), newest
first, until the latest page's ``TotalJobsCount`` are read or a page is empty. Requisitions move between pages while
the list is read: one seen twice is handed over once (``paywatch/oracle/duplicate_listed``) and
counts once, so the crawl is complete only when as many distinct requisitions were read as the
first page counted. Oracle's search reads no deeper than 10,000: a site that
counts more fails its crawl at once (nothing closed) rather than looking complete. The list carries
no text, so each posting costs a detail request (within the night's budget).
"""

from __future__ import annotations

from typing import Any, AsyncIterator

from scrapers.extract import oracle as extract
from scrapers.extract.common import ref_text
from scrapers.platforms.base import OwnHostSpider


class OracleSpider(OwnHostSpider):
    platform = "oracle"
    required_ids = ("host", "site")
    id_patterns = {"host": r"[a-z0-9-]+\.fa(\.[a-z0-9-]+)*\.oraclecloud\.com", "site": r"[A-Za-z0-9_-]+"}
    base_url_setting = "ORACLE_BASE_URL"
    # A page of 200 requisitions at 1,330 B each (the real tests/fixtures/oracle/kroger_requisitions.json,
    # 2,660 B for 2) = 266 KB; a detail ~1.5 KB. Under the floors (warned at 2 MiB, cut off at 8 MiB).
    largest_reply = 1_330 * 200

    @property
    def page_size(self) -> int:
        return max(1, min(extract.MAX_PAGE_SIZE, self.settings.getint("ORACLE_PAGE_SIZE", extract.MAX_PAGE_SIZE)))

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/hcmRestApi/resources/latest"

    async def start(self) -> AsyncIterator[Any]:
        yield self.list_request(offset=0)

    def list_request(self, offset: int):
        # The finder's ; , = must reach Oracle unescaped (escaped, it answers with an error).
        finder = (f"findReqs;siteNumber={self.quoted_id('site')},limit={self.page_size},offset={offset},"
                  "sortBy=POSTING_DATES_DESC")
        url = f"{self.api_url}/recruitingCEJobRequisitions?onlyData=true&expand=requisitionList&finder={finder}"
        return self.request(url, callback=self.parse_list, cb_kwargs={"offset": offset},
                            headers={"Accept": "application/json"})

    def detail_request(self, ref: str, listed: dict[str, Any]):
        finder = f'ById;Id="{ref}",siteNumber={self.quoted_id("site")}'
        url = f"{self.api_url}/recruitingCEJobRequisitionDetails?expand=all&onlyData=true&finder={finder}"
        return self.request(url, callback=self.parse_detail, detail=True, cb_kwargs={"listed": listed},
                            headers={"Accept": "application/json"})

    def parse_list(self, response, offset: int):
        page = self.read_page(response, extract.list_page)
        if page is None:
            return
        requisitions, total = page
        if not self.page_is_new("requisitions", [str(raw.get("Id")) for raw in requisitions if isinstance(raw, dict)]):
            return
        if offset == 0:
            self.expect_postings("requisitions", total)
            if total is not None and total > extract.SEARCH_WINDOW:
                self.mark_failed(f"the site counts {total} requisitions; Oracle's search reads only the first "
                                 f"{extract.SEARCH_WINDOW:,}, so its listing cannot be read whole")
                return
        for raw in self.raw_postings(requisitions, listing="requisitions"):
            ref = self.listing_ref(raw)
            if ref is None:
                yield self.build_item(self.parse_posting, raw, None)  # counted: the listing is unaccounted for
                continue
            if self.listed_before(ref, "paywatch/oracle/duplicate_listed", listing="requisitions"):
                continue
            self.note_listed(raw)
            yield from self.detail_or_defer(raw, lambda ref=ref, raw=raw: self.detail_request(ref, raw),
                                            lambda raw=raw: self.build_item(self.parse_posting, raw, None))
        latest = self.listing_end("requisitions", total)
        next_offset = offset + len(requisitions)
        if requisitions and (latest is None or next_offset < latest):
            yield self.list_request(next_offset)

    def listing_ref(self, raw: dict[str, Any]) -> str | None:
        return ref_text(raw.get("Id"))

    def parse_detail(self, response, listed: dict[str, Any]):
        detail = self.read_detail(response, extract.requisition_detail)
        if detail is None:
            return
        yield self.build_item(self.parse_posting, listed, detail, raw={**listed, **detail})

    def parse_posting(self, listed: dict[str, Any], detail: dict[str, Any] | None, **context: Any):
        return extract.parse_posting(listed, detail, host=self.host, site=str(self.company_id("site")), **context)
