"""The command line as a user meets it: help with an example on every command, --version, one clear
line with exit code 2 for input it cannot use and 3 for an archive it cannot use, the night report,
and a night's crawl as cron or systemd runs it: its exit code, report, alert hook and log file."""

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scrapers.cli import ARCHIVE_UNUSABLE, BAD_INPUT, CRAWL_FAILED, cli, main
from scrapers.crawl import progress_line
from scrapers.demo import DEMO_DIR, FAST_LOCAL_SETTINGS, replay_settings
from scrapers.demo.replay import ReplayServer
from tests.conftest import another_programs_sqlite, text_file

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_commands_are_the_ones_the_readme_documents():
    assert COMMANDS == ["companies", "crawl", "demo", "diff", "discover", "history", "rebuild", "report", "serve"]
    for command in COMMANDS:
        assert re.search(rf"\bpaywatch {command}\b", README), f"README never shows `paywatch {command}`"


# Commands that read or write no archive.
NO_ARCHIVE = {"discover"}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example_and_a_db_option(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert f"Example: paywatch {command}" in out
    assert ("--db PATH" in out) is (command not in NO_ARCHIVE)


def test_version(capsys):
    from scrapers.settings import PAYWATCH_VERSION

    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"paywatch, version {PAYWATCH_VERSION}"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["crawl", "--bogus"], "No such option '--bogus'"),
        (["crawl", "-s", "NOEQUALS"], "expects KEY=VALUE, got 'NOEQUALS'"),
        (["crawl", "--sector", "film"], "'film' is not one of 'studio', 'streaming'"),
        (["crawl", "--company", "nope"], "not in the registry: nope"),
        (["crawl", "--on-failure", "no-such-alert-program --now"], "no program 'no-such-alert-program' to run"),
        (["crawl", "--on-failure", "notify 'unclosed"], "cannot split"),
        (["crawl", "--report", "/nonexistent/dir/night.json"], "in a directory that does not exist"),
        (["crawl", "--log-keep", "0"], "0 is not in the range x>=1"),
        (["crawl", "--nodes", "ftp://10.0.0.2:6800"], "'ftp://10.0.0.2:6800' is not a Scrapyd node URL"),
        (["crawl", "--nodes", "http://10.0.0.2:6800,"], "'' is not a Scrapyd node URL"),
        (["demo", "--nodes", "0"], "0 is not in the range 1<=x<=8"),
        (["report", "--db", "/nonexistent/archive.db"], "no archive at /nonexistent/archive.db"),
        (["report", "--format", "xml"], "'xml' is not one of 'table', 'csv', 'json'"),
        (["companies", "--format", "yaml"], "'yaml' is not one of 'table', 'csv', 'json'"),
        (["history", "a24"], "Missing argument 'REF'"),
        (["history", "a24", "1", "--db", "/nonexistent/archive.db"], "no archive at /nonexistent/archive.db"),
        (["diff"], "Missing option '--since'"),
        (["diff", "--since", "2026-11-01", "--db", "/nonexistent/archive.db"], "no archive at /nonexistent/archive.db"),
        (["serve", "--port", "99999", "--db", "x.db"], "99999 is not in the range"),
        (["companies", "--registry", "/nonexistent/companies.toml"], "registry file not found"),
        (["frobnicate"], "No such command 'frobnicate'"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == BAD_INPUT
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("paywatch: ") and message in err


def test_companies_lists_the_registry(capsys):
    from scrapers.platforms import load_registry

    code, out, _ = run(capsys, "companies", "--format", "json")
    assert code == 0
    assert [row["slug"] for row in json.loads(out)] == [company.slug for company in load_registry()]
    code, out, _ = run(capsys, "companies", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(row["slug"], row["sector"]) for row in rows] == [(c.slug, c.sector) for c in load_registry()]



def test_companies_filters_by_sector(capsys):
    code, out, _ = run(capsys, "companies", "--sector", "games", "--sector", "music", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert rows and {row["sector"] for row in rows} == {"games", "music"}
    code, out, err = run(capsys, "companies", "--sector", "film")
    assert code == BAD_INPUT and "'film' is not one of" in err


def test_companies_check_passes_the_shipped_registry(capsys):
    code, out, err = run(capsys, "companies", "--check")
    assert code == 0 and out.startswith("registry OK: ") and err == ""


BAD_REGISTRY = """
# Source: a registry row.
[[company]]
slug = "good"
name = "Good"
sector = "studio"
platform = "greenhouse"
token = "good"

[[company]]
slug = "uncommented"
name = "No source"
sector = "games"
platform = "lever"
site = "uncommented"

# Source: pasted the board's URL instead of its token.
[[company]]
slug = "pasted_url"
name = "Pasted URL"
sector = "tech"
platform = "greenhouse"
token = "https://boards.greenhouse.io/pasted"

# Source: the same board as "good", under another slug.
[[company]]
slug = "same_board"
name = "Same board"
sector = "studio"
platform = "greenhouse"
token = "Good"

# Source: listed twice.
[[company]]
slug = "good"
name = "Good again"
sector = "film"
platform = "greenhouse"
token = "good2"

# Source: a Workday URL with its locale taken for the host.
[[company]]
slug = "workday_typo"
name = "Workday typo"
sector = "music"
platform = "workday"
host = "en-US"
tenant = "x"
site = "y"

# Source: a platform paywatch does not have.
[[company]]
slug = "unknown_platform"
name = "Unknown"
sector = "tv"
platform = "taleo"
"""


def test_companies_check_names_every_bad_entry_and_exits_1(capsys, tmp_path):
    registry = tmp_path / "bad.toml"
    registry.write_text(BAD_REGISTRY, encoding="utf-8")
    code, out, err = run(capsys, "companies", "--check", "--registry", str(registry))
    assert code == CRAWL_FAILED and out == ""
    lines = err.strip().splitlines()
    assert lines[-1] == "paywatch: 6 problem(s) in the registry"
    expected = ["entry 2 (uncommented): no comment above it",
                "entry 3 (pasted_url): token 'https://boards.greenhouse.io/pasted' is not a well-formed greenhouse token",
                "entry 4 (same_board): the same greenhouse board as entry 1 (good)",
                "entry 5 (good): sector must be one of",
                "entry 6 (workday_typo): host 'en-US' is not a well-formed workday host",
                "entry 7 (unknown_platform): unknown platform 'taleo'"]
    assert len(lines) == len(expected) + 1
    for line, start in zip(lines, expected):
        assert line.startswith(f"paywatch: {start}"), line


def test_no_command_prints_the_help(capsys):
    code, out, err = run(capsys)
    assert code == BAD_INPUT and err.startswith("Usage: paywatch") and "crawl" in err


@pytest.fixture
def replay():
    """The demo's night 1 served from 127.0.0.1, to show that a refused crawl sent no request."""
    with ReplayServer({"/night1": sorted((DEMO_DIR / "night1").glob("routes*.json"))}) as server:
        yield server


def crawl_args(db, server, *extra):
    settings = [arg for setting in [*replay_settings(server.url, "night1"), *FAST_LOCAL_SETTINGS]
                for arg in ("-s", setting)]
    return ["crawl", "--db", str(db), "--registry", str(DEMO_DIR / "companies.toml"), "--company", "a24",
            *settings, *extra]


def test_a_second_crawl_on_an_archive_being_written_refuses_before_any_request(capsys, tmp_path, replay):
    from archive.lock import crawl_lock

    db = str(tmp_path / "nightly.db")
    with crawl_lock(db):  # a crawl is writing this archive
        code, out, err = run(capsys, *crawl_args(db, replay))
    assert code == ARCHIVE_UNUSABLE and out == ""
    assert err.strip() == f"paywatch: another paywatch crawl is writing {db}; try again when it has finished"
    assert not (tmp_path / "nightly.db").exists()  # refused before anything was opened
    assert replay.requests == []  # or sent


@pytest.mark.parametrize(
    "make, message",
    [
        (text_file, "is not a paywatch archive (file is not a database)"),
        (Path.mkdir, "is a directory, not a paywatch archive"),
        (another_programs_sqlite, "is not a paywatch archive (an SQLite file of another program)"),
    ],
)
def test_a_crawl_into_an_unusable_archive_exits_3_before_any_request(capsys, tmp_path, replay, make, message):
    db = tmp_path / "nightly.db"
    make(db)
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = run(capsys, *crawl_args(db, replay))
    assert code == ARCHIVE_UNUSABLE and out == ""
    assert err.strip() == f"paywatch: {db} {message}"
    assert replay.requests == []
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # not even a <db>.lock beside someone's file


@pytest.mark.parametrize("extra, message", [
    (["-s", "GREENHOUSE_URL=http://127.0.0.1:9"],
     "GREENHOUSE_URL is not a Scrapy or paywatch setting (did you mean GREENHOUSE_API_URL?)"),
    (["-s", "download_delay=0"], "download_delay is not a Scrapy or paywatch setting (did you mean DOWNLOAD_DELAY?)"),
    (["-s", "PAYWATCH_NO_SUCH_THING=1"], "PAYWATCH_NO_SUCH_THING is not a Scrapy or paywatch setting"),
    (["-s", "DOWNLOAD_DELAY=soon"], "DOWNLOAD_DELAY takes a number, not 'soon'"),
    (["-s", "ROBOTSTXT_OBEY=perhaps"], "ROBOTSTXT_OBEY takes true or false, not 'perhaps'"),
    (["-s", "RETRY_TIMES=three"], "RETRY_TIMES takes a number, not 'three'"),
    (["-s", "PAYWATCH_DETAIL_BUDGET=lots"], "PAYWATCH_DETAIL_BUDGET takes a whole number, not 'lots'"),
    (["--log-level", "loud"], "'loud' is not one of 'critical', 'error', 'warning', 'info', 'debug'"),
])
def test_a_setting_or_log_level_nobody_reads_is_one_line_and_exit_2_before_anything(capsys, tmp_path, replay,
                                                                                      extra, message):
    db = tmp_path / "nightly.db"
    code, out, err = run(capsys, *crawl_args(db, replay, *extra))
    assert (code, out) == (BAD_INPUT, "")
    assert len(err.strip().splitlines()) == 1 and message in err, err
    assert replay.requests == [] and list(tmp_path.iterdir()) == []  # no request, no migrated archive, no lock


@pytest.mark.parametrize("setting", ["DOWNLOAD_TIMEOUT=2.5", "CLOSESPIDER_TIMEOUT=0.5", "ROBOTSTXT_OBEY=False",
                                     "PAYWATCH_DETAIL_BUDGET=12", "PAYWATCH_NODE_WAIT=90.5", "GREENHOUSE_API_URL=x",
                                     "ITEM_PIPELINES={}", "RETRY_HTTP_CODES=500,503", "PAYWATCH_RAW_DIR=/srv/raw"])
def test_settings_as_scrapy_reads_them_are_taken(setting):
    from scrapers.crawl import setting_problem

    assert setting_problem(*setting.split("=", 1)) is None


def test_every_setting_paywatch_reads_is_a_known_one():
    """The check above knows a key by Scrapy's defaults and paywatch's settings module: every key
    paywatch's code reads must be named there, or `-s` would refuse a real setting."""
    from scrapers.crawl import known_setting_names
    from scrapers.platforms import PLATFORMS

    read = set()
    for source in [*REPO.glob("scrapers/**/*.py"), *REPO.glob("pipelines/*.py"), *REPO.glob("archive/*.py")]:
        read |= set(re.findall(r"settings\.get\w*\(\s*\"([A-Z][A-Z0-9_]+)\"", source.read_text(encoding="utf-8")))
    read |= {spider.base_url_setting for spider in PLATFORMS.values()}
    assert len(read) > 20
    assert read - known_setting_names() == set()


def test_a_crawl_into_a_directory_that_does_not_exist_exits_3(capsys, tmp_path, replay):
    db = tmp_path / "no-such-dir" / "nightly.db"
    code, _, err = run(capsys, *crawl_args(db, replay))
    assert code == ARCHIVE_UNUSABLE
    assert err.strip() == f"paywatch: cannot lock {db}: No such file or directory"
    assert replay.requests == []


def small_archive(path):
    from archive.schema import open_archive
    from archive.store import ingest_crawl

    db = open_archive(str(path))
    for day, refs in ((1, ["1", "2"]), (2, ["1"]), (3, ["1"])):  # "2" missed twice: closed
        ingest_crawl(db, company="acme", platform="greenhouse", started_at=f"2026-11-0{day}T03:00:00+00:00",
                     items=[{"ref": ref, "title": f"Job {ref}", "pay_ranges": []} for ref in refs])
    ingest_crawl(db, company="bolt", platform="lever", items=[], status="failed", failure_reason="HTTP 503",
                 started_at="2026-11-03T03:10:00+00:00")
    db.close()


def test_report_prints_the_last_night_without_touching_the_archive(capsys, tmp_path):
    db = tmp_path / "paywatch.db"
    small_archive(db)
    before = (sorted(p.name for p in tmp_path.iterdir()), db.stat().st_mtime_ns, db.read_bytes())
    code, out, err = run(capsys, "report", "--db", str(db), "--format", "json")
    assert code == 0 and err == ""
    report = json.loads(out)
    assert [(c["company"], c["status"], c["seen"], c["closed"]) for c in report["companies"]] == [
        ("acme", "complete", 1, 1), ("bolt", "failed", 0, 0)]
    assert report["problems"] == ["bolt"] and report["archive"] == str(db)
    code, out, _ = run(capsys, "report", "--db", str(db))
    assert code == 0
    assert re.search(r"^bolt +failed ", out, re.M) and "\nwhy not complete; anomalies:\n  bolt: HTTP 503\n" in out
    assert (sorted(p.name for p in tmp_path.iterdir()), db.stat().st_mtime_ns, db.read_bytes()) == before


def test_report_on_a_file_that_is_not_an_archive_exits_3(capsys, tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x00garbage" * 100)
    code, out, err = run(capsys, "report", "--db", str(garbage))
    assert code == ARCHIVE_UNUSABLE and out == ""
    assert err.strip() == f"paywatch: {garbage} is not a paywatch archive (file is not a database)"
    assert garbage.read_bytes() == b"\x00garbage" * 100


def test_report_as_csv_has_a_row_a_company(capsys, tmp_path):
    db = tmp_path / "paywatch.db"
    small_archive(db)
    code, out, _ = run(capsys, "report", "--db", str(db), "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(row["company"], row["status"], row["seen"]) for row in rows] == [("acme", "complete", "1"), ("bolt", "failed", "0")]


# Read commands never change a file: not its bytes, not its mtime, not what lies beside it.

def snapshot(directory, db):
    return sorted(p.name for p in directory.iterdir()), db.stat().st_mtime_ns, db.read_bytes()


@pytest.mark.parametrize("argv", [["diff", "--since", "2026-11-01"], ["diff", "--since", "2026-11-01", "--format", "csv"],
                                  ["history", "acme", "1"], ["history", "acme", "2", "--format", "json"],
                                  ["report", "--format", "csv"]])
def test_read_commands_leave_the_archive_and_its_directory_as_they_were(capsys, tmp_path, argv):
    db = tmp_path / "paywatch.db"
    small_archive(db)
    before = snapshot(tmp_path, db)
    code, out, err = run(capsys, *argv, "--db", str(db))
    assert code == 0 and out and err == "", err
    assert snapshot(tmp_path, db) == before


@pytest.mark.parametrize("argv", [["diff", "--since", "2026-11-01"], ["history", "acme", "1"], ["report"],
                                  ["serve", "--port", "9"], ["serve", "--immutable", "--port", "9"]])
@pytest.mark.parametrize("make, kind", [
    (another_programs_sqlite, "an SQLite file of another program"),
    (lambda p: p.write_bytes(b"\x00garbage" * 100), "file is not a database"),
])
def test_read_commands_refuse_a_file_that_is_not_an_archive_exit_3(capsys, tmp_path, argv, make, kind):
    foreign = tmp_path / "notes.db"
    make(foreign)
    before = snapshot(tmp_path, foreign)
    code, out, err = run(capsys, *argv, "--db", str(foreign))
    assert (code, out) == (ARCHIVE_UNUSABLE, "")
    assert err.strip() == f"paywatch: {foreign} is not a paywatch archive ({kind})"
    assert snapshot(tmp_path, foreign) == before  # no paywatch table added, no -wal left


# A read-only mount, made in a mount namespace of the test's own (unshare -rm: no privilege needed where
# user namespaces are allowed), so the read commands meet what a read-only share gives them.
MOUNT_READ_ONLY = 'mount --bind -o ro "$1" "$2" && shift 2 && exec "$@"'


def on_a_read_only_mount(source, target, *argv):
    return subprocess.run(["unshare", "-rm", "sh", "-c", MOUNT_READ_ONLY, "sh", str(source), str(target),
                           sys.executable, "-m", "scrapers.cli", *argv], capture_output=True, text=True, timeout=60)


@pytest.fixture
def read_only_share(tmp_path):
    """(share, mount): a directory and where the commands run by ``on_a_read_only_mount`` see it read-only."""
    share, mount = tmp_path / "share", tmp_path / "mnt"
    share.mkdir()
    mount.mkdir()
    probe = None if shutil.which("unshare") is None else subprocess.run(
        ["unshare", "-rm", "sh", "-c", MOUNT_READ_ONLY + " 2>/dev/null", "sh", str(share), str(mount), "true"],
        capture_output=True)
    if probe is None or probe.returncode != 0:
        pytest.skip("cannot make a read-only mount here (unshare -rm and mount --bind are needed)")
    return share, mount


@pytest.mark.parametrize("argv", [["diff", "--since", "2026-11-01", "--format", "json"], ["history", "acme", "1"],
                                  ["report", "--format", "json"]])
@pytest.mark.parametrize("with_wal", [False, True], ids=["checkpointed", "with a -wal beside it"])
def test_read_commands_read_an_archive_on_a_read_only_mount(read_only_share, argv, with_wal):
    share, mount = read_only_share
    small_archive(share / "paywatch.db")
    expected = subprocess.run([sys.executable, "-m", "scrapers.cli", *argv, "--db", str(share / "paywatch.db")],
                              capture_output=True, text=True, timeout=60)
    writer = None
    if with_wal:  # a copy taken while a crawl was writing: its last night is only in the -wal
        from archive.schema import open_archive
        from archive.store import ingest_crawl

        writer = open_archive(str(share / "paywatch.db"))
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        ingest_crawl(writer, company="acme", platform="greenhouse", started_at="2026-11-03T03:00:00+00:00",
                     items=[{"ref": "3", "title": "Job 3", "pay_ranges": []}])
        assert (share / "paywatch.db-wal").stat().st_size > 0
        expected = subprocess.run([sys.executable, "-m", "scrapers.cli", *argv, "--db", str(share / "paywatch.db")],
                                  capture_output=True, text=True, timeout=60)
    try:
        before = sorted(path.name for path in share.iterdir())
        result = on_a_read_only_mount(share, mount, *argv, "--db", str(mount / "paywatch.db"))
    finally:
        if writer is not None:
            writer.close()
    assert result.returncode == 0, result.stderr
    when_made = re.compile(r'"generated_at": "[^"]*"')  # the report's own time, not the archive's
    # What the writable copy reads:
    assert when_made.sub("", result.stdout.replace(str(mount), str(share))) == when_made.sub("", expected.stdout)
    assert before == sorted(path.name for path in share.iterdir()) or with_wal


def as_another_user(*argv):
    """The command as a user who owns none of the test's files: root reads and writes anything, so the
    tests that run as root (CI) drop to nobody for it; others are that user already."""
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
    if drop and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv to drop privileges")
    if subprocess.run([*drop, sys.executable, "-c", "import scrapers.cli"], capture_output=True, cwd="/").returncode:
        pytest.skip("the user nobody cannot read this checkout or its venv (a directory on the way is private)")
    return subprocess.run([*drop, sys.executable, "-m", "scrapers.cli", *argv], capture_output=True, text=True,
                          timeout=60, cwd="/")


@pytest.fixture
def open_to_all():
    """A directory any user may enter (pytest's own tmp_path is its user's only)."""
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="paywatch-test-"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        for path in (directory, *directory.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.rmtree(directory)


def test_read_commands_read_an_archive_in_a_directory_they_cannot_write(open_to_all):
    share = open_to_all / "share"
    share.mkdir()
    small_archive(share / "paywatch.db")
    expected = subprocess.run([sys.executable, "-m", "scrapers.cli", "report", "--format", "json", "--db",
                               str(share / "paywatch.db")], capture_output=True, text=True, timeout=60)
    (share / "paywatch.db").chmod(0o444)
    share.chmod(0o555)
    result = as_another_user("report", "--format", "json", "--db", str(share / "paywatch.db"))
    assert result.returncode == 0, result.stderr
    when_made = re.compile(r'"generated_at": "[^"]*"')  # the report's own time, not the archive's
    assert when_made.sub("", result.stdout) == when_made.sub("", expected.stdout)
    assert sorted(path.name for path in share.iterdir()) == ["paywatch.db"]


@pytest.mark.parametrize("locked_away", ["the file", "its directory"])
def test_an_archive_that_cannot_be_read_is_said_so(open_to_all, locked_away):
    db = open_to_all / "private" / "paywatch.db"
    db.parent.mkdir()
    small_archive(db)
    (db if locked_away == "the file" else db.parent).chmod(0)
    result = as_another_user("report", "--db", str(db))
    assert result.returncode == ARCHIVE_UNUSABLE
    assert result.stderr.strip() == f"paywatch: cannot read {db}: Permission denied"


def wait_for(url, seconds=20):
    import urllib.request

    for _ in range(int(seconds * 10)):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered at {url}")


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("immutable", [False, True])
def test_serve_leaves_the_archive_and_its_directory_as_they_were(tmp_path, immutable):
    """While it serves, a plain serve has -wal and -shm beside the archive (SQLite's, so a crawl can write
    meanwhile); when it stops, they are gone and the file is byte for byte what it was."""
    db = tmp_path / "shared.db"
    small_archive(db)
    before = snapshot(tmp_path, db)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "scrapers.cli", "serve", "--db", str(db), "--port", str(port),
                               *(["--immutable"] if immutable else [])], cwd=REPO, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        crawls = wait_for(f"http://127.0.0.1:{port}/shared/crawls.json?_shape=array")
        assert sorted(row["company"] for row in crawls) == ["acme", "acme", "acme", "bolt"]
        beside = {p.name for p in tmp_path.iterdir()} - set(before[0])
        assert beside == (set() if immutable else {"shared.db-wal", "shared.db-shm"})
    finally:
        server.terminate()
        _, err = server.communicate(timeout=20)
    assert f"serving {db} read-only{' (immutable)' if immutable else ''} at http://127.0.0.1:{port}/" in err
    assert snapshot(tmp_path, db) == before


def test_serve_serves_an_archive_on_a_read_only_mount_without_a_flag(read_only_share):
    share, mount = read_only_share
    small_archive(share / "shared.db")
    port = free_port()
    server = subprocess.Popen(["unshare", "-rm", "sh", "-c", MOUNT_READ_ONLY, "sh", str(share), str(mount),
                               sys.executable, "-m", "scrapers.cli", "serve", "--db", str(mount / "shared.db"),
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        crawls = wait_for(f"http://127.0.0.1:{port}/shared/crawls.json?_shape=array")
        assert sorted(row["company"] for row in crawls) == ["acme", "acme", "acme", "bolt"]
    finally:
        server.terminate()
        _, err = server.communicate(timeout=20)
    assert server.returncode == 0, err
    assert sorted(path.name for path in share.iterdir()) == ["shared.db"]


A24 = "/greenhouse/v1/boards/a24/jobs"


# What follows runs the real command in a child process (Scrapy's reactor runs once a process),
# against saved replies on 127.0.0.1.

def paywatch(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "scrapers.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})


def night_crawl(db, server, night, *extra, companies=("a24",)):
    settings = [arg for setting in [*replay_settings(server.url, night), *FAST_LOCAL_SETTINGS]
                for arg in ("-s", setting)]
    selection = [arg for slug in companies for arg in ("--company", slug)]
    return paywatch("crawl", "--db", str(db), "--registry", str(DEMO_DIR / "companies.toml"), "--log-level", "INFO",
                    *selection, *settings, *extra)


def alert_hook(tmp_path):
    """An --on-failure program that records the arguments it was given."""
    hook = tmp_path / "alert.py"
    hook.write_text(f"#!{sys.executable}\nimport json, sys\n"
                    "open(sys.argv[1], 'a').write(json.dumps(sys.argv[2:]) + '\\n')\n")
    hook.chmod(0o755)
    return hook


def board(jobs):
    """A Greenhouse board of ``jobs`` postings shaped like the demo's a24 board."""
    template = json.loads((DEMO_DIR / "night1" / "greenhouse_a24.json").read_text())["jobs"][0]
    postings = [{**template, "id": 5000 + n, "title": f"Editor {n}",
                 "absolute_url": f"https://boards.greenhouse.io/a24/jobs/{5000 + n}"} for n in range(jobs)]
    return {"jobs": postings, "meta": {"total": jobs}}


def mount(tmp_path, name, body=None, **route):
    """A one-route manifest for the a24 board: a JSON ``body``, or the route's status and text."""
    directory = tmp_path / name
    directory.mkdir()
    if body is not None:
        (directory / "board.json").write_text(json.dumps(body))
        route["file"] = "board.json"
    (directory / "routes.json").write_text(json.dumps({"routes": [{"path": A24, **route}]}))
    return [directory / "routes.json"]


@pytest.mark.slow  # several real nights
def test_a_night_as_the_scheduler_runs_it_exit_codes_report_alert_and_log(tmp_path):
    db, logs, calls = tmp_path / "paywatch.db", tmp_path / "logs", tmp_path / "alerts.jsonl"
    logs.mkdir()
    for name in ("crawl-2020-01-01.log", "crawl-2020-01-02.log", "crawl-notes.log", "other.txt"):
        (logs / name).write_text("old\n")
    hook = f"{alert_hook(tmp_path)} {calls}"
    mounts = {"/night1": sorted((DEMO_DIR / "night1").glob("routes*.json")),
              "/broken": mount(tmp_path, "broken", status=503, body_text="maintenance")}
    with ReplayServer(mounts) as server:
        good = night_crawl(db, server, "night1", "--report", str(tmp_path / "night.json"), "--log-dir", str(logs),
                           "--log-keep", "2", "--on-failure", hook)
        broken = night_crawl(db, server, "broken", "--on-failure", hook, "--log-dir", str(logs))
        unheard = night_crawl(db, server, "broken", "--on-failure", "false")

    assert good.returncode == 0, good.stderr
    assert (good.stdout, good.stderr) == ("", "")  # a good night is silent: cron mails nothing
    assert json.loads((tmp_path / "night.json").read_text())["ok"] is True
    tonight = [p.name for p in logs.glob("crawl-2*.log") if not p.name.startswith("crawl-2020")]
    log = (logs / tonight[0]).read_text()
    assert len(tonight) == 1 and "Spider opened" in log
    assert re.search(r"^a24 +complete +3 ", log, re.M) and "[1/1] a24: complete\n" in log
    assert sorted(p.name for p in logs.iterdir()) == sorted(["crawl-2020-01-02.log", "crawl-notes.log", "other.txt",
                                                              *tonight])

    assert broken.returncode == CRAWL_FAILED
    assert broken.stderr.splitlines() == ["paywatch: crawl failed for: a24"]  # what needs a human, and only that
    # One alert: the good night had nothing to alert about, the last one's `false` records nothing.
    [alerted_with] = [json.loads(line) for line in calls.read_text().splitlines()]
    [report_path] = alerted_with
    assert Path(report_path).parent == Path(f"{db}.reports")
    report = json.loads(Path(report_path).read_text())
    assert report["problems"] == ["a24"] and "request failed" in report["companies"][0]["failure_reason"]

    assert unheard.returncode == CRAWL_FAILED
    assert "paywatch: --on-failure false: exited 1" in unheard.stderr
    assert [a["kind"] for a in json.loads(paywatch("report", "--db", str(db), "--format", "json").stdout)
            ["companies"][0]["anomalies"]] == ["failed_in_a_row"]


def test_a_suspect_crawl_exits_1_naming_the_company(tmp_path):
    db = tmp_path / "paywatch.db"
    mounts = {"/full": mount(tmp_path, "full", board(15)),
              "/shrunk": mount(tmp_path, "shrunk", board(3))}
    with ReplayServer(mounts) as server:
        full = night_crawl(db, server, "full")
        shrunk = night_crawl(db, server, "shrunk", "--report", str(tmp_path / "night.json"))
    assert full.returncode == 0, full.stderr
    assert shrunk.returncode == CRAWL_FAILED
    assert "held until a next crawl confirms them for: a24" in shrunk.stderr
    report = json.loads((tmp_path / "night.json").read_text())
    [a24] = report["companies"]
    assert a24["status"] == "suspect" and [a["kind"] for a in a24["anomalies"]] == ["seen_fell"]
    # The progress line says so as the crawl is archived: why it is held and what looks wrong.
    said = "; ".join([a24["failure_reason"], *(anomaly["message"] for anomaly in a24["anomalies"])])
    assert progress_line(1, 1, "a24", "suspect", said) in shrunk.stderr.splitlines()


def test_a_night_leaves_the_whole_night_in_the_archive_file_and_nothing_beside_it(tmp_path):
    """The writer is the archive's last connection and checkpoints the night into the file as it closes:
    a copy of the file alone (a backup, a share) holds every crawl, and no -wal or -shm is left."""
    import shutil as copying

    db = tmp_path / "paywatch.db"
    with ReplayServer({"/night1": sorted((DEMO_DIR / "night1").glob("routes*.json"))}) as server:
        result = night_crawl(db, server, "night1", companies=("a24", "spotify", "netflix", "ramp", "disney"))
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["paywatch.db", "paywatch.db.lock", "paywatch.db.raw"]
    copying.copy(db, tmp_path / "copy.db")
    copied = sqlite3.connect(tmp_path / "copy.db")
    try:
        assert copied.execute("SELECT count(*) FROM crawls WHERE status = 'complete'").fetchone() == (5,)
    finally:
        copied.close()


@pytest.mark.slow  # several real nights
def test_a_crawl_on_the_terminal_shows_progress_and_problems_and_the_log_dir_gets_the_full_log(tmp_path):
    """No --log-level on a terminal: Scrapy's INFO lines stay out, a progress line a company says its
    status and, for a failure, why; --log-dir's log and an explicit --log-level INFO still have them."""
    db, logs = tmp_path / "paywatch.db", tmp_path / "logs"

    def crawl(night, *extra):
        settings = [arg for setting in [*replay_settings(server.url, night), *FAST_LOCAL_SETTINGS]
                    for arg in ("-s", setting)]
        return paywatch("crawl", "--db", str(db), "--registry", str(DEMO_DIR / "companies.toml"), "--company", "a24",
                        *settings, *extra)

    mounts = {"/night1": sorted((DEMO_DIR / "night1").glob("routes*.json")),
              "/broken": mount(tmp_path, "broken", status=503, body_text="maintenance")}
    with ReplayServer(mounts) as server:
        good = crawl("night1")
        broken = crawl("broken")
        logged = crawl("night1", "--log-dir", str(logs))
        verbose = crawl("night1", "--log-level", "INFO")
    assert good.returncode == 0 and good.stderr.splitlines() == [
        f"paywatch: crawling 1 company into {db}", "[1/1] a24: complete"]
    assert broken.returncode == CRAWL_FAILED
    [reason] = [row[0] for row in sqlite3.connect(db).execute(
        "SELECT failure_reason FROM crawls WHERE status = 'failed'")]
    assert progress_line(1, 1, "a24", "failed", reason) in broken.stderr.splitlines()
    assert f"a24: {reason}" in " ".join(broken.stdout.split())  # whole (wrapped), below the report's table
    assert " INFO: " not in broken.stderr and " ERROR: " in broken.stderr  # the problem, from Scrapy too
    assert (logged.returncode, logged.stdout, logged.stderr) == (0, "", "")
    [log] = logs.glob("crawl-*.log")
    assert "INFO: Spider opened" in log.read_text() and "[1/1] a24: complete\n" in log.read_text()
    assert "INFO: Spider opened" in verbose.stderr
