import asyncio
import copy
import logging
from datetime import datetime, timezone

import pytest
from scrapy.http import Request

from scrapers.extract import smartrecruiters as sr
from scrapers.extract.common import PageShapeError
from tests.conftest import fixture_json
from tests.spider_helpers import json_response, make_spider, split_output

CRAWL_TIME = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
AUSTIN, BENGALURU = "744000122509268", "744000129971988"
BASE = "http://127.0.0.1:9/sr"


def listing(posting_id):
    return next(raw for raw in fixture_json("smartrecruiters/visa.json")["content"] if raw["id"] == posting_id)


def detail(posting_id):
    return fixture_json(f"smartrecruiters/visa_detail_{posting_id}.json")


def parse(posting_id, detail_reply="fixture"):
    reply = detail(posting_id) if detail_reply == "fixture" else detail_reply
    return sr.parse_posting(listing(posting_id), reply, company="visa", scraped_at=CRAWL_TIME)


def test_posting_with_pay_in_additional_information():
    item = parse(AUSTIN)
    assert item.ref == AUSTIN and item.title == "Sr. SW Engineer"
    assert item.url == "https://jobs.smartrecruiters.com/Visa/744000122509268-sr-sw-engineer"
    assert item.department == "Technology and Operations"
    assert item.locations == ["Austin, TX, United States"]
    assert item.country == "US"  # list sends lower-case "us"
    assert item.employment_type == "Full-time"
    assert item.posted_at == "2026-04-23T16:54:54.835000+00:00"
    assert item.pay_text.startswith("U.S. APPLICANTS ONLY: The estimated salary range")
    assert "138,000.00 to 200,100.00 USD per year" in item.pay_text
    assert "EEO Employer" not in item.pay_text
    assert item.pay_ranges == []  # SmartRecruiters has no structured pay; the text parser reads pay_text
    for heading in ("Company Description", "Job Description", "Qualifications", "Additional Information"):
        assert heading in item.description
    assert "• Experience with Java, Spring Boot and Kafka." in item.description


def test_posting_without_pay():
    item = parse(BENGALURU)
    assert item.pay_text is None and item.pay_ranges == []
    assert item.country == "IN" and item.department == "Cyber Security" and item.description


def test_detail_without_job_ad_gives_no_description():
    reply = detail(AUSTIN)
    del reply["jobAd"]
    item = parse(AUSTIN, reply)
    assert item.description is None and item.pay_text is None and item.title == "Sr. SW Engineer"


def test_list_entry_alone_builds_public_url():
    item = parse(AUSTIN, None)
    assert item.url == "https://jobs.smartrecruiters.com/Visa/744000122509268" and item.description is None


def test_pay_heading_with_amount_on_next_line():
    sections = [("jobDescription", "Job Description", "Build things\nPay Range\n$95,000 - $120,000\nBenefits"),
                ("additionalInformation", "Additional Information", "We are an equal opportunity employer.")]
    assert sr.pay_section_text(sections) == "Pay Range\n$95,000 - $120,000"


def test_remote_and_missing_full_location():
    raw = {"id": "1", "name": "Role", "location": {"city": "Lyon", "country": "fr", "remote": True}}
    item = sr.parse_posting(raw, None, company="x", scraped_at=CRAWL_TIME)
    assert item.locations == ["Lyon, FR", "Remote"] and item.country == "FR"


def test_missing_fields_give_none_not_errors():
    item = sr.parse_posting({}, {"jobAd": "changed"}, company="x", scraped_at=CRAWL_TIME)
    assert item.ref is None and item.title is None and item.locations == [] and item.description is None


def test_page_without_content_is_a_shape_error():
    with pytest.raises(PageShapeError):
        sr.postings_page({"offset": 0, "limit": 100, "totalFound": 3, "postings": []})
    assert sr.postings_page({"content": [], "totalFound": "3"}) == ([], None)


# -- spider -----------------------------------------------------------------------------------------

def spider(page_size=2, **settings):
    return make_spider("smartrecruiters", "visa", company_id="Visa",
                       settings={"SMARTRECRUITERS_API_URL": BASE, "SMARTRECRUITERS_PAGE_SIZE": page_size, **settings})


def page(offset, postings, total=10, limit=2):
    return {"offset": offset, "limit": limit, "totalFound": total, "content": postings}


def fake(posting_id, new_id):
    raw = copy.deepcopy(listing(posting_id))
    raw["id"] = new_id
    return raw


def test_first_request_points_at_base_url_setting():
    crawl = spider()

    async def first():
        async for request in crawl.start():
            return request

    request = asyncio.run(first())
    assert request.url == f"{BASE}/v1/companies/Visa/postings?limit=2&offset=0"
    assert request.errback == crawl.on_request_error


def test_default_page_size_and_base_url():
    crawl = make_spider("smartrecruiters", "visa", company_id="Visa", settings={"SMARTRECRUITERS_API_URL": None})
    assert crawl.page_request(0).url == "https://api.smartrecruiters.com/v1/companies/Visa/postings?limit=100&offset=0"


