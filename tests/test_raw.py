"""Raw captures (archive/raw.py) and `paywatch rebuild`: what a crawl gave the archive is kept, and
replaying it builds an archive with the same content, crawl for crawl."""

import gzip
import json
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy.utils.test import get_crawler

from archive.raw import (CaptureError, RebuildRefused, captures_in_order, company_captures, read_capture,
                         rebuild_archive, write_capture)
from archive.schema import open_archive
from archive.store import ingest_crawl
from benchmarks.archive_equal import compare
from pipelines.archive_writer import ArchiveWriterPipeline
from scrapers.cli import BAD_INPUT, main
from scrapers.demo import DEMO_DIR, FAST_LOCAL_SETTINGS, replay_settings
from scrapers.demo.replay import ReplayServer
from scrapers.items import JobPosting
from tests.spider_helpers import project_settings

REPO = Path(__file__).resolve().parents[1]


# -- comparing two archives by what they hold -----------------------------------------------------

def archive_content(path) -> dict[str, list]:
    """Every table's rows, with row ids replaced by what they identify: a crawl by (company, platform,
    started_at, its rank among that company's crawls started then), a posting by (platform, company,
    ref), a version by (posting, version). Columns added later are compared too (SELECT *)."""
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    crawl_key, rank = {}, Counter()
    for row in db.execute("SELECT id, company, platform, started_at FROM crawls ORDER BY id"):
        started = (row["company"], row["platform"], row["started_at"])
        crawl_key[row["id"]] = (*started, rank[started])
        rank[started] += 1
    posting_key = {row["id"]: (row["platform"], row["company"], row["ref"])
                   for row in db.execute("SELECT id, platform, company, ref FROM postings")}
    version_key = {row["id"]: (*posting_key[row["posting_id"]], row["version"])
                   for row in db.execute("SELECT id, posting_id, version FROM posting_versions")}

    def identity(column, value):
        if value is None:
            return None
        if column.endswith("crawl_id"):
            return crawl_key[value]
        if column == "posting_id":
            return posting_key[value]
        if column == "version_id":
            return version_key[value]
        return value

    tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    content = {"tables": tables}
    for table in tables:
        if table == "_sqlite_migrations":  # when each migration ran: this file's history, not the archive's
            content[table] = sorted(row[0] for row in db.execute("SELECT name FROM _sqlite_migrations"))
            continue
        rows = []
        for row in db.execute(f"SELECT * FROM {table}"):
            rows.append(tuple((column, identity(column, row[column])) for column in row.keys() if column != "id"))
        content[table] = sorted(rows, key=repr)
    db.close()
    return content


def assert_same_archive(original, rebuilt):
    expected, actual = archive_content(original), archive_content(rebuilt)
    assert actual["tables"] == expected["tables"]
    for table in expected["tables"]:
        assert actual[table] == expected[table], f"{table} differs after the rebuild"
    return expected


# -- unit tests on synthetic crawls ----------------------------------------------------------------

def job(ref, title=None, pay=100_000, **fields):
    return {"platform": "greenhouse", "company": "acme", "ref": str(ref), "title": title or f"Engineer {ref}",
            "url": f"https://boards.example/acme/{ref}", "locations": ["Remote"], "description": f"Job {ref}.",
            "pay_text": f"${pay:,} - ${pay + 20_000:,}",
            "pay_ranges": [{"min": pay, "max": pay + 20_000, "currency": "USD", "period": "year", "basis": "base",
                            "label": None, "raw": "x", "source": "text", "period_inferred": False,
                            "annual_min": pay, "annual_max": pay + 20_000, "annualized": False}],
            **fields}


def crawl_args(started_at, finished_at=None, company="acme", **fields):
    return {"company": company, "platform": "greenhouse", "started_at": started_at,
            "finished_at": finished_at or started_at, "code_version": "test", **fields}


def test_a_companys_captures_are_found_by_name_night_by_night(tmp_path):
    written = [write_capture(tmp_path, crawl_args(at, company=company), [])
               for at, company in [("2026-11-01T03:00:00+00:00", "acme"), ("2026-11-01T03:00:00+00:00", "acme_two"),
                                   ("2026-11-01T05:00:00+00:00", "acme"), ("2026-11-02T03:00:00+00:00", "acme")]]
    assert company_captures(tmp_path, "acme") == [written[0], written[2], written[3]]
    assert [path.name for path in company_captures(tmp_path, "acme")] == ["acme.jsonl.gz", "acme.2.jsonl.gz",
                                                                          "acme.jsonl.gz"]
    assert company_captures(tmp_path, "acme_two") == [written[1]] and company_captures(tmp_path, "nobody") == []


