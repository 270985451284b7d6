import asyncio
import copy
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from scrapers.extract import amazon
from scrapers.extract.common import PageShapeError
from tests.conftest import fixture_json
from tests.spider_helpers import json_response, make_spider, split_output

CRAWL_TIME = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
LOCAL = "http://127.0.0.1:9/amazon"


def parse(raw):
    return amazon.parse_job(raw, company="amazon", scraped_at=CRAWL_TIME)


def jobs():
    return fixture_json("amazon/search_page.json")["jobs"]


def spider(**ids):
    return make_spider("amazon", "amazon", settings={"AMAZON_JOBS_URL": LOCAL}, **ids)


def start_requests(spider):
    async def collect():
        return [request async for request in spider.start()]

    return asyncio.run(collect())


def query(url):
    return parse_qs(urlsplit(url).query)


def filler(count, first=5000000):
    return [{"id_icims": str(first + n), "title": f"Role {n}", "job_path": f"/en/jobs/{first + n}/role"}
            for n in range(count)]


# -- extraction -------------------------------------------------------------------------------

def test_posting_with_per_location_pay_lines():
    item = parse(jobs()[0])
    assert item.platform == "amazon" and item.ref == "3200392"
    assert item.title == "Principal Engineer, Amazon"  # trailing space on the wire
    assert item.url == "https://www.amazon.jobs/en/jobs/3200392/principal-engineer-amazon"
    assert item.department == "Software Development"
    assert item.locations[0] == "Boston, Massachusetts, USA" and len(item.locations) == 6
    assert item.country == "US" and item.employment_type == "full-time"
    assert item.posted_at == "2025-10-07"  # "October  7, 2025" (double space before a one-digit day)
    assert item.updated_at == "2026-11-19"  # "1 day", relative to the crawl start
    lines = item.pay_text.split("\n")
    assert lines[0].startswith("The base salary range for this position is listed below.")
    assert "USA, CA, SAN DIEGO - 200,100.00 - 270,600.00 USD annually" in lines
    assert "USA, CA, Sunnyvale - 230,100.00 - 311,200.00 USD annually" in lines
    assert "Basic Qualifications" in item.description and "Preferred Qualifications" in item.description
    assert "<" not in item.description and item.pay_ranges == []


def test_posting_with_geographic_market_sentence():
    item = parse(jobs()[1])
    assert "ranges from $115,000/year in our lowest geographic market up to $223,600/year" in item.pay_text
    assert item.posted_at == "2025-11-03" and item.updated_at == "2026-11-17"


def test_posting_without_pay():
    item = parse(jobs()[2])
    assert item.pay_text is None
    assert item.country == "CN" and item.locations == ["Shanghai, CHN"]
    assert item.updated_at == "2026-11-20"  # "about 2 hours"


def test_pay_in_description_when_qualifications_have_none():
    raw = {"id_icims": "1", "description": "About the team.<br/><br/>The base pay for this position ranges from "
                                           "$25.50/hr in our lowest geographic market up to $30.00/hr in our highest.",
           "preferred_qualifications": "- Java"}
    assert parse(raw).pay_text.startswith("The base pay for this position ranges from $25.50/hr")


def test_missing_fields_give_none_not_errors():
    item = parse({})
    assert item.ref is None and item.title is None and item.url is None and item.locations == []
    assert item.posted_at is None and item.description is None and item.pay_text is None
    item = parse({"id_icims": "9", "country_code": "GBR", "normalized_location": "London, GBR", "locations": ["x"],
                  "posted_date": "not a date", "updated_time": None})
    assert item.url == "https://www.amazon.jobs/en/jobs/9" and item.locations == ["x"]
    assert item.posted_at is None


def test_reply_shape_errors():
    with pytest.raises(PageShapeError):
        amazon.search_page({"error": "Cannot return more than 10000 results at once", "jobs": None})
    with pytest.raises(PageShapeError):
        amazon.search_page({"hits": 3, "results": []})
    with pytest.raises(PageShapeError):
        amazon.search_page({"jobs": []})
    assert amazon.category_counts(fixture_json("amazon/search_window.json")) == {"aws": 1, "retail": 1, "advertising": 1}
    assert amazon.category_counts({"facets": {"business_category_facet": "x"}}) == {}


# -- the spider ---------------------------------------------------------------------------------

def test_first_request_points_at_the_base_url_setting_and_asks_for_the_facet():
    [request] = start_requests(spider())
    assert request.url.startswith(f"{LOCAL}/en/search.json?")
    assert query(request.url) == {"offset": ["0"], "result_limit": ["100"], "sort": ["recent"],
                                  "facets[]": ["business_category"]}
    assert request.errback is not None


def test_registry_categories_and_query_become_filters():
    requests = start_requests(spider(business_categories=["aws", "amazon-studios"], base_query="engineer"))
    assert [query(r.url)["business_category[]"] for r in requests] == [["aws"], ["amazon-studios"]]
    assert all(query(r.url)["base_query"] == ["engineer"] for r in requests)
    [request] = start_requests(spider(base_query={"normalized_country_code[]": "USA"}))
    assert query(request.url)["normalized_country_code[]"] == ["USA"]