def test_list_asks_one_detail_per_posting_then_the_next_page():
    crawl = spider()
    reply = fixture_json("smartrecruiters/visa.json")  # real page: offset 0, limit 2, totalFound 10
    items, requests = split_output(crawl.parse_page(json_response(f"{BASE}/x", reply), offset=0))
    assert items == []  # nothing yielded before the details are read
    assert [r.url for r in requests] == [
        f"{BASE}/v1/companies/Visa/postings/{BENGALURU}",
        f"{BASE}/v1/companies/Visa/postings/{AUSTIN}",
        f"{BASE}/v1/companies/Visa/postings?limit=2&offset=2",
    ]
    assert [r.errback for r in requests] == [crawl.on_detail_error, crawl.on_detail_error, crawl.on_request_error]
    austin = requests[1]
    [item] = split_output(crawl.parse_detail(json_response(austin.url, detail(AUSTIN)), **austin.cb_kwargs))[0]
    assert item.ref == AUSTIN and "USD per year" in item.pay_text
    assert not crawl.crawl_failed


def test_pagination_stops_at_total_found_and_on_a_short_or_empty_page():
    crawl = spider()
    _, requests = split_output(crawl.parse_page(json_response("http://x", page(8, [fake(AUSTIN, "9"), fake(AUSTIN, "10")])), offset=8))
    assert [r.url.rsplit("/", 1)[-1] for r in requests] == ["9", "10"]  # 8 + 2 >= totalFound 10: no next page
    _, requests = split_output(crawl.parse_page(json_response("http://x", page(4, [fake(AUSTIN, "5")], total=50)), offset=4))
    assert len(requests) == 1  # short page: last one
    _, requests = split_output(crawl.parse_page(json_response("http://x", page(6, [], total=50)), offset=6))
    assert requests == [] and not crawl.crawl_failed


def test_repeating_page_fails_the_crawl_and_stops():
    crawl = spider()
    reply = fixture_json("smartrecruiters/visa.json")
    split_output(crawl.parse_page(json_response("http://x?offset=0", reply), offset=0))
    items, requests = split_output(crawl.parse_page(json_response("http://x?offset=2", reply), offset=2))
    assert items == [] and requests == []
    assert crawl.crawl_failed and "repeats" in crawl.failure_reasons[0]


def test_changed_list_shape_and_malformed_reply_fail_the_crawl():
    crawl = spider()
    assert split_output(crawl.parse_page(json_response("http://x", {"jobs": []}), offset=0)) == ([], [])
    assert crawl.crawl_failed and "no 'content' list" in crawl.failure_reasons[0]
    crawl = spider()
    split_output(crawl.parse_page(json_response("http://x", b"<html>"), offset=0))
    assert crawl.crawl_failed


def test_detail_missing_job_ad_is_counted_and_warned(caplog):
    crawl = spider()
    reply = detail(AUSTIN)
    del reply["jobAd"]
    with caplog.at_level(logging.WARNING):
        [item] = split_output(crawl.parse_detail(json_response("http://x", reply), listing=listing(AUSTIN)))[0]
    assert item.ref == AUSTIN and item.description is None
    assert crawl.crawler.stats.get_value("paywatch/smartrecruiters/detail_missing_jobad") == 1
    assert "no jobAd" in caplog.text and not crawl.crawl_failed


def test_a_failed_detail_leaves_the_posting_listed_but_unreadable():
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.python.failure import Failure

    crawl = spider()
    request = Request(f"{BASE}/v1/companies/Visa/postings/{AUSTIN}")
    response = json_response(request.url, {"httpCode": 404, "code": "RESOURCE_NOT_FOUND"}, status=404, request=request)
    failure = Failure(HttpError(response, "Ignoring non-200 response"))
    failure.request = request
    crawl.on_detail_error(failure)
    assert crawl.crawler.stats.get_value("paywatch/detail/unreadable") == 1 and not crawl.crawl_failed
    out = split_output(crawl.parse_detail(json_response("http://x", ["not", "an", "object"]), listing=listing(AUSTIN)))
    assert out == ([], []) and crawl.crawler.stats.get_value("paywatch/detail/unreadable") == 2
    assert not crawl.crawl_failed
    crawl.on_request_error(failure)  # a failed *list* page still fails the crawl
    assert crawl.crawl_failed and AUSTIN in crawl.failure_reasons[0]


def test_malformed_and_id_less_postings_in_the_list():
    crawl = spider()
    no_id = copy.deepcopy(listing(AUSTIN))
    del no_id["id"]
    items, requests = split_output(crawl.parse_page(json_response("http://x", page(0, ["junk", no_id], total=2)), offset=0))
    assert [item.ref for item in items] == [None] and items[0].title == "Sr. SW Engineer" and requests == []
    assert crawl.crawler.stats.get_value("paywatch/response/malformed_posting") == 1