def archive_and_capture(db, raw_dir, items, **kwargs):
    """What the archive writer does: capture first, then the archive."""
    write_capture(raw_dir, kwargs, items)
    return ingest_crawl(db, items=items, **kwargs)


@pytest.fixture
def nights(tmp_path):
    """Five crawls over four nights, each archived and captured: a complete first night; a suspect one
    (it lists 2 of 12 postings: closures held); a failed one; a complete one confirming the closures,
    with a pay change; and another company crawled twice on the last day."""
    raw_dir, original = tmp_path / "raw", tmp_path / "original.db"
    db = open_archive(str(original))
    everyone = [job(ref) for ref in range(1, 13)]
    statuses = [
        archive_and_capture(db, raw_dir, everyone, **crawl_args("2026-11-01T03:00:00+00:00",
                                                                listed_refs={str(ref) for ref in range(1, 13)})),
        archive_and_capture(db, raw_dir, everyone[:2], **crawl_args("2026-11-02T03:00:00+00:00")),
        archive_and_capture(db, raw_dir, [], **crawl_args("2026-11-03T03:00:00+00:00", status="failed",
                                                          failure_reason="crawl ended early: closespider_timeout")),
        archive_and_capture(db, raw_dir, [job(1, pay=120_000), job(2), job(3), job(4)],
                            **crawl_args("2026-11-04T03:00:00+00:00", "2026-11-04T03:01:00+00:00")),
    ]
    for started, titles in (("2026-11-04T05:00:00+00:00", ["A"]), ("2026-11-04T05:00:00+00:00", ["A", "B"])):
        items = [dict(job(title, title=title), company="other") for title in titles]
        statuses.append(archive_and_capture(db, raw_dir, items, **crawl_args(started, company="other")))
    db.close()
    return raw_dir, original, [summary.status for summary in statuses]


def test_a_capture_reads_back_as_the_arguments_and_items_it_was_given(tmp_path):
    items = [job(1, title="Ingénieur \ud800 café", pay=90_000), job(2, description=None)]
    kwargs = crawl_args("2026-11-01T23:59:59+00:00", "2026-11-02T00:10:00+00:00", listed_refs={"2", "1", "3"},
                        status="complete", failure_reason=None, dropped=1)
    path = write_capture(tmp_path, kwargs, items)
    assert path == tmp_path / "2026-11-01" / "acme.jsonl.gz"  # the night it started
    capture = read_capture(path)
    assert capture.crawl == kwargs and capture.items == items
    with gzip.open(path, "rt") as lines:
        header = json.loads(lines.readline())
    assert header["crawl"]["listed_refs"] == ["1", "2", "3"]  # sets as sorted lists
    assert header["sequence"] == 1 and header["items"] == 2
    assert [entry.name for entry in tmp_path.rglob("*")] == ["2026-11-01", "acme.jsonl.gz"]  # no temporary left


def test_no_listing_stays_none_and_unknown_types_are_refused(tmp_path):
    capture = read_capture(write_capture(tmp_path, crawl_args("2026-11-01T03:00:00+00:00", listed_refs=None), []))
    assert capture.crawl["listed_refs"] is None and capture.items == []
    with pytest.raises(TypeError, match="cannot hold a object"):
        write_capture(tmp_path, crawl_args("2026-11-01T04:00:00+00:00", listed_refs=object()), [])
    assert sorted(path.name for path in tmp_path.rglob("*.gz")) == ["acme.jsonl.gz"]
    assert not list(tmp_path.rglob(".*"))


def test_two_crawls_of_a_company_in_one_day_are_both_kept_in_order(nights):
    raw_dir, _, _ = nights
    last_day = [capture for capture in captures_in_order(raw_dir) if capture.night == "2026-11-04"]
    assert [capture.path.name for capture in last_day] == ["acme.jsonl.gz", "other.jsonl.gz", "other.2.jsonl.gz"]
    assert [capture.sequence for capture in last_day] == [1, 2, 3]
    assert [len(read_capture(capture.path).items) for capture in last_day] == [4, 1, 2]


