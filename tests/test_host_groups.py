"""One crawler per host group: the companies sharing a host are crawled in turn by one crawler, each
archived as its own crawl with its own status, counts and requests; one company's failure or limit
is that company's alone.

These run the real `paywatch crawl` in a child process (Scrapy's reactor runs once a process)
against saved replies in the platforms' real shapes on 127.0.0.1.
"""

from __future__ import annotations

import copy
import json
import re
import sqlite3

from scrapers.crawl import progress_line
from scrapers.demo import DEMO_DIR, FAST_LOCAL_SETTINGS, replay_settings
from scrapers.demo.replay import ReplayServer
from tests.test_cli import paywatch

GREENHOUSE_TEMPLATE = json.loads((DEMO_DIR / "night1" / "greenhouse_a24.json").read_text())["jobs"][0]
LEVER_TEMPLATE = json.loads((DEMO_DIR / "night1" / "lever_spotify.json").read_text())[0]


def greenhouse_board(token: str, jobs: int) -> dict:
    postings = []
    for number in range(jobs):
        posting = copy.deepcopy(GREENHOUSE_TEMPLATE)
        posting.update(id=7000 + number, title=f"Editor {number}",
                       absolute_url=f"https://boards.greenhouse.io/{token}/jobs/{7000 + number}")
        postings.append(posting)
    return {"jobs": postings, "meta": {"total": jobs}}


def lever_page(site: str, first: int, count: int) -> list:
    page = []
    for number in range(first, first + count):
        posting = copy.deepcopy(LEVER_TEMPLATE)
        posting.update(id=f"{site}-{number:04d}", text=f"Engineer {number}",
                       hostedUrl=f"https://jobs.lever.co/{site}/{site}-{number:04d}")
        page.append(posting)
    return page


def registry_entries(platform: str, slugs: list[str], id_key: str) -> str:
    return "\n".join(
        f'[[company]]\nslug = "{slug}"\nname = "{slug.title()}"\nsector = "studio"\nplatform = "{platform}"\n'
        f'{id_key} = "{slug}"\ncareers_url = "https://example.com/{slug}"\n'
        for slug in slugs)


def write_mount(tmp_path, routes: list[dict], bodies: dict[str, object]) -> list:
    directory = tmp_path / "replies"
    directory.mkdir(exist_ok=True)
    for name, body in bodies.items():
        (directory / name).write_text(json.dumps(body))
    (directory / "routes.json").write_text(json.dumps({"routes": routes}))
    return [directory / "routes.json"]


def crawl(tmp_path, server, registry_text: str, *settings: str):
    registry = tmp_path / "companies.toml"
    registry.write_text(registry_text)
    logs = tmp_path / "logs"
    arguments = [arg for setting in [*replay_settings(server.url, "night"), *FAST_LOCAL_SETTINGS, *settings]
                 for arg in ("-s", setting)]
    result = paywatch("crawl", "--db", str(tmp_path / "paywatch.db"), "--registry", str(registry),
                      "--log-level", "INFO", "--log-dir", str(logs), *arguments)
    log = "".join(path.read_text() for path in logs.glob("crawl-*.log"))
    return result, log


def crawls(tmp_path) -> dict[str, dict]:
    with sqlite3.connect(tmp_path / "paywatch.db") as connection:
        connection.row_factory = sqlite3.Row
        return {row["company"]: dict(row) for row in connection.execute("SELECT * FROM crawls ORDER BY id")}


