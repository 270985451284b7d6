"""What makes a crawl complete, judged by the spider: presence from the listing, the platform's own
counts, identities, callback errors and hosts. Each fault here once let a broken crawl close postings
that were still listed."""

import pytest
from datetime import datetime, timezone

from scrapy import signals
from scrapy.http import Request
from twisted.python.failure import Failure

from pipelines.archive_writer import crawl_status
from scrapers.extract import greenhouse
from tests.conftest import fixture_json
from tests.spider_helpers import json_response, make_spider, split_output

CRAWL_TIME = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)


def greenhouse_spider():
    return make_spider("greenhouse", "acme", settings={"GREENHOUSE_API_URL": "http://127.0.0.1:9/greenhouse"},
                       token="acme")


def board(*jobs, total=None):
    data = {"jobs": list(jobs)}
    if total is not None:
        data["meta"] = {"total": total}
    return data


def job(ref, **fields):
    base = fixture_json("greenhouse/airbnb.json")["jobs"][0]
    return {**base, "id": ref, "title": f"Role {ref}", **fields}


def problems(spider):
    return spider.failure_reasons + spider.completeness_problems()


def test_an_odd_value_loses_that_value_not_the_posting():
    spider = greenhouse_spider()
    odd = job(2, pay_input_ranges=[{"min_cents": "n/a", "max_cents": 15000000, "currency_type": "USD"}],
              metadata={"not": "a list"})
    items, _ = split_output(spider.parse_board(json_response("http://x/jobs", board(job(1), odd, job(3), total=3))))
    assert [item.ref for item in items] == ["1", "2", "3"]
    assert items[1].pay_ranges == [] and items[1].employment_type is None
    assert problems(spider) == []


def test_a_posting_whose_extraction_raises_is_unreadable_but_listed(monkeypatch):
    spider = greenhouse_spider()
    real_parse = greenhouse.parse_job

    def parse_job(raw, **kwargs):
        if raw["id"] == 2:
            raise KeyError("something the extractor did not expect")
        return real_parse(raw, **kwargs)

    monkeypatch.setattr(greenhouse, "parse_job", parse_job)
    items, _ = split_output(spider.parse_board(json_response("http://x/jobs", board(job(1), job(2), job(3), total=3))))
    assert [item.ref for item in items] == ["1", "3"]  # the rest of the board is still read
    assert spider.listed_refs == {"1", "2", "3"}  # ...and the unreadable one is still seen
    assert spider.crawler.stats.get_value("paywatch/posting/unreadable") == 1
    assert problems(spider) == []


def test_a_board_shorter_than_its_own_count_is_incomplete():
    spider = greenhouse_spider()
    split_output(spider.parse_board(json_response("http://x/jobs", board(job(1), job(2), total=200))))
    assert problems(spider) == ["listing board: the platform counts 200 postings, 2 were read"]


def test_a_listing_far_longer_than_its_count_is_a_runaway():
    spider = make_spider("eightfold", "netflix", settings={"EIGHTFOLD_BASE_URL": "http://127.0.0.1:9/eightfold"},
                         host="explore.jobs.netflix.net", domain="netflix.com")
    for start in range(0, 200, 10):
        page = {"count": 10, "positions": [{"id": start + n, "name": "x", "job_description": "y"} for n in range(10)]}
        split_output(spider.parse_list(json_response(f"http://x?start={start}", page), start=start))
    assert any("200 postings read where the platform counts 10" in problem for problem in problems(spider))


def test_listed_postings_without_an_id_leave_the_listing_unaccounted_for():
    spider = greenhouse_spider()
    items, _ = split_output(spider.parse_board(json_response("http://x/jobs", board(job(1), job(None), "junk", total=3))))
    assert [item.ref for item in items] == ["1", None]  # the validation pipeline drops the id-less one
    assert problems(spider) == ["2 listed postings had no id: the listing cannot be accounted for"]


def test_a_callback_error_fails_the_crawl():
    spider = greenhouse_spider()
    response = json_response("http://x/jobs", board(job(1)))
    spider.crawler.signals.send_catch_log(signal=signals.spider_error, failure=Failure(ValueError("boom")),
                                          response=response, spider=spider)
    assert spider.failure_reasons == ["callback error on http://x/jobs: boom"]
    assert crawl_status("finished", problems(spider), items=5, dropped=0)[0] == "failed"


