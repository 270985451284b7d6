"""The archive as a research instrument (issue 11): the views, full-text search, canned queries and
the pay dashboard, through a real Datasette on a fixture archive written by ``ingest_crawl``; one
test renders the dashboard in headless Chromium."""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlite_utils import Database

from archive.companies import sync_companies
from archive.datasette import datasette_app, metadata_for
from archive.schema import migrations, open_archive
from archive.store import ingest_crawl

NIGHT1, NIGHT2, NIGHT3 = "2026-11-01T03:00:00+00:00", "2026-11-02T03:00:00+00:00", "2026-12-05T03:00:00+00:00"
AFTER_NIGHT2, AFTER_NIGHT3 = "2026-11-03T03:00:00+00:00", "2026-12-06T03:00:00+00:00"
COMPANIES = [
    {"slug": "netflix", "name": "Netflix", "sector": "studio", "platform": "eightfold",
     "careers_url": "https://jobs.netflix.com"},
    {"slug": "acme", "name": "Acme", "sector": "tech", "platform": "greenhouse", "careers_url": None},
]
PLATFORM = {"netflix": "eightfold", "acme": "greenhouse"}


def job(company, ref, title, pay=None, *, basis="base", ai=False, role="engineering", description=None, **fields):
    """A posting as the pipelines hand it to the archive; ``pay`` is (min, max) a year in USD."""
    ranges = []
    if pay:
        ranges = [{"min": pay[0], "max": pay[1], "currency": "USD", "period": "year", "basis": basis, "label": None,
                   "raw": f"${pay[0]:,} - ${pay[1]:,}", "source": "text", "period_inferred": False,
                   "annual_min": pay[0], "annual_max": pay[1], "annualized": False}]
    return {"platform": PLATFORM[company], "company": company, "ref": ref, "title": title,
            "url": f"https://example.test/{company}/{ref}", "department": role, "locations": ["Los Gatos, CA"],
            "description": description or f"{title} at {company}.", "pay_text": f"${pay[0]} - ${pay[1]}" if pay else None,
            "pay_ranges": ranges, "role_type": role, "ai_related": ai, "seniority": "senior", **fields}


def nights():
    """Three nights: Netflix's ML research range raised then narrowed, Acme's ranges widened, cut,
    removed and added, a closing and a reopening, and a list-only posting completed."""
    n1 = lambda pay: job("netflix", "n1", "Research Scientist, Machine Learning", pay, ai=True, role="research",
                         description="Machine learning research for recommendations.")
    n2 = job("netflix", "n2", "Product Manager - AI/ML Platform", (300000, 900000), basis="total", ai=True, role="product",
             locations=["Los Gatos, California", "Remote"])
    n3 = job("netflix", "n3", "Content Producer", (150000, 250000), role="production")
    n4 = job("netflix", "n4", "Studio Coordinator", role="production")
    a1 = lambda pay: job("acme", "a1", "Software Engineer", pay)
    a2 = lambda pay: job("acme", "a2", "Machine Learning Engineer", pay, ai=True)
    a3 = lambda pay: job("acme", "a3", "Recruiter", pay, role="people")
    a4 = job("acme", "a4", "Designer", (120000, 140000), role="design")
    a5_listed = {**job("acme", "a5", "Data Analyst", role="data"), "description": None, "list_only": True}
    a5 = job("acme", "a5", "Data Analyst", (100000, 130000), role="data")
    a6 = job("acme", "a6", "Producer", (60000, 70000), role="production")
    night2 = {"netflix": [n1((420000, 900000)), n2, n4],
              "acme": [a1((90000, 160000)), a2((190000, 280000)), a3(None), a4, a5_listed, a6]}
    night3 = {"netflix": [n1((450000, 850000)), n2, n3, n4],
              "acme": [a1((90000, 160000)), a2(None), a3((80000, 90000)), a5, a6]}
    # Each night after a closure lists the board again as it was: a posting missed by two listings in a
    # row is closed, dated the night it was first missed (n3 on night 2, a4 on night 3).
    return [
        (NIGHT1, {"netflix": [n1((390000, 900000)), n2, n3, n4],
                  "acme": [a1((100000, 150000)), a2((200000, 300000)), a3(None), a6]}),
        (NIGHT2, night2),
        (AFTER_NIGHT2, night2),
        (NIGHT3, night3),
        (AFTER_NIGHT3, night3),
    ]