def test_one_crawler_crawls_a_hosts_companies_in_turn_each_archived_on_its_own(tmp_path):
    slugs = ["g_one", "g_two", "g_three", "g_four"]
    boards = {"g_one": 3, "g_three": 2, "g_four": 4}
    routes = [{"path": f"/greenhouse/v1/boards/{slug}/jobs", "file": f"{slug}.json"} for slug in boards]
    routes.append({"path": "/greenhouse/v1/boards/g_two/jobs", "status": 503, "body_text": "maintenance"})
    mount = write_mount(tmp_path, routes, {f"{slug}.json": greenhouse_board(slug, jobs) for slug, jobs in boards.items()})
    with ReplayServer({"/night": mount}) as server:
        result, log = crawl(tmp_path, server, registry_entries("greenhouse", slugs, "token"), "RETRY_TIMES=1")

    assert result.returncode == 1, result.stderr  # g_two failed
    assert log.count("Spider opened") == 1  # one crawler for the four companies on the host
    archived = crawls(tmp_path)
    assert list(archived) == slugs  # in the registry's order, each its own crawl
    assert {slug: (row["status"], row["seen"], row["new"]) for slug, row in archived.items()} == {
        "g_one": ("complete", 3, 3), "g_two": ("failed", 0, 0), "g_three": ("complete", 2, 2),
        "g_four": ("complete", 4, 4)}
    assert "boards/g_two/jobs" in archived["g_two"]["failure_reason"]
    # The failure and its retries are g_two's alone: the companies after it have no reason and one
    # request each (robots.txt was read once, for the night, by the first).
    assert archived["g_three"]["failure_reason"] is None and archived["g_four"]["failure_reason"] is None
    assert {slug: row["requests"] for slug, row in archived.items()} == {
        "g_one": 2, "g_two": 2, "g_three": 1, "g_four": 1}
    # Each company's postings are its own.
    with sqlite3.connect(tmp_path / "paywatch.db") as connection:
        per_company = dict(connection.execute("SELECT company, count(*) FROM postings GROUP BY company"))
    assert per_company == boards
    # The progress line of each, as it was archived.
    progress = [line for line in log.splitlines() if re.match(r"\[\d+/\d+\] ", line)]
    assert progress == ["[1/4] g_one: complete", progress_line(2, 4, "g_two", "failed", archived["g_two"]["failure_reason"]),
                        "[3/4] g_three: complete", "[4/4] g_four: complete"]


def test_a_company_that_reaches_its_limit_is_cut_and_the_rest_of_its_host_go_on_in_a_new_crawler(tmp_path):
    # Pages of 2; a page limit of 3 responses a company. l_one reads robots.txt and one page (2),
    # l_two needs three pages and is cut at its third, l_three reads one page: it must not inherit
    # l_one's or l_two's count.
    pages = {"l_one": [1], "l_two": [2, 2, 2, 1], "l_three": [1]}
    routes, bodies = [], {}
    for site, sizes in pages.items():
        first = 0
        for number, size in enumerate(sizes):
            name = f"{site}_{number}.json"
            bodies[name] = lever_page(site, first, size)
            routes.append({"path": f"/lever/v0/postings/{site}", "query": {"skip": str(first)}, "file": name})
            first += size
    with ReplayServer({"/night": write_mount(tmp_path, routes, bodies)}) as server:
        result, log = crawl(tmp_path, server, registry_entries("lever", list(pages), "site"),
                            "LEVER_PAGE_SIZE=2", "CLOSESPIDER_PAGECOUNT=3")

    assert result.returncode == 1, result.stderr
    archived = crawls(tmp_path)
    assert {slug: row["status"] for slug, row in archived.items()} == {
        "l_one": "complete", "l_two": "failed", "l_three": "complete"}
    assert archived["l_two"]["failure_reason"] == "crawl ended early: closespider_pagecount"
    assert (archived["l_one"]["seen"], archived["l_three"]["seen"]) == (1, 1)
    assert log.count("Spider opened") == 2  # l_three was taken up by a new crawler
    assert archived["l_two"]["closed"] == 0  # a cut crawl closes nothing


