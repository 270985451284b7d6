import asyncio
import json
from datetime import datetime, timezone

import pytest
from scrapy.http import Request

from scrapers.extract import workday
from scrapers.extract.common import PageShapeError, html_to_text
from scrapers.extract.pay_paragraphs import pay_paragraphs
from tests.conftest import fixture_json
from tests.spider_helpers import json_response, make_spider, split_output

CRAWL_TIME = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
BASE = "http://127.0.0.1:9/workday"
IDS = {"host": "acme.wd5.myworkdayjobs.com", "tenant": "acme", "site": "acme_careers"}
CXS = f"{BASE}/acme.wd5.myworkdayjobs.com/wday/cxs/acme/acme_careers"


def spider():
    return make_spider("workday", settings={"WORKDAY_BASE_URL": BASE}, **IDS)


def body(request):
    return json.loads(request.body)


def search(spider_, payload, applied=None, offset=0, total=None, status=200):
    response = json_response(f"{CXS}/jobs", payload, status=status)
    return split_output(spider_.parse_search(response, applied=applied or {}, offset=offset, total=total))


def postings(prefix, count):
    return [{"title": f"Role {prefix}{n}", "externalPath": f"/job/City/Role-{prefix}{n}_R{prefix}{n}",
             "postedOn": "Posted Today", "bulletFields": [f"R{prefix}{n}"]} for n in range(count)]


# -- extraction ---------------------------------------------------------------------------------
def test_real_detail_maps_every_field():
    [listed] = [p for p in fixture_json("workday/begacheese.json")["jobPostings"] if p["bulletFields"] == ["JR-7309"]]
    info = workday.detail_info(fixture_json("workday/begacheese_detail.json"))
    item = workday.parse_job(listed, info, company="bega", scraped_at=CRAWL_TIME,
                             public_site_url="https://begacheese.wd3.myworkdayjobs.com/Bega_Careers")
    assert item.ref == "JR-7309"
    assert item.title == "Quality Specialist - Environmental & Sanitation"
    assert item.url.startswith("https://begacheese.wd3.myworkdayjobs.com/Bega_Careers/job/Hobart-TAS/")
    assert item.locations == ["Hobart (TAS)"]
    assert item.country == "AU"  # from jobRequisitionLocation.country.alpha2Code
    assert item.employment_type == "Full time"
    assert item.posted_at == "2026-06-15"  # startDate wins over "Posted 6 Days Ago"
    assert item.description.startswith("If you are curious & creative")
    assert item.pay_text is None  # the Bega posting states no pay


def test_detail_with_pay_puts_the_pay_paragraph_in_pay_text():
    listed = fixture_json("workday/disney.json")["jobPostings"][1]
    item = workday.parse_job(listed, workday.detail_info(fixture_json("workday/disney_detail_pay.json")),
                             company="disney", scraped_at=CRAWL_TIME)
    assert item.ref == "10109876"
    assert item.locations == ["USA - CA - Burbank - 500 S Buena Vista St", "USA - NY - New York - 7 Hudson Square"]
    assert item.country == "US"
    assert item.pay_text.startswith("The hiring range for this position in Burbank, CA is $142,300 to $190,800")
    assert "About The Walt Disney Company" not in item.pay_text
    assert item.pay_text in item.description


def test_detail_without_pay_has_no_pay_text():
    listed = fixture_json("workday/disney.json")["jobPostings"][3]
    item = workday.parse_job(listed, workday.detail_info(fixture_json("workday/disney_detail_no_pay.json")),
                             company="disney", scraped_at=CRAWL_TIME)
    assert item.pay_text is None and item.country == "GB" and item.description


def test_pay_amount_on_the_line_after_a_pay_heading():
    html = "<p>About the team.</p><p>The pay range for this role is:</p><p>$120,000 - $150,000 USD</p><p>Benefits: 401k.</p>"
    assert pay_paragraphs(html_to_text(html), "workday") == "The pay range for this role is:\n$120,000 - $150,000 USD"
    assert pay_paragraphs(html_to_text("<p>Competitive compensation and great benefits.</p>"), "workday") is None


@pytest.mark.parametrize("posted_on, expected", [
    ("Posted Today", "2026-11-20"), ("Posted Yesterday", "2026-11-19"),
    ("Posted 3 Days Ago", "2026-11-17"), ("Posted 30+ Days Ago", None),
])
def test_relative_posted_on_is_resolved_against_the_crawl_start(posted_on, expected):
    item = workday.parse_job({"title": "x", "externalPath": "/job/x_R1", "postedOn": posted_on}, {},
                             company="acme", scraped_at=CRAWL_TIME)
    assert item.posted_at == expected


