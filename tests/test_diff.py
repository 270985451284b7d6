"""`paywatch diff` and `paywatch history`: every option, every bad input, numbers in JSON and CSV,
late first details that are no change, and archives from an older paywatch read without migrating."""

import csv
import io
import json
import sqlite3

import pytest

from archive.diff import changes_since, company_sectors, utc_iso
from archive.history import posting_history
from archive.schema import migrations, open_archive
from archive.store import ingest_crawl
from scrapers.cli import ARCHIVE_UNUSABLE, BAD_INPUT, main
from tests.test_archive import pay, posting

NIGHT1, NIGHT2, NIGHT3 = "2026-11-01T03:00:00+00:00", "2026-11-02T03:00:00+00:00", "2026-11-03T03:00:00+00:00"
NIGHT4 = "2026-11-04T03:00:00+00:00"


def night(db, company, started_at, items, platform="greenhouse"):
    for item in items:
        # The pay text is what is hashed (parsed ranges are not): a new range comes with a new text.
        item.update(company=company, pay_text="; ".join(r["raw"] for r in item["pay_ranges"]))
    ingest_crawl(db, company=company, platform=platform, items=items, started_at=started_at)


@pytest.fixture
def archive_path(tmp_path):
    """Three nights of a studio (a24) and a tech company (ramp):
    night 2: a24 1 raised 10%/5%, a24 2 cut 2%, ramp 7 (research) widened, ramp 8 opened;
    night 3: a24 1 raised again 1%, a24 2 no longer listed (closed by night 4's listing, dated night 3)."""
    path = tmp_path / "paywatch.db"
    db = open_archive(str(path))
    night(db, "a24", NIGHT1, [posting("1", "Director, Film Marketing", [pay(100000, 200000)]),
                              posting("2", "Editor", [pay(50000, 60000)])])
    night(db, "ramp", NIGHT1, [posting("7", "Research Scientist, ML", [pay(200000, 300000)], role_type="research",
                                       ai_related=True)], platform="ashby")
    night(db, "a24", NIGHT2, [posting("1", "Director, Film Marketing", [pay(110000, 210000)]),
                              posting("2", "Editor", [pay(49000, 58800)])])
    night(db, "ramp", NIGHT2, [posting("7", "Research Scientist, ML", [pay(190000, 320000)], role_type="research",
                                       ai_related=True),
                               posting("8", "Accountant", [pay(90000, 110000)], role_type="corporate")],
          platform="ashby")
    night(db, "a24", NIGHT3, [posting("1", "Director, Film Marketing", [pay(111100, 212100)])])
    night(db, "a24", NIGHT4, [posting("1", "Director, Film Marketing", [pay(111100, 212100)])])
    db.close()
    return path


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def diff_json(capsys, path, *options):
    code, out, err = run(capsys, "diff", "--db", str(path), "--format", "json", *options)
    assert code == 0, err
    return json.loads(out)


def kinds(changes):
    return [(change["company"], change["ref"], change["kind"]) for change in changes]


def test_changes_carry_numbers_percentages_and_sectors(capsys, archive_path):
    changes = diff_json(capsys, archive_path, "--since", NIGHT2, "--until", NIGHT3)
    assert kinds(changes) == [("a24", "2", "pay_cut"), ("a24", "1", "pay_raised"),
                              ("ramp", "8", "opened"), ("ramp", "7", "pay_widened")]
    raised = changes[1]
    assert raised["sector"] == "studio" and raised["at"] == NIGHT2 and raised["changed_after"] == NIGHT1
    assert raised["old_pay"] == "USD 100,000-200,000/year base" and raised["new_pay"] == "USD 110,000-210,000/year base"
    [pair] = raised["ranges"]
    assert pair["old"] == {"min": 100000, "max": 200000, "currency": "USD", "period": "year", "basis": "base",
                           "label": None}
    assert (pair["new"]["min"], pair["new"]["max"]) == (110000, 210000)
    assert (pair["min_change_pct"], pair["max_change_pct"]) == (10.0, 5.0)
    opened = changes[2]
    assert opened["sector"] == "tech" and opened["ranges"][0]["old"] is None and opened["ranges"][0]["new"]["min"] == 90000