def build_fixture(path: Path) -> None:
    db = open_archive(str(path))
    sync_companies(db, COMPANIES)
    for started_at, crawls in nights():
        for company, items in crawls.items():
            ingest_crawl(db, company=company, platform=PLATFORM[company], items=items, started_at=started_at,
                         deferred_refs=[item["ref"] for item in items if item.get("list_only")])
    db.close()


@pytest.fixture(scope="module")
def archive_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("research") / "research.db"
    build_fixture(path)
    return path


@pytest.fixture(scope="module")
def get(archive_file):
    """GET a path from a real Datasette serving the fixture archive with paywatch's metadata."""
    datasette = datasette_app(str(archive_file))
    asyncio.run(datasette.invoke_startup())

    def fetch(path: str, status: int = 200):
        response = asyncio.run(datasette.client.get(path))
        assert response.status_code == status, (path, response.status_code, response.text[:500])
        return response
    return fetch


def rows(get, path: str, **params) -> list[dict]:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return get(f"/research/{path}.json?_shape=array&{query}").json()


def only(rows: list[dict], *columns: str) -> list[tuple]:
    return [tuple(row[column] for column in columns) for row in rows]


# -- schema: companies, migration, full-text index -------------------------------------------------

def test_sync_companies_upserts_the_registry_entries_and_keeps_companies_it_no_longer_lists(memory_db):
    assert sync_companies(memory_db, COMPANIES) == 2
    sync_companies(memory_db, [{**COMPANIES[1], "name": "Acme Corp", "sector": "studio", "notes": "ignored"}])
    assert memory_db.execute("SELECT slug, name, sector FROM companies ORDER BY slug").fetchall() == [
        ("acme", "Acme Corp", "studio"), ("netflix", "Netflix", "studio")]


def test_the_research_migration_indexes_the_versions_already_archived(tmp_path):
    path = str(tmp_path / "old.db")
    db = Database(path)
    migrations.apply(db, stop_before="m005_research")
    for started_at, crawls in nights()[:1]:
        ingest_crawl(db, company="netflix", platform="eightfold", items=crawls["netflix"], started_at=started_at)
    db.close()
    db = open_archive(path)
    matches = db.execute("SELECT v.title FROM posting_search s JOIN posting_versions v ON v.id = s.rowid "
                         "WHERE posting_search MATCH 'recommendations'").fetchall()
    assert matches == [("Research Scientist, Machine Learning",)]
    assert db.execute("SELECT pay FROM version_pay WHERE version_id = 1").fetchone() == ("USD 390,000-900,000/year base",)
    # Written after the migration: indexed as the versions are written; history stays append-only.
    ingest_crawl(db, company="netflix", platform="eightfold", items=nights()[1][1]["netflix"], started_at=NIGHT2)
    assert db.execute("SELECT count(*) FROM posting_search WHERE posting_search MATCH 'title:research'").fetchone() == (2,)
    # The index holds exactly what version_search_text reads back (FTS5's own check of an external-content index).
    db.execute("INSERT INTO posting_search (posting_search, rank) VALUES ('integrity-check', 1)")
    assert db.execute("SELECT count(*) FROM posting_search").fetchone() == \
        db.execute("SELECT count(*) FROM posting_versions").fetchone()
    with pytest.raises(Exception, match="append-only"):
        db.execute("UPDATE posting_versions SET title = 'x'")


def test_version_pay_lookups_use_the_index(memory_db):
    plan = " ".join(row[3] for row in memory_db.execute(
        "EXPLAIN QUERY PLAN SELECT pay FROM version_pay WHERE version_id = 1"))
    assert "SCAN pay_ranges" not in plan and "pay_ranges_version_position" in plan


