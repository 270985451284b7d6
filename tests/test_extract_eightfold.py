import asyncio
import logging
from datetime import datetime, timezone

import pytest

from scrapers.extract import eightfold
from scrapers.extract.common import PageShapeError
from tests.conftest import fixture_json
from tests.spider_helpers import json_response, make_spider, split_output

CRAWL_TIME = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
SITE = "https://explore.jobs.netflix.net"
LOCAL = "http://127.0.0.1:9/eightfold"


def parse(listed, detail=None):
    return eightfold.parse_position(listed, detail, company="netflix", scraped_at=CRAWL_TIME, site_url=SITE)


def netflix_spider(**settings):
    return make_spider("eightfold", "netflix", settings={"EIGHTFOLD_BASE_URL": LOCAL, **settings},
                       host="explore.jobs.netflix.net", domain="netflix.com")


def first_request(spider):
    async def first():
        async for request in spider.start():
            return request

    return asyncio.run(first())


# -- extraction -------------------------------------------------------------------------------

def test_real_list_page_has_empty_descriptions_and_a_count():
    positions, count = eightfold.list_page(fixture_json("eightfold/fcx_list.json"))
    assert count == 256 and len(positions) == 3
    assert all(position["job_description"] == "" for position in positions)
    item = parse(positions[0])
    assert (item.ref, item.title) == ("42478672", "Manager Engineering - Electrical")
    assert item.url == "https://talent.fmjobs.com/careers/job/42478672"  # canonicalPositionUrl wins
    assert item.locations == ["New Orleans, LA USA 70112"] and item.country == "US"
    assert item.posted_at == datetime.fromtimestamp(1781660892, tz=timezone.utc).isoformat()  # epoch seconds
    assert item.description is None and item.pay_text is None


def test_netflix_posting_with_market_range_pay():
    listed = fixture_json("eightfold/netflix_list_start0.json")["positions"][0]
    item = parse(listed, fixture_json("eightfold/netflix_detail_790313385518.json"))
    assert item.platform == "eightfold" and item.company == "netflix"
    assert item.ref == "790313385518"
    assert item.title == "Web Software Engineer 4 - Client API Foundations"
    assert item.url == "https://explore.jobs.netflix.net/careers/job/790313385518"
    assert item.department == "Engineering"
    assert item.locations == ["USA - Remote"] and item.country == "US"
    assert item.posted_at == "2025-12-23"  # custom_JD posting_date, MM-DD-YYYY
    assert item.updated_at == "2025-12-23T20:35:15+00:00"  # t_update, epoch seconds
    assert item.pay_text.startswith(
        "The overall market range for roles in this area of Netflix is typically $100,000 - $720,000.")
    assert "based on total compensation (vs. only base salary)" in item.pay_text
    assert "Proficient in JavaScript, TypeScript, and React" in item.description
    assert "<" not in item.description
    assert item.pay_ranges == []  # no structured pay on Eightfold: the text parser reads pay_text


def test_netflix_posting_without_pay():
    item = parse({"id": 790313138966}, fixture_json("eightfold/netflix_detail_no_pay.json"))
    assert item.title == "VFX Artist and Animator, Games Studio"
    assert item.locations == ["Helsinki,Finland"] and item.country is None
    assert item.department == "Moonloot Games"
    assert item.description and item.pay_text is None


def test_netflix_older_wording_is_pay_text():
    item = parse({"id": 1}, fixture_json("eightfold/netflix_detail_2024_wording.json"))
    assert item.pay_text == "The range for this role is $320,000 - $920,000."


def test_microsoft_detail_base_pay_sentence():
    item = parse({}, fixture_json("eightfold/microsoft_detail.json"))
    assert item.title == "Principal Data Scientist" and len(item.locations) == 9
    assert item.department == "Data Science"
    assert "USD $142,800 - $274,800 per year" in item.pay_text
    assert "USD $188,000 - $304,200 per year" in item.pay_text


def test_detail_wins_and_list_fills_gaps():
    listed = {"id": 7, "name": "Listed title", "location": "Los Gatos", "work_location_option": "hybrid",
              "job_description": ""}
    item = parse(listed, {"id": 7, "name": "Detail title", "location": None, "job_description": "<p>Hi</p>"})
    assert (item.title, item.locations, item.description) == ("Detail title", ["Los Gatos"], "Hi")
    assert parse({"id": 8, "posting_name": "Only posting name"}).title == "Only posting name"


def test_missing_fields_give_none_not_errors():
    item = parse({})
    assert item.ref is None and item.title is None and item.url is None and item.locations == []
    assert parse({"id": 3, "custom_JD": {"data_fields": {"posting_date": ["13-45-2025"]}}}).posted_at is None
    assert parse({"id": 3, "custom_JD": {"data_fields": "broken"}, "locations": "x"}).locations == []


def test_list_without_positions_or_count_is_a_shape_error():
    with pytest.raises(PageShapeError):
        eightfold.list_page({"error": "blocked"})
    with pytest.raises(PageShapeError):
        eightfold.list_page({"positions": []})
    with pytest.raises(PageShapeError):
        eightfold.detail_position({"id": 1, "name": "x"})


# -- the spider ---------------------------------------------------------------------------------

def test_first_request_points_at_the_base_url_setting():
    spider = netflix_spider()
    request = first_request(spider)
    assert request.url == f"{LOCAL}/api/apply/v2/jobs?domain=netflix.com&start=0&num=10&sort_by=relevance"
    assert request.errback == spider.on_request_error


