import asyncio
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from scrapers.extract import oracle
from scrapers.extract.common import PageShapeError
from tests.conftest import fixture_json
from tests.spider_helpers import json_response, make_spider, split_output

CRAWL_TIME = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
BASE = "http://127.0.0.1:9/oracle"
HOST = "eevd.fa.us6.oraclecloud.com"


def recorded_list():
    return fixture_json("oracle/kroger_requisitions.json")


def parse(listing, detail=None, host="eluq.fa.us2.oraclecloud.com", site="CX_2001"):
    return oracle.parse_posting(listing, detail, company="x", scraped_at=CRAWL_TIME, host=host, site=site)


def test_recorded_list_gives_its_requisitions_and_count():
    requisitions, total = oracle.list_page(recorded_list())
    assert total == 15120 and [raw["Id"] for raw in requisitions] == ["203341", "210682"]


def test_a_recorded_list_entry_alone_gives_the_posting():
    _, entry = recorded_list()["items"][0]["requisitionList"]
    item = parse(entry)
    assert item.ref == "210682" and item.title == "PRODUCE/ASST DEPT LEADER"
    assert item.url == "https://eluq.fa.us2.oraclecloud.com/hcmUI/CandidateExperience/en/sites/CX_2001/job/210682"
    assert item.locations == ["Waynesboro, VA, United States"] and item.country == "US"
    assert item.employment_type == "Full time" and item.posted_at == "2026-07-28"
    assert item.description is None and item.pay_text is None


def test_recorded_detail_gives_text_and_oracles_hiring_range_but_not_the_company_blurb():
    detail = oracle.requisition_detail(fixture_json("oracle/oracle_detail_342776.json"))
    item = parse({"Id": "342776"}, detail, host="eeho.fa.us2.oraclecloud.com", site="CX_45001")
    assert item.title == "Senior Platform Software Engineer (OCI - Developer Platform)"
    assert item.department == "Product and Research"
    assert item.locations == ["Nashville, TN, United States", "United States"]
    assert item.posted_at == "2026-10-07T22:54:26+00:00"
    assert "transforming the developer platform" in item.description and "core services and APIs" in item.description
    assert "Only Oracle brings together" not in item.description
    assert item.description.endswith("Years: 3 to 5+ years\nDoes this position require a security clearance?: No")
    assert item.pay_text == ("US: Hiring Range in USD from: $92,500 to $209,500 per annum. May be eligible for bonus "
                             "and equity.")


def test_pay_in_a_flex_field_of_its_own_is_the_pay_text():
    detail = oracle.requisition_detail(fixture_json("oracle/hearst_detail_41503.json"))
    item = parse({"Id": "41503"}, detail, host=HOST, site="CX_1")
    assert item.pay_text == "Base Pay/Salary: $28.00 - $34.00 per hour"
    assert "Base Pay/Salary: $28.00" in item.description


def test_remote_workplace_is_a_location():
    detail = oracle.requisition_detail(fixture_json("oracle/hearst_detail_41477.json"))
    assert parse({"Id": "41477"}, detail, host=HOST, site="CX_1").locations == ["United States", "Remote"]


def test_the_path_form_of_a_detail_is_read_too_and_an_empty_one_is_a_shape_error():
    flat = fixture_json("oracle/oracle_detail_342776.json")["items"][0]
    assert oracle.requisition_detail(flat)["Id"] == "342776"
    for reply in ({"items": [], "count": 0}, {"title": "x"}, ["items"]):
        with pytest.raises(PageShapeError):
            oracle.requisition_detail(reply)


@pytest.mark.parametrize("reply", [{"items": []}, {"items": [{"TotalJobsCount": 3}]}, {"facets": []}, "[]"])
def test_list_replies_without_their_search_or_requisitions_are_shape_errors(reply):
    with pytest.raises(PageShapeError):
        oracle.list_page(reply)


def test_missing_fields_give_none_not_errors():
    item = parse({"Id": 7})
    assert item.ref == "7" and item.title is None and item.locations == [] and item.posted_at is None


# -- the spider ------------------------------------------------------------------------------------
def spider(**settings):
    return make_spider("oracle", "hearst", settings={"ORACLE_BASE_URL": BASE, "ORACLE_PAGE_SIZE": 2, **settings},
                       host=HOST, site="CX_1")


def finder(url):
    return parse_qs(urlsplit(url).query)["finder"][0]


