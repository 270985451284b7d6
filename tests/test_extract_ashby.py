import asyncio
import copy
import logging
from datetime import datetime, timezone

import pytest

from scrapers.extract import ashby
from scrapers.extract.common import PageShapeError
from tests.conftest import fixture_json
from tests.spider_helpers import json_response, make_spider, split_output

CRAWL_TIME = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)


def parse(raw):
    return ashby.parse_job(raw, company="ramp", scraped_at=CRAWL_TIME)


def ramp_jobs():
    return fixture_json("ashby/ramp.json")["jobs"]


def test_posting_with_compensation_tier_is_structured_pay():
    item = parse(ramp_jobs()[0])
    assert item.ref == "34413f8d-26bf-4bbc-8ade-eb309a0e2245"
    assert item.title == "Security Engineer, Cloud"
    assert item.url == "https://jobs.ashbyhq.com/ramp/34413f8d-26bf-4bbc-8ade-eb309a0e2245"
    assert item.department == "Engineering / Backend"
    assert item.locations == ["New York, NY (HQ)", "Miami, FL", "Remote (US)", "Remote (Canada)"]
    assert item.country == "US"  # postalAddress.addressCountry "USA"
    assert item.employment_type == "Full-time"
    assert item.posted_at == "2026-04-07T17:12:35.753000+00:00"
    assert item.description.startswith("ABOUT RAMP")
    assert item.pay_text == "$211.4K – $290.6K • Offers Equity"
    [pay] = item.pay_ranges  # the EquityPercentage component is not a pay range
    assert (pay["min"], pay["max"], pay["currency"], pay["period"], pay["basis"], pay["source"]) == (
        211400.0, 290600.0, "USD", "year", "base", "structured")
    assert not pay["period_inferred"]


def test_monthly_intern_pay_keeps_its_interval():
    item = parse(ramp_jobs()[1])
    [pay] = item.pay_ranges
    assert (pay["min"], pay["max"], pay["period"], pay["annual_max"]) == (11700.0, 11700.0, "month", 140400.0)
    assert item.pay_text == "$11.7K per month"
    assert item.employment_type == "Intern"


def test_posting_without_pay_has_empty_compensation():
    item = parse(ramp_jobs()[2])
    assert item.pay_ranges == [] and item.pay_text is None
    assert item.country == "GB" and item.locations == ["London"]


def test_board_fetched_without_compensation_has_no_structured_pay():
    jobs = fixture_json("ashby/serval.json")["jobs"]
    items = [parse(raw) for raw in jobs]
    assert len(items) == 16 and all(item.pay_ranges == [] and item.pay_text is None for item in items)
    assert all(item.description and item.ref for item in items)
    assert items[0].country == "US"


def test_several_tiers_are_several_labelled_ranges():
    raw = copy.deepcopy(ramp_jobs()[0])
    tier = raw["compensation"]["compensationTiers"][0]
    tier["title"] = "Zone A"
    tier["tierSummary"] = "$211.4K – $290.6K • Offers Equity"
    zone_b = copy.deepcopy(tier)
    zone_b.update(title="Zone B", tierSummary="$190K – $261.5K • Offers Equity")
    zone_b["components"][0].update(minValue=190000, maxValue=261500, summary="$190K – $261.5K")
    hourly = {"title": "Contractors", "tierSummary": "$95 – $120 per hour", "components": [
        {"compensationType": "Salary", "interval": "1 HOUR", "currencyCode": "usd", "minValue": 95, "maxValue": 120},
        {"compensationType": "Bonus", "interval": "1 YEAR", "currencyCode": "USD", "minValue": 5000, "maxValue": 9000},
        {"compensationType": "Commission", "interval": "1 YEAR", "currencyCode": "USD", "minValue": 1, "maxValue": 2},
    ]}
    raw["compensation"]["compensationTiers"] += [zone_b, hourly]
    item = parse(raw)
    assert [(p["label"], p["min"], p["max"], p["period"]) for p in item.pay_ranges] == [
        ("Zone A", 211400.0, 290600.0, "year"), ("Zone B", 190000.0, 261500.0, "year"),
        ("Contractors", 95.0, 120.0, "hour")]
    assert item.pay_text.splitlines() == [
        "Zone A: $211.4K – $290.6K • Offers Equity", "Zone B: $190K – $261.5K • Offers Equity",
        "Contractors: $95 – $120 per hour"]


@pytest.mark.parametrize("interval, period", [("1 YEAR", "year"), ("1 MONTH", "month"), ("1 WEEK", "week"),
                                              ("1 DAY", "day"), ("1 HOUR", "hour")])
def test_intervals(interval, period):
    component = {"compensationType": "Salary", "interval": interval, "currencyCode": "EUR", "minValue": 50, "maxValue": 60}
    [pay] = ashby.compensation_ranges({"compensationTiers": [{"components": [component]}]})
    assert pay["period"] == period and pay["currency"] == "EUR"


