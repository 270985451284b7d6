"""The pure parts of benchmarks/night.py (issue 10): the lab's boards and churn, its replies read by
the real extractors, its server's routing and counting, and the projection arithmetic. No crawl,
no timing: the benchmark itself runs the nights."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timezone

import pytest

from benchmarks import nightlab
from benchmarks.night import RaiseCheck, check_raises, class_budget, crawl_classes
from benchmarks.night import main as night_main
from benchmarks.nightlab import (
    Board, CompanyNight, HostPlan, NightServer, Raise, list_requests, pace, pay_raises, project_night,
)
from pipelines.pay_parser import parse_pay
from scrapers.extract import (
    amazon, apple, ashby, eightfold, greenhouse, lever, oracle, phenom, smartrecruiters, successfactors, workday,
)
from scrapers.platforms import load_registry
from scrapers.platforms.details import list_fingerprint
from scrapers.registry import Company

NOW = datetime(2026, 11, 2, 3, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture(scope="module")
def lab(registry):
    return nightlab.boards(registry, 0.05)


def company(slug="acme", platform="eightfold", **ids):
    return Company(slug=slug, name="Acme", sector="tech", platform=platform, ids=ids)


def amounts(pay_text):
    return [(found.min, found.max) for found in parse_pay(pay_text)]


# -- the registry's sizes --------------------------------------------------------------------------
def test_every_registry_company_has_a_stated_count_and_source(registry):
    assert {entry.slug for entry in registry} == set(nightlab.REAL_POSTINGS)
    assert all(count > 0 and source for count, source in nightlab.REAL_POSTINGS.values())


def test_the_table_projects_a_first_night_near_the_issues_estimate(registry):
    requests = sum(list_requests(entry.platform, nightlab.REAL_POSTINGS[entry.slug][0])
                   + (nightlab.REAL_POSTINGS[entry.slug][0] if entry.platform in nightlab.DETAIL_PLATFORMS else 0)
                   for entry in registry if entry.slug in nightlab.ISSUE_10_REGISTRY)
    assert 0.8 * nightlab.ISSUE_NIGHT_REQUESTS <= requests <= 1.2 * nightlab.ISSUE_NIGHT_REQUESTS


def test_boards_are_scaled_and_never_empty(lab):
    assert lab["microsoft"].size == 275 and lab["comcast"].size == 175 and lab["a24"].size == 1


# -- the churn -------------------------------------------------------------------------------------
def test_a_board_is_the_same_every_run():
    first, again = Board(company(), 300), Board(company(), 300)
    assert [p.ref for p in first.postings(5)] == [p.ref for p in again.postings(5)]
    assert first.postings(5) == again.postings(5)


def test_a_large_board_churns_about_one_percent_a_night():
    board = Board(company(), 10_000)
    night2, night1 = board.by_ref(2), board.by_ref(1)
    opened = set(night2) - set(night1)
    closed = set(night1) - set(night2)
    retitled = [ref for ref in set(night1) & set(night2) if night2[ref].title != night1[ref].title]
    raised = [ref for ref in set(night1) & set(night2) if night2[ref].pay != night1[ref].pay]
    assert len(opened) == 100
    assert 70 <= len(closed) <= 130 and 70 <= len(retitled) <= 130
    assert 50 <= len(raised) <= 100  # a quarter of the postings publish no pay to raise
    assert all(night2[ref].pay[0] > night1[ref].pay[0] for ref in raised)


def test_a_raise_shows_only_in_the_detail_and_a_retitle_in_the_list():
    board = Board(company(host="acme.eightfold.ai", domain="acme.com"), 2_000)
    before, after = board.by_ref(1), board.by_ref(2)
    raised = next(ref for ref in before if ref in after and after[ref].pay != before[ref].pay
                  and after[ref].title == before[ref].title)
    retitled = next(ref for ref in before if ref in after and after[ref].title != before[ref].title)

    def fingerprint(state):
        return list_fingerprint(nightlab.eightfold_position(board, state))

    assert fingerprint(before[raised]) == fingerprint(after[raised])
    assert nightlab.eightfold_detail(board, before[raised]) != nightlab.eightfold_detail(board, after[raised])
    assert fingerprint(before[retitled]) != fingerprint(after[retitled])


def test_pay_raises_are_listed_with_their_night_and_closure():
    board = Board(company(), 2_000)
    raises = pay_raises(board, 4)
    assert raises and {event.night for event in raises} <= {2, 3, 4}
    assert all(event.closed is None or event.closed > event.night for event in raises)
    night = {event.ref: event for event in raises if event.night == 2 and event.closed is None}
    ref = next(iter(night))
    assert board.by_ref(2)[ref].pay != board.by_ref(1)[ref].pay


# -- the replies, read by the real extractors ------------------------------------------------------
def test_eightfold_replies_parse_with_their_pay(lab):
    board = lab["microsoft"]
    postings = board.postings(1)
    positions, count = eightfold.list_page(nightlab.eightfold_list(board, postings, 10))
    assert count == len(postings) and len(positions) == 10 and all(p["job_description"] == "" for p in positions)
    paid = next(p for p in postings if p.pay)
    detail = eightfold.detail_position(nightlab.eightfold_detail(board, paid))
    item = eightfold.parse_position(nightlab.eightfold_position(board, paid), detail, company="microsoft",
                                    scraped_at=NOW, site_url="https://apply.careers.microsoft.com")
    assert (item.ref, item.title, item.country) == (paid.ref, paid.title, "US")
    assert amounts(item.pay_text) == [paid.pay]


def test_smartrecruiters_replies_parse_with_their_pay(lab):
    board = lab["nbcuniversal"]
    postings = board.postings(1)
    content, total = smartrecruiters.postings_page(nightlab.smartrecruiters_page(board, postings, 0, 100))
    assert total == len(postings) == len(content)
    paid = next(p for p in postings if p.pay)
    detail = smartrecruiters.posting_detail(nightlab.smartrecruiters_detail(board, paid))
    item = smartrecruiters.parse_posting(content[postings.index(paid)], detail, company="nbcuniversal", scraped_at=NOW)
    assert (item.ref, item.title, item.country) == (paid.ref, paid.title, "US")
    assert amounts(item.pay_text) == [paid.pay]


def test_phenom_replies_parse_with_their_pay(lab):
    board = lab["adobe"]
    postings = board.postings(1)
    assert phenom.site_config(nightlab.phenom_site_page(board))["pageName"] == "search-results"
    total, jobs = phenom.search_page(nightlab.phenom_search(board, postings, 0, 50))
    assert total == len(postings) and len(jobs) == min(50, len(postings))
    paid = next(p for p in postings if p.pay)
    item = phenom.parse_job(jobs[postings.index(paid)], phenom.job_detail(nightlab.phenom_detail(board, paid)),
                            company="adobe", scraped_at=NOW, site_url="https://careers.adobe.com")
    assert (item.ref, item.title) == (paid.ref, paid.title)
    assert amounts(item.pay_text) == [paid.pay]


def test_apple_replies_parse_with_their_pay(lab):
    board = lab["apple"]
    postings = board.postings(1)
    rows, total = apple.search_page(nightlab.apple_search(postings, 1))
    assert total == len(postings) and len(rows) == min(20, len(postings))
    assert apple.search_page(nightlab.apple_search(postings, 1 + len(postings) // 20 + 1)) == ([], 0)
    paid = next(p for p in postings if p.pay)
    details = apple.job_details(nightlab.apple_detail_page(paid))
    item = apple.parse_posting(nightlab.apple_row(paid), details, company="apple", scraped_at=NOW)
    assert (item.ref, item.title, item.country) == (paid.ref, paid.title, "US")
    assert amounts(item.pay_text) == [paid.pay]


def test_oracle_replies_parse_with_their_pay(lab):
    board = lab["sinclair"]
    postings = board.postings(1)
    rows, total = oracle.list_page(nightlab.oracle_page(postings, 0, 200))
    assert total == len(postings) == len(rows)
    paid = next(p for p in postings if p.pay)
    detail = oracle.requisition_detail(nightlab.oracle_detail(paid))
    item = oracle.parse_posting(nightlab.oracle_requisition(paid), detail, company="sinclair", scraped_at=NOW,
                                host="edyy.fa.us2.oraclecloud.com", site="CX_2002")
    assert (item.ref, item.title, item.country) == (paid.ref, paid.title, "US")
    assert amounts(item.pay_text) == [paid.pay]
    assert nightlab.finder_values('ById;Id="40007",siteNumber=CX_2002') == {"Id": '"40007"', "siteNumber": "CX_2002"}


def test_successfactors_feed_parses_with_its_pay(lab):
    board = lab["paramount"]
    postings = board.postings(1)
    _, found = successfactors.feed_items(nightlab.successfactors_feed(board, postings).encode())
    assert [successfactors.item_ref(item) for item in found] == [p.ref for p in postings]
    paid = next(p for p in postings if p.pay)
    item = successfactors.parse_item(found[postings.index(paid)], company="paramount", scraped_at=NOW)
    assert (item.title, item.country) == (paid.title, "US") and amounts(item.pay_text) == [paid.pay]


def test_workday_replies_parse_with_their_pay(lab):
    board = lab["comcast"]
    postings = [p.as_faultlab() for p in board.postings(1)]
    total, entries, _ = workday.jobs_page(nightlab.workday_page(postings, 0))
    assert total == len(postings) and len(entries) == 20
    paid = next(p for p in board.postings(1) if p.pay)
    info = workday.detail_info(nightlab.workday_detail_reply(board, paid))
    item = workday.parse_job(entries[board.postings(1).index(paid)], info, company="comcast", scraped_at=NOW,
                             public_site_url="https://comcast.wd5.myworkdayjobs.com/comcast_careers")
    assert (item.ref, item.title) == (paid.ref, paid.title)
    assert amounts(item.pay_text) == [paid.pay]


def test_list_platform_replies_parse(lab):
    ashby_board, amazon_board = lab["openai"], lab["amazon"]
    paid = next(p for p in ashby_board.postings(1) if p.pay and not p.hourly)
    item = ashby.parse_job(nightlab.ashby_job(ashby_board, paid), company="openai", scraped_at=NOW)
    assert [(r["min"], r["max"]) for r in item.pay_ranges] == [paid.pay]
    jobs, hits = amazon.search_page({"error": None, "hits": 3, "facets": {},
                                     "jobs": [nightlab.amazon_job(p) for p in amazon_board.postings(1)[:3]]})
    assert hits == 3 and amounts(amazon.parse_job(jobs[0], company="amazon", scraped_at=NOW).pay_text)
    gh = nightlab.greenhouse_board(lab["stripe"], lab["stripe"].postings(1))
    assert len(greenhouse.board_jobs(gh)) == greenhouse.board_total(gh) == lab["stripe"].size
    page = nightlab.lever_page(lab["spotify"], lab["spotify"].postings(1), 0, 100)
    assert len(lever.postings_page(page)) == lab["spotify"].size


# -- the server ------------------------------------------------------------------------------------
def test_the_server_routes_by_company_and_counts_by_kind(lab):
    with NightServer(lab, latency=0, max_seconds=30) as server:
        def get(path):
            with urllib.request.urlopen(server.url + path, timeout=5) as reply:
                return json.loads(reply.read())

        listing = get("/eightfold/api/apply/v2/jobs?domain=microsoft.com&start=0&num=10")
        first = listing["positions"][0]["id"]
        assert get(f"/eightfold/api/apply/v2/jobs/{first}?domain=microsoft.com")["job_description"]
        assert get("/smartrecruiters/v1/companies/Visa/postings?limit=100&offset=0")["totalFound"] == lab["visa"].size
        with pytest.raises(urllib.error.HTTPError):
            get("/eightfold/api/apply/v2/jobs?domain=nobody.example")
        counts = server.take_counts()
        assert counts == {("microsoft", "list"): 1, ("microsoft", "detail"): 1, ("visa", "list"): 1, ("", "list"): 1}
        assert server.take_counts() == {} and len(server.misses) == 1


def test_no_two_registry_companies_share_a_route(registry):
    # Workday sites of one tenant (Tencent's three, Live Nation's two) and Oracle sites of one pod
    # share a host: a route by host alone served them all one board.
    routes = {}
    for entry in registry:
        routes.setdefault((entry.platform, nightlab.route_key(entry)), []).append(entry.slug)
    assert {route: slugs for route, slugs in routes.items() if len(slugs) > 1} == {}


def test_companies_sharing_a_host_are_each_served_their_own_board(registry, lab):
    shared = {"tencent", "lightspeed_studios", "timi_montreal", "live_nation", "ticketmaster", "sinclair",
              "tennis_channel"}
    entries = [entry for entry in registry if entry.slug in shared]
    with NightServer(lab, latency=0, max_seconds=30) as server:
        def post(path, body=None):
            request = urllib.request.Request(server.url + path, data=json.dumps(body or {}).encode(), method="POST",
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=5) as reply:
                return json.loads(reply.read())

        def get(path):
            with urllib.request.urlopen(server.url + path, timeout=5) as reply:
                return json.loads(reply.read())

        for entry in entries:
            ids, board = entry.ids, lab[entry.slug]
            if entry.platform == "workday":
                cxs = f"/workday/{ids['host']}/wday/cxs/{ids['tenant']}/{ids['site']}"
                total = post(f"{cxs}/jobs", {"offset": 0, "limit": 20})["total"]
                posting = board.postings(1)[0]
                detail = get(cxs + nightlab.workday_path(posting.as_faultlab()))["jobPostingInfo"]
                assert detail["jobPostingSiteId"] == ids["site"]
            else:
                api = f"/oracle/{ids['host']}/hcmRestApi/resources/latest"
                total = get(f"{api}/recruitingCEJobRequisitions?finder=findReqs;siteNumber={ids['site']},"
                            "limit=200,offset=0")["items"][0]["TotalJobsCount"]
                ref = board.postings(1)[0].ref
                get(f'{api}/recruitingCEJobRequisitionDetails?finder=ById;Id="{ref}",siteNumber={ids["site"]}')
            assert total == board.size, entry.slug
            assert server.take_counts() == {(entry.slug, "list"): 1, (entry.slug, "detail"): 1}, entry.slug
        assert server.misses == [] and server.errors == []


def test_the_server_refuses_two_boards_on_one_route():
    twins = [company(slug, "workday", host="acme.wd1.myworkdayjobs.com", tenant="acme", site="careers")
             for slug in ("acme", "acme_games")]
    with pytest.raises(ValueError, match="acme_games"):
        NightServer({entry.slug: Board(entry, 3) for entry in twins}, latency=0)


def test_a_reproduction_names_only_registry_companies(capsys):
    with pytest.raises(SystemExit) as exit_:
        night_main(["--companies", "tencent,nobody_inc", "--quick"])
    assert exit_.value.code == 2 and "not in the registry: nobody_inc" in capsys.readouterr().err


# -- the projection --------------------------------------------------------------------------------
def test_a_requests_cost_and_budget_follow_the_platforms_settings():
    assert pace("eightfold").seconds_per_request == 2.0 and pace("eightfold").budget == 9000
    assert pace("workday").seconds_per_request == 0.5 and pace("workday").budget == 36000
    assert pace("smartrecruiters", host_share=4).budget == 4500
    assert pace("greenhouse").seconds_per_request == 1.0


def test_list_pages_follow_each_platforms_page_size():
    assert list_requests("greenhouse", 700) == list_requests("ashby", 733) == 1
    assert list_requests("eightfold", 5500) == 550
    assert list_requests("workday", 41) == 3 and list_requests("workday", 2300) == 115 + 9  # split when capped
    assert list_requests("phenom", 1000) == 21 and list_requests("lever", 100) == 2
    assert list_requests("smartrecruiters", 1) == 1


def test_host_groups_run_side_by_side_and_their_companies_in_turn():
    night = project_night([
        CompanyNight("a", "smartrecruiters", "sr", 10, 990, 1.0),
        CompanyNight("b", "smartrecruiters", "sr", 5, 495, 1.0),
        CompanyNight("big", "eightfold", "ms", 50, 500, 2.0),
    ])
    assert night.groups == {"sr": 1 + 1000 + 500, "ms": 2 + 1100}
    assert (night.longest_group, night.wall_seconds, night.longest_company("sr")) == ("sr", 1501, "a")
    assert night.requests == 1000 + 500 + 550 + 2  # a robots.txt a host


def test_crawl_classes_and_their_scaled_budgets(registry):
    classes = crawl_classes(registry)
    assert set(classes) == set(nightlab.DETAIL_PLATFORMS)
    assert {entry.platform for entry in classes["workday"]} >= {"workday", "greenhouse", "amazon"}
    hosts = HostPlan.of(registry)
    smartrecruiters = sum(1 for entry in registry if entry.platform == "smartrecruiters")
    assert smartrecruiters > 4 and hosts.share("visa") == smartrecruiters and hosts.share("microsoft") == 1
    # The host's 18,000 requests a night, shared by the companies on it.
    assert class_budget(classes["smartrecruiters"], hosts, 0.05) == round(18_000 / smartrecruiters * 0.05)
    most_on_a_workday_host = max(hosts.share(entry.slug) for entry in registry if entry.platform == "workday")
    assert most_on_a_workday_host == 3  # Blizzard, Activision and King on the xboxgaming tenant
    assert class_budget(classes["workday"], hosts, 0.05) == round(36_000 / most_on_a_workday_host * 0.05)


def test_raises_are_found_within_the_window_missed_after_it_or_not_yet_due():
    platform_of = {"wd": "workday", "gh": "greenhouse"}
    raises = [Raise("wd", "1", 2, None), Raise("wd", "2", 2, None), Raise("wd", "3", 6, None),
              Raise("wd", "4", 2, 4), Raise("gh", "5", 3, None)]
    changes = {("wd", "1", 5), ("gh", "5", 3), ("wd", "9", 4)}
    checks = check_raises(raises, changes, platform_of, last_night=8, window=7)
    assert checks["workday"] == RaiseCheck(found=1, missed=[raises[1]], pending=1, closed_first=1,
                                           spurious=[("wd", "9", 4)])
    assert checks["greenhouse"] == RaiseCheck(found=1)
