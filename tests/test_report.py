"""The night report (archive/report.py) and how commands open an archive (archive/access.py), on small
archives: which crawls make the last night, what each company's line says, the anomalies against its
recent nights, and that reading an archive leaves its file exactly as it was."""

import json
import re
import sqlite3
from pathlib import Path

import pytest

from archive.access import ArchiveUnusable, open_read_only, prepare_archive
from archive.report import last_night, night_report, render_table, write_report
from archive.schema import open_archive
from archive.store import ingest_crawl
from tests.conftest import another_programs_sqlite, text_file

def night(day, hour=3):
    return f"2026-11-{day:02d}T{hour:02d}:00:00+00:00"


def job(ref, with_pay=False):
    ranges = [{"min": 100000, "max": 150000, "currency": "USD", "period": "year", "basis": "base", "label": None,
               "raw": "$100,000 - $150,000", "source": "text", "period_inferred": False,
               "annual_min": 100000, "annual_max": 150000, "annualized": False}] if with_pay else []
    return {"platform": "greenhouse", "company": "acme", "ref": str(ref), "title": f"Engineer {ref}",
            "url": f"https://boards.greenhouse.io/acme/jobs/{ref}", "description": f"Posting {ref}.",
            "locations": ["New York, NY"], "pay_ranges": ranges}


def recorded(db, company="acme", day=1, status="complete", seen=20, with_pay=10, **columns):
    """A crawls row as a crawl records it (the report reads nothing else), counts given directly."""
    row = {"company": company, "platform": "greenhouse", "started_at": night(day), "status": status,
           "finished_at": columns.pop("finished_at", night(day).replace("03:00:00", "03:02:05")),
           "seen": seen, "with_pay": with_pay, **columns}
    return db["crawls"].insert(row).last_pk


def entry(report, company="acme"):
    return next(line for line in report["companies"] if line["company"] == company)


def kinds(report, company="acme"):
    return [anomaly["kind"] for anomaly in entry(report, company)["anomalies"]]


def test_a_night_archived_by_ingest_crawl_is_reported_line_by_line(memory_db):
    ingest_crawl(memory_db, company="acme", platform="greenhouse", items=[job(1, True), job(2), job(3)],
                 started_at=night(1), finished_at=night(1).replace("03:00:00", "03:00:42"))
    # 2 and 3 missed once (a rerun that morning), then again: night 2's listing closes them.
    ingest_crawl(memory_db, company="acme", platform="greenhouse", items=[job(1, True)], started_at=night(1, 9))
    ingest_crawl(memory_db, company="acme", platform="greenhouse", items=[job(1, True), job(4, True)],
                 started_at=night(2), finished_at=night(2).replace("03:00:00", "03:01:30"))
    ingest_crawl(memory_db, company="bolt", platform="greenhouse", items=[], started_at=night(2),
                 finished_at=night(2), status="failed", failure_reason="HTTP 503 after retries")

    report = night_report(memory_db, last_night(memory_db), generated_at=night(2, 9))
    assert [line["company"] for line in report["companies"]] == ["acme", "bolt"]
    acme = entry(report)
    assert (acme["status"], acme["seen"], acme["new"], acme["changed"], acme["closed"]) == ("complete", 2, 1, 0, 2)
    assert acme["pay_share"] == 1.0 and acme["duration_s"] == 90.0
    assert acme["requests"] is None  # not recorded by this crawl: unknown, not zero
    bolt = entry(report, "bolt")
    assert bolt["status"] == "failed" and bolt["failure_reason"] == "HTTP 503 after retries"
    assert report["ok"] is False and report["problems"] == ["bolt"]
    assert report["totals"] == {"companies": 2, "complete": 1, "suspect": 0, "failed": 1, "seen": 2, "new": 1,
                                "changed": 0, "closed": 2, "with_pay": 2, "deferred": 0, "requests": None}
    assert (report["started_at"], report["generated_at"]) == (night(2), night(2, 9))
    json.dumps(report)  # the report is plain JSON


