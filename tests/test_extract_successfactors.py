import asyncio
from datetime import datetime, timezone

import pytest
from scrapy.http import Request, XmlResponse

from scrapers.extract import successfactors as sf
from scrapers.extract.common import PageShapeError
from tests.conftest import fixture_path
from tests.spider_helpers import make_spider, split_output

CRAWL_TIME = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
BASE = "http://127.0.0.1:9/successfactors"


def feed(name):
    return fixture_path(f"successfactors/{name}").read_bytes()


def items(name):
    return sf.feed_items(feed(name))[1]


def parse(item):
    return sf.parse_item(item, company="paramount", scraped_at=CRAWL_TIME)


def test_feed_gives_its_channel_and_every_item():
    title, found = sf.feed_items(feed("teva_sitemal.xml"))
    assert title == "Teva Careers" and [sf.item_ref(item) for item in found] == ["1234567", "9876543", "1111111"]


def test_an_item_with_the_google_fields():
    item = parse(items("teva_sitemal.xml")[0])
    assert item.ref == "1234567" and item.title == "Senior Data Engineer"  # the appended location is cut
    assert item.url == "https://careers.teva/job/Tel-Aviv-Senior-Data-Engineer/1234567/"
    assert item.locations == ["Tel Aviv, Israel, 6944020"] and item.country == "IL"
    assert item.department == "Engineering" and item.description == "Lead the data platform."
    assert item.posted_at is None  # the feed has no pubDate; g:expiration_date is not a posting date


def test_two_letters_alone_after_a_city_are_not_taken_for_a_country():
    hebrew, us_only = items("teva_sitemal.xml")[1:]
    assert parse(hebrew).title == "מהנדס/ת מכונות" and parse(hebrew).country is None  # IL: Israel or Illinois?
    assert parse(us_only).title == "US-only role" and parse(us_only).country is None  # "Florida" is a state


def test_paramount_items_give_pay_from_their_description():
    engineer, assistant, coordinator = (parse(item) for item in items("paramount_sitemal.xml"))
    assert engineer.title == "Machine Learning Engineer, Paramount+" and engineer.country == "US"
    assert engineer.locations == ["New York, NY, US, 10036"] and engineer.department == "Technology"
    assert engineer.pay_text.startswith("The hiring range for this position is $150,000 - $185,000 annually.")
    assert "Train and ship ranking models" in engineer.description
    assert assistant.department is None  # ATS_WEBFORM is the feed's placeholder, not a department
    assert assistant.pay_text.startswith("The hourly rate for this position is $20.00 - $23.00.")
    # No Google fields: the link's id, the title's location, an escaped description, a pubDate.
    assert coordinator.ref == "1363080400" and coordinator.locations == ["New York, NY, US, 10036"]
    assert coordinator.url == "https://careers.paramount.com/job/New-York-Coordinator%2C-Brand-Marketing-NY-10036/1363080400/"
    assert coordinator.description == "Coordinate brand campaigns across our networks and streaming services."
    assert coordinator.posted_at == "2026-11-19T00:00:00+00:00" and coordinator.pay_text is None


@pytest.mark.parametrize("body", [
    b"",
    b"<html><body>Service unavailable</body></html>",
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>Cut off',  # truncated
    b'<?xml version="1.0"?><feed><entry/></feed>',
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss><channel><item>'
    b"<title>&x;</title></item></channel></rss>",
])
def test_a_feed_that_is_not_whole_rss_is_a_shape_error(body):
    try:
        title, found = sf.feed_items(body)
    except PageShapeError:
        return
    # An external entity is never read: at worst the item has no title.
    assert all("root:" not in str(item.get("title")) for item in found)


def test_missing_fields_give_none_not_errors():
    item = parse({})
    assert item.ref is None and item.title is None and item.url is None and item.locations == []


# -- the spider ------------------------------------------------------------------------------------
def spider(**ids):
    return make_spider("successfactors", "paramount", settings={"SUCCESSFACTORS_BASE_URL": BASE},
                       **({"host": "careers.paramount.com"} | ids))


def xml_response(url, body):
    return XmlResponse(url, body=body, request=Request(url))


def test_one_request_reads_the_whole_site():
    crawl = spider()

    async def first():
        async for request in crawl.start():
            return request

    assert asyncio.run(first()).url == f"{BASE}/careers.paramount.com/sitemal.xml"
    assert spider(feed_path="/googlefeed.xml").feed_path == "/googlefeed.xml"
    assert make_spider("successfactors", host="jobs.sap.com").base_url == "https://jobs.sap.com"
    found, requests = split_output(crawl.parse_feed(xml_response(f"{BASE}/f", feed("paramount_sitemal.xml"))))
    assert [item.ref for item in found] == ["1363063100", "1363071200", "1363080400"] and requests == []
    assert crawl.listed_refs == {"1363063100", "1363071200", "1363080400"}
    assert not crawl.crawl_failed and crawl.completeness_problems() == []


def test_a_broken_or_empty_feed_fails_the_crawl():
    crawl = spider()
    assert split_output(crawl.parse_feed(xml_response(f"{BASE}/f", feed("paramount_sitemal.xml")[:900]))) == ([], [])
    assert crawl.crawl_failed and "not well-formed" in crawl.failure_reasons[0]
    crawl = spider()
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Paramount Careers</title></channel></rss>'
    assert split_output(crawl.parse_feed(xml_response(f"{BASE}/f", empty))) == ([], [])
    assert crawl.crawl_failed and "lists no postings" in crawl.failure_reasons[0]


def test_an_item_without_any_id_leaves_the_listing_unaccounted_for():
    crawl = spider()
    body = (b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>No id</title></item></channel></rss>')
    split_output(crawl.parse_feed(xml_response(f"{BASE}/f", body)))
    assert "no id" in crawl.completeness_problems()[0]
