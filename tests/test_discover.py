"""`paywatch discover`: saved real careers pages (tests/fixtures/discover/, each .meta.json says
whose), the marks each platform leaves, the entry it prints, and the fetch on 127.0.0.1."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from scrapers.cli import NOTHING_FOUND, main
from scrapers.demo.replay import ReplayServer
from scrapers.discover import Page, discovered_boards, read_page, registry_entry
from scrapers.extract.discover import discover
from scrapers.platforms import check_entries

REPO = Path(__file__).resolve().parents[1]
PAGES = REPO / "tests" / "fixtures" / "discover"


def first(page_html, url=None):
    found = discover(page_html, url)
    return (found[0].platform, found[0].id_dict) if found else None


# -- saved real pages ------------------------------------------------------------------------------
# Every page directly in tests/fixtures/discover/ names a board; the pages in none/ name none paywatch
# can read (a commented-out embed; Netflix's jobs page, which links its Eightfold site by a host of its
# own with no platform mark), and discover must not guess one.
SAVED_PAGES = sorted(path.name for path in PAGES.iterdir() if path.is_file() and not path.name.endswith(".meta.json"))


def test_every_saved_page_is_in_the_table_below():
    assert set(SAVED_PAGES) == {page for page, _, _ in EXPECTED}


EXPECTED = [
    ("liveramp_page-job.php", "greenhouse", {"token": "liveramp"}),  # embed script + grnhse_app
    ("status_jobs.md", "greenhouse", {"token": "status72"}),  # the token is not the brand
    ("bluedot_AshbyEmbed.tsx", "ashby", {"board": "bluedot"}),  # __ashbyBaseJobBoardUrl + embed script
    ("temporal_careers.js", "lever", {"site": "temporal"}),  # leverJobsOptions, no lever.co URL of its own
    ("robinhood_careers_links.html", "greenhouse", {"token": "robinhood"}),  # posting links
    ("palantir_careers_links.html", "lever", {"site": "palantir"}),
    ("postfinance_job_head.html", "successfactors", {"host": "jobs.postfinance.ch"}),  # the page's host, by its canonical link
]


@pytest.mark.parametrize("page, platform, ids", EXPECTED)
def test_each_saved_page_gives_its_platform_and_ids(page, platform, ids):
    saved = read_page(str(PAGES / page))
    assert first(saved.html, saved.url) == (platform, ids)


def test_the_pages_own_board_comes_before_another_companys_links():
    found = discover((PAGES / "temporal_careers.js").read_text(encoding="utf-8"))
    assert [(f.platform, f.id_dict) for f in found] == [("lever", {"site": "temporal"}), ("lever", {"site": "nylas"})]
    # nylas is linked twice, temporal named once, but in the widget's settings


def test_a_board_found_by_several_marks_is_one_board():
    found = discover((PAGES / "liveramp_page-job.php").read_text(encoding="utf-8"))
    assert len(found) == 1 and found[0].evidence == "boards.greenhouse.io/embed/job_board/js?for=liveramp"


def test_a_commented_out_embed_and_a_page_without_marks_find_nothing():
    assert discover((PAGES / "none" / "charthop_single-job.php").read_text(encoding="utf-8")) == []
    netflix = read_page(str(PAGES / "none" / "netflix_jobs_links.html"))
    assert netflix.url == "https://jobs.netflix.com/" and discover(netflix.html, netflix.url) == []


# -- the marks, as real pages and links write them -------------------------------------------------
@pytest.mark.parametrize("text, url, expected", [
    ('<a href="https://netflix.wd108.myworkdayjobs.com/en-US/Netflix/job/Technical-Program-Manager_JR41124">', None,
     ("workday", {"host": "netflix.wd108.myworkdayjobs.com", "tenant": "netflix", "site": "Netflix"})),
    ('<a href="https://mtb.wd5.myworkdayjobs.com/en-US/MTB/login?redirect=%2Fen-US%2FMTB%2Fjob">', None,
     ("workday", {"host": "mtb.wd5.myworkdayjobs.com", "tenant": "mtb", "site": "MTB"})),
    ('<a href="https://mosaicco.com/https://mosaic.wd5.myworkdayjobs.com/mosaic">', None,  # a real malformed href
     ("workday", {"host": "mosaic.wd5.myworkdayjobs.com", "tenant": "mosaic", "site": "mosaic"})),
    ('<a href="https://jobs.eu.lever.co/diabolocom">', None, ("lever", {"site": "diabolocom", "region": "eu"})),
    ('<iframe id="grnhse_iframe" src="https://job-boards.greenhouse.io/embed/job_app?for=mongodb&amp;token=7484657">', None,
     ("greenhouse", {"token": "mongodb"})),
    ('<a href="https://careers.smartrecruiters.com/Ubisoft2">', None, ("smartrecruiters", {"company_id": "Ubisoft2"})),
    ('<a href="https://jobs.smartrecruiters.com/my-applications/Wabtec?dcr_ci=Wabtec">', None, None),
    ('<a href="https://jpmc.fa.oraclecloud.com/hcmUI/CandidateExperience/en/sites/CX_1001/job/210784683/?utm_source=x">',
     None, ("oracle", {"host": "jpmc.fa.oraclecloud.com", "site": "CX_1001"})),
    ('<script src="https://static.vscdn.net/pcsx/pcsxPwa.js"></script><script>window._EF_GROUP_ID = "faurecia.com";</script>',
     "https://careers.forvia.com/careers", ("eightfold", {"host": "careers.forvia.com", "domain": "faurecia.com"})),
    ('<a href="https://amgen.eightfold.ai/careers/join?domain=amgen.com&jtn_form_id=GeneralTNF">', None,
     ("eightfold", {"host": "amgen.eightfold.ai", "domain": "amgen.com"})),
    ('<script>var phApp = phApp || {"widgetApiEndpoint":"https://careers.freddiemac.com/widgets", "refNum":"FRMAUS", '
     '"locale":"en_us"}; phApp.ddo = {};</script>', None,
     ("phenom", {"site_url": "https://careers.freddiemac.com", "ref_num": "FRMAUS"})),
    ('<a href="https://careers.davita.com/dietitian?utm_source=phenom&amp;refNum=1">', None, None),  # "phenom" as a UTM value
    ('<a href="https://jobs.apple.com/en-us/search">', None, ("apple", {})),
])
def test_marks(text, url, expected):
    assert first(text, url) == expected


def test_a_board_on_a_platform_paywatch_cannot_crawl_is_named_not_entered(capsys, tmp_path):
    page = tmp_path / "ea.html"
    page.write_text('<a href="https://ea.avature.net/careers/SearchJobs">Jobs</a>', encoding="utf-8")
    assert main(["discover", str(page)]) == NOTHING_FOUND
    err = capsys.readouterr().err
    assert "avature host=ea.avature.net" in err and "paywatch has no avature spider" in err
    assert first('<a href="https://careers-audacy.icims.com/jobs/search?ss=1">', None) == (
        "icims", {"host": "careers-audacy.icims.com"})


def test_a_posting_page_with_jobposting_json_ld_is_a_jsonld_entry():
    page = ('<html><head><script type="application/ld+json">{"@context": "https://schema.org/", "@type": "JobPosting", '
            '"title": "Software Engineer", "datePosted": "2026-11-02", "description": "<p>Build it.</p>", '
            '"hiringOrganization": {"@type": "Organization", "name": "Acme"}}</script></head></html>')
    assert first(page, "https://acme.example/jobs/1") == ("jsonld", {"posting_urls": ["https://acme.example/jobs/1"]})
    assert first(page) is None  # a posting page only counts where it is known to live


# -- the entry ---------------------------------------------------------------------------------------
def test_the_printed_entry_is_a_valid_registry_entry_with_its_source(tmp_path):
    page = read_page(str(PAGES / "status_jobs.md"), "https://status.im/our_team/jobs.html")
    [board] = discovered_boards(page)
    text = registry_entry(board, page, name="Status", sector="tech")
    assert text.startswith("# Found by paywatch discover on https://status.im/our_team/jobs.html (saved as status_jobs.md)")
    entry = tomllib.loads(text)["company"][0]
    assert entry == {"slug": "status", "name": "Status", "sector": "tech", "platform": "greenhouse", "token": "status72",
                     "careers_url": "https://status.im/our_team/jobs.html"}
    registry = tmp_path / "companies.toml"
    registry.write_text(text, encoding="utf-8")
    assert check_entries(registry) == []


def test_without_a_sector_the_entry_says_it_must_be_filled_in(tmp_path):
    page = read_page(str(PAGES / "bluedot_AshbyEmbed.tsx"))
    [board] = discovered_boards(page)
    text = registry_entry(board, page)
    assert 'sector = ""  # required: one of studio, streaming' in text
    registry = tmp_path / "companies.toml"
    registry.write_text(text, encoding="utf-8")
    assert "missing 'sector'" in check_entries(registry)[0]


def test_a_board_the_registry_has_is_named(capsys):
    code = main(["discover", str(PAGES / "robinhood_careers_links.html")])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("# already in the registry as robinhood: greenhouse token=robinhood")
    assert "[[company]]" not in out


def test_other_boards_are_listed_under_the_entry(capsys):
    code = main(["discover", str(PAGES / "temporal_careers.js"), "--sector", "tech"])
    out = capsys.readouterr().out
    assert code == 0 and 'site = "temporal"' in out and out.rstrip().endswith("# also found: lever site=nylas (jobs.lever.co/nylas)")


@pytest.mark.parametrize("argv, code, message", [
    (["discover", str(PAGES / "none" / "netflix_jobs_links.html")], NOTHING_FOUND, "no careers platform found on https://jobs.netflix.com/"),
    (["discover", "no/such/page.html"], NOTHING_FOUND, "no/such/page.html is neither an http(s) URL nor a file"),
    (["discover", str(PAGES / "status_jobs.md"), "--url", "status.im"], 2, "--url must be an http(s) URL"),
    (["discover", str(PAGES / "status_jobs.md"), "--slug", "Bad Slug"], 2, "--slug must be lower snake case"),
    (["discover", str(PAGES / "status_jobs.md"), "--sector", "film"], 2, "'film' is not one of"),
])
def test_bad_input_and_nothing_found_are_one_line_and_an_exit_code(capsys, argv, code, message):
    assert main(argv) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_page_is_fetched_politely_and_its_redirect_read(tmp_path):
    manifest = tmp_path / "routes.json"
    (tmp_path / "jobs.md").write_text((PAGES / "status_jobs.md").read_text(encoding="utf-8"), encoding="utf-8")
    manifest.write_text(json.dumps({"routes": [
        {"path": "/careers", "status": 301, "headers": {"Location": "/our_team/jobs"}, "body_text": ""},
        {"path": "/our_team/jobs", "file": "jobs.md", "content_type": "text/html; charset=utf-8"},
    ]}), encoding="utf-8")
    where_it_ran = tmp_path / "cwd"
    where_it_ran.mkdir()
    with ReplayServer({"": manifest}) as server:
        result = subprocess.run([sys.executable, "-m", "scrapers.cli", "discover", f"{server.url}/careers",
                                 "--sector", "tech", "--name", "Status", "-s", "DOWNLOAD_DELAY=0",
                                 "-s", "AUTOTHROTTLE_ENABLED=False"],
                                cwd=where_it_ran, capture_output=True, text=True, timeout=120)
        requests = list(server.requests)
    assert result.returncode == 0, result.stderr
    assert list(where_it_ran.iterdir()) == []  # discover writes nothing but what it prints: no archive, no capture
    assert f"# Found by paywatch discover on {server.url}/our_team/jobs" in result.stdout
    assert 'token = "status72"' in result.stdout
    assert [request["path"] for request in requests] == ["/robots.txt", "/careers", "/our_team/jobs"]
    assert all(request["headers"]["User-Agent"].startswith("paywatch/") for request in requests)


def test_a_page_that_cannot_be_fetched_is_said_so(tmp_path):
    manifest = tmp_path / "routes.json"
    manifest.write_text(json.dumps({"routes": [{"path": "/careers", "status": 404, "body_text": "gone"}]}),
                        encoding="utf-8")
    where_it_ran = tmp_path / "cwd"
    where_it_ran.mkdir()
    with ReplayServer({"": manifest}) as server:
        result = subprocess.run([sys.executable, "-m", "scrapers.cli", "discover", f"{server.url}/careers",
                                 "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"],
                                cwd=where_it_ran, capture_output=True, text=True, timeout=120)
    assert result.returncode == NOTHING_FOUND
    assert list(where_it_ran.iterdir()) == []  # a failed fetch is no failed crawl of a pseudo-company either
    assert "could not fetch" in result.stderr and "404" in result.stderr and "Traceback" not in result.stderr


def test_page_objects_from_files_know_where_they_were_saved():
    page = read_page(str(PAGES / "postfinance_job_head.html"))
    assert page == Page(page.html, "https://jobs.postfinance.ch/job/Compliance-Officer-%28wmd%29/73308-it_IT/",
                        saved_as="postfinance_job_head.html")
