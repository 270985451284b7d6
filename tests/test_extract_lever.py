from datetime import datetime, timezone

import pytest

from scrapers.extract import lever
from scrapers.extract.common import PageShapeError
from tests.conftest import fixture_json
from tests.spider_helpers import json_response, make_spider, split_output

CRAWL_TIME = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)


def parse(raw):
    return lever.parse_posting(raw, company="acme", scraped_at=CRAWL_TIME)


def test_posting_with_salary_range_is_structured_pay():
    item = parse(fixture_json("lever/spotify.json")[0])
    assert item.ref == "88499546-e9f7-4403-87a5-240050bd7c5b"
    assert item.title == "Accounts Payable Analyst"
    assert item.department == "Finance / Accounting"
    assert item.locations == ["New York, NY"]
    assert item.country == "US"
    assert item.employment_type == "Permanent"
    assert item.posted_at == "2026-05-11T20:00:11.285000+00:00"  # createdAt is epoch milliseconds
    [pay] = item.pay_ranges
    assert (pay["min"], pay["max"], pay["currency"], pay["period"], pay["source"]) == (
        66189.0, 94556.0, "USD", "year", "structured")


def test_posting_without_salary_range_has_no_structured_pay():
    item = parse(fixture_json("lever/spotify.json")[1])
    assert item.pay_ranges == [] and item.pay_text is None


def test_lists_and_additional_text_join_the_description():
    raw = fixture_json("lever/mistral_posting.json")
    item = parse(raw)
    for section in raw["lists"]:
        assert section["text"].strip() in item.description
    assert item.description.startswith(raw["descriptionPlain"].strip()[:40])


@pytest.mark.parametrize(
    "interval, period", [("per-hour-wage", "hour"), ("per-month-salary", "month"), ("per-year-salary", "year")]
)
def test_salary_intervals(interval, period):
    raw = {"id": "x", "text": "Role", "salaryRange": {"min": 30, "max": 40, "currency": "gbp", "interval": interval}}
    [pay] = parse(raw).pay_ranges
    assert pay["period"] == period and pay["currency"] == "GBP" and not pay["period_inferred"]


def test_one_time_or_broken_salary_range_is_ignored():
    assert parse({"id": "x", "salaryRange": {"min": 1000, "max": 2000, "currency": "USD", "interval": "one-time"}}).pay_ranges == []
    assert parse({"id": "x", "salaryRange": {"min": "n/a", "currency": "USD", "interval": "per-year-salary"}}).pay_ranges == []
    assert parse({"id": "x", "salaryRange": "100k"}).pay_ranges == []


def test_reply_must_be_a_list():
    with pytest.raises(PageShapeError):
        lever.postings_page({"ok": False, "error": "Document not found"})


def real_postings():
    spotify = fixture_json("lever/spotify.json")
    return [fixture_json("lever/mistral_posting.json"), fixture_json("lever/mistral_posting_no_lists.json"), *spotify]


def test_pagination_follows_full_pages_and_stops_on_a_short_one():
    spider = make_spider("lever", site="acme", settings={"LEVER_PAGE_SIZE": 2, "LEVER_API_URL": "http://127.0.0.1:9/lever"})
    postings = real_postings()
    items, requests = split_output(spider.parse_page(json_response("http://x", postings[:2]), skip=0))
    assert len(items) == 2
    [next_page] = requests
    assert next_page.url == "http://127.0.0.1:9/lever/v0/postings/acme?mode=json&skip=2&limit=2"
    items, requests = split_output(spider.parse_page(json_response(next_page.url, postings[2:3]), **next_page.cb_kwargs))
    assert len(items) == 1 and requests == []
    assert not spider.crawl_failed


def test_a_page_that_repeats_stops_the_crawl_and_fails_it():
    spider = make_spider("lever", site="acme", settings={"LEVER_PAGE_SIZE": 2})
    page = real_postings()[:2]
    split_output(spider.parse_page(json_response("http://x?skip=0", page), skip=0))
    items, requests = split_output(spider.parse_page(json_response("http://x?skip=2", page), skip=2))
    assert items == [] and requests == []
    assert spider.crawl_failed and "repeats" in spider.failure_reasons[0]


def test_eu_region_uses_the_eu_host():
    spider = make_spider("lever", site="acme", region="eu", settings={"LEVER_EU_API_URL": "http://127.0.0.1:9/eu"})
    assert spider.page_request(0).url.startswith("http://127.0.0.1:9/eu/v0/postings/acme?")
