"""Incremental detail reads (issue 10): which details a night reads, what the archive records of a
posting whose detail waits, and three real nights of `paywatch crawl` on a Workday board larger
than the night's detail budget."""

from __future__ import annotations

import sqlite3

import pytest

from archive.diff import changes_since
from archive.store import detail_history
from scrapers.platforms.details import (
    LIST_CHANGED, NEW, STALE, KnownDetail, WantedDetail, default_budget, detail_tier, list_fingerprint, night_order,
    seconds_per_request, time_limits,
)
from tests.test_archive import NIGHT1, NIGHT2, NIGHT3, count, crawl, pay, posting


def wanted(ref, tier=STALE, read_at=None):
    return WantedDetail(ref, tier, read_at, lambda: ref)


# -- the order ---------------------------------------------------------------------------------
def test_list_changed_postings_come_first_then_the_never_read_then_the_least_recently_read():
    order = night_order([wanted("old", read_at="2026-11-01"), wanted("older", read_at="2026-10-01"),
                         wanted("never"), wanted("moved", LIST_CHANGED, "2026-11-20")],
                        refresh_days=1)
    assert [entry.ref for entry in order] == ["moved", "never", "older", "old"]


def test_a_large_board_re_reads_a_share_of_its_unchanged_details_a_night():
    board = [wanted(f"{n:03}", read_at=f"2026-11-{1 + n % 28:02}") for n in range(700)]
    order = night_order(board, refresh_days=7, refresh_at_least=50)
    assert len(order) == 100  # a seventh of the board
    oldest = sorted(board, key=lambda entry: (entry.read_at, entry.ref))[:100]
    assert [entry.ref for entry in order] == [entry.ref for entry in oldest]


def test_a_small_board_is_re_read_every_night():
    board = [wanted(str(n), read_at="2026-11-01") for n in range(30)]
    assert len(night_order(board, refresh_days=7, refresh_at_least=50)) == 30


def test_every_never_read_detail_is_wanted_whatever_the_share():
    board = [wanted(str(n)) for n in range(300)] + [wanted(f"r{n}", read_at="2026-11-01") for n in range(300)]
    order = night_order(board, refresh_days=7, refresh_at_least=0)
    assert len(order) == 343 and all(entry.read_at is None for entry in order[:300])  # and a 7th of the rest


def test_tiers_follow_the_archive_and_the_list_entry():
    fingerprint = list_fingerprint({"title": "Engineer", "postedOn": "Posted Today"}, ("postedOn",))
    assert detail_tier(None, fingerprint) == NEW
    assert detail_tier(KnownDetail(fingerprint, "2026-11-01"), fingerprint) == STALE
    assert detail_tier(KnownDetail("another", "2026-11-01"), fingerprint) == LIST_CHANGED
    assert detail_tier(KnownDetail(None, "2026-11-01"), fingerprint) == STALE  # no fingerprint kept yet


def test_a_volatile_list_field_does_not_change_the_fingerprint():
    today = {"title": "Engineer", "externalPath": "/job/x_1", "postedOn": "Posted Today"}
    later = {**today, "postedOn": "Posted 3 Days Ago"}
    assert list_fingerprint(today, ("postedOn",)) == list_fingerprint(later, ("postedOn",))
    assert list_fingerprint(today) != list_fingerprint(later)
    assert list_fingerprint({**today, "title": "Senior Engineer"}, ("postedOn",)) != list_fingerprint(today, ("postedOn",))


def test_the_default_budget_is_the_companys_share_of_the_night_at_a_requests_cost():
    assert seconds_per_request(delay=2.0, latency=1.0, concurrency=1) == 2.0  # Eightfold: its delay
    assert seconds_per_request(delay=0.25, latency=1.0, concurrency=2) == 0.5  # Workday: latency shared
    assert default_budget(5 * 3600, 2.0) == 9000
    assert default_budget(5 * 3600, 2.0, host_share=3) == 3000


