"""The newer platforms end to end: `paywatch crawl` of one company each, against their saved replies
(tests/fixtures/<platform>/routes.json) on 127.0.0.1, into a fresh archive."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from scrapers.demo import FAST_LOCAL_SETTINGS, replay_settings
from scrapers.demo.replay import ReplayServer

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
REGISTRY = FIXTURES / "platform_crawls.toml"
PLATFORMS = ("apple", "google", "oracle", "successfactors")
# Small pages, so paging is crawled too.
PAGE_SIZES = ["ORACLE_PAGE_SIZE=2"]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    db = tmp_path_factory.mktemp("platforms") / "archive.db"
    with ReplayServer({"/night1": [FIXTURES / platform / "routes.json" for platform in PLATFORMS]}) as server:
        settings = [*replay_settings(server.url, "night1"), *FAST_LOCAL_SETTINGS, *PAGE_SIZES]
        result = subprocess.run(
            [sys.executable, "-m", "scrapers.cli", "crawl", "--db", str(db), "--registry", str(REGISTRY),
             "--log-level", "WARNING", *[arg for setting in settings for arg in ("-s", setting)]],
            cwd=REPO, capture_output=True, text=True, timeout=300)
        requests, misses = list(server.requests), list(server.misses)
    return db, result, requests, misses


def archive(db):
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    return connection


def test_every_company_crawls_completely_asking_only_for_saved_replies(crawled):
    db, result, requests, misses = crawled
    assert result.returncode == 0, result.stdout + result.stderr
    assert misses == []
    statuses = dict(archive(db).execute("SELECT company, status FROM crawls").fetchall())
    assert statuses == {"apple": "complete", "google": "complete", "hearst": "complete", "paramount": "complete"}
    assert all(request["headers"].get("User-Agent", "").startswith("paywatch/") for request in requests)


def test_apple_search_carries_the_token_and_the_session_cookie(crawled):
    _, _, requests, _ = crawled
    search = next(request for request in requests if request["path"].endswith("/api/v1/search"))
    headers = {name.lower(): value for name, value in search["headers"].items()}
    assert headers["x-apple-csrf-token"].startswith("8eacba7a")
    assert "jssid=S2A1B3C4" in headers.get("cookie", "")


def archived_pay(db_path, company):
    """(ref, title, min, max, currency, period) of each of the company's archived postings, by ref."""
    rows = archive(db_path).execute(
        "SELECT p.ref, v.title, pr.min, pr.max, pr.currency, pr.period FROM postings p "
        "JOIN posting_versions v ON v.posting_id = p.id LEFT JOIN pay_ranges pr ON pr.version_id = v.id "
        "WHERE p.company = ? ORDER BY p.ref", [company]).fetchall()
    return [tuple(row) for row in rows]


def version_of(db_path, title_like, *columns):
    return tuple(archive(db_path).execute(f"SELECT {', '.join(columns)} FROM posting_versions WHERE title LIKE ?",
                                          [title_like]).fetchone())


def test_apple_postings_are_archived_with_the_pay_footers_range(crawled):
    assert archived_pay(crawled[0], "apple") == [
        ("200611254-0836", "Machine Learning Engineer, Apple TV", 139500.0, 258100.0, "USD", "year"),
        ("PIPE-114438158", "US - Specialist: Seasonal, Part-time", None, None, None, None),
    ]
    assert version_of(crawled[0], "Machine Learning Engineer, Apple TV", "url", "role_type", "ai_related") == (
        "https://jobs.apple.com/en-us/details/200611254/machine-learning-engineer-apple-tv", "engineering", 1)


def test_oracle_requisitions_are_archived_with_pay_from_text_and_from_a_flex_field(crawled):
    assert archived_pay(crawled[0], "hearst") == [
        ("41477", "Digital Editor", None, None, None, None),
        ("41503", "Producer, KCRA 3", 28.0, 34.0, "USD", "hour"),
        ("41522", "Machine Learning Engineer, Newsroom AI", 140000.0, 175000.0, "USD", "year"),
    ]
    assert version_of(crawled[0], "Digital Editor", "url") == (
        "https://eevd.fa.us6.oraclecloud.com/hcmUI/CandidateExperience/en/sites/CX_1/job/41477",)


def test_successfactors_feed_is_archived_in_one_request_with_its_pay(crawled):
    db_path, _, requests, _ = crawled
    feed_requests = [request for request in requests if request["path"].startswith("/night1/successfactors/")]
    assert [request["path"] for request in feed_requests] == ["/night1/successfactors/careers.paramount.com/sitemal.xml"]
    assert archived_pay(db_path, "paramount") == [
        ("1363063100", "Machine Learning Engineer, Paramount+", 150000.0, 185000.0, "USD", "year"),
        ("1363071200", "Production Assistant, CBS News", 20.0, 23.0, "USD", "hour"),
        ("1363080400", "Coordinator, Brand Marketing", None, None, None, None),
    ]


def test_google_results_are_archived_whole_from_the_results_page(crawled):
    assert archived_pay(crawled[0], "google") == [
        ("104559183300112838", "Producer, YouTube Originals", None, None, None, None),
        ("118204771533660870", "Research Scientist, Recommendations, YouTube", 183000.0, 271000.0, "USD", "year"),
        ("92918703267422918", "Staff Software Engineer, AI Agent, Google Cloud IAM Infrastructure", 207000.0, 300000.0,
         "USD", "year"),
    ]
    assert version_of(crawled[0], "Research Scientist%", "ai_related") == (1,)
