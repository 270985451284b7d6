from datetime import datetime, timezone

import pytest

from scrapers.extract import greenhouse
from scrapers.extract.common import PageShapeError
from tests.conftest import fixture_json
from tests.spider_helpers import json_response, make_spider, split_output

CRAWL_TIME = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)


def parse(raw):
    return greenhouse.parse_job(raw, company="acme", scraped_at=CRAWL_TIME)


def test_board_with_content_yields_full_postings():
    jobs = greenhouse.board_jobs(fixture_json("greenhouse/airbnb.json"))
    item = parse(jobs[0])
    assert item.platform == "greenhouse"
    assert item.ref == "7995153"
    assert item.title == "Acquisition Manager"
    assert item.url == "https://careers.airbnb.com/positions/7995153?gh_jid=7995153"
    assert item.department == "Sales"
    assert item.locations == ["Berlin, Germany"]
    assert item.posted_at == "2026-06-10T08:50:56-04:00"
    assert item.updated_at == "2026-06-10T08:50:56-04:00"
    # content arrives entity-escaped; the description is plain text
    assert item.description.startswith("Airbnb w")
    assert "<" not in item.description and "&lt;" not in item.description
    assert item.scraped_at == CRAWL_TIME.isoformat()


def test_list_without_content_still_gives_identity_and_locations():
    jobs = greenhouse.board_jobs(fixture_json("greenhouse/robinhood_no_content.json"))
    item = parse(jobs[0])
    assert (item.ref, item.title) == ("7379020", "AML Investigator, Crypto")
    assert item.locations == ["Denver, CO", "New York, NY", "Westlake, TX"]
    assert item.description is None and item.pay_text is None


def test_pay_transparency_block_becomes_pay_text():
    item = parse(fixture_json("greenhouse/databricks_detail.json"))
    assert item.pay_text is not None
    assert "Local Pay Range: $217,000 — $312,200 USD" in item.pay_text
    assert item.pay_ranges == []  # no structured ranges in this reply: the text parser reads pay_text


def test_structured_pay_input_ranges_map_to_pay_ranges():
    raw = fixture_json("greenhouse/databricks_detail.json")
    raw["pay_input_ranges"] = [
        {"min_cents": 21700000, "max_cents": 31220000, "currency_type": "USD", "title": "Local Pay Range",
         "blurb": "<p>Base pay</p>"},
        {"min_cents": 5000, "max_cents": 6500, "currency_type": "USD", "title": "Hourly", "blurb": None},
        {"min_cents": None, "max_cents": None, "currency_type": "USD", "title": "Empty", "blurb": None},
    ]
    ranges = parse(raw).pay_ranges
    assert [(r["min"], r["max"], r["currency"], r["period"], r["label"]) for r in ranges] == [
        (217000.0, 312200.0, "USD", "year", "Local Pay Range"),
        (50.0, 65.0, "USD", "hour", "Hourly"),
    ]
    assert all(r["source"] == "structured" and r["period_inferred"] for r in ranges)
    assert ranges[1]["annual_min"] == 50.0 * 2080 and ranges[1]["annualized"] is True


def test_missing_fields_give_none_not_errors():
    item = parse({"id": 1})
    assert item.ref == "1" and item.title is None and item.locations == [] and item.description is None


def test_board_without_jobs_list_is_a_shape_error():
    with pytest.raises(PageShapeError):
        greenhouse.board_jobs({"error": "not found"})


def test_spider_requests_whole_board_with_content_and_pay():
    spider = make_spider("greenhouse", token="airbnb", settings={"GREENHOUSE_API_URL": "http://127.0.0.1:9/gh/"})
    import asyncio

    async def first_request():
        async for request in spider.start():
            return request

    request = asyncio.run(first_request())
    assert request.url == "http://127.0.0.1:9/gh/v1/boards/airbnb/jobs?content=true&pay_transparency=true"
    assert request.errback == spider.on_request_error


def test_spider_parses_board_and_marks_malformed_reply_failed():
    spider = make_spider("greenhouse", token="airbnb")
    items, requests = split_output(spider.parse_board(json_response("http://x/jobs", fixture_json("greenhouse/airbnb.json"))))
    assert [item.ref for item in items] == ["7995153", "7946288"] and not requests
    assert not spider.crawl_failed

    split_output(spider.parse_board(json_response("http://x/jobs", b"<html>rate limited</html>")))
    assert spider.crawl_failed
    assert spider.crawler.stats.get_value("paywatch/response/malformed") == 1


def test_spider_marks_changed_platform_shape_failed():
    spider = make_spider("greenhouse", token="airbnb")
    items, _ = split_output(spider.parse_board(json_response("http://x/jobs", {"postings": []})))
    assert items == [] and spider.crawl_failed
    assert "no 'jobs' list" in spider.failure_reasons[0]