def test_the_last_night_is_each_companys_latest_crawl_within_a_day_of_the_newest(memory_db):
    recorded(memory_db, "acme", day=1)
    old_bolt = recorded(memory_db, "bolt", day=1)
    first_acme = recorded(memory_db, "acme", day=5, status="failed")
    rerun = recorded(memory_db, "acme", day=5, started_at=night(5, 11))  # a rerun the same day
    carl = recorded(memory_db, "carl", day=4, started_at=night(4, 12))  # within 24 h of the newest crawl
    assert [row["id"] for row in last_night(memory_db)] == [rerun, carl]
    assert old_bolt not in {row["id"] for row in last_night(memory_db)} and first_acme != rerun


def test_an_empty_archive_has_an_empty_report(memory_db):
    report = night_report(memory_db, last_night(memory_db))
    assert report["companies"] == [] and report["ok"] is True and render_table(report) == "no crawl recorded yet"


def test_detail_staleness_deferred_and_requests_come_from_the_crawl_row(memory_db):
    recorded(memory_db, day=10, requests=412, detail_reads=380, deferred=55, completed=12,
             oldest_detail_at=night(3, 15))
    line = entry(night_report(memory_db, last_night(memory_db)))
    assert (line["requests"], line["detail_reads"], line["deferred"]) == (412, 380, 55)
    assert line["detail_age_days"] == 6.5 and line["oldest_detail_at"] == night(3, 15)
    table = render_table(night_report(memory_db, last_night(memory_db)))
    assert "6.5d" in table and "412" in table and "2m05s" in table