def test_ref_is_the_posting_id_ending_external_path():
    saputo = fixture_json("workday/saputo.json")["jobPostings"]
    refs = [workday.posting_ref(p["externalPath"]) for p in saputo]
    assert "JR63751-1" in refs and len(set(refs)) == len(refs)  # two postings of one req stay apart
    assert workday.posting_ref("/job/No-Id-Here", {"jobReqId": "JR9"}) == "JR9"
    assert workday.posting_ref(None) is None


def test_list_only_posting_skips_n_locations_text():
    item = workday.parse_job({"title": "Regional Manager", "externalPath": "/job/x_JR1", "locationsText": "12 Locations"},
                             None, company="acme", scraped_at=CRAWL_TIME)
    assert item.locations == [] and item.description is None


def test_error_reply_and_shape_changes_raise():
    with pytest.raises(workday.WorkdayError, match="HTTP_400"):
        workday.jobs_page(fixture_json("workday/broadcom_http400.json"))
    with pytest.raises(PageShapeError):
        workday.jobs_page({"total": 3, "postings": []})
    with pytest.raises(PageShapeError):
        workday.detail_info({"jobPosting": {}})


def test_nested_facets_are_flattened():
    facets = workday.facet_options(fixture_json("workday/saputo.json")["facets"])
    params = [facet.parameter for facet in facets]
    assert {"remoteType", "jobFamilyGroup", "timeType", "locationCountry"} <= set(params)
    assert "locationMainGroup" not in params


# -- crawling -----------------------------------------------------------------------------------
def first_request(spider_):
    async def first():
        async for request in spider_.start():
            return request

    return asyncio.run(first())


def test_first_request_is_a_json_post_to_the_base_url_setting():
    s = spider()
    request = first_request(s)
    assert request.method == "POST"
    assert request.url == f"{CXS}/jobs"
    assert body(request) == {"appliedFacets": {}, "limit": 20, "offset": 0, "searchText": ""}
    assert request.headers[b"Content-Type"] == b"application/json"
    assert request.headers[b"Accept"] == b"application/json"
    assert request.headers[b"Accept-Language"] == b"en-US"
    assert request.headers[b"Referer"] == b"https://acme.wd5.myworkdayjobs.com/acme_careers"
    assert b"User-Agent" not in request.headers  # the project's own UA is added by Scrapy


def test_default_base_url_is_the_real_host():
    s = make_spider("workday", **IDS)
    assert s.cxs_url == "https://acme.wd5.myworkdayjobs.com/wday/cxs/acme/acme_careers"


def test_list_yields_one_detail_request_per_posting_and_items_come_from_details():
    s = spider()
    items, requests = search(s, fixture_json("workday/begacheese.json"))
    assert items == []  # the list has no description: every posting is read from its detail
    details = [r for r in requests if r.method == "GET"]
    pages = [r for r in requests if r.method == "POST"]
    assert len(details) == 20
    assert details[0].url == f"{CXS}/job/Hobart-TAS/Quality-Specialist---Environmental---Sanitation_JR-7309"
    assert [body(r)["offset"] for r in pages] == [20]  # total 29: one more page
    [item] = split_output(s.parse_detail(json_response(details[0].url, fixture_json("workday/begacheese_detail.json")),
                                         **details[0].cb_kwargs))[0]
    assert item.ref == "JR-7309" and item.description


def test_pagination_stops_at_total_and_on_an_empty_page():
    s = spider()
    _, requests = search(s, {"total": 25, "jobPostings": postings("a", 20), "facets": []})
    [next_page] = [r for r in requests if r.method == "POST"]
    # later pages may report total 0: the first page's total is kept
    _, requests = search(s, {"total": 0, "jobPostings": postings("b", 5)}, **next_page.cb_kwargs)
    assert [r for r in requests if r.method == "POST"] == []
    assert len(requests) == 5 and not s.crawl_failed

    s = spider()
    _, requests = search(s, {"total": 100, "jobPostings": []}, offset=40, total=100)
    assert requests == [] and not s.crawl_failed


def test_a_repeating_page_fails_the_crawl_and_stops():
    s = spider()
    page = {"total": 60, "jobPostings": postings("a", 20)}
    search(s, page)
    items, requests = search(s, {"total": 0, "jobPostings": postings("a", 20)[::-1]}, offset=20, total=60)
    assert items == [] and requests == []
    assert s.crawl_failed and "repeats" in s.failure_reasons[0]