# -- views -----------------------------------------------------------------------------------------

def test_range_changes_names_each_change_with_its_numbers_and_skips_completions(get):
    changes = rows(get, "range_changes", _sort="changed_at")
    assert sorted(only(changes, "changed_at", "company", "title", "change", "old_min", "old_max", "new_min", "new_max",
                       "min_change_pct", "max_change_pct")) == [
        (NIGHT2, "acme", "Machine Learning Engineer", "cut", 200000, 300000, 190000, 280000, -5.0, -6.7),
        (NIGHT2, "acme", "Software Engineer", "widened", 100000, 150000, 90000, 160000, -10.0, 6.7),
        (NIGHT2, "netflix", "Research Scientist, Machine Learning", "raised", 390000, 900000, 420000, 900000, 7.7, 0.0),
        (NIGHT3, "acme", "Machine Learning Engineer", "removed", 190000, 280000, None, None, None, None),
        (NIGHT3, "acme", "Recruiter", "added", None, None, 80000, 90000, None, None),
        (NIGHT3, "netflix", "Research Scientist, Machine Learning", "narrowed", 420000, 900000, 450000, 850000, 7.1, -5.6),
    ]
    assert {row["sector"] for row in changes} == {"studio", "tech"}
    # Data Analyst's first read after its list-only night is a completion, not a change.
    assert "Data Analyst" not in {row["title"] for row in changes}


def test_pay_history_has_one_row_per_range_per_version_with_numbers(get):
    history = rows(get, "pay_history", ref="n1", _sort="version")
    assert only(history, "company", "sector", "version", "min", "max", "currency", "period", "basis", "pay_changed") == [
        ("netflix", "studio", 1, 390000, 900000, "USD", "year", "base", 0),
        ("netflix", "studio", 2, 420000, 900000, "USD", "year", "base", 1),
        ("netflix", "studio", 3, 450000, 850000, "USD", "year", "base", 1),
    ]


def test_open_postings_holds_only_open_postings_and_lifetimes_count_days(get):
    assert sorted(row["ref"] for row in rows(get, "open_postings", _size="max")) == [
        "a1", "a2", "a3", "a5", "a6", "n1", "n2", "n3", "n4"]
    assert len(rows(get, "current_postings", _size="max")) == 10  # the closed Designer too
    lifetimes = {row["ref"]: row for row in rows(get, "posting_lifetimes", _size="max")}
    assert (lifetimes["a4"]["status"], lifetimes["a4"]["days_open"]) == ("closed", 33.0)
    assert (lifetimes["n3"]["status"], lifetimes["n3"]["reopenings"]) == ("open", 1)


def test_search_matches_titles_and_descriptions_on_the_posting_views(get):
    assert [row["ref"] for row in rows(get, "open_postings", _search="recommendations")] == ["n1"]
    assert sorted({row["ref"] for row in rows(get, "pay_history", _search="machine")}) == ["a2", "n1"]
    # One column: FTS5's own syntax (Datasette's _search_<column> reads rowid, which views lack).
    assert sorted(row["ref"] for row in rows(get, "open_postings", _search="title:producer", _searchmode="raw")) == [
        "a6", "n3"]


def test_metadata_loads_describes_the_views_and_hides_the_machinery(get):
    database = get("/research.json").json()
    tables = {table["name"]: table for table in database["tables"]}
    assert tables["_sqlite_migrations"]["hidden"] and tables["posting_search_data"]["hidden"]
    assert not tables["companies"]["hidden"]
    assert {"open_postings", "pay_history", "range_changes", "posting_lifetimes"} <= {
        view["name"] for view in database["views"]}
    assert "/-/dashboards/pay" in get("/").text
    table = get("/research/range_changes.json").json()
    assert {"change", "company"} <= set(table["facet_results"])
    assert "Each change of a pay range" in get("/research/range_changes").text