def test_rebuild_reproduces_every_table_through_suspect_and_failed_nights(nights, tmp_path):
    raw_dir, original, statuses = nights
    assert statuses == ["complete", "suspect", "failed", "complete", "complete", "complete"]
    heard = []
    summary = rebuild_archive(raw_dir, tmp_path / "rebuilt.db", heard.append)
    assert (summary.nights, summary.crawls, summary.statuses) == (4, 6, {"complete": 4, "suspect": 1, "failed": 1})
    assert [night.night for night in heard] == ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"]
    content = assert_same_archive(original, tmp_path / "rebuilt.db")
    assert len(content["posting_events"]) == 12 + 2 + 8  # opened, then 8 closed when confirmed
    assert len(content["version_changes"]) > 0 and len(content["pay_ranges"]) == 12 + 1 + 2


def test_a_truncated_capture_is_named_and_leaves_no_archive(nights, tmp_path):
    raw_dir, _, _ = nights
    broken = raw_dir / "2026-11-04" / "acme.jsonl.gz"
    broken.write_bytes(broken.read_bytes()[:-30])
    new = tmp_path / "rebuilt.db"
    with pytest.raises(CaptureError, match=f"capture {broken} is unreadable.*truncated"):
        rebuild_archive(raw_dir, new)
    assert not new.exists() and sorted(tmp_path.glob(".rebuilt*")) == []


def test_a_capture_missing_lines_or_not_a_capture_is_named(tmp_path):
    path = write_capture(tmp_path, crawl_args("2026-11-01T03:00:00+00:00"), [job(1), job(2)])
    with gzip.open(path, "rb") as whole:
        header, first, _ = whole.read().splitlines(keepends=True)
    with gzip.open(path, "wb") as short:
        short.write(header + first)
    with pytest.raises(CaptureError, match="is truncated: 1 of its 2 items"):
        read_capture(path)
    path.write_bytes(gzip.compress(b'{"not": "a capture"}\n'))
    with pytest.raises(CaptureError, match="does not start with a capture header"):
        captures_in_order(tmp_path)
    path.write_bytes(b"plain text")
    with pytest.raises(CaptureError, match=f"capture {path} is unreadable"):
        captures_in_order(tmp_path)


def test_a_capture_this_archive_cannot_take_is_named(tmp_path):
    write_capture(tmp_path / "raw", crawl_args("2026-11-01T03:00:00+00:00", fingerprint_of_the_future="x"), [job(1)])
    with pytest.raises(CaptureError, match="does not fit this paywatch's archive.*fingerprint_of_the_future"):
        rebuild_archive(tmp_path / "raw", tmp_path / "new.db")
    assert not (tmp_path / "new.db").exists()


def test_rebuild_refuses_an_existing_archive_and_an_empty_directory(nights, tmp_path):
    raw_dir, original, _ = nights
    with pytest.raises(RebuildRefused, match="already exists"):
        rebuild_archive(raw_dir, original)
    (tmp_path / "empty").mkdir()
    with pytest.raises(RebuildRefused, match="no captures in"):
        rebuild_archive(tmp_path / "empty", tmp_path / "new.db")
    with pytest.raises(RebuildRefused, match="no raw capture directory"):
        rebuild_archive(tmp_path / "nowhere", tmp_path / "new.db")
    with pytest.raises(RebuildRefused, match="no directory .*nowhere to write new.db in"):
        rebuild_archive(raw_dir, tmp_path / "nowhere" / "new.db")
    assert not (tmp_path / "new.db").exists()


