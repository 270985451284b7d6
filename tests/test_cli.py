"""The command line as a user meets it: help with an example on every command, --version, one clear
line with exit code 2 for input it cannot use and 3 for an archive it cannot use, the night report,
and a night's crawl as cron or systemd runs it: its exit code, report, alert hook and log file."""

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from scrapers.cli import ARCHIVE_UNUSABLE, BAD_INPUT, CRAWL_FAILED, cli, main
from scrapers.demo import DEMO_DIR, FAST_LOCAL_SETTINGS, replay_settings
from scrapers.demo.replay import ReplayServer

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_commands_are_the_ones_the_readme_documents():
    assert COMMANDS == ["companies", "crawl", "demo", "diff", "rebuild", "report", "serve"]
    for command in COMMANDS:
        assert re.search(rf"\bpaywatch {command}\b", README), f"README never shows `paywatch {command}`"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example_and_a_db_option(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert f"Example: paywatch {command}" in out
    assert "--db PATH" in out


def test_version(capsys):
    from scrapers.settings import PAYWATCH_VERSION

    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"paywatch, version {PAYWATCH_VERSION}"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["crawl", "--bogus"], "No such option '--bogus'"),
        (["crawl", "-s", "NOEQUALS"], "expects KEY=VALUE, got 'NOEQUALS'"),
        (["crawl", "--sector", "film"], "'film' is not one of 'studio', 'tech'"),
        (["crawl", "--company", "nope"], "not in the registry: nope"),
        (["crawl", "--on-failure", "no-such-alert-program --now"], "no program 'no-such-alert-program' to run"),
        (["crawl", "--on-failure", "notify 'unclosed"], "cannot split"),
        (["crawl", "--report", "/nonexistent/dir/night.json"], "in a directory that does not exist"),
        (["crawl", "--log-keep", "0"], "0 is not in the range x>=1"),
        (["report", "--db", "/nonexistent/archive.db"], "no archive at /nonexistent/archive.db"),
        (["report", "--format", "csv"], "'csv' is not one of 'table', 'json'"),
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
    import json

    assert [row["slug"] for row in json.loads(out)] == [company.slug for company in load_registry()]


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
        (lambda p: p.write_bytes(b"this is not SQLite\n" * 50), "is not a paywatch archive (file is not a database)"),
        (lambda p: p.mkdir(), "is a directory, not a paywatch archive"),
        (lambda p: sqlite3.connect(p).execute("CREATE TABLE notes (text)").connection.commit(),
         "is not a paywatch archive (an SQLite file of another program)"),
    ],
)
def test_a_crawl_into_an_unusable_archive_exits_3_before_any_request(capsys, tmp_path, replay, make, message):
    db = tmp_path / "nightly.db"
    make(db)
    before = sorted(p.name for p in tmp_path.iterdir() if p.name != "nightly.db.lock")
    code, out, err = run(capsys, *crawl_args(db, replay))
    assert code == ARCHIVE_UNUSABLE and out == ""
    assert err.strip() == f"paywatch: {db} {message}"
    assert replay.requests == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "nightly.db.lock") == before


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
    for day, refs in ((1, ["1", "2"]), (2, ["1"])):
        ingest_crawl(db, company="acme", platform="greenhouse", started_at=f"2026-11-0{day}T03:00:00+00:00",
                     items=[{"ref": ref, "title": f"Job {ref}", "pay_ranges": []} for ref in refs])
    ingest_crawl(db, company="bolt", platform="lever", items=[], status="failed", failure_reason="HTTP 503",
                 started_at="2026-11-02T03:10:00+00:00")
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
    assert re.search(r"^bolt +failed .*HTTP 503", out, re.M)
    assert (sorted(p.name for p in tmp_path.iterdir()), db.stat().st_mtime_ns, db.read_bytes()) == before


def test_report_on_a_file_that_is_not_an_archive_exits_3(capsys, tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x00garbage" * 100)
    code, out, err = run(capsys, "report", "--db", str(garbage))
    assert code == ARCHIVE_UNUSABLE and out == ""
    assert err.strip() == f"paywatch: {garbage} is not a paywatch archive (file is not a database)"
    assert garbage.read_bytes() == b"\x00garbage" * 100


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
    assert re.search(r"^a24 +complete +3 ", log, re.M) and "[1/1] a24: complete (finished)" in log
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