@pytest.mark.parametrize(
    "history, tonight, expected",
    [
        ([20, 21, 19, 20], 9, ["seen_fell"]),
        ([20, 21, 19, 20], 12, []),
        ([20, 21, 19, 20], 41, ["seen_rose"]),
        ([3, 3, 3], 1, []),  # a board of three that lists one: too small to call
        ([10] * 8 + [100] * 7, 48, ["seen_fell"]),  # the median of the last 7 only (of all 15: seen rose)
    ],
)
def test_seen_is_compared_with_the_median_of_the_companys_recent_nights(memory_db, history, tonight, expected):
    for day, seen in enumerate(history, start=1):
        recorded(memory_db, day=day, seen=seen, with_pay=seen // 2)
    recorded(memory_db, day=len(history) + 1, seen=tonight, with_pay=tonight // 2)
    assert kinds(night_report(memory_db, last_night(memory_db))) == expected


def test_failed_nights_do_not_count_as_the_usual(memory_db):
    for day in (1, 2):
        recorded(memory_db, day=day, seen=40, with_pay=20)
    for day in (3, 4, 5):
        recorded(memory_db, day=day, status="failed", seen=0, with_pay=0, failure_reason="HTTP 503")
    recorded(memory_db, day=6, seen=15, with_pay=7)
    assert kinds(night_report(memory_db, last_night(memory_db))) == ["seen_fell"]


def test_a_sharp_fall_in_the_share_with_pay_is_an_anomaly(memory_db):
    for day in (1, 2, 3):
        recorded(memory_db, day=day, seen=50, with_pay=30)
    recorded(memory_db, day=4, seen=50, with_pay=14)
    report = night_report(memory_db, last_night(memory_db))
    assert kinds(report) == ["pay_share_fell"]
    assert entry(report)["anomalies"][0]["message"] == "28% with pay, usually 60% (median of its last 3 crawls)"


def test_failing_night_after_night_and_no_complete_crawl_for_days(memory_db):
    recorded(memory_db, day=1)
    for day in (2, 3, 4):
        recorded(memory_db, day=day, status="failed", failure_reason="crawl ended early: closespider_timeout")
    report = night_report(memory_db, last_night(memory_db))
    assert entry(report)["anomalies"] == [
        {"kind": "failed_in_a_row", "message": "failed 3 crawls in a row"},
        {"kind": "incomplete_for_days", "message": "no complete crawl for 3 days (last 2026-11-01)"},
    ]
    assert "failed 3 crawls in a row" in render_table(report)


def test_one_failed_night_is_just_failed_and_a_company_that_never_completed_says_so(memory_db):
    recorded(memory_db, "acme", day=1)
    recorded(memory_db, "acme", day=2, status="failed")
    recorded(memory_db, "bolt", day=1, status="suspect", failure_reason="would close 12 of 15 open postings")
    recorded(memory_db, "bolt", day=2, status="suspect", failure_reason="would close 12 of 15 open postings")
    report = night_report(memory_db, last_night(memory_db))
    assert kinds(report, "acme") == []
    assert entry(report, "bolt")["anomalies"] == [{"kind": "never_complete", "message": "no complete crawl in its 2 crawls"}]
    assert report["problems"] == ["acme", "bolt"]


def test_a_crawl_that_was_never_archived_is_reported_failed(memory_db):
    recorded(memory_db, "acme", day=1, status="failed")
    not_archived = {"company": "acme", "platform": "greenhouse", "status": "failed",
                    "failure_reason": "crawl was not archived (see the log)"}
    line = entry(night_report(memory_db, [not_archived]))
    assert line["crawl_id"] is None and line["seen"] is None and line["duration_s"] is None
    assert [anomaly["kind"] for anomaly in line["anomalies"]] == ["failed_in_a_row"]
    assert "crawl was not archived" in render_table(night_report(memory_db, [not_archived]))


def test_the_report_file_is_written_whole(tmp_path, memory_db):
    recorded(memory_db, day=1)
    path = tmp_path / "reports" / "night.json"
    write_report(night_report(memory_db, last_night(memory_db)), path)
    assert json.loads(path.read_text())["companies"][0]["company"] == "acme"
    assert sorted(p.name for p in path.parent.iterdir()) == ["night.json"]  # no partial file left behind


def archive_file(tmp_path):
    path = tmp_path / "paywatch.db"
    db = open_archive(str(path))
    ingest_crawl(db, company="acme", platform="greenhouse", items=[job(1)], started_at=night(1))
    db.close()
    return path


def snapshot(path):
    return sorted(p.name for p in path.parent.iterdir()), path.stat().st_mtime_ns, path.read_bytes()


def test_reading_an_archive_leaves_it_and_its_directory_exactly_as_they_were(tmp_path):
    path = archive_file(tmp_path)
    before = snapshot(path)
    db = open_read_only(str(path))
    assert len(last_night(db)) == 1
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.execute("INSERT INTO crawls (company, platform, started_at, finished_at, status) "
                    "VALUES ('x', 'y', 'z', 'z', 'complete')")
    db.close()
    assert snapshot(path) == before  # no -wal or -shm left, same bytes, same mtime


def test_reading_while_a_crawl_writes_sees_what_it_committed_and_leaves_its_wal_alone(tmp_path):
    path = archive_file(tmp_path)
    writer = open_archive(str(path))
    ingest_crawl(writer, company="bolt", platform="greenhouse", items=[job(2)], started_at=night(2))
    reader = open_read_only(str(path))
    assert [row["company"] for row in last_night(reader)] == ["acme", "bolt"]
    reader.close()
    assert Path(f"{path}-wal").exists()  # still the writer's
    writer.close()


@pytest.mark.parametrize(
    "make, message",
    [
        (text_file, "is not a paywatch archive (file is not a database)"),
        (Path.mkdir, "is a directory, not a paywatch archive"),
        (another_programs_sqlite, "is not a paywatch archive (an SQLite file of another program)"),
        (lambda p: p.write_bytes(b""), "is not a paywatch archive (empty)"),
    ],
)
def test_a_file_that_is_not_a_paywatch_archive_is_one_error_naming_it(tmp_path, make, message):
    path = tmp_path / "thing.db"
    make(path)
    with pytest.raises(ArchiveUnusable) as error:
        open_read_only(str(path))
    assert str(error.value) == f"{path} {message}"


def test_a_crawl_creates_or_migrates_an_archive_but_never_writes_into_another_programs_file(tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    prepare_archive(str(empty))
    open_read_only(str(empty)).close()  # now a paywatch archive
    foreign = tmp_path / "notes.db"
    another_programs_sqlite(foreign)
    before = foreign.read_bytes()
    with pytest.raises(ArchiveUnusable, match="an SQLite file of another program"):
        prepare_archive(str(foreign))
    assert foreign.read_bytes() == before
    with pytest.raises(ArchiveUnusable, match="cannot open or migrate"):
        prepare_archive(str(tmp_path / "missing-dir" / "paywatch.db"))


def test_the_table_fits_120_columns_and_says_why_a_crawl_failed_in_full_below_it(memory_db):
    """A long failure reason and anomalies no longer widen the table: they are said below it, a
    company a line (wrapped within 120 columns), whole."""
    reason = ("listing incomplete: the platform reported 1,204 postings in meta.total but only 1,100 were "
              "listed across 23 pages (+2 more)")
    recorded(memory_db, "warner_bros_discovery_games", day=1, seen=40, with_pay=30, requests=61234, deferred=1234)
    recorded(memory_db, "warner_bros_discovery_games", day=2, status="failed", failure_reason=reason, seen=3,
             requests=61234, deferred=1234)
    recorded(memory_db, "warner_bros_discovery_games", day=3, status="failed", failure_reason=reason, seen=3,
             requests=61234, deferred=1234)
    report = night_report(memory_db, last_night(memory_db))
    table = render_table(report)
    lines = table.splitlines()
    assert max(len(line) for line in lines) <= 120, table
    assert re.match(r"warner_bros_discovery_games +failed +3 ", next(line for line in lines if "failed" in line))
    notes = table.split("\nwhy not complete; anomalies:\n")[1]
    assert notes.startswith("  warner_bros_discovery_games: listing incomplete")
    said = [reason, *(anomaly["message"] for anomaly in entry(report, "warner_bros_discovery_games")["anomalies"])]
    assert len(said) == 3 and " ".join(notes.split()) == f"warner_bros_discovery_games: {'; '.join(said)}"


def test_a_failed_and_a_suspect_crawl_report_what_they_wrote_and_say_what_they_planned(memory_db):
    board = [job(n) for n in range(30)]
    ingest_crawl(memory_db, company="acme", platform="greenhouse", items=board, started_at=night(1))
    ingest_crawl(memory_db, company="bolt", platform="greenhouse", items=board, started_at=night(1))
    ingest_crawl(memory_db, company="bolt", platform="greenhouse", items=board[:29], started_at=night(1, 9))
    edited = [{**job(n), "title": f"Edited {n}"} for n in range(4)]
    ingest_crawl(memory_db, company="acme", platform="greenhouse", items=edited + board[4:] + [job(f"new-{n}") for n in range(6)],
                 started_at=night(2), status="failed", failure_reason="request failed: page 3")
    ingest_crawl(memory_db, company="bolt", platform="greenhouse", items=edited + board[4:12], started_at=night(2))
    report = night_report(memory_db, last_night(memory_db))
    acme, bolt = entry(report), entry(report, "bolt")
    assert (acme["status"], acme["new"], acme["changed"], acme["closed"]) == ("failed", 0, 0, 0)
    assert (acme["planned_new"], acme["planned_changed"], acme["planned_closed"]) == (6, 4, None)
    assert (bolt["status"], bolt["new"], bolt["changed"], bolt["closed"]) == ("suspect", 0, 4, 0)
    assert (bolt["planned_changed"], bolt["planned_closed"]) == (4, 1)  # the one missed the night before
    assert (report["totals"]["new"], report["totals"]["changed"], report["totals"]["closed"]) == (0, 4, 0)
    for line in (acme, bolt):
        versions = memory_db.execute("SELECT count(*) FROM posting_versions WHERE crawl_id = ?", [line["crawl_id"]]).fetchone()
        events = memory_db.execute("SELECT count(*) FROM posting_events WHERE crawl_id = ?", [line["crawl_id"]]).fetchone()
        assert versions[0] == line["new"] + line["changed"] and events[0] == line["new"] + line["closed"]
    table = " ".join(render_table(report).split())  # the notes below the table, unwrapped
    assert "acme: request failed: page 3; planned, not written: 6 new, 4 changed" in table
    assert "planned, not written: 1 closed; seen 12" in table


def test_an_older_archives_failed_crawl_reports_its_recorded_counts_as_plans(memory_db):
    recorded(memory_db, "acme", day=1)
    recorded(memory_db, "acme", day=2, status="failed", failure_reason="request failed", new=19060, changed=200)
    line = entry(night_report(memory_db, last_night(memory_db)))
    assert (line["new"], line["changed"], line["planned_new"], line["planned_changed"]) == (0, 0, 19060, 200)
    assert "planned, not written: 19060 new, 200 changed" in render_table(night_report(memory_db, last_night(memory_db)))