def test_unusable_components_are_ignored():
    bad = [
        {"compensationType": "Salary", "interval": "NONE", "currencyCode": "USD", "minValue": 1, "maxValue": 2},
        {"compensationType": "Salary", "interval": "2 WEEK", "currencyCode": "USD", "minValue": 1000, "maxValue": 2000},
        {"compensationType": "Salary", "interval": "1 YEAR", "currencyCode": None, "minValue": 1000, "maxValue": 2000},
        {"compensationType": "EquityPercentage", "interval": "1 YEAR", "currencyCode": "USD", "minValue": 0.1, "maxValue": 0.2},
        "not a component",
    ]
    assert ashby.compensation_ranges({"compensationTiers": [{"components": bad}, "x"]}) == []
    assert ashby.compensation_ranges("n/a") == [] and ashby.compensation_text(None) is None


def test_summary_components_used_when_no_tiers():
    compensation = {"compensationTiers": [], "summaryComponents": [
        {"compensationType": "Salary", "interval": "1 YEAR", "currencyCode": "CAD", "minValue": 90000, "maxValue": 110000}]}
    [pay] = ashby.compensation_ranges(compensation)
    assert (pay["currency"], pay["min"]) == ("CAD", 90000.0)


def test_missing_fields_give_none_not_errors():
    item = parse({"isListed": True})
    assert item.ref is None and item.title is None and item.locations == [] and item.country is None


def test_board_without_jobs_list_is_a_shape_error():
    with pytest.raises(PageShapeError):
        ashby.board_jobs({"success": False})


# -- spider -----------------------------------------------------------------------------------------

def first_request(spider):
    async def first():
        async for request in spider.start():
            return request
    return asyncio.run(first())


def test_spider_requests_whole_board_with_compensation_from_base_url_setting():
    spider = make_spider("ashby", board="ramp", settings={"ASHBY_API_URL": "http://127.0.0.1:9/ashby/"})
    request = first_request(spider)
    assert request.url == "http://127.0.0.1:9/ashby/posting-api/job-board/ramp?includeCompensation=true"
    assert request.errback == spider.on_request_error


def test_spider_default_base_is_the_real_api():
    spider = make_spider("ashby", board="ramp", settings={"ASHBY_API_URL": None})
    assert first_request(spider).url == "https://api.ashbyhq.com/posting-api/job-board/ramp?includeCompensation=true"


def test_spider_parses_board_skips_unlisted_and_malformed_postings():
    spider = make_spider("ashby", board="ramp")
    data = fixture_json("ashby/ramp.json")
    unlisted = copy.deepcopy(data["jobs"][0])
    unlisted.update(id="hidden-1", isListed=False)
    data["jobs"] += [unlisted, "garbage"]
    items, requests = split_output(spider.parse_board(json_response("http://x/board", data)))
    assert [item.ref for item in items] == [job["id"] for job in fixture_json("ashby/ramp.json")["jobs"]]
    assert requests == []  # the board carries descriptions: no detail requests
    stats = spider.crawler.stats
    assert stats.get_value("paywatch/ashby/unlisted") == 1
    assert stats.get_value("paywatch/response/malformed_posting") == 1
    assert not spider.crawl_failed


def test_malformed_reply_fails_the_crawl():
    spider = make_spider("ashby", board="ramp")
    assert split_output(spider.parse_board(json_response("http://x/board", b"<html>busy</html>"))) == ([], [])
    assert spider.crawl_failed and spider.crawler.stats.get_value("paywatch/response/malformed") == 1


def test_changed_platform_shape_fails_the_crawl():
    spider = make_spider("ashby", board="ramp")
    items, _ = split_output(spider.parse_board(json_response("http://x/board", {"postings": [], "apiVersion": 2})))
    assert items == [] and spider.crawl_failed and "no 'jobs' list" in spider.failure_reasons[0]


def test_missing_compensation_block_is_warned_and_counted_not_fatal(caplog):
    spider = make_spider("ashby", board="lambda")
    with caplog.at_level(logging.WARNING):
        items, _ = split_output(spider.parse_board(json_response("http://x/board", fixture_json("ashby/lambda.json"))))
    assert len(items) == 12 and not spider.crawl_failed
    assert spider.crawler.stats.get_value("paywatch/ashby/no_compensation_block") == 12
    assert "no compensation block" in caplog.text


def test_posting_that_lost_its_id_is_yielded_for_the_validator_to_drop():
    spider = make_spider("ashby", board="ramp")
    data = fixture_json("ashby/ramp.json")
    del data["jobs"][0]["id"]
    items, _ = split_output(spider.parse_board(json_response("http://x/board", data)))
    assert items[0].ref is None and items[0].title == "Security Engineer, Cloud" and not spider.crawl_failed
