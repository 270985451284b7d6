import asyncio
import json
from datetime import datetime, timezone

import pytest

from scrapers.extract import phenom
from scrapers.extract.common import PageShapeError
from tests.conftest import fixture_json, fixture_path
from tests.spider_helpers import json_response, make_spider, split_output
from scrapy.http import HtmlResponse

CRAWL_TIME = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
BASE = "http://127.0.0.1:9/phenom"
SITE = "https://careers.mars.com"
LOCAL = f"{BASE}/careers.mars.com"


def spider(**ids):
    return make_spider("phenom", "mars", settings={"PHENOM_BASE_URL": BASE},
                       **{"site_url": SITE, "locale_path": "global/en", **ids})


def body(request):
    return json.loads(request.body)


def first_request(spider_):
    async def first():
        async for request in spider_.start():
            return request

    return asyncio.run(first())


def adobe_page():
    html = fixture_path("phenom/adobe_page.html").read_bytes()
    return HtmlResponse(f"{LOCAL}/global/en/search-results", body=html, status=404, encoding="utf-8")


def mars_jobs():
    return fixture_json("phenom/mars.json")["refineSearch"]["data"]["jobs"]


def jobs(prefix, count):
    return [{"title": f"Role {prefix}{n}", "jobId": f"R{prefix}{n}", "jobSeqNo": f"MARSR{prefix}{n}EXT"} for n in range(count)]


def page(total, items):
    return {"refineSearch": {"status": 200, "totalHits": total, "data": {"jobs": items}}}


# -- extraction ---------------------------------------------------------------------------------
def test_search_entry_with_detail_description_and_pay():
    raw = mars_jobs()[0]
    detail = phenom.job_detail(fixture_json("phenom/mars_detail_pay.json"))
    item = phenom.parse_job(raw, detail, company="mars", scraped_at=CRAWL_TIME, site_url=SITE, locale_path="global/en")
    assert item.ref == "R149968"
    assert item.title == "Logistics Specialist"
    assert item.url == "https://careers.mars.com/global/en/job/R149968"
    assert item.locations == ["Auckland, Auckland, New Zealand"]
    assert item.country == "NZ"
    assert item.department == "Supply" and item.employment_type == "Full time"
    assert item.posted_at == "2026-06-15T00:00:00+00:00"
    assert item.pay_text == "The salary range for this role is NZD 72,000 – 84,000 per annum, plus a bonus."
    assert item.description.startswith("Job Description")


def test_detail_without_pay_has_no_pay_text():
    raw = mars_jobs()[1]
    item = phenom.parse_job(raw, phenom.job_detail(fixture_json("phenom/mars_detail_no_pay.json")),
                            company="mars", scraped_at=CRAWL_TIME)
    assert item.ref == "R94095" and item.pay_text is None and "Wacol" in item.description


def test_without_a_detail_the_teaser_is_the_description():
    raw = mars_jobs()[2]
    item = phenom.parse_job(raw, None, company="mars", scraped_at=CRAWL_TIME)
    assert item.description == raw["descriptionTeaser"] and item.pay_text is None
    assert item.country == "AU" and item.locations == ["Wodonga, Victoria, Australia"]


def test_site_config_from_a_real_phenom_page():
    config = phenom.site_config(adobe_page().text)
    assert config["refNum"] == "ADOBUS" and config["locale"] == "en_us" and config["country"] == "us"
    assert config["csrfToken"] == "9bee0e4fba2445d5b03d952832b39978"
    assert phenom.site_config("<html>no phenom here</html>") == {}


def test_shape_errors():
    with pytest.raises(PageShapeError, match="tokenAvailable"):
        phenom.search_page({"tokenAvailable": False})
    with pytest.raises(PageShapeError):
        phenom.search_page({"refineSearch": {"totalHits": 3, "data": {}}})
    with pytest.raises(PageShapeError):
        phenom.job_detail({"jobDetail": {"data": {}}})


# -- crawling -----------------------------------------------------------------------------------
def test_first_request_reads_the_site_page_at_the_base_url_setting():
    request = first_request(spider())
    assert request.url == f"{LOCAL}/global/en/search-results" and request.method == "GET"
    assert make_spider("phenom", "mars", site_url=SITE).base_url == SITE


def test_search_body_uses_the_page_settings_like_the_real_site():
    s = spider()
    [search] = split_output(s.parse_site_page(adobe_page()))[1]
    sent = body(search)
    assert search.url == f"{LOCAL}/widgets" and search.method == "POST"
    assert search.headers[b"csrf-token"] == b"9bee0e4fba2445d5b03d952832b39978"
    real = fixture_json("phenom/adobe_request_body.json")
    for key in ("lang", "deviceType", "country", "pageName", "refNum", "siteType", "ddoKey", "global", "from"):
        assert sent[key] == real[key], key
    assert "pageId" not in sent  # the page read was a 404 page: its pageId is not the search page's
    assert sent["size"] == 50 and sent["keywords"] == "" and sent["selected_fields"] == {}


