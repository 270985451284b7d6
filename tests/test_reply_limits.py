"""Every reply is bounded: each platform's DOWNLOAD_WARNSIZE / DOWNLOAD_MAXSIZE (scrapers/platforms/base.py,
``reply_limits``), and what a crawl does with a reply over them, against servers on 127.0.0.1."""

import gzip
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import DownloadCancelledError
from scrapy.settings import Settings
from twisted.python.failure import Failure

from scrapers.demo import DEMO_DIR, FAST_LOCAL_SETTINGS, replay_settings
from scrapers.demo.replay import ROBOTS_TXT, LoopbackServer, QuietHandler, ReplayServer
from scrapers.platforms import PLATFORMS
from tests.spider_helpers import make_spider

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
REGISTRY = DEMO_DIR / "companies.toml"
MiB = 1 << 20


def platform_settings(spider_class, **cmdline):
    settings = Settings()
    settings.setmodule("scrapers.settings", priority="project")
    for name, value in cmdline.items():
        settings.set(name, value, priority="cmdline")
    spider_class.update_settings(settings)
    return settings


def saved_replies(platform):
    """The saved replies of a platform: every file with a .meta.json saying where it came from."""
    return [path for path in (FIXTURES / platform).iterdir()
            if not path.name.endswith(".meta.json") and path.with_name(f"{path.stem}.meta.json").exists()]


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_every_platform_bounds_its_replies_above_its_largest_saved_reply(platform):
    spider_class = PLATFORMS[platform]
    assert "largest_reply" in vars(spider_class), f"{platform} states no largest reply"
    settings = platform_settings(spider_class)
    warn, limit = settings.getint("DOWNLOAD_WARNSIZE"), settings.getint("DOWNLOAD_MAXSIZE")
    largest = max(path.stat().st_size for path in saved_replies(platform))
    assert largest < warn < limit <= 128 * MiB  # Scrapy's own default is 1 GiB
    assert limit >= 2 * spider_class.largest_reply


def test_the_whole_board_platforms_allow_the_largest_boards_and_the_paged_ones_far_less():
    limits = {name: platform_settings(spider).getint("DOWNLOAD_MAXSIZE") for name, spider in PLATFORMS.items()}
    assert limits["greenhouse"] > 80 * MiB and limits["successfactors"] > 80 * MiB  # 2,000-posting boards, whole
    assert limits["workday"] == limits["oracle"] == 8 * MiB


def test_a_size_given_on_the_command_line_wins_over_the_platform_s_own():
    settings = platform_settings(PLATFORMS["greenhouse"], DOWNLOAD_MAXSIZE=1000, DOWNLOAD_WARNSIZE=500)
    assert (settings.getint("DOWNLOAD_MAXSIZE"), settings.getint("DOWNLOAD_WARNSIZE")) == (1000, 500)


# -- real crawls ------------------------------------------------------------------------------------
BOMB_INFLATED = 64 * MiB  # past every platform's limit but Greenhouse's and SuccessFactors'
STREAMED = 12 * MiB  # past Lever's 11 MiB
DECLARED = 96 * MiB  # past Greenhouse's 91 MiB