def test_default_base_url_is_the_tenant_host():
    spider = make_spider("eightfold", "netflix", settings={"EIGHTFOLD_BASE_URL": ""},
                         host="explore.jobs.netflix.net", domain="netflix.com")
    assert first_request(spider).url.startswith("https://explore.jobs.netflix.net/api/apply/v2/jobs?domain=netflix.com")


def test_spider_is_polite():
    spider = netflix_spider()
    assert spider.custom_settings["DOWNLOAD_DELAY"] >= 1
    assert 429 in spider.settings.getlist("RETRY_HTTP_CODES")
    assert "scrapers.middlewares.RetryAfterMiddleware" in spider.settings.getdict("DOWNLOADER_MIDDLEWARES")


def test_list_pages_ask_for_details_and_paginate_to_the_end_and_no_further():
    spider = netflix_spider()
    page1 = fixture_json("eightfold/netflix_list_start0.json")
    items, requests = split_output(spider.parse_list(json_response("http://x?start=0", page1), start=0))
    assert items == []  # descriptions are empty in the list: one detail request per posting
    details, next_page = requests[:-1], requests[-1]
    assert [r.url for r in details][:1] == [f"{LOCAL}/api/apply/v2/jobs/790313385518?domain=netflix.com"]
    assert len(details) == 10
    assert next_page.url == f"{LOCAL}/api/apply/v2/jobs?domain=netflix.com&start=10&num=10&sort_by=relevance"

    page2 = fixture_json("eightfold/netflix_list_start10.json")
    items, requests = split_output(spider.parse_list(json_response(next_page.url, page2), **next_page.cb_kwargs))
    assert items == [] and len(requests) == 2  # two details, and no page past count=12
    assert all("/api/apply/v2/jobs/" in r.url for r in requests)
    assert not spider.crawl_failed


def test_empty_page_ends_pagination():
    spider = netflix_spider()
    items, requests = split_output(spider.parse_list(
        json_response("http://x", {"domain": "netflix.com", "count": 40, "positions": []}), start=20))
    assert items == [] and requests == [] and not spider.crawl_failed


def test_detail_reply_becomes_the_item():
    spider = netflix_spider()
    listed = fixture_json("eightfold/netflix_list_start0.json")["positions"][0]
    [item] = list(spider.parse_detail(json_response("http://x", fixture_json("eightfold/netflix_detail_790313385518.json")),
                                      listed=listed))
    assert item.ref == "790313385518" and "market range" in item.pay_text
    assert item.url == "https://explore.jobs.netflix.net/careers/job/790313385518"  # the real site, not the replay


def test_a_list_that_already_has_descriptions_needs_no_detail():
    spider = netflix_spider()
    page = {"count": 1, "positions": [{"id": 5, "name": "Role", "job_description": "<p>Text</p>"}]}
    items, requests = split_output(spider.parse_list(json_response("http://x", page), start=0))
    assert [item.ref for item in items] == ["5"] and requests == []


def test_a_page_that_repeats_stops_the_crawl_and_fails_it():
    spider = netflix_spider()
    page = fixture_json("eightfold/netflix_list_start0.json")
    page["count"] = 500
    split_output(spider.parse_list(json_response("http://x?start=0", page), start=0))
    items, requests = split_output(spider.parse_list(json_response("http://x?start=10", page), start=10))
    assert items == [] and requests == []
    assert spider.crawl_failed and "repeats" in spider.failure_reasons[0]


def test_changed_list_shape_fails_the_crawl_without_crashing():
    spider = netflix_spider()
    items, requests = split_output(spider.parse_list(json_response("http://x", {"jobs": []}), start=0))
    assert items == [] and requests == [] and spider.crawl_failed
    assert "no 'positions' list" in spider.failure_reasons[0]

    spider = netflix_spider()
    split_output(spider.parse_list(json_response("http://x", b"<html>Too Many Requests</html>"), start=0))
    assert spider.crawl_failed and spider.crawler.stats.get_value("paywatch/response/malformed") == 1


def test_detail_without_description_is_logged_counted_and_leaves_the_posting_unreadable(caplog):
    # Presence comes from the list: the position stays seen with its current version; an item built
    # from the list entry alone would read as "description removed".
    spider = netflix_spider()
    listed = {"id": 9, "name": "Role", "job_description": ""}
    list(spider.parse_list(json_response("http://x?start=0", {"count": 1, "positions": [listed]}), start=0))
    with caplog.at_level(logging.WARNING):
        out = list(spider.parse_detail(json_response("http://x/9", {"id": 9, "name": "Role"}), listed=listed))
    assert out == []
    assert "no 'job_description'" in caplog.text
    assert spider.crawler.stats.get_value("paywatch/eightfold/detail_without_description") == 1
    assert spider.crawler.stats.get_value("paywatch/detail/unreadable") == 1
    assert spider.listed_refs == {"9"} and not spider.crawl_failed and spider.completeness_problems() == []


def test_non_dict_and_idless_positions():
    spider = netflix_spider()
    page = {"count": 3, "positions": ["oops", {"name": "No id"}, {"id": 4, "name": "Ok"}]}
    items, requests = split_output(spider.parse_list(json_response("http://x", page), start=0))
    assert [(item.ref, item.title) for item in items] == [(None, "No id")]  # dropped later by validation
    assert len(requests) == 1
    assert spider.crawler.stats.get_value("paywatch/response/malformed_posting") == 1