def test_generated_spiders_share_a_crawler_and_a_hand_written_one_gets_its_own():
    from scrapers.crawl import crawler_runs
    from scrapers.platforms import spider_class_for
    from scrapers.platforms.greenhouse import GreenhouseSpider
    from scrapers.registry import Company

    def entry(slug):
        return Company(slug=slug, name=slug, platform="greenhouse", ids={"token": slug}, sector="studio")

    entries = [entry("first"), entry("custom"), entry("second")]
    custom = type("CustomSpider", (GreenhouseSpider,), {"name": "custom", "company": entries[1],
                                                        "adjust_item": lambda self, item, raw: item})
    classes = {"first": spider_class_for(entries[0]), "custom": custom, "second": spider_class_for(entries[2])}
    runs = crawler_runs(entries, classes.__getitem__)
    assert [[company.slug for company in run] for run in runs] == [["first", "second"], ["custom"]]


def test_two_entries_with_one_board_each_read_it_the_dupefilter_forgets_between_companies(tmp_path):
    # A registry mistake `paywatch companies --check` is for, but it must not drop the second
    # company's listing as a duplicate request and fail it (nor, on a platform that splits its
    # listing, silently leave a part of it out).
    routes = [{"path": "/greenhouse/v1/boards/shared/jobs", "file": "shared.json"}]
    mount = write_mount(tmp_path, routes, {"shared.json": greenhouse_board("shared", 3)})
    registry = "\n".join(
        f'[[company]]\nslug = "{slug}"\nname = "{slug}"\nsector = "studio"\nplatform = "greenhouse"\n'
        f'token = "shared"\ncareers_url = "https://example.com/{slug}"\n' for slug in ("first", "second"))
    with ReplayServer({"/night": mount}) as server:
        result, log = crawl(tmp_path, server, registry)
    assert result.returncode == 0, result.stderr
    assert log.count("Spider opened") == 1
    assert {slug: (row["status"], row["seen"]) for slug, row in crawls(tmp_path).items()} == {
        "first": ("complete", 3), "second": ("complete", 3)}


def test_platforms_that_name_one_host_get_a_crawler_each():
    from scrapers.crawl import crawler_runs
    from scrapers.platforms import spider_class_for
    from scrapers.registry import Company

    workday = Company(slug="acme", name="Acme", platform="workday", sector="tech",
                      ids={"host": "acme.wd5.myworkdayjobs.com", "tenant": "acme", "site": "jobs"})
    pages = Company(slug="acme_pages", name="Acme", platform="jsonld", sector="tech",
                    ids={"listing_url": "https://acme.wd5.myworkdayjobs.com/jobs"})
    classes = {company.slug: spider_class_for(company) for company in (workday, pages)}
    runs = crawler_runs([workday, pages], classes.__getitem__)
    assert [[company.slug for company in run] for run in runs] == [["acme"], ["acme_pages"]]


def test_a_platforms_own_listing_state_starts_afresh_for_each_company():
    from scrapers.registry import Company
    from tests.spider_helpers import make_spider

    spider = make_spider("workday", host="acme.wd5.myworkdayjobs.com", tenant="acme", site="jobs")
    spider._search_seen["{}"] = {"R1", "R2"}
    spider.listed_refs.add("R1")
    spider.company_queue = [Company(slug="acme_two", name="Acme", platform="workday", sector="tech",
                                    ids={"host": "acme.wd5.myworkdayjobs.com", "tenant": "acme", "site": "other"})]
    spider.reset_company_state()
    assert spider._search_seen == {} and spider.listed_refs == set()


def test_a_progress_line_keeps_to_120_columns_and_says_why_only_when_there_is_something_to_say():
    assert progress_line(3, 5, "a24", "complete", None) == "[3/5] a24: complete"
    reason = "request failed: " + "http://127.0.0.1:8080/greenhouse/v1/boards/a24/jobs?content=true " * 4
    line = progress_line(3, 5, "a24", "failed", reason)
    assert len(line) <= 120 and line.startswith("[3/5] a24: failed (request failed: http://") and line.endswith("…)")