class OversizeServer(LoopbackServer):
    """Answers every path under /bomb/ with a small gzip body that inflates to ``bomb_size`` bytes,
    under /stream/ with a chunked body of STREAMED bytes (no Content-Length to refuse it by), and under
    /declared/ with a Content-Length of DECLARED bytes, written until the client hangs up."""

    def __init__(self, bomb_size=BOMB_INFLATED):
        bomb = gzip.compress(b" " * bomb_size, compresslevel=9)

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def handle(self):
                try:
                    super().handle()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the crawler cut the reply off, as it should

            def _serve(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self._answer()

            def _answer(self):
                kind = self.path.split("/")[1]
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if self.path == "/robots.txt":
                    self.send_header("Content-Length", str(len(ROBOTS_TXT)))
                    self.end_headers()
                    self.wfile.write(ROBOTS_TXT)
                elif kind == "bomb":
                    self.send_header("Content-Encoding", "gzip")
                    self.send_header("Content-Length", str(len(bomb)))
                    self.end_headers()
                    self.wfile.write(bomb)
                elif kind == "stream":
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    chunk = b" " * (256 * 1024)
                    for _ in range(STREAMED // len(chunk)):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_header("Content-Length", str(DECLARED))
                    self.end_headers()
                    chunk = b" " * (1024 * 1024)
                    for _ in range(DECLARED // len(chunk)):
                        self.wfile.write(chunk)
                self.wfile.flush()

        super().__init__(Handler, max_seconds=240)


def crawl(db, settings, *companies):
    args = [arg for setting in [*settings, *FAST_LOCAL_SETTINGS] for arg in ("-s", setting)]
    only = [arg for company in companies for arg in ("--company", company)]
    return subprocess.run(
        [sys.executable, "-m", "scrapers.cli", "crawl", "--db", str(db), "--registry", str(REGISTRY),
         "--log-level", "WARNING", *args, *only], cwd=REPO, capture_output=True, text=True, timeout=300)


def padded_workday_night(tmp_path):
    """The demo's night-1 Workday routes, its list page padded to 3 MiB: over Workday's warning size
    (2 MiB), under its limit (8 MiB)."""
    night1 = DEMO_DIR / "night1"
    page = json.loads((night1 / "workday_disney_jobs.json").read_text())
    page["padding"] = " " * (3 * MiB)
    (tmp_path / "workday_disney_jobs.json").write_text(json.dumps(page))
    routes = json.loads((night1 / "routes_workday.json").read_text())
    for route in routes["routes"]:
        if route["file"] != "workday_disney_jobs.json":
            route["file"] = str(night1 / route["file"])
    (tmp_path / "routes.json").write_text(json.dumps(routes))
    return tmp_path / "routes.json"


def last_crawls(db):
    archive = sqlite3.connect(db)
    rows = archive.execute("SELECT company, status, failure_reason FROM crawls WHERE id IN "
                           "(SELECT max(id) FROM crawls GROUP BY company)").fetchall()
    closed = archive.execute("SELECT count(*) FROM postings WHERE closed_at IS NOT NULL").fetchone()[0]
    return {company: (status, reason or "") for company, status, reason in rows}, closed


@pytest.fixture(scope="module")
def oversized_night(tmp_path_factory):
    """Night 1 of the demo, then a night at the platforms' own limits in which Netflix's list is a gzip
    bomb, Spotify's page streams past Lever's limit, A24's board declares more than Greenhouse's,
    Disney's page is over Workday's warning size but under its limit, and Ramp's board is as it was."""
    tmp = tmp_path_factory.mktemp("bounds")
    db = tmp / "archive.db"
    padded = padded_workday_night(tmp_path_factory.mktemp("padded"))
    mounts = {"/night1": sorted((DEMO_DIR / "night1").glob("routes*.json")), "/padded": [padded]}
    with ReplayServer(mounts) as replay, OversizeServer() as oversize:
        first = crawl(db, replay_settings(replay.url, "night1"))
        assert first.returncode == 0, first.stderr
        before, _ = last_crawls(db)
        settings = [*replay_settings(replay.url, "night1"),
                    f"EIGHTFOLD_BASE_URL={oversize.url}/bomb/eightfold",
                    f"LEVER_API_URL={oversize.url}/stream/lever",
                    f"GREENHOUSE_API_URL={oversize.url}/declared/greenhouse",
                    f"WORKDAY_BASE_URL={replay.url}/padded/workday"]
        second = crawl(db, settings)
    after, closed = last_crawls(db)
    return before, second, after, closed


@pytest.mark.slow  # real crawls of oversized replies
def test_each_reply_over_its_platform_s_limit_fails_that_company_naming_the_url_and_the_limit(oversized_night):
    before, result, after, _ = oversized_night
    assert set(before) == {"a24", "spotify", "netflix", "ramp", "disney"}
    assert result.returncode == 1
    failed_line = next(line for line in result.stderr.splitlines() if "crawl failed for:" in line)
    assert sorted(failed_line.split(": ")[-1].split(", ")) == ["a24", "netflix", "spotify"]
    status, reason = after["netflix"]
    assert status == "failed"
    assert "/bomb/eightfold/api/apply/v2/jobs" in reason
    assert f"reply larger than DOWNLOAD_MAXSIZE ({8 * MiB} bytes) once decompressed" in reason
    status, reason = after["spotify"]
    assert status == "failed" and "/stream/lever/v0/postings/spotify" in reason
    assert f"reply larger than DOWNLOAD_MAXSIZE ({11 * MiB} bytes), not read" in reason
    status, reason = after["a24"]
    assert status == "failed" and "/declared/greenhouse/v1/boards/a24/jobs" in reason
    assert f"reply larger than DOWNLOAD_MAXSIZE ({91 * MiB} bytes), not read" in reason


@pytest.mark.slow  # real crawls of oversized replies
def test_a_reply_over_the_limit_closes_nothing_and_the_other_companies_crawl_as_ever(oversized_night):
    _, result, after, closed = oversized_night
    assert closed == 0
    assert after["ramp"] == ("complete", "")
    assert after["disney"] == ("complete", "")
    assert "Traceback" not in result.stderr


@pytest.mark.slow  # real crawls of oversized replies
def test_a_reply_under_the_limit_but_over_the_warning_size_is_read_with_a_warning(oversized_night):
    _, result, _, _ = oversized_night
    disney = [line for line in result.stderr.splitlines() if "/padded/workday/" in line]
    assert len(disney) == 1, result.stderr
    assert "WARNING" in disney[0] and f"larger than download warn size ({2 * MiB})" in disney[0]


@pytest.mark.slow  # real crawls of oversized replies
def test_a_limit_given_with_s_cuts_off_a_gzip_bomb_far_smaller(tmp_path):
    db = tmp_path / "archive.db"
    with ReplayServer({"/night1": sorted((DEMO_DIR / "night1").glob("routes*.json"))}) as replay, \
            OversizeServer(bomb_size=2 * MiB) as oversize:
        assert crawl(db, replay_settings(replay.url, "night1"), "a24", "ramp").returncode == 0
        settings = [*replay_settings(replay.url, "night1"), f"GREENHOUSE_API_URL={oversize.url}/bomb/greenhouse",
                    "DOWNLOAD_MAXSIZE=1000000", "DOWNLOAD_WARNSIZE=500000"]
        result = crawl(db, settings, "a24", "ramp")
    crawls, closed = last_crawls(db)
    assert result.returncode == 1 and closed == 0
    assert crawls["ramp"] == ("complete", "")
    status, reason = crawls["a24"]
    assert status == "failed" and "/bomb/greenhouse/v1/boards/a24/jobs" in reason
    assert "reply larger than DOWNLOAD_MAXSIZE (1000000 bytes) once decompressed" in reason


def cut_off(url):
    failure = Failure(DownloadCancelledError(""))  # what Scrapy's handler raises for a body streaming past the limit
    failure.request = Request(url)
    return failure


def test_a_detail_cut_off_at_the_limit_leaves_that_posting_unreadable_and_says_which_limit(caplog):
    spider = make_spider("workday", host="acme.wd1.myworkdayjobs.com", tenant="acme", site="jobs")
    url = "https://acme.wd1.myworkdayjobs.com/wday/cxs/acme/jobs/job/Somewhere/Engineer_R1"
    spider.on_detail_error(cut_off(url))
    assert not spider.crawl_failed
    assert spider.crawler.stats.get_value("paywatch/detail/unreadable") == 1
    assert f"{url}: reply larger than DOWNLOAD_MAXSIZE ({8 * MiB} bytes), not read" in caplog.text


def test_a_request_limit_of_its_own_is_the_one_named():
    spider = make_spider("greenhouse", token="acme")
    failure = cut_off("https://boards-api.greenhouse.io/v1/boards/acme/jobs")
    failure.request.meta["download_maxsize"] = 12345
    spider.on_request_error(failure)
    assert spider.failure_reasons == ["request failed: https://boards-api.greenhouse.io/v1/boards/acme/jobs: "
                                      "reply larger than DOWNLOAD_MAXSIZE (12345 bytes), not read"]


def test_night_md_states_each_platform_s_limits_as_the_code_sets_them():
    rows = {}
    for line in (REPO / "docs" / "NIGHT.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in PLATFORMS:
            rows[cells[0]] = cells[3]
    assert set(rows) == set(PLATFORMS)
    for name, spider_class in PLATFORMS.items():
        settings = platform_settings(spider_class)
        warn, limit = settings.getint("DOWNLOAD_WARNSIZE") // MiB, settings.getint("DOWNLOAD_MAXSIZE") // MiB
        assert rows[name] == f"{warn} / {limit} MiB", name