# -- canned queries --------------------------------------------------------------------------------

def test_range_changes_for_filters_by_company_role_and_dates_with_a_default_window(get):
    assert only(rows(get, "range_changes_for", company="netflix", since="2026-11-01"), "changed_at", "change") == [
        (NIGHT3, "narrowed"), (NIGHT2, "raised")]
    assert only(rows(get, "range_changes_for", role_type="engineering", since="2026-11-01", until="2026-11-02"),
                "title", "change") == [("Machine Learning Engineer", "cut"), ("Software Engineer", "widened")]
    # Empty since: the 30 days before the last crawl (2026-11-05 on), so night 3 only.
    assert {row["changed_at"] for row in rows(get, "range_changes_for")} == {NIGHT3}


@pytest.mark.parametrize(("params", "message"), [
    ({"since": "2026-13-45"}, 'enter since as a date YYYY-MM-DD'),
    ({"since": "yesterday"}, 'enter since as a date YYYY-MM-DD'),
    ({"until": "2026-02-30"}, 'enter until as a date YYYY-MM-DD'),
    ({"company": "pixar"}, 'no company "pixar" in the archive; companies: acme, netflix'),
    ({"role_type": "chef"}, 'no role type "chef" in the archive; role types: data, design, engineering'),
])
def test_range_changes_for_answers_a_bad_parameter_with_one_message_row(get, params, message):
    [row] = rows(get, "range_changes_for", **params)
    assert row["changed_at"].startswith(message) and row["company"] is None


def test_ai_roles_lists_a_companys_ml_ai_postings_and_ranges(get):
    assert only(rows(get, "ai_roles", company="netflix"), "title", "min", "max", "basis", "first_seen_at", "status") == [
        ("Product Manager - AI/ML Platform", 300000, 900000, "total", NIGHT1, "open"),
        ("Research Scientist, Machine Learning", 450000, 850000, "base", NIGHT1, "open"),
    ]
    assert {row["company"] for row in rows(get, "ai_roles")} == {"acme", "netflix"}
    [row] = rows(get, "ai_roles", company="nobody")
    assert row["company"].startswith('no company "nobody"')


def test_ai_vs_other_pay_gives_true_medians_by_company_and_sector_with_base_and_total_apart(get):
    result = {(row["company"], row["roles"], row["basis"]): (row["ranges"], row["median_annual_min"], row["median_annual_max"])
              for row in rows(get, "ai_vs_other_pay")}
    # Acme's other roles: minimums 60k, 80k, 90k, 100k and maximums 70k, 90k, 130k, 160k: medians of the
    # middle two (the means would be 82,500 and 112,500).
    assert result[("acme", "other", "base")] == (4, 85000, 110000)
    assert result[("all tech", "other", "base")] == (4, 85000, 110000)
    assert result[("netflix", "ML/AI", "base")] == (1, 450000, 850000)
    assert result[("netflix", "ML/AI", "total")] == (1, 300000, 900000)
    assert result[("all studio", "other", "base")] == (1, 150000, 250000)
    assert ("acme", "ML/AI", "base") not in result  # its ML engineer no longer publishes pay
    assert rows(get, "ai_vs_other_pay", currency="usd") == rows(get, "ai_vs_other_pay", currency="USD")


@pytest.mark.parametrize(("currency", "message"), [
    ("dollars", 'enter currency as a three-letter code, e.g. USD; got "dollars"'),
    ("EUR", "no open posting publishes pay in EUR; currencies of open postings: USD"),
])
def test_ai_vs_other_pay_answers_a_bad_currency_with_a_message(get, currency, message):
    [row] = rows(get, "ai_vs_other_pay", currency=currency)
    assert row["sector"] == message