# -- the archive ---------------------------------------------------------------------------------
def test_a_new_posting_whose_detail_waits_opens_list_only_and_its_late_detail_is_completed_not_changed(memory_db):
    listed_only = posting("1", description=None, list_only=True)
    first = crawl(memory_db, [listed_only, posting("2")], NIGHT1, deferred_refs={"1"})
    assert (first.new, first.deferred, first.unreadable) == (2, 1, 0)  # opened from its list entry
    assert memory_db.execute("SELECT list_only, changed_fields FROM posting_versions v JOIN postings p "
                             "ON p.id = v.posting_id WHERE p.ref = '1'").fetchone()[0] == 1
    assert detail_history(memory_db, "acme", "greenhouse")["1"] == (None, None)  # never read

    later = crawl(memory_db, [posting("1", ranges=[pay(100000, 150000)]), posting("2")], NIGHT2)
    assert (later.changed, later.completed, later.unchanged) == (0, 1, 1)
    assert memory_db.execute("SELECT count(*) FROM version_changes vc JOIN posting_versions v ON v.id = vc.version_id "
                             "WHERE v.version = 2").fetchone()[0] == 0
    assert changes_since(memory_db, NIGHT2) == []  # a late first detail is no pay change
    assert detail_history(memory_db, "acme", "greenhouse")["1"][1] == NIGHT2


def test_a_known_posting_whose_detail_waits_is_seen_keeps_its_version_and_never_closes(memory_db):
    board = [posting(str(n), ranges=[pay(100000, 150000)]) for n in range(20)]
    crawl(memory_db, board, NIGHT1)
    waiting = {str(n) for n in range(5, 20)}
    summary = crawl(memory_db, board[:5], NIGHT2, listed_refs={item["ref"] for item in board}, deferred_refs=waiting)
    assert (summary.status, summary.seen, summary.deferred, summary.unreadable, summary.closed) == (
        "complete", 20, 15, 0, 0)
    assert summary.oldest_detail_at == NIGHT1
    assert summary.with_pay == 20  # the waiting ones keep their versions' pay: the share is of the listing
    assert count(memory_db, "posting_versions") == 20
    dates = dict(memory_db.execute("SELECT ref, detail_read_at FROM postings").fetchall())
    assert {dates[str(n)] for n in range(5)} == {NIGHT2} and {dates[str(n)] for n in range(5, 20)} == {NIGHT1}


def test_a_list_only_item_for_a_known_posting_changes_nothing(memory_db):
    crawl(memory_db, [posting("1", ranges=[pay(100000, 150000)])], NIGHT1)
    summary = crawl(memory_db, [posting("1", description=None, list_only=True)], NIGHT2, deferred_refs={"1"})
    assert (summary.changed, summary.deferred, summary.unreadable) == (0, 1, 0)
    assert count(memory_db, "posting_versions") == 1


def test_a_change_seen_in_a_late_read_says_since_when(memory_db):
    crawl(memory_db, [posting("1", ranges=[pay(100000, 150000)])], NIGHT1)
    crawl(memory_db, [], NIGHT2, listed_refs={"1"}, deferred_refs={"1"})
    crawl(memory_db, [posting("1", ranges=[pay(110000, 160000)], description="Pay: $110000 - $160000.")], NIGHT3)
    assert memory_db.execute("SELECT observed_at, changed_after FROM posting_versions WHERE version = 2").fetchone() == (
        NIGHT3, NIGHT1)


def test_list_fingerprints_are_kept_with_the_detail_read(memory_db):
    crawl(memory_db, [posting("1")], NIGHT1, list_fingerprints={"1": "abc", "2": "def"})
    assert detail_history(memory_db, "acme", "greenhouse") == {"1": ("abc", NIGHT1)}


# -- four nights of a real crawl -------------------------------------------------------------------
BUDGET = 15