def test_csv_has_a_row_per_range_with_numbers_in_their_own_columns(capsys, archive_path):
    code, out, _ = run(capsys, "diff", "--db", str(archive_path), "--since", NIGHT2, "--until", NIGHT3, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    cut = next(row for row in rows if row["kind"] == "pay_cut")
    assert (float(cut["old_min"]), float(cut["old_max"]), float(cut["new_min"]), float(cut["new_max"])) == (
        50000, 60000, 49000, 58800)
    assert (cut["new_currency"], cut["new_period"], cut["new_basis"]) == ("USD", "year", "base")
    assert (float(cut["min_change_pct"]), float(cut["max_change_pct"])) == (-2.0, -2.0)
    assert cut["changed_after"] == NIGHT1 and cut["sector"] == "studio"


def test_until_excludes_the_night_it_names(capsys, archive_path):
    assert kinds(diff_json(capsys, archive_path, "--since", NIGHT3)) == [("a24", "2", "closed"), ("a24", "1", "pay_raised")]
    assert len(diff_json(capsys, archive_path, "--since", NIGHT1)) == 3 + 4 + 2  # 3 opened on night 1


@pytest.mark.parametrize("since", ["2026-11-02T05:00:00+02:00", "2026-11-01T22:00:00-05:00", "2026-11-02T03:00",
                                   "2026-11-02 03:00:00Z", "2 November 2026 3am"])
def test_times_in_any_offset_are_compared_in_utc(capsys, archive_path, since):
    """Each is night 2's 03:00 UTC; compared as text before, 05:00+02:00 left night 2 out."""
    changes = diff_json(capsys, archive_path, "--since", since, "--until", NIGHT3)
    assert len(changes) == 4


def test_relative_dates_are_read(capsys, archive_path):
    assert len(diff_json(capsys, archive_path, "--since", "yesterday")) == 0  # the fixture's nights are long past
    assert len(diff_json(capsys, archive_path, "--since", "7000 days ago")) == 9


def test_company_sector_and_role_type_select(capsys, archive_path):
    assert {c["company"] for c in diff_json(capsys, archive_path, "--since", NIGHT2, "--company", "ramp")} == {"ramp"}
    both = diff_json(capsys, archive_path, "--since", NIGHT2, "--company", "ramp", "--company", "a24")
    assert {c["company"] for c in both} == {"ramp", "a24"}
    assert {c["company"] for c in diff_json(capsys, archive_path, "--since", NIGHT2, "--sector", "studio")} == {"a24"}
    research = diff_json(capsys, archive_path, "--since", NIGHT2, "--role-type", "research")
    assert kinds(research) == [("ramp", "7", "pay_widened")] and research[0]["ai_related"] is True


def test_sector_comes_from_the_archives_companies_table_before_the_registry(tmp_path):
    db = sqlite3.connect(":memory:")
    from sqlite_utils import Database

    archive = Database(db)
    assert company_sectors(archive) is None  # no table: the registry is asked
    archive["companies"].insert_all([{"slug": "a24", "sector": "tech"}])
    assert company_sectors(archive) == {"a24": "tech"}


def test_min_change_keeps_the_pay_changes_that_moved_that_much(capsys, archive_path):
    moved = diff_json(capsys, archive_path, "--since", NIGHT2, "--min-change", "5")
    assert kinds(moved) == [("a24", "1", "pay_raised"), ("ramp", "7", "pay_widened")]  # no cut of 2%, no openings
    assert kinds(diff_json(capsys, archive_path, "--since", NIGHT2, "--min-change", "10")) == [("a24", "1", "pay_raised")]
    assert diff_json(capsys, archive_path, "--since", NIGHT2, "--min-change", "10.01") == []
    pay_only = diff_json(capsys, archive_path, "--since", NIGHT2, "--pay-only")
    assert all(change["kind"].startswith("pay_") for change in pay_only) and len(pay_only) == 4


def test_the_table_shows_the_move_in_percent(capsys, archive_path):
    code, out, _ = run(capsys, "diff", "--db", str(archive_path), "--since", NIGHT2, "--until", NIGHT3)
    assert code == 0
    lines = out.splitlines()
    at = next(number for number, line in enumerate(lines) if "pay_raised" in line)
    # Too wide for one line at 120 columns: the new range goes under the old one, in the same column.
    assert lines[at].rstrip().endswith("USD 100,000-200,000/year base →   +10% / +5%")
    column = lines[at].index("USD 100,000")
    assert lines[at + 1][column:].rstrip() == "USD 110,000-210,000/year base"


@pytest.mark.parametrize(
    "options, message",
    [
        (["--since", "2026-13-45"], "Invalid value for '--since': cannot read '2026-13-45' as a date or time"),
        (["--since", ""], "cannot read '' as a date or time"),
        (["--since", "3"], "cannot read '3' as a date or time"),
        (["--since", "the day after never"], "cannot read 'the day after never'"),
        (["--since", NIGHT2, "--until", "2026-02-30"], "Invalid value for '--until': cannot read '2026-02-30'"),
        (["--since", NIGHT2, "--until", NIGHT1], f"Invalid value for '--until': {NIGHT1} is not after --since {NIGHT2}"),
        (["--since", NIGHT2, "--company", "a42"], "not in the archive: a42 (it has: a24, ramp)"),
        (["--since", NIGHT2, "--role-type", "wizard"], "no posting in the archive has role type 'wizard'"),
        (["--since", NIGHT2, "--sector", "film"], "'film' is not one of 'studio', 'streaming'"),
        (["--since", NIGHT2, "--sector", "tech", "--company", "a24"], "no company of sector tech in the archive among a24"),
        (["--since", NIGHT2, "--min-change", "-1"], "-1.0 is not in the range x>=0"),
        (["--since", NIGHT2, "--min-change", "ten"], "'ten' is not a valid float"),
        (["--since", NIGHT2, "--format", "xml"], "'xml' is not one of 'table', 'csv', 'json'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, archive_path, options, message):
    code, out, err = run(capsys, "diff", "--db", str(archive_path), *options)
    assert (code, out) == (BAD_INPUT, "")
    assert len(err.strip().splitlines()) == 1 and err.startswith("paywatch: ") and message in err, err


def test_a_late_first_detail_is_not_a_change_but_a_later_pay_change_is(tmp_path):
    """Night 1 lists a posting its budget could not read (list_only); night 2 reads its detail: a
    version with no changed field, which diff leaves out; night 3's raise is a change dated from
    night 2's read (changed_after)."""
    db = open_archive(str(tmp_path / "late.db"))
    listed = posting("5", "Research Scientist", list_only=True, description=None)
    ingest_crawl(db, company="acme", platform="greenhouse", items=[listed], started_at=NIGHT1)
    ingest_crawl(db, company="acme", platform="greenhouse", items=[posting("5", "Research Scientist", [pay(100, 200)],
                                                                             pay_text="$100 - $200")], started_at=NIGHT2)
    versions = db.execute("SELECT version, list_only, changed_fields FROM posting_versions ORDER BY version").fetchall()
    assert [(version, list_only) for version, list_only, _ in versions] == [(1, 1), (2, 0)] and versions[1][2] == "[]"
    assert changes_since(db, NIGHT2) == []
    ingest_crawl(db, company="acme", platform="greenhouse", items=[posting("5", "Research Scientist", [pay(120, 200)],
                                                                             pay_text="$120 - $200")], started_at=NIGHT3)
    [raised] = changes_since(db, NIGHT2)
    assert (raised.kind, raised.at, raised.changed_after) == ("pay_raised", NIGHT3, NIGHT2)
    [completion, _] = posting_history(db, "acme", "5")[0]["versions"][1:]
    assert completion["changed_fields"] == [] and completion["list_only"] is False


def test_diff_reads_ranges_by_version_id_through_the_index(archive_path):
    """The query plan names pay_ranges_version: a lookup never scans every range (it was quadratic)."""
    db = open_archive(str(archive_path))
    plan = " ".join(row[-1] for row in db.execute(
        "EXPLAIN QUERY PLAN SELECT version_id, min FROM pay_ranges WHERE version_id IN (?, ?) ORDER BY version_id, position",
        [1, 2]).fetchall())
    db.close()
    assert "USING INDEX pay_ranges_version" in plan


def test_history_shows_each_version_its_ranges_and_events(capsys, archive_path):
    code, out, err = run(capsys, "history", "a24", "1", "--db", str(archive_path), "--format", "json")
    assert code == 0, err
    [history] = json.loads(out)
    assert (history["company"], history["ref"], history["platform"], history["closed_at"]) == ("a24", "1", "greenhouse", None)
    assert [(v["version"], v["crawl_started_at"], v["changed_after"], v["changed_fields"]) for v in history["versions"]][1:] == [
        (2, NIGHT2, NIGHT1, ["pay_ranges", "pay_text"]), (3, NIGHT3, NIGHT2, ["pay_ranges", "pay_text"])]
    assert "title" in history["versions"][0]["changed_fields"]  # a first version differs from nothing in every field
    assert [(r["min"], r["max"]) for v in history["versions"] for r in v["ranges"]] == [
        (100000, 200000), (110000, 210000), (111100, 212100)]
    assert history["events"] == [{"event": "opened", "at": NIGHT1}]
    code, out, _ = run(capsys, "history", "a24", "2", "--db", str(archive_path))
    assert code == 0
    assert "a24 2 (greenhouse): Editor" in out and f"closed {NIGHT3}" in out
    lines = out.splitlines()
    assert [line.split()[2] for line in lines if line.startswith("2026-")] == ["opened", "version", "version", "closed"]
    assert any("pay_ranges, pay_text" in line and "USD 49,000-58,800/year base" in line for line in lines)
    code, out, _ = run(capsys, "history", "a24", "1", "--db", str(archive_path), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(row["entry"], row["version"], row["min"]) for row in rows] == [
        ("opened", "", ""), ("version", "1", "100000.0"), ("version", "2", "110000.0"), ("version", "3", "111100.0")]
    assert rows[2]["changed_after"] == NIGHT1


def test_history_of_a_posting_the_archive_does_not_hold_is_exit_2(capsys, archive_path):
    code, out, err = run(capsys, "history", "a24", "999", "--db", str(archive_path))
    assert (code, out) == (BAD_INPUT, "")
    assert err.strip() == f"paywatch: no posting '999' of 'a24' in the archive {archive_path}"


def older_archive(path):
    """An archive as paywatch wrote it before m004 (no changed_after, no list_only): two versions of
    one posting, its range raised, written by hand as that paywatch did."""
    db = open_archive.__globals__["Database"](str(path))
    migrations.apply(db, stop_before="m004_detail_reads")
    db.execute("INSERT INTO crawls (id, company, platform, started_at, finished_at, status) VALUES "
               f"(1, 'acme', 'greenhouse', '{NIGHT1}', '{NIGHT1}', 'complete'), "
               f"(2, 'acme', 'greenhouse', '{NIGHT2}', '{NIGHT2}', 'complete')")
    db.execute("INSERT INTO postings (id, platform, company, ref, title, first_seen_at, last_seen_at, first_crawl_id, "
               f"last_crawl_id, current_version) VALUES (1, 'greenhouse', 'acme', '1', 'Engineer', '{NIGHT1}', '{NIGHT2}', 1, 2, 2)")
    for version, crawl, changed in ((1, 1, "[]"), (2, 2, '["pay_ranges"]')):
        db.execute("INSERT INTO posting_versions (id, posting_id, version, crawl_id, observed_at, content_hash, title, "
                   f"changed_fields) VALUES ({version}, 1, {version}, {crawl}, '{NIGHT1 if crawl == 1 else NIGHT2}', "
                   f"'h{version}', 'Engineer', '{changed}')")
        low = 100000 if version == 1 else 110000
        db.execute("INSERT INTO pay_ranges (version_id, position, min, max, currency, period, basis, source, "
                   f"period_inferred, annual_min, annual_max, annualized) VALUES ({version}, 0, {low}, 150000, 'USD', "
                   f"'year', 'base', 'text', 0, {low}, 150000, 0)")
    db.execute("INSERT INTO version_changes VALUES (2, 'pay_ranges')")
    db.execute(f"INSERT INTO posting_events (posting_id, crawl_id, event, at) VALUES (1, 1, 'opened', '{NIGHT1}')")
    db.conn.commit()
    db.close()


def test_an_archive_from_an_older_paywatch_is_read_as_it_is(capsys, tmp_path):
    path = tmp_path / "old.db"
    older_archive(path)
    before = path.read_bytes()
    changes = diff_json(capsys, path, "--since", NIGHT1)
    assert kinds(changes) == [("acme", "1", "opened"), ("acme", "1", "pay_raised")]
    assert changes[1]["changed_after"] is None and changes[1]["ranges"][0]["min_change_pct"] == 10.0
    code, out, _ = run(capsys, "history", "acme", "1", "--db", str(path))
    assert code == 0 and "USD 110,000-150,000/year base" in out
    assert path.read_bytes() == before  # not migrated
    assert [name for (name,) in sqlite3.connect(path).execute("SELECT name FROM _sqlite_migrations")][-1] == "m003_crawl_verdicts"


def test_a_file_that_is_not_an_archive_is_exit_3_and_left_alone(capsys, tmp_path):
    foreign = tmp_path / "notes.db"
    sqlite3.connect(foreign).execute("CREATE TABLE notes (text)").connection.commit()
    before = foreign.read_bytes()
    for argv in (["diff", "--since", NIGHT1], ["history", "a24", "1"]):
        code, out, err = run(capsys, *argv, "--db", str(foreign))
        assert (code, out) == (ARCHIVE_UNUSABLE, "")
        assert err.strip() == f"paywatch: {foreign} is not a paywatch archive (an SQLite file of another program)"
    assert foreign.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]


def test_utc_iso_is_the_archives_form():
    from datetime import datetime, timedelta, timezone

    assert utc_iso(datetime(2026, 11, 2, 5, 0, 0, 123, tzinfo=timezone(timedelta(hours=2)))) == NIGHT2


LONG_TITLE = ("Senior Staff Machine Learning Engineer, Recommendations and Personalization Platform "
              "(Ads, Content Discovery and Search), Los Angeles or New York")


def tiered_archive(tmp_path, company, tiers):
    """A posting with a far too long title whose labelled ranges are all raised on night 2, and one
    that closes on night 2 having never published pay."""
    path = tmp_path / f"{company}.db"
    db = open_archive(str(path))
    ranges = lambda raise_by: [pay(150000 + raise_by, 250000 + raise_by, label=tier) for tier in tiers]  # noqa: E731
    night(db, company, NIGHT1, [posting("1", LONG_TITLE, ranges(0)), posting("2", "Producer, Unscripted")])
    night(db, company, NIGHT2, [posting("1", LONG_TITLE, ranges(12500))])
    night(db, company, NIGHT3, [posting("1", LONG_TITLE, ranges(12500))])  # "2" missed again: closed
    db.close()
    return path


def test_diff_and_history_tables_fit_120_columns_with_long_titles_and_ranges_whole(capsys, tmp_path):
    """Every line within 120 columns, the title shortened with an ellipsis and wrapped, each range
    whole on one line; a posting closed with no published pay says so in words."""
    tiers = ("Zone A", "Zone B", "Zone C")
    path = tiered_archive(tmp_path, "warner_bros_games", tiers)
    code, out, _ = run(capsys, "diff", "--db", str(path), "--since", NIGHT2)
    assert code == 0
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 120, out
    assert "…" in out and LONG_TITLE not in " ".join(out.split())
    for raise_by in (0, 12500):
        for tier in tiers:
            assert any(f"{tier}: USD {150000 + raise_by:,}-{250000 + raise_by:,}/year base" in line for line in lines)
    [closed] = [line for line in lines if " closed " in line]
    assert closed.split()[-3:] == ["no", "published", "pay"] and "—" not in closed
    code, out, _ = run(capsys, "history", "warner_bros_games", "1", "--db", str(path))
    assert code == 0 and max(len(line) for line in out.splitlines()) <= 120, out
    assert any("Zone A: USD 162,500-262,500/year base" in line for line in out.splitlines())


def test_a_diff_whose_ranges_cannot_stay_whole_still_fits_120_columns(capsys, tmp_path):
    path = tiered_archive(tmp_path, "warner_bros_discovery_games",
                          ("San Francisco Bay Area", "New York City Metro", "Rest of United States"))
    code, out, _ = run(capsys, "diff", "--db", str(path), "--since", NIGHT2)
    assert code == 0 and max(len(line) for line in out.splitlines()) <= 120, out
    assert out.count("162,500-262,500/year") == 3 and out.count("150,000-250,000/year") == 3  # wrapped, not cut