def test_capped_total_splits_by_a_facet_and_dedupes_across_splits():
    s = spider()
    items, requests = search(s, fixture_json("workday/acme_capped.json"))
    # jobFamilyGroup: every value under the cap and 2183 >= 2000 (timeType's "Full time" is 2390, over
    # the cap; locationCountry needs three requests)
    assert items == [] and [body(r)["appliedFacets"] for r in requests] == [
        {"jobFamilyGroup": ["eng-0c40f6bd1d8f10ae43ffaefd46dc7e78"]},
        {"jobFamilyGroup": ["sales-1c8a1c1b89264a54aa91dae3413488bd"]}]
    assert all(body(r)["offset"] == 0 for r in requests)
    full, part = requests
    shared = postings("s", 1)
    _, got = search(s, {"total": 30, "jobPostings": shared + postings("f", 19), "facets": []}, **full.cb_kwargs)
    assert [body(r)["appliedFacets"] for r in got if r.method == "POST"] == [full.cb_kwargs["applied"]]
    _, got = search(s, {"total": 2, "jobPostings": shared + postings("p", 1), "facets": []}, **part.cb_kwargs)
    assert [r.url for r in got] == [f"{CXS}/job/City/Role-p0_Rp0"]  # the shared posting is read once
    assert s.crawler.stats.get_value("paywatch/workday/duplicate_across_searches") == 1
    assert not s.crawl_failed


def test_a_split_still_at_the_cap_is_split_again():
    s = spider()
    applied = {"timeType": ["full"]}
    page = {"total": 2000, "jobPostings": postings("a", 20), "facets": [
        {"facetParameter": "timeType", "values": [{"id": "full", "count": 2000}]},
        {"facetParameter": "jobFamilyGroup", "values": [{"id": "eng", "count": 1500}, {"id": "ops", "count": 900}]}]}
    _, requests = search(s, page, applied=applied)
    assert [body(r)["appliedFacets"] for r in requests] == [
        {"timeType": ["full"], "jobFamilyGroup": ["eng"]}, {"timeType": ["full"], "jobFamilyGroup": ["ops"]}]


def test_capped_total_without_a_covering_facet_fails_the_crawl_but_reads_what_it_can():
    s = spider()
    # the real NVIDIA page: total 2000, only one facet value (1771) survived the sample's trimming
    _, requests = search(s, fixture_json("workday/nvidia_capped_sample.json"))
    assert s.crawl_failed and "cap" in s.failure_reasons[0]
    assert len([r for r in requests if r.method == "GET"]) == 2
    assert [body(r)["offset"] for r in requests if r.method == "POST"] == [20]


def test_workday_error_body_fails_the_crawl_with_its_message():
    s = spider()
    items, requests = search(s, fixture_json("workday/broadcom_http400.json"), status=400)
    assert items == [] and requests == []
    assert s.crawl_failed and "HTTP_400" in s.failure_reasons[0] and "D43A26MJGNKG3S" in s.failure_reasons[0]


def test_error_statuses_reach_the_callback():
    s = spider()
    request = s.search_request({}, 0)
    assert 400 in request.meta["handle_httpstatus_list"] and 406 in request.meta["handle_httpstatus_list"]
    assert request.errback is not None


def test_a_detail_that_lost_its_shape_leaves_the_posting_unreadable_without_crashing():
    s = spider()
    posting = postings("a", 1)[0]
    out = split_output(s.parse_detail(json_response(f"{CXS}/job/x", {"jobPosting": {}}), posting=posting))
    assert out == ([], []) and not s.crawl_failed
    assert s.crawler.stats.get_value("paywatch/detail/unreadable") == 1
    deep = "[" * 200_000 + "]" * 200_000  # a reply nested absurdly deep
    assert split_output(s.parse_detail(json_response(f"{CXS}/job/x", deep), posting=posting)) == ([], [])
    assert s.crawler.stats.get_value("paywatch/detail/unreadable") == 2 and not s.crawl_failed


def test_list_without_job_postings_fails_the_crawl():
    s = spider()
    assert search(s, {"total": 3, "results": []}) == ([], [])
    assert s.crawl_failed and "jobPostings" in s.failure_reasons[0]


def test_malformed_and_pathless_postings_are_counted_not_fatal():
    s = spider()
    page = {"total": 3, "jobPostings": ["oops", {"title": "No path"}, postings("a", 1)[0]]}
    items, requests = search(s, page)
    assert [i.title for i in items] == ["No path"] and items[0].ref is None  # validation drops it, counted
    assert len(requests) == 1
    assert s.crawler.stats.get_value("paywatch/response/malformed_posting") == 1
    assert s.crawler.stats.get_value("paywatch/workday/posting_without_external_path") == 1
    assert not s.crawl_failed


def test_request_objects_carry_detail_headers():
    s = spider()
    request = s.detail_request(postings("a", 1)[0])
    assert isinstance(request, Request) and request.method == "GET"
    assert request.headers[b"Accept"] == b"application/json" and b"Content-Type" not in request.headers