@pytest.fixture(scope="module")
def budget_nights(tmp_path_factory):
    from benchmarks.faultlab import COMPANIES, FaultServer, LabConfig, run_crawl, write_registry

    workdir = tmp_path_factory.mktemp("budget")
    config = LabConfig(sizes={"greenhouse": 5, "workday": 40, "lever": 5}, crawl_timeout=120, server_max_seconds=300)
    registry, db = write_registry(workdir), workdir / "archive.db"
    budget = [f"PAYWATCH_DETAIL_BUDGET={BUDGET}", "PAYWATCH_DETAIL_REFRESH_AT_LEAST=0"]
    nights = []
    with FaultServer(config) as server:
        for night in (1, 2, 3, 4):  # night 4 lists what night 3 did: its absence is closed
            before = len(server.requests)
            run = run_crawl(db, registry, server, night, None, config, [COMPANIES["workday"]], budget)
            assert run.exit_code == 0, run.stderr[-3000:]
            details = sum(1 for call in server.requests[before:] if call.kind == "detail")
            nights.append(details)
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    yield connection, nights
    connection.close()


@pytest.mark.slow  # four fault-lab nights
def test_no_night_reads_more_details_than_its_budget(budget_nights):
    _, details = budget_nights
    assert details[:3] == [BUDGET] * 3 and details[3] <= BUDGET


@pytest.mark.slow  # four fault-lab nights
def test_every_listed_posting_is_open_each_night_whatever_its_details(budget_nights):
    db, _ = budget_nights
    crawls = db.execute("SELECT status, seen, new, changed, completed, deferred, closed, detail_reads "
                        "FROM crawls ORDER BY id").fetchall()
    assert [tuple(row) for row in crawls] == [
        ("complete", 40, 40, 0, 0, 25, 0, 15),  # 15 read, 25 opened from their list entries
        ("complete", 41, 1, 0, 14, 26, 0, 15),  # the new one read first, then 14 never read
        ("complete", 40, 0, 1, 11, 25, 0, 15),  # the 11 still never read, then the 4 read longest ago
        ("complete", 40, 0, 1, 0, 34, 1, 6),    # every posting read once: 6 refreshed (one edited); JR-10004 missed
                                                # a second time, closed
    ]
    closed = db.execute("SELECT ref FROM postings WHERE closed_at IS NOT NULL").fetchall()
    assert [row["ref"] for row in closed] == ["JR-10004"]  # the one really taken down on night 3


@pytest.mark.slow  # four fault-lab nights
def test_the_real_raise_is_found_when_its_detail_is_read_and_says_since_when(budget_nights):
    db, _ = budget_nights
    changes = db.execute(
        "SELECT p.ref, v.version, v.observed_at, v.changed_after, c.started_at AS first_read FROM posting_versions v "
        "JOIN postings p ON p.id = v.posting_id JOIN version_changes vc ON vc.version_id = v.id "
        "AND vc.field = 'pay_ranges' JOIN crawls c ON c.id = p.first_crawl_id WHERE v.version > 1").fetchall()
    assert [(row["ref"], row["version"]) for row in changes] == [("JR-10002", 2)]
    assert changes[0]["changed_after"] == changes[0]["first_read"]  # raised on night 2, seen night 3


@pytest.mark.slow  # four fault-lab nights
def test_no_posting_is_left_list_only_once_its_detail_is_read(budget_nights):
    db, _ = budget_nights
    pending = db.execute("SELECT count(*) FROM postings p JOIN posting_versions v ON v.posting_id = p.id AND "
                         "v.version = p.current_version WHERE v.list_only AND p.closed_at IS NULL").fetchone()[0]
    assert pending == 0  # 25 list-only on night 1, 14 completed on night 2, the last 11 on night 3