def test_small_search_is_one_page_with_descriptions_and_no_detail_requests():
    crawler = spider()
    items, requests = split_output(crawler.parse_page(
        json_response("http://x", fixture_json("amazon/search_page.json")), offset=0, category="*"))
    assert [item.ref for item in items] == ["3200392", "2900001", "2900002"]
    assert requests == [] and not crawler.crawl_failed


def test_pagination_to_the_end_and_no_further():
    crawler = spider()
    page = {"error": None, "hits": 250, "facets": {}, "jobs": filler(100)}
    items, [next_page] = split_output(crawler.parse_page(json_response("http://x", page), offset=0, category="*"))
    assert len(items) == 100 and query(next_page.url)["offset"] == ["100"]
    page = {"error": None, "hits": 250, "facets": {}, "jobs": filler(100, first=6000000)}
    items, [last_page] = split_output(crawler.parse_page(json_response("http://x", page), **next_page.cb_kwargs))
    assert query(last_page.url)["offset"] == ["200"]
    page = {"error": None, "hits": 250, "facets": {}, "jobs": filler(50, first=7000000)}
    items, requests = split_output(crawler.parse_page(json_response("http://x", page), **last_page.cb_kwargs))
    assert len(items) == 50 and requests == [] and not crawler.crawl_failed


def test_a_full_window_splits_by_business_category_and_dedupes_across_splits():
    crawler = spider()
    window = fixture_json("amazon/search_window.json")
    items, requests = split_output(crawler.parse_page(json_response("http://x", window), offset=0, category="*"))
    assert items == []  # the probe's jobs are read again in their own category
    assert sorted(query(r.url)["business_category[]"][0] for r in requests) == ["advertising", "aws", "retail"]
    assert all("facets[]" not in query(r.url) for r in requests)

    aws = {"error": None, "hits": 2, "facets": {}, "jobs": jobs()[:2]}
    retail = {"error": None, "hits": 1, "facets": {}, "jobs": [copy.deepcopy(jobs()[1])]}  # listed twice
    items_aws, _ = split_output(crawler.parse_page(json_response("http://x", aws), offset=0, category="aws"))
    items_retail, _ = split_output(crawler.parse_page(json_response("http://x", retail), offset=0, category="retail"))
    assert [i.ref for i in items_aws + items_retail] == ["3200392", "2900001"]
    assert crawler.crawler.stats.get_value("paywatch/amazon/duplicate_posting") == 1
    assert not crawler.crawl_failed


def test_window_without_a_facet_fails_the_crawl():
    crawler = spider()
    window = fixture_json("amazon/search_window.json")
    window["facets"] = {}
    items, requests = split_output(crawler.parse_page(json_response("http://x", window), offset=0, category="*"))
    assert items == [] and requests == [] and crawler.crawl_failed
    assert "business_category_facet" in crawler.failure_reasons[0]


def test_a_category_larger_than_the_window_fails_the_crawl_and_stops_at_the_window():
    crawler = spider()
    page = {"error": None, "hits": 12000, "facets": {}, "jobs": filler(100)}
    split_output(crawler.parse_page(json_response("http://x", page), offset=0, category="aws"))
    assert crawler.crawl_failed and "12000 hits" in crawler.failure_reasons[0]
    page = {"error": None, "hits": 12000, "facets": {}, "jobs": filler(100, first=8000000)}
    _, requests = split_output(crawler.parse_page(json_response("http://x", page), offset=9900, category="aws"))
    assert requests == []  # offset + limit never passes 10,000


def test_a_page_that_repeats_stops_the_crawl_and_fails_it():
    crawler = spider()
    page = {"error": None, "hits": 900, "facets": {}, "jobs": filler(100)}
    split_output(crawler.parse_page(json_response("http://x", page), offset=0, category="*"))
    items, requests = split_output(crawler.parse_page(json_response("http://x", page), offset=100, category="*"))
    assert items == [] and requests == []
    assert crawler.crawl_failed and "repeats" in crawler.failure_reasons[0]


def test_error_reply_and_changed_shape_fail_the_crawl_without_crashing():
    crawler = spider()
    split_output(crawler.parse_page(json_response("http://x", {"error": "Result limit cannot be greater than 100",
                                                               "jobs": None}), offset=0, category="*"))
    assert crawler.crawl_failed and "refused" in crawler.failure_reasons[0]
    crawler = spider()
    items, _ = split_output(crawler.parse_page(json_response("http://x", {"hits": 3, "postings": []}),
                                               offset=0, category="*"))
    assert items == [] and crawler.crawl_failed and "no 'jobs' list" in crawler.failure_reasons[0]
    crawler = spider()
    split_output(crawler.parse_page(json_response("http://x", b"<html>503</html>"), offset=0, category="*"))
    assert crawler.crawl_failed


def test_non_dict_jobs_are_counted_and_skipped():
    crawler = spider()
    page = {"error": None, "hits": 2, "facets": {}, "jobs": ["oops", {"title": "No id"}]}
    items, _ = split_output(crawler.parse_page(json_response("http://x", page), offset=0, category="*"))
    assert [(i.ref, i.title) for i in items] == [(None, "No id")]
    assert crawler.crawler.stats.get_value("paywatch/response/malformed_posting") == 1