def test_requests_stay_on_the_hosts_the_platform_names():
    spider = greenhouse_spider()
    assert spider.allowed_domains == ["127.0.0.1"]
    real = make_spider("greenhouse", "acme", token="acme")
    assert real.allowed_domains == ["boards-api.greenhouse.io"]
    workday = make_spider("workday", "acme", host="acme.wd5.myworkdayjobs.com", tenant="acme", site="careers")
    assert workday.allowed_domains == ["acme.wd5.myworkdayjobs.com"]
    jsonld = make_spider("jsonld", "acme", listing_url="https://careers.acme.example/jobs",
                         posting_urls=["https://jobs.acme.example/1"])
    assert jsonld.allowed_domains == ["careers.acme.example", "jobs.acme.example"]
    spider.crawler.stats.set_value("offsite/filtered", 1)  # Scrapy's offsite filter refused a redirect
    assert problems(spider) == ["1 requests or redirects to hosts outside 127.0.0.1 were refused"]


def test_a_detail_platform_lists_a_posting_before_its_detail_is_read():
    spider = make_spider("workday", "acme", settings={"WORKDAY_BASE_URL": "http://127.0.0.1:9/workday"},
                         host="acme.wd5.myworkdayjobs.com", tenant="acme", site="careers")
    page = {"total": 2, "jobPostings": [{"title": "A", "externalPath": "/job/x/A_JR-1"},
                                        {"title": "B", "externalPath": "/job/x/B_JR-2"}], "facets": []}
    _, requests = split_output(spider.parse_search(json_response("http://x/jobs", page), applied={}, offset=0, total=None))
    assert len(requests) == 2 and spider.listed_refs == {"JR-1", "JR-2"}  # seen even if both details fail
    spider.on_request_error(Failure(ValueError("detail timed out")))
    assert problems(spider)  # a failed request still fails the crawl
    assert isinstance(requests[0], Request)


def test_a_board_that_answers_it_lists_nothing_is_an_empty_listing_not_a_failure():
    spider = greenhouse_spider()
    split_output(spider.parse_board(json_response("http://x/jobs", board(total=0))))
    assert problems(spider) == [] and spider.listing_answered_empty()
    assert crawl_status("finished", problems(spider), 0, 0, spider.listing_answered_empty()) == ("complete", None)


def test_a_board_without_a_count_answering_an_empty_list_is_an_empty_listing():
    spider = make_spider("lever", "acme", settings={"LEVER_API_URL": "http://127.0.0.1:9/lever"}, site="acme")
    split_output(spider.parse_page(json_response("http://x/v0/postings/acme?skip=0", []), skip=0))
    assert spider.listing_answered_empty()


@pytest.mark.parametrize("reply", [{"error": "no such board"}, "<html>maintenance</html>"])
def test_a_board_that_errors_or_changed_shape_is_no_empty_listing(reply):
    spider = greenhouse_spider()
    split_output(spider.parse_board(json_response("http://x/jobs", reply)))
    assert not spider.listing_answered_empty()
    assert crawl_status("finished", problems(spider), 0, 0, spider.listing_answered_empty())[0] == "failed"


def test_no_posting_read_is_no_empty_listing_when_postings_were_dropped():
    assert crawl_status("finished", [], 0, 3, answered_empty=True) == ("failed", "all 3 postings were dropped")


def test_a_repeated_id_is_handed_over_again_only_when_its_entry_differs():
    spider = greenhouse_spider()
    first, same, other = {"id": 7, "title": "Editor"}, {"id": 7, "title": "Editor"}, {"id": 7, "title": "Editor II"}
    assert spider.listed_before("7", "paywatch/test/duplicate", entry=first) is False
    assert spider.listed_before("7", "paywatch/test/duplicate", entry=same) is True  # a plain repeat: dropped
    assert spider.listed_before("7", "paywatch/test/duplicate", entry=other) is False  # the archive chooses
    assert spider.listed_before("7", "paywatch/test/duplicate", entry=other) is True
    assert spider.crawler.stats.get_value("paywatch/test/duplicate_differing") == 1