def test_a_companys_crawl_is_cut_at_a_time_that_follows_from_its_budget():
    from tests.spider_helpers import make_spider

    small = make_spider("workday", settings={"PAYWATCH_DETAIL_BUDGET": 100},
                        host="acme.wd1.myworkdayjobs.com", tenant="acme", site="jobs")
    assert small.detail_time_limit == 75  # 100 requests at 0.5 s, with half again to spare
    assert small.settings.getint("CLOSESPIDER_TIMEOUT") == 75 + 1800  # and the listing's allowance
    default = make_spider("eightfold", host="jobs.acme.com", domain="acme.com")
    assert default.detail_time_limit == 5 * 3600  # 9,000 at 2 s would take more: the night caps it
    assert (time_limits(3600, 2.0, 100)[1], time_limits(18000, 2.0, 9000, host_share=2)[1]) == (2100, 10800)


# -- every detail platform hands over what its budget cannot read ------------------------------------
def _eightfold(budget):
    from tests.conftest import fixture_json
    from tests.spider_helpers import json_response, make_spider

    spider = make_spider("eightfold", "netflix", settings={"EIGHTFOLD_BASE_URL": "http://127.0.0.1:9/eightfold",
                                                          "PAYWATCH_DETAIL_BUDGET": budget},
                         host="explore.jobs.netflix.net", domain="netflix.com")
    page = fixture_json("eightfold/netflix_list_start0.json")
    return spider, spider.parse_list(json_response("http://127.0.0.1:9/eightfold/x?start=0", page), start=0)


def _smartrecruiters(budget):
    from tests.conftest import fixture_json
    from tests.spider_helpers import json_response, make_spider

    spider = make_spider("smartrecruiters", "visa", company_id="Visa",
                         settings={"SMARTRECRUITERS_API_URL": "http://127.0.0.1:9/sr", "PAYWATCH_DETAIL_BUDGET": budget})
    page = fixture_json("smartrecruiters/visa.json")
    return spider, spider.parse_page(json_response("http://127.0.0.1:9/sr/x", page), offset=0)


def _phenom(budget):
    from tests.conftest import fixture_json
    from tests.spider_helpers import json_response, make_spider

    spider = make_spider("phenom", "mars", settings={"PHENOM_BASE_URL": "http://127.0.0.1:9/phenom",
                                                    "PAYWATCH_DETAIL_BUDGET": budget},
                         site_url="https://careers.mars.com", locale_path="global/en")
    page = fixture_json("phenom/mars.json")
    return spider, spider.parse_search(json_response("http://127.0.0.1:9/phenom/careers.mars.com/widgets", page),
                                       offset=0, total=None)


def _workday(budget):
    from tests.conftest import fixture_json
    from tests.spider_helpers import json_response, make_spider

    spider = make_spider("workday", settings={"WORKDAY_BASE_URL": "http://127.0.0.1:9/workday",
                                              "PAYWATCH_DETAIL_BUDGET": budget},
                         host="disney.wd5.myworkdayjobs.com", tenant="disney", site="disneycareer")
    reply = fixture_json("workday/disney.json")
    return spider, spider.parse_search(json_response("http://127.0.0.1:9/workday/x/jobs", reply), applied={},
                                       offset=0, total=None)


@pytest.mark.parametrize("listing", [_eightfold, _smartrecruiters, _phenom, _workday], ids=lambda f: f.__name__[1:])
def test_a_new_posting_past_the_budget_is_handed_over_from_its_list_entry_alone(listing):
    from scrapers.items import JobPosting
    from tests.spider_helpers import split_output

    spider, output = listing(1)
    items, requests = split_output(output)
    details = [request for request in requests if request.callback == spider.parse_detail]
    assert len(details) == 1 and spider.detail_reads == 1
    assert items and all(isinstance(item, JobPosting) and item.list_only for item in items)
    assert {item.ref for item in items} == spider.deferred_refs
    assert len(spider.deferred_refs) + 1 == len(spider.listed_refs)  # every listed posting: read, or waiting
    assert not spider.crawl_failed
