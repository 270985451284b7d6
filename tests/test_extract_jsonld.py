import asyncio
import logging
from datetime import datetime, timezone

import pytest
from scrapy.http import HtmlResponse, Request

from scrapers.extract import jsonld
from tests.conftest import fixture_path
from tests.spider_helpers import json_response, make_spider, split_output

CRAWL_TIME = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
LISTING = "https://jobs.ashbyhq.com/confluent/"
PRINCIPAL = "https://jobs.ashbyhq.com/confluent/85107937-8f12-4336-abb8-e88f344c6bcc"
SUPPORT = "https://jobs.ashbyhq.com/confluent/2f1d9c3e-7b44-4a51-9d0e-5c2b8e7a1f00"
ACCOUNT = "https://jobs.ashbyhq.com/confluent/6a0be2f1-3c1d-4f7e-8f55-0a9d7c2e4b11"
LOCAL = "http://127.0.0.1:9/jsonld"


def page(name):
    return fixture_path(f"jsonld/{name}.html").read_text(encoding="utf-8")


def parse_page(name, url=PRINCIPAL):
    [data] = jsonld.job_postings_from_html(page(name), url)
    return jsonld.parse_job_posting(data, page_url=url, company="confluent", scraped_at=CRAWL_TIME)


def html_response(url, body, request=None):
    return HtmlResponse(url, body=body.encode("utf-8"), encoding="utf-8", request=request or Request(url))


def test_real_ashby_json_ld_with_base_salary():
    item = parse_page("confluent_posting")
    assert item.ref == "85107937-8f12-4336-abb8-e88f344c6bcc"  # identifier.value, not its name "Confluent"
    assert item.title == "Principal Engineer, Engineering AI Productivity"
    assert item.url == PRINCIPAL
    assert item.posted_at == "2026-05-13"
    assert item.employment_type == "Full-time"
    assert item.locations == ["United States", "Remote"]  # jobLocationType TELECOMMUTE
    assert item.country == "US"
    assert item.description.startswith("We’re not just building better tech.")
    assert "<p" not in item.description and "R&D productivity" in item.description
    [pay] = item.pay_ranges
    assert (pay["min"], pay["max"], pay["currency"], pay["period"], pay["source"]) == (
        285000.0, 342000.0, "USD", "year", "structured")


def test_real_workday_json_ld_without_pay():
    url = "https://adobe.wd5.myworkdayjobs.com/job/R168193"
    item = parse_page("adobe_posting", url)
    assert item.ref == "R168193" and item.title == "Senior Software Engineer"
    assert item.locations == ["San Francisco, United States of America"] and item.country == "US"
    assert item.pay_ranges == [] and item.pay_text is None
    assert item.url == url  # no url in the JSON-LD: the page's own


def test_graph_container_list_type_escaped_html_and_hourly_pay():
    item = parse_page("confluent_graph_posting", SUPPORT)
    assert item.title == "Support Engineer (Hourly)"
    assert item.employment_type == "Part-time, Temporary"
    assert item.locations == ["Austin, TX, US", "Toronto, ON, Canada"] and item.country == "US"
    assert item.posted_at == "2026-05-20T09:30:00+00:00"
    assert item.description == "Help customers run Kafka.\nThe hourly pay range for this role is $38 - $52 per hour."
    assert item.pay_text == "The hourly pay range for this role is $38 - $52 per hour."
    [pay] = item.pay_ranges
    assert (pay["min"], pay["max"], pay["period"]) == (38.0, 52.0, "hour")


def test_top_level_list_after_a_broken_script_and_single_value_salary():
    item = parse_page("confluent_list_posting", ACCOUNT)
    assert item.ref == "6a0be2f1-3c1d-4f7e-8f55-0a9d7c2e4b11" and item.country == "GB"
    [pay] = item.pay_ranges
    assert (pay["min"], pay["max"], pay["currency"], pay["period"]) == (95000.0, 95000.0, "GBP", "year")


def test_page_without_job_posting_yields_nothing():
    assert jsonld.job_postings_from_html(page("confluent_no_jobposting"), PRINCIPAL) == []
    assert jsonld.job_postings_from_html("", PRINCIPAL) == []


@pytest.mark.parametrize("salary, expected", [
    ({"currency": "EUR", "value": {"minValue": "4,000", "maxValue": "5,000", "unitText": "MONTH"}}, [(4000.0, 5000.0, "month")]),
    ({"currency": "USD", "value": 120000}, [(120000.0, 120000.0, "year")]),  # no unit: inferred from size
    ({"currency": "USD", "value": {"minValue": 1, "maxValue": 2, "unitText": "PIECE"}}, []),
    ({"currency": "dollars", "value": {"minValue": 50000, "maxValue": 60000, "unitText": "YEAR"}}, []),
    ([{"currency": "USD", "value": {"value": 30, "unitText": "HOUR"}}, "junk"], [(30.0, 30.0, "hour")]),
    ("100k", []),
])
def test_base_salary_shapes(salary, expected):
    assert [(p["min"], p["max"], p["period"]) for p in jsonld.base_salary_ranges(salary)] == expected


def test_missing_fields_fall_back_to_the_page():
    item = jsonld.parse_job_posting({"@type": "JobPosting"}, page_url=PRINCIPAL, company="c", scraped_at=CRAWL_TIME)
    assert item.ref == PRINCIPAL and item.url == PRINCIPAL and item.title is None and item.pay_ranges == []


