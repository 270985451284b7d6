import asyncio
import json
from datetime import datetime, timezone

from scrapy.http import HtmlResponse, Request

from scrapers.extract import apple
from scrapers.extract.common import PageShapeError
from tests.conftest import fixture_json, fixture_path
from tests.spider_helpers import json_response, make_spider, split_output

CRAWL_TIME = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
BASE = "http://127.0.0.1:9/apple"


def recorded_rows():
    return fixture_json("apple/search_page1_trimmed.json")["res"]["searchResults"]


def row(ref):
    rows = recorded_rows() + fixture_json("apple/search_small.json")["res"]["searchResults"]
    return next(raw for raw in rows if raw["id"] == ref)


def detail_page(position):
    return fixture_path(f"apple/detail_{position}.html").read_text(encoding="utf-8")


def parse(ref, position=None):
    details = apple.job_details(detail_page(position)) if position else None
    return apple.parse_posting(row(ref), details, company="apple", scraped_at=CRAWL_TIME)


def html_response(url, text, status=200):
    return HtmlResponse(url, body=text.encode("utf-8"), status=status, encoding="utf-8", request=Request(url))


def test_recorded_search_page_gives_its_results_and_total():
    results, total = apple.search_page(fixture_json("apple/search_page1_trimmed.json"))
    assert total == 6124 and [raw["id"] for raw in results] == ["PIPE-200314033", "PIPE-114438326", "PIPE-114438158"]


def test_a_recorded_row_alone_gives_the_posting_without_its_page():
    item = parse("PIPE-114438158")
    assert item.ref == "PIPE-114438158" and item.title == "US - Specialist: Seasonal, Part-time"
    assert item.url == "https://jobs.apple.com/en-us/details/114438158/us-specialist-seasonal-part-time"
    assert item.department == "Apple Retail"
    assert item.locations == ["United States of America"] and item.country == "US"
    assert item.posted_at == "2026-09-05T16:37:02.482172+00:00"  # nanoseconds cut to what Python keeps
    assert item.description.startswith("Apple Retail is where the best of Apple comes together.")
    assert item.pay_text is None


def test_country_codes_come_from_apples_iso_ids():
    assert parse("PIPE-114438326").country == "KR"  # "Korea, Republic of" / iso-country-KOR
    assert parse("PIPE-200314033").country == "IN"


def test_posting_page_gives_description_sections_and_the_pay_footer():
    item = parse("200611254-0836", "200611254")
    assert item.title == "Machine Learning Engineer, Apple TV" and item.department == "Machine Learning and AI"
    assert item.locations == ["Cupertino, California, United States of America"] and item.country == "US"
    assert item.employment_type == "Full Time"
    assert item.description.startswith("Description\nYou will design, train and ship")
    assert "Minimum Qualifications\n5+ years" in item.description
    assert item.pay_text == ("At Apple, base pay is one part of our total compensation package and is determined "
                             "within a range. This provides the opportunity to progress as you grow and develop "
                             "within a role. The base pay range for this role is between $139,500 and $258,100, and "
                             "your base pay will depend on your skills, qualifications, experience, and location.")


def test_older_pages_footers_are_read_too():
    details = apple.job_details(detail_page("200611254"))
    footer = details["postingPostLocationData"]["en_US"]["postLocation-CUP"]["postingSupplementFooter"]["content"]
    details["postingPostLocationData"] = {}
    details["postingFooters"] = [{"postLocationId": "postLocation-USA", "localizations": {
        "en_US": [{"name": "Pay & Benefits", "content": footer}, {"name": "EEO", "content": "<p>Equal opportunity.</p>"}]}}]
    item = apple.parse_posting(row("200611254-0836"), details, company="apple", scraped_at=CRAWL_TIME)
    assert "between $139,500 and $258,100" in item.pay_text and "Equal" not in item.pay_text


def test_a_page_without_job_data_is_a_shape_error():
    for page in ("<html><body>Not found</body></html>",
                 '<script>window.__staticRouterHydrationData = JSON.parse("{\\"loaderData\\": {\\"root\\": {}}}");</script>',
                 '<script>window.__staticRouterHydrationData = JSON.parse("{not json");</script>'):
        try:
            apple.job_details(page)
        except PageShapeError:
            continue
        raise AssertionError(f"no shape error for {page!r}")


def test_javascript_only_escapes_in_the_page_are_read():
    page = ('<script>window.__staticRouterHydrationData = JSON.parse("{\\"loaderData\\": {\\"jobDetails\\": '
            '{\\"jobsData\\": {\\"description\\": \\"Apple\\x27s team, it\\\'s here\\"}}}}");</script>')
    assert apple.job_details(page)["description"] == "Apple's team, it's here"


def test_missing_fields_give_none_not_errors():
    item = apple.parse_posting({"id": "1"}, {}, company="apple", scraped_at=CRAWL_TIME)
    assert item.ref == "1" and item.title is None and item.url is None and item.locations == [] and item.country is None


def test_search_replies_of_the_wrong_shape_are_errors():
    for reply in ({"searchResults": []}, {"res": {"results": []}}, ["res"]):
        try:
            apple.search_page(reply)
        except PageShapeError:
            continue
        raise AssertionError(reply)


