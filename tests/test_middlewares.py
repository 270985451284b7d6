"""The downloader middlewares every crawl runs: Retry-After is honoured on every platform."""

from datetime import datetime, timezone

import pytest
from scrapy.http import Request

from scrapers.middlewares import RetryAfterMiddleware, retry_after_seconds
from scrapers.platforms import PLATFORMS
from tests.spider_helpers import json_response, make_spider

CRAWL_TIME = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)


def netflix_spider():
    return make_spider("eightfold", "netflix", settings={"EIGHTFOLD_BASE_URL": "http://127.0.0.1:9/eightfold"},
                       host="explore.jobs.netflix.net", domain="netflix.com")


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_every_platform_runs_the_retry_after_middleware_after_retries(platform):
    hosts = {"workday": "example.wd1.myworkdayjobs.com", "oracle": "example.fa.us2.oraclecloud.com"}
    well_formed = {"host": hosts.get(platform, "careers.example.com"), "domain": "example.com",
                   "site_url": "https://careers.example.com"}
    ids = {key: well_formed.get(key, "example") for key in PLATFORMS[platform].required_ids}
    if platform == "jsonld":
        ids["listing_url"] = "https://careers.example.com/jobs"
    spider = make_spider(platform, **ids)  # project settings merged with the platform's custom_settings
    middlewares = spider.settings.getdict("DOWNLOADER_MIDDLEWARES")
    retry_priority = spider.settings.getdict("DOWNLOADER_MIDDLEWARES_BASE")["scrapy.downloadermiddlewares.retry.RetryMiddleware"]
    assert middlewares["scrapers.middlewares.RetryAfterMiddleware"] > retry_priority  # sees the 429 first


def test_retry_after_is_parsed_and_slows_the_host_slot():
    assert retry_after_seconds(b"30") == 30.0
    assert retry_after_seconds("100000") == 300.0  # capped
    assert retry_after_seconds("Fri, 20 Nov 2026 03:00:45 GMT", now=CRAWL_TIME) == 45.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None

    class Slot:
        delay = 2.0

    class Downloader:
        slots = {"explore.jobs.netflix.net": Slot()}

        def get_slot_key(self, request):
            return "explore.jobs.netflix.net"

    spider = netflix_spider()
    crawler = spider.crawler
    crawler.engine = type("Engine", (), {"downloader": Downloader()})()
    middleware = RetryAfterMiddleware.from_crawler(crawler)
    request = Request("https://explore.jobs.netflix.net/api/apply/v2/jobs?start=0")
    response = json_response(request.url, {}, status=429, request=request)
    response.headers["Retry-After"] = "20"
    assert middleware.process_response(request, response) is response  # RetryMiddleware retries it
    assert Downloader.slots["explore.jobs.netflix.net"].delay == 20.0
    assert crawler.stats.get_value("paywatch/http/retry_after_honoured") == 1


def test_the_offsite_filter_holds_requests_to_the_companys_hosts_and_ports():
    from scrapers.middlewares import HostOffsiteMiddleware

    spider = make_spider("greenhouse", "acme", settings={"GREENHOUSE_API_URL": "http://127.0.0.1:9/greenhouse"},
                         token="acme")
    middleware = HostOffsiteMiddleware.from_crawler(spider.crawler)
    middleware.spider_opened(spider)
    assert middleware.should_follow(Request("http://127.0.0.1:9/greenhouse/v1/boards/acme/jobs"), spider)
    assert not middleware.should_follow(Request("http://127.0.0.1:10/greenhouse/v1/boards/acme/jobs"), spider)
    assert not middleware.should_follow(Request("http://127.0.0.2:9/greenhouse/v1/boards/acme/jobs"), spider)
    real = make_spider("greenhouse", "acme", token="acme")
    middleware.spider_opened(real)
    assert middleware.should_follow(Request("https://boards-api.greenhouse.io:443/v1/boards/acme/jobs"), real)
    assert not middleware.should_follow(Request("https://boards.greenhouse.io/acme"), real)


def test_a_night_reads_robots_txt_once_a_host_however_many_companies_share_it(tmp_path):
    from benchmarks.faultlab import FaultServer, LabConfig, run_crawl, write_registry

    config = LabConfig(sizes={"greenhouse": 3, "workday": 3, "lever": 3}, crawl_timeout=120, server_max_seconds=300)
    with FaultServer(config) as server:  # the lab's three companies all live on this one host
        run = run_crawl(tmp_path / "archive.db", write_registry(tmp_path), server, 1, None, config)
        assert run.exit_code == 0, run.stderr[-3000:]
        robots = [call for call in server.requests if call.kind == "robots"]
        boards = {call.platform for call in server.requests if call.kind in ("board", "list", "page")}
    assert len(robots) == 1 and boards == {"greenhouse", "workday", "lever"}


def test_workday_tenants_are_crawled_a_few_requests_at_a_time_eightfold_one():
    from tests.spider_helpers import make_spider

    workday = make_spider("workday", host="acme.wd1.myworkdayjobs.com", tenant="acme", site="jobs")
    eightfold = make_spider("eightfold", host="jobs.acme.com", domain="acme.com")
    assert workday.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 4
    assert eightfold.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert eightfold.settings.getfloat("DOWNLOAD_DELAY") == 2.0
    # What the night allows each: a request costs 0.5 s on Workday (latency shared by 2), 2 s on Eightfold.
    assert (workday.detail_budget, eightfold.detail_budget) == (36000, 9000)