def test_identifier_name_used_only_when_it_is_not_the_employer_or_title():
    data = {"@type": "JobPosting", "title": "Role", "hiringOrganization": {"name": "Acme"}}
    ref = lambda identifier: jsonld.parse_job_posting({**data, "identifier": identifier}, page_url="u", company="c",
                                                      scraped_at=CRAWL_TIME).ref
    assert ref({"name": "REQ-7"}) == "REQ-7"
    assert ref({"name": "Acme"}) == "u" and ref({"name": "Role"}) == "u" and ref("R-1") == "R-1"


# -- spider -----------------------------------------------------------------------------------------

def listing_spider(**ids):
    return make_spider("jsonld", "confluent", settings={"JSONLD_BASE_URL": LOCAL}, **({"listing_url": LISTING} | ids))


def first_requests(spider):
    async def collect():
        return [request async for request in spider.start()]
    return asyncio.run(collect())


def test_start_rewrites_the_listing_url_to_the_base_url_setting():
    spider = listing_spider()
    [request] = first_requests(spider)
    assert request.url == f"{LOCAL}/confluent/" and request.errback == spider.on_request_error
    assert request.cb_kwargs == {"listing_url": LISTING}


def test_without_base_url_setting_the_registry_url_is_used_as_is():
    spider = make_spider("jsonld", "confluent", settings={"JSONLD_BASE_URL": None}, listing_url=LISTING)
    assert [r.url for r in first_requests(spider)] == [LISTING]


def test_posting_urls_mode_requests_each_page():
    spider = make_spider("jsonld", "confluent", settings={"JSONLD_BASE_URL": LOCAL}, posting_urls=[PRINCIPAL, SUPPORT])
    requests = first_requests(spider)
    assert [r.url for r in requests] == [f"{LOCAL}/confluent/85107937-8f12-4336-abb8-e88f344c6bcc",
                                         f"{LOCAL}/confluent/2f1d9c3e-7b44-4a51-9d0e-5c2b8e7a1f00"]
    assert [r.cb_kwargs["page_url"] for r in requests] == [PRINCIPAL, SUPPORT]


def test_registry_entry_needs_listing_or_posting_urls():
    with pytest.raises(TypeError, match="listing_url or posting_urls"):
        make_spider("jsonld", "confluent", link_css="a.posting")


def test_listing_follows_same_host_posting_links_only():
    spider = listing_spider()
    items, requests = split_output(spider.parse_listing(html_response(f"{LOCAL}/confluent/", page("confluent_listing")),
                                                        listing_url=LISTING))
    assert items == []
    assert [r.cb_kwargs["page_url"] for r in requests] == [PRINCIPAL, SUPPORT, ACCOUNT]
    assert all(r.url.startswith(LOCAL + "/confluent/") for r in requests)
    assert not spider.crawl_failed


def test_listing_with_link_css():
    spider = listing_spider(link_css="ul.postings a.posting")
    _, requests = split_output(spider.parse_listing(html_response(f"{LOCAL}/confluent/", page("confluent_listing")),
                                                    listing_url=LISTING))
    assert len(requests) == 3


def test_listing_without_posting_links_fails_the_crawl():
    spider = listing_spider(link_css="a.job-card")
    items, requests = split_output(spider.parse_listing(html_response(f"{LOCAL}/confluent/", page("confluent_listing")),
                                                        listing_url=LISTING))
    assert items == [] and requests == [] and spider.crawl_failed
    assert "no posting links" in spider.failure_reasons[0]


def test_listing_that_is_not_html_fails_the_crawl():
    spider = listing_spider()
    split_output(spider.parse_listing(json_response(f"{LOCAL}/confluent/", b"\x00\x01"), listing_url=LISTING))
    # a non-HTML body has no links: failed, not crashed
    assert spider.crawl_failed


def test_repeated_listing_fails_the_crawl():
    spider = listing_spider()
    response = html_response(f"{LOCAL}/confluent/", page("confluent_listing"))
    split_output(spider.parse_listing(response, listing_url=LISTING))
    assert split_output(spider.parse_listing(response, listing_url=LISTING)) == ([], [])
    assert spider.crawl_failed and "repeats" in spider.failure_reasons[0]


def test_posting_page_yields_the_posting_with_its_real_url():
    spider = listing_spider()
    [item] = split_output(spider.parse_posting_page(
        html_response(f"{LOCAL}/confluent/85107937-8f12-4336-abb8-e88f344c6bcc", page("confluent_posting")),
        page_url=PRINCIPAL))[0]
    assert item.ref == "85107937-8f12-4336-abb8-e88f344c6bcc" and item.url == PRINCIPAL
    assert item.pay_ranges[0]["max"] == 342000.0 and not spider.crawl_failed


def test_posting_page_without_job_posting_is_counted_not_a_crash(caplog):
    spider = listing_spider()
    with caplog.at_level(logging.WARNING):
        items, requests = split_output(spider.parse_posting_page(
            html_response(f"{LOCAL}/confluent/x", page("confluent_no_jobposting")), page_url=PRINCIPAL))
    assert items == [] and requests == [] and not spider.crawl_failed
    assert spider.crawler.stats.get_value("paywatch/jsonld/no_jobposting") == 1
    assert "no schema.org JobPosting" in caplog.text