# -- the spider ------------------------------------------------------------------------------------
def spider(**settings):
    return make_spider("apple", "apple", settings={"APPLE_JOBS_URL": BASE, **settings})


def test_the_crawl_asks_for_a_token_then_searches_with_it():
    crawl = spider()

    async def first():
        async for request in crawl.start():
            return request

    token_request = asyncio.run(first())
    assert token_request.url == f"{BASE}/api/v1/CSRFToken" and token_request.method == "GET"
    reply = json_response(token_request.url, {})
    reply.headers["X-Apple-CSRF-Token"] = "8eacba7af2f6e21296284af388ff34bd"
    [search] = split_output(crawl.parse_token(reply))[1]
    assert search.url == f"{BASE}/api/v1/search" and search.method == "POST"
    assert search.headers["X-Apple-CSRF-Token"] == b"8eacba7af2f6e21296284af388ff34bd"
    assert search.headers["Origin"] == b"https://jobs.apple.com"
    body = json.loads(search.body)
    assert body["page"] == 1 and body["filters"] == {} and body["locale"] == "en-us" and "format" in body


def test_no_token_fails_the_crawl():
    crawl = spider()
    assert split_output(crawl.parse_token(json_response(f"{BASE}/api/v1/CSRFToken", {}))) == ([], [])
    assert crawl.crawl_failed and "CSRF" in crawl.failure_reasons[0]


def test_search_pages_ask_each_posting_page_then_the_next_page_until_the_total():
    crawl = spider()
    crawl.csrf_token = "t"
    reply = fixture_json("apple/search_page1_trimmed.json")
    _, requests = split_output(crawl.parse_search(json_response(f"{BASE}/api/v1/search", reply), page=1))
    assert [r.url for r in requests] == [
        f"{BASE}/en-us/details/200314033/in-operations-expert",
        f"{BASE}/en-us/details/114438326/kr-specialist-seasonal-part-time",
        f"{BASE}/en-us/details/114438158/us-specialist-seasonal-part-time",
        f"{BASE}/api/v1/search",
    ]
    assert json.loads(requests[-1].body)["page"] == 2
    page = requests[2]
    [item] = split_output(crawl.parse_detail(html_response(page.url, detail_page("114438158")), **page.cb_kwargs))[0]
    assert item.ref == "PIPE-114438158" and item.employment_type == "Part Time"
    # The last page: 306 * 20 < 6124 asks for page 307; 307 * 20 >= 6124 asks no more.
    more = {"res": {"searchResults": [row("PIPE-114438326") | {"id": "PIPE-9"}], "totalRecords": 6124}}
    assert split_output(crawl.parse_search(json_response(f"{BASE}/x", more), page=306))[1][-1].url.endswith("/search")
    last = {"res": {"searchResults": [row("PIPE-114438326") | {"id": "PIPE-10"}], "totalRecords": 6124}}
    assert [r.url for r in split_output(crawl.parse_search(json_response(f"{BASE}/y", last), page=307))[1]] == [
        f"{BASE}/en-us/details/114438326/kr-specialist-seasonal-part-time"]


def test_a_result_seen_on_two_pages_is_handed_over_once_and_counts_once():
    crawl = spider()
    first = {"res": {"searchResults": [row("PIPE-114438158"), row("PIPE-114438326")], "totalRecords": 3}}
    split_output(crawl.parse_search(json_response(f"{BASE}/1", first), page=1))
    # A posting added at the top pushed the list down: page 2 repeats one, the third was pushed further.
    second = {"res": {"searchResults": [row("PIPE-114438326")], "totalRecords": 4}}
    _, requests = split_output(crawl.parse_search(json_response(f"{BASE}/2", second), page=2))
    assert crawl.crawler.stats.get_value("paywatch/apple/duplicate_listed") == 1
    assert [r.url for r in requests] == []  # the repeat asks for no page of its own
    assert crawl.completeness_problems() == ["listing search: the platform counts 3 postings, 2 were read"]
    third = {"res": {"searchResults": [row("PIPE-200314033")], "totalRecords": 4}}
    split_output(crawl.parse_search(json_response(f"{BASE}/3", third), page=3))
    assert crawl.completeness_problems() == []  # three distinct postings, as the first page counted


def test_a_short_catalogue_or_a_broken_search_page_fails_the_crawl():
    crawl = spider()
    page = {"res": {"searchResults": [row("PIPE-114438158")], "totalRecords": 3}}
    split_output(crawl.parse_search(json_response(f"{BASE}/1", page), page=1))
    split_output(crawl.parse_search(json_response(f"{BASE}/2", {"res": {"searchResults": [], "totalRecords": 0}}), page=2))
    assert "counts 3 postings, 1 were read" in crawl.completeness_problems()[0]
    crawl = spider()
    split_output(crawl.parse_search(json_response(f"{BASE}/1", b"<html>busy</html>"), page=1))
    assert crawl.crawl_failed


def test_an_unreadable_posting_page_leaves_the_posting_listed():
    crawl = spider()
    listed = row("PIPE-114438158")
    out = split_output(crawl.parse_detail(html_response(f"{BASE}/en-us/details/114438158", "<html></html>"), listed=listed))
    assert out == ([], []) and crawl.crawler.stats.get_value("paywatch/detail/unreadable") == 1
    assert not crawl.crawl_failed