def test_pay_transparency_by_month_counts_first_full_reads_with_pay(get):
    assert only(rows(get, "pay_transparency_by_month"), "month", "company", "sector", "opened", "read_in_full",
                "with_pay", "percent_with_pay") == [
        ("2026-11", "acme", "tech", 6, 6, 5, 83.3),
        ("2026-11", "netflix", "studio", 4, 4, 3, 75.0),
    ]
    assert [row["company"] for row in rows(get, "pay_transparency_by_month", company="netflix")] == ["netflix"]


def test_open_on_date_shows_postings_as_they_read_that_day(get):
    on_night2 = {row["ref"]: row for row in rows(get, "open_on_date", date="2026-11-02")}
    assert sorted(on_night2) == ["a1", "a2", "a3", "a4", "a5", "a6", "n1", "n2", "n4"]
    assert on_night2["n1"]["pay"] == "USD 420,000-900,000/year base"
    assert sorted(row["ref"] for row in rows(get, "open_on_date")) == ["a1", "a2", "a3", "a5", "a6", "n1", "n2", "n3", "n4"]
    assert rows(get, "open_on_date", date="2026-10-01") == []
    [row] = rows(get, "open_on_date", date="2026-02-30")
    assert row["company"].startswith("enter date as YYYY-MM-DD")


def test_posting_history_interleaves_versions_and_events(get):
    assert only(rows(get, "posting_history", company="netflix", ref="n3"), "at", "what") == [
        (NIGHT1, "opened"), (NIGHT1, "version 1"), (NIGHT2, "closed"), (NIGHT3, "reopened")]
    assert [row["pay"] for row in rows(get, "posting_history", company="netflix", ref="n1")
            if row["what"].startswith("version")] == [
        "USD 390,000-900,000/year base", "USD 420,000-900,000/year base", "USD 450,000-850,000/year base"]
    [row] = rows(get, "posting_history", company="netflix")
    assert row["at"].startswith("enter a company slug and a posting ref")
    [row] = rows(get, "posting_history", company="netflix", ref="zz")
    assert row["at"] == 'no posting "zz" at company "netflix" in the archive'


def test_share_and_pay_changes_since(get):
    assert only(rows(get, "share_with_pay"), "company", "sector", "open_postings", "with_pay", "percent_with_pay") == [
        ("acme", "tech", 5, 4, 80.0), ("netflix", "studio", 4, 3, 75.0)]
    assert len(rows(get, "pay_changes_since", since="2026-11-01")) == 6
    [row] = rows(get, "pay_changes_since", since="13/45")
    assert row["changed_at"].startswith("enter since as a date")


# -- the dashboard ---------------------------------------------------------------------------------

def test_the_pay_dashboard_answers_and_its_charts_queries_run(get, archive_file):
    redirect = get("/-/dashboards/pay", status=302)
    # Every basis by default: Netflix publishes total compensation, which a default of base pay hid.
    assert redirect.headers["location"].endswith("?currency=USD")
    page = get("/-/dashboards/pay?currency=USD").text
    assert "range-over-time" in page and "ai-vs-other" in page and "share-with-pay" in page
    charts = metadata_for(str(archive_file))["plugins"]["datasette-dashboards"]["pay"]["charts"]
    for name, chart in charts.items():
        if "query" in chart:
            assert chart["db"] == "research"
            sql = chart["query"].replace("[[", "").replace("]]", "")
            params = {"company": "netflix", "role_type": "research", "currency": "USD", "basis": "base"}
            response = get(f"/research.json?sql={urllib.parse.quote(sql)}&_shape=array&"
                           + urllib.parse.urlencode(params))
            assert response.json(), name


def test_the_ml_ai_chart_by_default_has_a_bar_for_each_basis_of_each_company(get):
    chart = metadata_for("research.db")["plugins"]["datasette-dashboards"]["pay"]["charts"]["ai-vs-other"]
    # As /-/dashboards/pay asks by default: USD, any company, role type and basis.
    sql = re.sub(r"\[\[ AND (company|role_type|basis) = :\w+ \]\]", "", chart["query"]).replace("[[", "").replace("]]", "")
    bars = get(f"/research.json?sql={urllib.parse.quote(sql)}&currency=USD&_shape=array").json()
    assert only(bars, "company", "series", "ranges", "median_annual_max") == [
        ("acme", "other (base)", 4, 110000), ("netflix", "ML/AI (base)", 1, 850000),
        ("netflix", "ML/AI (total)", 1, 900000), ("netflix", "other (base)", 1, 250000)]