def test_the_command_prints_a_line_a_night_and_refuses_in_one_line(nights, tmp_path, capsys):
    raw_dir, original, _ = nights
    assert main(["rebuild", "--from", str(raw_dir), "--db", str(tmp_path / "rebuilt.db")]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines()[1] == "2026-11-02: 1 crawl (1 suspect); seen 2, new 0, changed 0, closed 0"
    assert len(err.splitlines()) == 4
    assert "4 nights, 6 crawls (4 complete, 1 failed, 1 suspect)" in out
    for argv, message in [
        (["--from", str(raw_dir), "--db", str(original)], "already exists"),
        (["--from", str(tmp_path / "nowhere"), "--db", str(tmp_path / "x.db")], "no raw capture directory"),
        (["--db", str(tmp_path / "x.db")], "Missing option '--from'"),
    ]:
        assert main(["rebuild", *argv]) == BAD_INPUT
        out, err = capsys.readouterr()
        assert out == "" and len(err.strip().splitlines()) == 1 and message in err
    (raw_dir / "2026-11-01" / "acme.jsonl.gz").write_bytes(b"\x1f\x8b broken")
    assert main(["rebuild", "--from", str(raw_dir), "--db", str(tmp_path / "x.db")]) == BAD_INPUT
    out, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1 and "2026-11-01/acme.jsonl.gz is unreadable" in err
    assert not (tmp_path / "x.db").exists()


# -- the archive writer's capture hook -------------------------------------------------------------

def close_a_crawl(tmp_path, **settings):
    crawler = get_crawler(settings_dict={**project_settings(), "PAYWATCH_DB": str(tmp_path / "a.db"), **settings})
    crawler.stats.open_spider()
    pipeline = ArchiveWriterPipeline.from_crawler(crawler)
    pipeline.process_item(JobPosting(platform="lever", company="acme", ref="r1", title="Engineer"))
    spider = SimpleNamespace(name="acme", platform="lever", listed_refs={"r1", "r2"}, identifies_listed_postings=True)
    pipeline.spider_closed(spider, "finished")
    archived = list(open_archive(str(tmp_path / "a.db")).query("SELECT company, seen, status FROM crawls"))
    return crawler.stats, archived


def test_the_writer_captures_each_crawl_beside_the_archive(tmp_path):
    stats, archived = close_a_crawl(tmp_path)
    assert archived == [{"company": "acme", "seen": 2, "status": "complete"}]
    (info,) = captures_in_order(tmp_path / "a.db.raw")
    capture = read_capture(info.path)
    assert capture.crawl["listed_refs"] == {"r1", "r2"} and [item["ref"] for item in capture.items] == ["r1"]
    assert stats.get_value("paywatch/raw/captured") == 1 and stats.get_value("paywatch/raw/bytes") > 0


def test_a_capture_that_cannot_be_written_does_not_cost_the_archive_the_crawl(tmp_path):
    (tmp_path / "not-a-directory").write_text("")
    stats, archived = close_a_crawl(tmp_path, PAYWATCH_RAW_DIR=str(tmp_path / "not-a-directory"))
    assert archived == [{"company": "acme", "seen": 2, "status": "complete"}]
    assert stats.get_value("paywatch/raw/failed") == 1 and stats.get_value("paywatch/raw/captured") is None


def test_captures_can_be_turned_off(tmp_path):
    stats, archived = close_a_crawl(tmp_path, PAYWATCH_RAW_CAPTURE="False")
    assert len(archived) == 1 and not (tmp_path / "a.db.raw").exists()
    assert stats.get_value("paywatch/raw/captured") is None


# -- the demo's nights, crawled for real, then rebuilt ---------------------------------------------

def paywatch(*args):
    return subprocess.run([sys.executable, "-m", "scrapers.cli", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def crawl(db, server, night, *extra):
    settings = [arg for setting in [*replay_settings(server.url, night), *FAST_LOCAL_SETTINGS] for arg in ("-s", setting)]
    return paywatch("crawl", "--db", str(db), "--registry", str(DEMO_DIR / "companies.toml"), "--log-level", "WARNING",
                    *settings, *extra)


def test_the_demo_nights_rebuilt_from_their_captures_are_the_same_archive(tmp_path):
    db = tmp_path / "archive.db"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "routes.json").write_text(json.dumps({"routes": [
        {"path": "/greenhouse/v1/boards/a24/jobs", "status": 503, "body_text": "maintenance"}]}))
    mounts = {**{f"/{night}": sorted((DEMO_DIR / night).glob("routes*.json")) for night in ("night1", "night2")},
              "/broken": [broken / "routes.json"]}
    with ReplayServer(mounts) as server:
        assert crawl(db, server, "night1").returncode == 0
        assert crawl(db, server, "night2").returncode == 0
        assert crawl(db, server, "broken", "--company", "a24").returncode == 1  # a failed crawl, captured too
    result = paywatch("rebuild", "--from", f"{db}.raw", "--db", str(tmp_path / "rebuilt.db"))
    assert result.returncode == 0, result.stderr
    assert "11 crawls (10 complete, 1 failed)" in result.stdout
    content = assert_same_archive(db, tmp_path / "rebuilt.db")
    for table in ("postings", "posting_versions", "version_changes", "pay_ranges", "posting_events", "descriptions",
                  "companies"):
        assert content[table], f"the demo wrote no {table}: nothing was compared"
    assert compare(db, tmp_path / "rebuilt.db") == []  # benchmarks/archive_equal.py: every table, row by row
    statuses = Counter(dict(row)["status"] for row in content["crawls"])
    assert statuses == {"complete": 10, "failed": 1}


def test_the_companies_each_night_recorded_are_kept_and_restored_latest_first(tmp_path):
    from archive.raw import COMPANIES_FILE, record_companies, restore_companies

    db, raw = open_archive(str(tmp_path / "a.db")), tmp_path / "a.db.raw"
    acme = {"slug": "acme", "name": "Acme", "sector": "tech", "platform": "greenhouse", "careers_url": None, "ids": {}}
    record_companies(db, [acme], raw, "2026-11-01T03:00:00+00:00")
    record_companies(db, [{**acme, "slug": "bolt", "name": "Bolt"}], raw, "2026-11-01T09:00:00+00:00")  # merged
    record_companies(db, [{**acme, "sector": "studio"}], raw, "2026-11-02T03:00:00+00:00")  # re-sectored
    assert sorted(path.relative_to(raw).as_posix() for path in raw.glob(f"*/{COMPANIES_FILE}")) == [
        f"2026-11-01/{COMPANIES_FILE}", f"2026-11-02/{COMPANIES_FILE}"]
    rebuilt = open_archive(":memory:")
    assert restore_companies(raw, rebuilt) == 2
    rows = lambda archive: sorted(archive["companies"].rows, key=repr)
    assert rows(rebuilt) == rows(db) and {row["slug"]: row["sector"] for row in rows(db)} == {"acme": "studio",
                                                                                               "bolt": "tech"}
    (raw / "2026-11-02" / COMPANIES_FILE).write_text("[{]", encoding="utf-8")
    with pytest.raises(CaptureError, match="_companies.json is unreadable"):
        restore_companies(raw, open_archive(":memory:"))


def test_a_replay_dated_to_its_night_is_archived_at_that_night_says_so_and_rebuilds_so(tmp_path):
    """PAYWATCH_CRAWL_TIME: a replay of saved responses records the night's times (crawl rows, versions,
    events, postings, the items' scraped_at, the captures' night directory), the wall-clock time it
    really ran in crawls.replayed_at, and `paywatch rebuild` gives back both."""
    db = tmp_path / "archive.db"
    # Night 2's replies twice: its absences are closed by the second, dated the first.
    nights = [("night1", "2026-11-01T03:15:00+00:00"), ("night2", "2026-11-07T03:15:00+00:00"),
              ("night2", "2026-11-08T03:15:00+00:00")]
    mounts = {f"/{night}": sorted((DEMO_DIR / night).glob("routes*.json")) for night, _ in nights}
    with ReplayServer(mounts) as server:
        for night, at in nights:
            result = crawl(db, server, night, "-s", f"PAYWATCH_CRAWL_TIME={at}")
            assert result.returncode == 0, result.stderr
    assert "replayed: saved responses, dated 2026-11-08 03:15 UTC" in result.stdout
    archive = sqlite3.connect(db)
    crawls = archive.execute("SELECT started_at, finished_at, replayed_at FROM crawls ORDER BY id").fetchall()
    assert len(crawls) == 15
    for (started, finished, replayed), night in zip(crawls, ["2026-11-01T03:1"] * 5 + ["2026-11-07T03:1"] * 5
                                                            + ["2026-11-08T03:1"] * 5):
        assert started.startswith(night) and finished.startswith(night) and started <= finished
        assert replayed is not None and not replayed.startswith(night[:10])  # when it really ran: not that night
    times = archive.execute("SELECT min(observed_at), max(observed_at) FROM posting_versions").fetchone()
    assert times[0].startswith("2026-11-01T03:1") and times[1].startswith("2026-11-07T03:1")
    closed = {at[:10] for (at,) in archive.execute("SELECT at FROM posting_events WHERE event = 'closed'")}
    assert closed == {"2026-11-07"}
    assert sorted(path.name for path in (tmp_path / "archive.db.raw").iterdir()) == ["2026-11-01", "2026-11-07",
                                                                                       "2026-11-08"]
    capture = read_capture(company_captures(tmp_path / "archive.db.raw", "a24")[0])
    assert {item["scraped_at"][:10] for item in capture.items} == {"2026-11-01"}
    result = paywatch("rebuild", "--from", f"{db}.raw", "--db", str(tmp_path / "rebuilt.db"))
    assert result.returncode == 0, result.stderr
    assert_same_archive(db, tmp_path / "rebuilt.db")  # replayed_at and every time, exactly


def test_a_crawl_time_that_is_no_time_is_refused_before_any_request(tmp_path):
    with ReplayServer({"/night1": sorted((DEMO_DIR / "night1").glob("routes*.json"))}) as server:
        result = crawl(tmp_path / "archive.db", server, "night1", "-s", "PAYWATCH_CRAWL_TIME=last tuesday")
        assert server.requests == []
    assert result.returncode == BAD_INPUT
    assert result.stderr.strip() == ("paywatch: PAYWATCH_CRAWL_TIME must be an ISO date or time "
                                     "(2026-11-01T03:15:00+00:00), got 'last tuesday'")


# -- captures are the archive's history exactly ----------------------------------------------------

def test_a_capture_appears_only_with_its_crawls_commit_and_a_killed_crawls_is_settled_next_night(tmp_path):
    """Killed before its commit: the crawl is not in the archive, so its capture must not be replayed;
    killed between the commit and the capture's move into its night: it is history, so it is. Either
    way the next night's start settles what was left, and a rebuild is then the archive, table by table."""
    from archive.raw import PENDING_DIR, SET_ASIDE_DIR, begin_night, write_pending_capture

    db_path, raw = tmp_path / "a.db", tmp_path / "a.db.raw"
    db = open_archive(str(db_path))
    first = crawl_args("2026-11-01T03:00:00+00:00")
    ingest_crawl(db, **first, items=[job(1), job(2)])
    write_pending_capture(raw, first, [job(1), job(2)]).publish()  # a night that went well

    killed_after_commit = crawl_args("2026-11-02T03:00:00+00:00")
    write_pending_capture(raw, killed_after_commit, [job(1), job(2, pay=120_000)])
    ingest_crawl(db, **killed_after_commit, items=[job(1), job(2, pay=120_000)])
    killed_before_commit = crawl_args("2026-11-02T04:00:00+00:00", company="bolt")
    write_pending_capture(raw, killed_before_commit, [job(9)])
    assert [info.night for info in captures_in_order(raw)] == ["2026-11-01"]  # nothing pending is history yet
    said = paywatch("rebuild", "--from", str(raw), "--db", str(tmp_path / "early.db"))
    assert said.returncode == 0 and "2 captures pending" in said.stderr

    assert begin_night(db, [], raw, "2026-11-03T03:00:00+00:00") == (1, 1)
    assert not (raw / PENDING_DIR).exists()
    assert [read_capture(info.path).crawl["started_at"] for info in captures_in_order(raw)] == [
        "2026-11-01T03:00:00+00:00", "2026-11-02T03:00:00+00:00"]
    [aside] = (raw / SET_ASIDE_DIR).iterdir()  # the evidence is kept, out of the history
    assert read_capture(aside).crawl["company"] == "bolt"
    db.close()
    assert rebuild_archive(raw, tmp_path / "rebuilt.db").crawls == 2
    assert compare(db_path, tmp_path / "rebuilt.db") == []


def test_a_crawl_whose_archive_write_fails_leaves_its_capture_set_aside_not_replayed(tmp_path, monkeypatch):
    import pipelines.archive_writer as writer
    from archive.raw import SET_ASIDE_DIR

    def failing_write(*_args, **_kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(writer, "ingest_crawl", failing_write)
    with pytest.raises(sqlite3.OperationalError):
        close_a_crawl(tmp_path)
    raw = tmp_path / "a.db.raw"
    assert captures_in_order(raw) == [] and len(list((raw / SET_ASIDE_DIR).iterdir())) == 1