def test_the_list_is_asked_with_limit_and_offset_inside_the_finder_unescaped():
    crawl = spider()

    async def first():
        async for request in crawl.start():
            return request

    request = asyncio.run(first())
    assert request.url == (f"{BASE}/{HOST}/hcmRestApi/resources/latest/recruitingCEJobRequisitions?onlyData=true"
                           "&expand=requisitionList&finder=findReqs;siteNumber=CX_1,limit=2,offset=0,"
                           "sortBy=POSTING_DATES_DESC")
    assert make_spider("oracle", host=HOST, site="CX_1").base_url == f"https://{HOST}"


def test_pages_ask_each_detail_then_the_next_page_until_the_count():
    crawl = spider()
    first = fixture_json("oracle/hearst_requisitions_offset0.json")
    _, requests = split_output(crawl.parse_list(json_response(f"{BASE}/l", first), offset=0))
    assert [finder(r.url) for r in requests] == ['ById;Id="41522",siteNumber=CX_1', 'ById;Id="41503",siteNumber=CX_1',
                                                 "findReqs;siteNumber=CX_1,limit=2,offset=2,sortBy=POSTING_DATES_DESC"]
    assert [r.errback for r in requests] == [crawl.on_detail_error, crawl.on_detail_error, crawl.on_request_error]
    last = fixture_json("oracle/hearst_requisitions_offset2.json")
    _, requests = split_output(crawl.parse_list(json_response(f"{BASE}/l2", last), offset=2))
    assert [finder(r.url) for r in requests] == ['ById;Id="41477",siteNumber=CX_1']  # 3 of 3: no next page
    detail = requests[0]
    [item] = split_output(crawl.parse_detail(json_response(detail.url, fixture_json("oracle/hearst_detail_41477.json")),
                                             **detail.cb_kwargs))[0]
    assert item.url == f"https://{HOST}/hcmUI/CandidateExperience/en/sites/CX_1/job/41477"
    assert crawl.completeness_problems() == [] and not crawl.crawl_failed


def test_a_requisition_repeated_by_a_moving_list_counts_once():
    crawl = spider()
    first = fixture_json("oracle/hearst_requisitions_offset0.json")
    split_output(crawl.parse_list(json_response(f"{BASE}/l", first), offset=0))
    moved = fixture_json("oracle/hearst_requisitions_offset0.json")
    moved["items"][0]["requisitionList"] = moved["items"][0]["requisitionList"][1:]  # the second one again
    _, requests = split_output(crawl.parse_list(json_response(f"{BASE}/l2", moved), offset=2))
    assert requests == [] and crawl.crawler.stats.get_value("paywatch/oracle/duplicate_listed") == 1
    assert crawl.completeness_problems() == ["listing requisitions: the platform counts 3 postings, 2 were read"]


def test_a_site_past_oracles_search_window_fails_at_once():
    crawl = spider()
    page = fixture_json("oracle/hearst_requisitions_offset0.json")
    page["items"][0]["TotalJobsCount"] = 15120
    assert split_output(crawl.parse_list(json_response(f"{BASE}/l", page), offset=0)) == ([], [])
    assert crawl.crawl_failed and "first 10,000" in crawl.failure_reasons[0]


def test_an_empty_search_item_or_malformed_reply_fails_and_a_bad_detail_does_not():
    crawl = spider()
    split_output(crawl.parse_list(json_response(f"{BASE}/l", {"items": [], "count": 0}), offset=0))
    assert crawl.crawl_failed and "site number" in crawl.failure_reasons[0]
    crawl = spider()
    split_output(crawl.parse_detail(json_response(f"{BASE}/d", {"items": []}), listed={"Id": "1"}))
    assert not crawl.crawl_failed and crawl.crawler.stats.get_value("paywatch/detail/unreadable") == 1


@pytest.mark.parametrize("ids, ok", [
    ({"host": "eevd.fa.us6.oraclecloud.com", "site": "CX_1"}, True),
    ({"host": "fa-euup-saasfaprod1.fa.ocs.oraclecloud.com", "site": "CX_1"}, True),
    ({"host": "jpmc.fa.oraclecloud.com", "site": "CX_1001"}, True),
    ({"host": "https://eevd.fa.us6.oraclecloud.com", "site": "CX_1"}, False),
    ({"host": "eevd.fa.us6.oraclecloud.com", "site": "CX 1,limit=1"}, False),
    ({"host": "careers.hearst.com", "site": "CX_1"}, False),
])
def test_registry_ids_are_checked(ids, ok):
    from scrapers.platforms.oracle import OracleSpider
    from scrapers.registry import Company

    problem = OracleSpider.entry_problem(Company("x", "X", "tv", "oracle", ids=ids))
    assert (problem is None) is ok, problem