def test_pages_print_amounts_with_thousands_separators_and_export_numbers(get):
    page = get("/research/pay_history?ref=n1&_sort=version").text
    assert ">390,000<" in page and ">900,000<" in page and "390000.0" not in page
    assert rows(get, "pay_history", ref="n1", _sort="version")[0]["min"] == 390000  # JSON keeps the number
    assert "390000.0,900000.0" in get("/research/pay_history.csv?ref=n1&_sort=version").text
    canned = get("/research/ai_vs_other_pay").text
    assert ">450,000<" in canned and ">850,000<" in canned
    assert ">-5.0<" in get("/research/range_changes?company=acme").text  # a percent is not an amount


def test_amounts_keep_cents_only_when_they_have_them():
    from archive.datasette_plugins.readable_cells import render_cell

    assert [render_cell(value, "annual_max") for value in (117500.0, 52, 25.5, None, "n/a")] == [
        "117,500", "52", "25.50", None, None]
    assert render_cell(117500.0, "ranges") is None


def test_open_postings_show_locations_as_text(get):
    page = get("/research/open_postings?ref=n2").text
    assert "Los Gatos, California; Remote" in page and "[&#34;Los Gatos" not in page
    assert rows(get, "open_postings", ref="n2")[0]["locations"] == '["Los Gatos, California", "Remote"]'


def test_canned_queries_hide_their_sql_until_asked(get):
    for query in metadata_for("research.db")["databases"]["research"]["queries"]:
        page = get(f"/research/{query}").text
        assert 'id="sql-query"' not in page and "_show_sql=1" in page, query
    assert "with args as (" in get("/research/range_changes_for?_show_sql=1").text


def test_the_dashboards_markdown_renders_without_the_per_cell_markdown_hook(get):
    page = get("/-/dashboards/pay?currency=USD").text
    assert "<code>pay_history</code>" in page  # the about text, through datasette-render-markdown's template hooks
    plugins = {plugin["name"]: plugin["hooks"] for plugin in get("/-/plugins.json?all=1").json()}
    assert "datasette_render_markdown" not in plugins
    assert sorted(plugins["paywatch-markdown-templates"]) == ["extra_template_vars", "prepare_jinja2_environment"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (.ci/run installs Debian's chromium)")
def test_the_dashboard_renders_its_charts_in_a_browser(archive_file, tmp_path):
    served = tmp_path / archive_file.name
    shutil.copy(archive_file, served)  # `serve` may migrate; the module's fixture stays as built
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "scrapers.cli", "serve", "--db", str(served), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError("paywatch serve did not answer within 20 s")
                time.sleep(0.1)
        url = f"http://127.0.0.1:{port}/-/dashboards/pay"  # as the index page links it: the default filters
        dom = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             f"--user-data-dir={tmp_path / 'chromium'}", "--virtual-time-budget=15000", "--dump-dom", url],
            capture_output=True, text=True, timeout=90).stdout
    finally:
        server.terminate()
        server.wait(timeout=10)
    # Vega renders each chart as SVG (usermeta.embedOptions in the metadata): bars with their data.
    assert dom.count("<svg") >= 3, dom[-2000:]
    assert 'aria-roledescription="bar"' in dom
    bars = re.findall(r'aria-label="([^"]*)"[^>]*aria-roledescription="bar"', dom)
    # Netflix's ML/AI range is total compensation: shown by default, told apart, its amount readable.
    assert any("company: netflix" in bar and "roles: ML/AI" in bar and "basis: total" in bar and "900,000" in bar
               for bar in bars), bars
    assert any("company: netflix" in bar and "basis: base" in bar for bar in bars), bars
