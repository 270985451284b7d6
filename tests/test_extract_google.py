import asyncio
import json
from datetime import datetime, timezone

import pytest
from scrapy.http import HtmlResponse, Request

from scrapers.extract import google
from scrapers.extract.common import PageShapeError
from tests.conftest import fixture_path
from tests.spider_helpers import make_spider, split_output

CRAWL_TIME = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
BASE = "http://127.0.0.1:9/google"
CORPUS = fixture_path("google/careers_job_initdata.json")
REAL = "92918703267422918"


def page(name="results_page1.html"):
    return fixture_path(f"google/{name}").read_text(encoding="utf-8")


def records():
    return google.results_page(page())[0]


def parse(record):
    return google.parse_record(record, company="google", scraped_at=CRAWL_TIME)


def test_results_page_gives_its_records_and_count():
    found, total = google.results_page(page())
    assert total == 3 and [google.record_ref(record) for record in found] == ["118204771533660870",
                                                                            "104559183300112838", REAL]
    assert google.results_page(page("results_past_end.html")) == ([], 3)


def test_the_real_record_gives_the_posting_and_its_base_salary_line():
    real = json.loads(CORPUS.read_text(encoding="utf-8"))[0]
    item = parse(real)
    assert item.ref == REAL and item.title == "Staff Software Engineer, AI Agent, Google Cloud IAM Infrastructure"
    assert item.url == ("https://www.google.com/about/careers/applications/jobs/results/92918703267422918-staff-software-"
                        "engineer-ai-agent-google-cloud-iam-infrastructure")
    assert item.locations == ["Kirkland, WA, USA", "Seattle, WA, USA"] and item.country == "US"
    assert item.posted_at == "2026-05-04T17:02:03+00:00"  # the earliest of the record's three timestamps
    assert item.pay_text.startswith("The US base salary range for this full-time position is $207,000-$300,000 + bonus")
    assert "Responsibilities\n• Architect and implement agentic authorization" in item.description
    assert "Minimum qualifications:" in item.description


def test_the_newer_pay_template_is_a_pay_row():
    research = parse(records()[0])
    assert research.pay_text == "US: $183000 - $271000 (USD) + 15% bonus target + equity + benefits"
    producer = parse(records()[1])
    assert producer.pay_text is None and producer.country == "GB"


@pytest.mark.parametrize("html", [
    "<html><body>Sorry, something went wrong</body></html>",
    "<script>AF_initDataCallback({key: 'ds:1', hash: '2', data:{\"jobs\": []}, sideChannel: {}});</script>",
    "<script>AF_initDataCallback({key: 'ds:1', hash: '2', data:[[[\"1\", \"T\"]], null, 3, 20</script>",  # cut off
    "<script>AF_initDataCallback({key: 'ds:0', hash: '1', data:[[], null, 3, 20], sideChannel: {}});</script>",
])
def test_pages_without_the_results_data_are_shape_errors(html):
    with pytest.raises(PageShapeError):
        google.results_page(html)


def test_missing_positions_give_none_not_errors():
    item = parse(["7"])
    assert item.ref == "7" and item.title is None and item.locations == [] and item.posted_at is None


# -- the spider ------------------------------------------------------------------------------------
def spider(**ids):
    return make_spider("google", "google", settings={"GOOGLE_CAREERS_URL": BASE}, **ids)


def html_response(url, text):
    return HtmlResponse(url, body=text.encode("utf-8"), encoding="utf-8", request=Request(url))


def test_page_one_then_the_next_pages_newest_first():
    crawl = spider()

    async def first():
        async for request in crawl.start():
            return request

    assert asyncio.run(first()).url == f"{BASE}/about/careers/applications/jobs/results?sort_by=date"
    assert spider(company="YouTube").results_request(2).url == (
        f"{BASE}/about/careers/applications/jobs/results?sort_by=date&company=YouTube&page=2")
    items, requests = split_output(crawl.parse_results(html_response(f"{BASE}/r", page()), page=1))
    assert [item.ref for item in items] == ["118204771533660870", "104559183300112838", REAL] and requests == []
    assert not crawl.crawl_failed and crawl.completeness_problems() == []


def test_a_board_larger_than_a_page_asks_for_the_next_one_and_a_short_read_fails():
    crawl = spider()
    big = page().replace(", null, 3, 20]", ", null, 45, 20]")
    _, requests = split_output(crawl.parse_results(html_response(f"{BASE}/r", big), page=1))
    assert [r.url for r in requests] == [f"{BASE}/about/careers/applications/jobs/results?sort_by=date&page=2"]
    split_output(crawl.parse_results(html_response(f"{BASE}/r2", page("results_past_end.html")), page=2))
    assert crawl.completeness_problems() == ["listing results: the platform counts 45 postings, 3 were read"]


def test_a_page_without_its_data_or_a_repeated_page_fails_the_crawl():
    crawl = spider()
    split_output(crawl.parse_results(html_response(f"{BASE}/r", "<html>captcha</html>"), page=1))
    assert crawl.crawl_failed and "no AF_initDataCallback ds:1" in crawl.failure_reasons[0]
    crawl = spider()
    big = page().replace(", null, 3, 20]", ", null, 45, 20]")
    split_output(crawl.parse_results(html_response(f"{BASE}/r", big), page=1))
    assert split_output(crawl.parse_results(html_response(f"{BASE}/r2", big), page=2)) == ([], [])
    assert crawl.crawl_failed and "repeats" in crawl.failure_reasons[0]


def test_company_filter_ids_are_checked():
    from scrapers.platforms.google import GoogleSpider
    from scrapers.registry import Company

    assert GoogleSpider.entry_problem(Company("yt", "YouTube", "streaming", "google", ids={"company": "YouTube"})) is None
    assert GoogleSpider.entry_problem(Company("yt", "YouTube", "streaming", "google",
                                              ids={"company": "YouTube&page=2"})) is not None