def test_page_without_settings_falls_back_to_registry_ids():
    s = spider(ref_num="WBDGLOBAL", lang="en_global", country="global")
    empty = HtmlResponse(f"{LOCAL}/global/en/search-results", body=b"<html></html>", encoding="utf-8")
    [search] = split_output(s.parse_site_page(empty))[1]
    sent = body(search)
    assert (sent["refNum"], sent["lang"], sent["country"]) == ("WBDGLOBAL", "en_global", "global")
    assert s.crawler.stats.get_value("paywatch/phenom/no_site_config") == 1


def test_each_job_gets_a_detail_request_and_the_item_comes_from_it():
    s = spider()
    items, requests = split_output(s.parse_search(json_response(f"{LOCAL}/widgets", fixture_json("phenom/mars.json")),
                                                  offset=0, total=None))
    details = [r for r in requests if body(r)["ddoKey"] == "jobDetail"]
    # the real reply reports totalHits 7 with 3 jobs: the next page starts at the 4th
    assert items == [] and len(details) == 3
    assert [body(r)["from"] for r in requests if body(r)["ddoKey"] == "refineSearch"] == [3]
    detail = details[0]
    assert body(detail)["ddoKey"] == "jobDetail" and body(detail)["jobSeqNo"] == "MARSGLOBALR149968EXTERNALENGLOBAL"
    [item] = split_output(s.parse_detail(json_response(detail.url, fixture_json("phenom/mars_detail_pay.json")),
                                         **detail.cb_kwargs))[0]
    assert item.ref == "R149968" and item.pay_text and not s.crawl_failed


def test_pagination_to_total_hits_and_no_further():
    s = spider()
    _, requests = split_output(s.parse_search(json_response(f"{LOCAL}/widgets", page(7, jobs("a", 5))), offset=0, total=None))
    [next_page] = [r for r in requests if body(r)["ddoKey"] == "refineSearch"]
    assert body(next_page)["from"] == 5
    _, requests = split_output(s.parse_search(json_response(next_page.url, page(7, jobs("b", 2))), **next_page.cb_kwargs))
    assert [body(r)["ddoKey"] for r in requests] == ["jobDetail", "jobDetail"]
    _, requests = split_output(s.parse_search(json_response(next_page.url, page(9, [])), offset=7, total=9))
    assert requests == [] and not s.crawl_failed


def test_a_repeating_page_fails_the_crawl_and_stops():
    s = spider()
    split_output(s.parse_search(json_response(f"{LOCAL}/widgets", page(20, jobs("a", 5))), offset=0, total=None))
    items, requests = split_output(s.parse_search(json_response(f"{LOCAL}/widgets", page(20, jobs("a", 5))), offset=5, total=20))
    assert items == [] and requests == [] and s.crawl_failed and "repeats" in s.failure_reasons[0]


def test_refused_or_changed_search_fails_the_crawl():
    s = spider()
    assert split_output(s.parse_search(json_response(f"{LOCAL}/widgets", {"tokenAvailable": False}), offset=0, total=None)) == ([], [])
    assert s.crawl_failed and "tokenAvailable" in s.failure_reasons[0]


def test_a_detail_that_lost_its_shape_leaves_the_job_listed_but_unreadable():
    # No teaser-only item: it would read as the description cut to 200 characters. The job was listed
    # by the search, so it stays seen with its current version.
    s = spider()
    raw = mars_jobs()[0]
    s.note_listed(raw)
    out = split_output(s.parse_detail(json_response(f"{LOCAL}/widgets", {"jobDetail": {"status": 500}}), raw=raw))
    assert out == ([], [])
    assert s.crawler.stats.get_value("paywatch/detail/unreadable") == 1
    assert s.listed_refs == {raw["jobId"]} and not s.crawl_failed


def test_malformed_and_id_less_jobs_are_counted_not_fatal():
    s = spider()
    items, requests = split_output(s.parse_search(json_response(f"{LOCAL}/widgets", page(3, ["x", {"title": "No id"}, jobs("a", 1)[0]])),
                                                  offset=0, total=None))
    assert [i.title for i in items] == ["No id"] and items[0].ref is None
    assert len(requests) == 1
    assert s.crawler.stats.get_value("paywatch/response/malformed_posting") == 1
    assert not s.crawl_failed
