"""The archive's rules, each as a test: versions only on change, closures only after complete
crawls, reopen, append-only history, one transaction per crawl."""

import json
import sqlite3

import pytest

from archive.schema import HISTORY_TABLES, open_archive
from archive.store import ingest_crawl
from sqlite_utils import Database

NIGHT1 = "2026-11-01T03:00:00+00:00"
NIGHT2 = "2026-11-02T03:00:00+00:00"
NIGHT3 = "2026-11-03T03:00:00+00:00"
NIGHT4 = "2026-11-04T03:00:00+00:00"


def pay(minimum, maximum, *, source="text", label=None, period="year"):
    return {"min": minimum, "max": maximum, "currency": "USD", "period": period, "basis": "base", "label": label,
            "raw": f"${minimum} - ${maximum}", "source": source, "period_inferred": False,
            "annual_min": minimum, "annual_max": maximum, "annualized": False}


def posting(ref, title="Software Engineer", ranges=(), **fields):
    return {"platform": "greenhouse", "company": "acme", "ref": ref, "title": title,
            "url": f"https://boards.greenhouse.io/acme/jobs/{ref}", "department": "Engineering",
            "locations": ["New York, NY"], "description": f"Build things. Posting {ref}.",
            "pay_ranges": list(ranges), "role_type": "engineering", "ai_related": False, "seniority": "unknown",
            **fields}


def crawl(db, items, started_at, status="complete", **kwargs):
    return ingest_crawl(db, company="acme", platform="greenhouse", items=items, started_at=started_at,
                        status=status, **kwargs)


def count(db, table):
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_schema_has_the_documented_tables_and_views(memory_db):
    assert set(memory_db.table_names()) >= {"crawls", "postings", "posting_versions", "version_changes",
                                            "pay_ranges", "descriptions", "posting_events"}
    assert set(memory_db.view_names()) >= {"version_pay", "version_detail", "current_postings", "pay_changes"}


def test_first_crawl_creates_postings_versions_and_pay(memory_db):
    summary = crawl(memory_db, [posting("1", ranges=[pay(100000, 150000)]), posting("2")], NIGHT1)
    assert (summary.seen, summary.new, summary.changed, summary.closed, summary.with_pay) == (2, 2, 0, 0, 1)
    assert count(memory_db, "postings") == 2 and count(memory_db, "posting_versions") == 2
    row = memory_db.execute("SELECT min, max, currency, period, source FROM pay_ranges").fetchone()
    assert row == (100000.0, 150000.0, "USD", "year", "text")
    assert memory_db.execute("SELECT first_seen_at, last_seen_at, closed_at FROM postings WHERE ref='1'").fetchone() == (
        NIGHT1, NIGHT1, None)


def test_reingesting_identical_data_adds_no_version(memory_db):
    items = [posting("1", ranges=[pay(100000, 150000)]), posting("2")]
    crawl(memory_db, items, NIGHT1)
    summary = crawl(memory_db, items, NIGHT2)
    assert (summary.new, summary.changed, summary.unchanged, summary.closed) == (0, 0, 2, 0)
    assert count(memory_db, "posting_versions") == 2 and count(memory_db, "pay_ranges") == 1
    assert memory_db.execute("SELECT last_seen_at FROM postings WHERE ref='1'").fetchone()[0] == NIGHT2


def test_a_change_adds_exactly_one_version_recording_what_changed(memory_db):
    crawl(memory_db, [posting("1", ranges=[pay(100000, 150000, source="structured")])], NIGHT1)
    summary = crawl(memory_db, [posting("1", ranges=[pay(110000, 160000, source="structured")])], NIGHT2)
    assert summary.changed == 1
    versions = memory_db.execute(
        "SELECT version, changed_fields FROM posting_versions ORDER BY version").fetchall()
    assert [v[0] for v in versions] == [1, 2]
    assert json.loads(versions[1][1]) == ["pay_ranges"]
    assert memory_db.execute("SELECT field FROM version_changes WHERE version_id = 2").fetchall() == [("pay_ranges",)]
    [change] = list(memory_db.query("SELECT old_pay, new_pay, changed_at FROM pay_changes"))
    assert change == {"old_pay": "USD 100,000-150,000/year base", "new_pay": "USD 110,000-160,000/year base",
                      "changed_at": NIGHT2}


def test_volatile_fields_do_not_make_a_version(memory_db):
    crawl(memory_db, [posting("1", updated_at="2026-11-01", scraped_at=NIGHT1)], NIGHT1)
    moved = posting("1", updated_at="2026-11-02", scraped_at=NIGHT2)
    moved["url"] += "?utm_source=newsletter"
    assert crawl(memory_db, [moved], NIGHT2).changed == 0


def test_a_new_classifier_alone_does_not_make_a_version(memory_db):
    crawl(memory_db, [posting("1", role_type="engineering")], NIGHT1)
    assert crawl(memory_db, [posting("1", role_type="data")], NIGHT2).changed == 0


def test_descriptions_are_stored_once_per_distinct_text(memory_db):
    crawl(memory_db, [posting("1", description="same text"), posting("2", description="same text")], NIGHT1)
    crawl(memory_db, [posting("1", description="same text", title="Senior Software Engineer"),
                      posting("2", description="same text")], NIGHT2)
    assert count(memory_db, "descriptions") == 1
    assert count(memory_db, "posting_versions") == 3


def test_absent_from_two_listings_in_a_row_closes_dated_when_first_missed_then_reopens(memory_db):
    crawl(memory_db, [posting("1"), posting("2")], NIGHT1)
    missed = crawl(memory_db, [posting("1")], NIGHT2)
    assert (missed.status, missed.closed, missed.planned_closed) == ("complete", 0, 0)  # once is no evidence
    assert open_refs(memory_db) == ["1", "2"]
    closed = crawl(memory_db, [posting("1")], NIGHT3)
    assert (closed.closed, closed.planned_closed) == (1, 1)
    assert memory_db.execute("SELECT closed_at FROM postings WHERE ref='2'").fetchone()[0] == NIGHT2
    reopened = crawl(memory_db, [posting("1"), posting("2")], NIGHT4)
    assert (reopened.reopened, reopened.changed, reopened.closed) == (1, 0, 0)
    assert memory_db.execute("SELECT closed_at, last_seen_at FROM postings WHERE ref='2'").fetchone() == (None, NIGHT4)
    events = memory_db.execute(
        "SELECT e.event, e.at, e.crawl_id FROM posting_events e JOIN postings p ON p.id = e.posting_id WHERE p.ref='2' "
        "ORDER BY e.id"
    ).fetchall()
    # The closure is dated the night it was first missed, and names the crawl that confirmed it.
    assert events == [("opened", NIGHT1, 1), ("closed", NIGHT2, closed.crawl_id), ("reopened", NIGHT4, reopened.crawl_id)]


def test_a_posting_missed_once_and_listed_again_is_never_closed(memory_db):
    crawl(memory_db, [posting("1"), posting("2")], NIGHT1)
    crawl(memory_db, [posting("1")], NIGHT2)
    back = crawl(memory_db, [posting("1"), posting("2")], NIGHT3)
    assert (back.closed, back.reopened) == (0, 0) and open_refs(memory_db) == ["1", "2"]
    assert memory_db.execute("SELECT count(*) FROM posting_events WHERE event != 'opened'").fetchone()[0] == 0


def test_failed_crawls_between_two_misses_neither_confirm_nor_reset_them(memory_db):
    crawl(memory_db, [posting("1"), posting("2")], NIGHT1)
    crawl(memory_db, [posting("1")], NIGHT2)
    assert crawl(memory_db, [posting("1")], NIGHT3, status="failed", failure_reason="HTTP 503").closed == 0
    closed = crawl(memory_db, [posting("1")], NIGHT4)
    assert closed.closed == 1
    assert memory_db.execute("SELECT closed_at FROM postings WHERE ref='2'").fetchone()[0] == NIGHT2


def test_a_posting_seen_by_a_failed_crawl_is_first_missed_after_it(memory_db):
    crawl(memory_db, [posting("1"), posting("2")], NIGHT1)
    crawl(memory_db, [posting("1"), posting("2")], NIGHT2, status="failed", failure_reason="page 2 failed")
    assert crawl(memory_db, [posting("1")], NIGHT3).closed == 0
    assert crawl(memory_db, [posting("1")], NIGHT4).closed == 1
    assert memory_db.execute("SELECT closed_at FROM postings WHERE ref='2'").fetchone()[0] == NIGHT3


def test_a_failed_crawl_closes_nothing_but_records_what_it_saw(memory_db):
    crawl(memory_db, [posting("1"), posting("2")], NIGHT1)
    summary = crawl(memory_db, [posting("1", title="Staff Software Engineer")], NIGHT2, status="failed",
                    failure_reason="request failed: page 2")
    assert (summary.closed, summary.changed, summary.planned_changed) == (0, 0, 1)  # read as changed...
    assert count(memory_db, "posting_versions") == 2  # ...but a failed crawl writes no version
    assert memory_db.execute("SELECT count(*) FROM postings WHERE closed_at IS NOT NULL").fetchone()[0] == 0
    assert memory_db.execute("SELECT status, failure_reason FROM crawls WHERE id = ?", [summary.crawl_id]).fetchone() == (
        "failed", "request failed: page 2")


def test_a_failed_empty_crawl_closes_nothing(memory_db):
    crawl(memory_db, [posting("1"), posting("2")], NIGHT1)
    assert crawl(memory_db, [], NIGHT2, status="failed", failure_reason="no postings returned").closed == 0
    assert memory_db.execute("SELECT count(*) FROM postings WHERE closed_at IS NULL").fetchone()[0] == 2


def test_other_companies_are_untouched_by_a_crawl(memory_db):
    ingest_crawl(memory_db, company="other", platform="greenhouse", items=[posting("9") | {"company": "other"}],
                 started_at=NIGHT1)
    crawl(memory_db, [posting("1")], NIGHT2)
    assert memory_db.execute("SELECT closed_at FROM postings WHERE company='other'").fetchone()[0] is None


def test_history_tables_refuse_updates_and_deletes(memory_db):
    crawl(memory_db, [posting("1", ranges=[pay(1, 2)])], NIGHT1)
    crawl(memory_db, [posting("1", "Staff Engineer", ranges=[pay(1, 2)])], NIGHT2)  # a second version: a row in every table
    for table in HISTORY_TABLES:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            memory_db.execute(f"DELETE FROM {table}")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            memory_db.execute(f"UPDATE {table} SET rowid = rowid")


def test_a_crash_mid_crawl_leaves_the_previous_state_intact(tmp_path):
    db = open_archive(str(tmp_path / "archive.db"))
    crawl(db, [posting("1", ranges=[pay(100, 200)]), posting("2")], NIGHT1)
    before = {table: count(db, table) for table in db.table_names()}

    class Crash(Exception):
        pass

    def items_then_crash():
        yield posting("1", ranges=[pay(300, 400)])
        yield posting("3")
        raise Crash("process killed")

    with pytest.raises(Crash):
        crawl(db, items_then_crash(), NIGHT2)
    # a bad item half-way through the write (not null violated) also rolls the whole crawl back
    with pytest.raises(sqlite3.IntegrityError):
        crawl(db, [posting("1", ranges=[pay(300, 400)]), posting("4", ranges=[{**pay(1, 2), "currency": None}])], NIGHT2)
    db.close()
    reopened = open_archive(str(tmp_path / "archive.db"))
    assert {table: count(reopened, table) for table in reopened.table_names()} == before
    assert reopened.execute("SELECT count(*) FROM postings WHERE closed_at IS NOT NULL").fetchone()[0] == 0


def test_archive_file_is_in_wal_mode(tmp_path):
    db = open_archive(str(tmp_path / "archive.db"))
    assert db.journal_mode == "wal"


def test_migrations_are_recorded_and_rerun_is_a_no_op(tmp_path):
    path = str(tmp_path / "archive.db")
    open_archive(path).close()
    db = open_archive(path)
    assert count(db, "_sqlite_migrations") == 10


# -- trustworthy nights: presence from the listing, holds, drift, bad values ----------------------

def open_refs(db):
    return sorted(row[0] for row in db.execute("SELECT ref FROM postings WHERE closed_at IS NULL"))


def test_a_failed_crawl_opens_nothing_and_versions_nothing(memory_db):
    crawl(memory_db, [posting("1")], NIGHT1)
    junk = [posting(str(n)) for n in range(100, 140)]  # e.g. pagination that never ends
    summary = crawl(memory_db, junk + [posting("1", title="Edited")], NIGHT2, status="failed",
                    failure_reason="listing postings: 40 read where the platform counts 1")
    assert (summary.new, summary.changed, summary.closed) == (0, 0, 0)
    assert (summary.planned_new, summary.planned_changed, summary.planned_closed) == (40, 1, None)
    assert count(memory_db, "postings") == 1 and count(memory_db, "posting_versions") == 1
    assert memory_db.execute("SELECT last_seen_at, title FROM postings").fetchone() == (NIGHT2, "Software Engineer")


WRITTEN_COUNTS = ("new", "changed", "completed", "reopened", "closed")


def written_by(db, crawl_id):
    """What the archive holds from one crawl, counted from its versions and events, not its row."""
    versions = db.execute("SELECT count(*) FILTER (WHERE version = 1), count(*) FILTER (WHERE version > 1 AND "
                          "changed_fields != '[]'), count(*) FILTER (WHERE version > 1 AND changed_fields = '[]') "
                          "FROM posting_versions WHERE crawl_id = ?", [crawl_id]).fetchone()
    events = dict(db.execute("SELECT event, count(*) FROM posting_events WHERE crawl_id = ? GROUP BY event",
                             [crawl_id]).fetchall())
    assert events.get("opened", 0) == versions[0]
    return dict(zip(WRITTEN_COUNTS, (*versions, events.get("reopened", 0), events.get("closed", 0))))


def recorded(db, crawl_id, prefix=""):
    row = db.execute(f"SELECT {', '.join(prefix + name for name in WRITTEN_COUNTS)} FROM crawls WHERE id = ?",
                     [crawl_id]).fetchone()
    return dict(zip(WRITTEN_COUNTS, row))


def test_a_failed_crawl_row_counts_what_it_wrote_and_keeps_its_plans_apart(memory_db):
    board = [posting(str(n)) for n in range(20)]
    crawl(memory_db, board + [posting("gone")], NIGHT1)
    crawl(memory_db, board, NIGHT2)  # "gone" closed
    crawl(memory_db, [posting("late", list_only=True, description=None)], NIGHT2.replace("03:", "04:"),
          listed_refs=[item["ref"] for item in board])
    night = [posting(str(n), title=f"Edited {n}") for n in range(5)] + board[5:] + [posting("gone"), posting("late")]
    night += [posting(f"new-{n}") for n in range(7)]
    failed = crawl(memory_db, night, NIGHT3, status="failed", failure_reason="request failed: page 3")
    assert recorded(memory_db, failed.crawl_id) == written_by(memory_db, failed.crawl_id) == dict.fromkeys(WRITTEN_COUNTS, 0)
    assert recorded(memory_db, failed.crawl_id, "planned_") == {"new": 7, "changed": 5, "completed": 1, "reopened": 1,
                                                                 "closed": None}
    assert (failed.new, failed.changed, failed.planned_new, failed.planned_changed) == (0, 0, 7, 5)


@pytest.mark.parametrize("held", ["closures", "openings"])
def test_a_suspect_crawl_row_counts_what_it_wrote_and_keeps_its_plans_apart(memory_db, held):
    board = [posting(str(n)) for n in range(30)]
    crawl(memory_db, board, NIGHT1)
    crawl(memory_db, board[:29], NIGHT2)  # the last posting missed once: tomorrow's listing closes it
    edited = [posting(str(n), title=f"Edited {n}") for n in range(3)]
    if held == "closures":  # half the board gone at once, three edited, two new
        night, plans = edited + board[3:15] + [posting("new-1"), posting("new-2")], {"new": 2, "closed": 1}
    else:  # a listing ballooned: openings and closures held
        night, plans = edited + board[3:29] + [posting(f"junk-{n}") for n in range(100)], {"new": 100, "closed": 1}
    suspect = crawl(memory_db, night, NIGHT3)
    assert suspect.status == "suspect"
    # Known postings are still versioned; what is held is planned, not written.
    written = written_by(memory_db, suspect.crawl_id)
    assert recorded(memory_db, suspect.crawl_id) == written == {
        "new": 2 if held == "closures" else 0, "changed": 3, "completed": 0, "reopened": 0, "closed": 0}
    assert recorded(memory_db, suspect.crawl_id, "planned_") == {"changed": 3, "completed": 0, "reopened": 0, **plans}


def test_a_listed_posting_that_could_not_be_read_is_seen_not_closed(memory_db):
    crawl(memory_db, [posting("1"), posting("2"), posting("3")], NIGHT1)
    summary = crawl(memory_db, [posting("1")], NIGHT2, listed_refs=["1", "2", "3"])
    assert (summary.status, summary.seen, summary.unreadable, summary.closed) == ("complete", 3, 2, 0)
    assert open_refs(memory_db) == ["1", "2", "3"]
    assert memory_db.execute("SELECT last_seen_at, current_version FROM postings WHERE ref = '2'").fetchone() == (NIGHT2, 1)
    assert memory_db.execute("SELECT unreadable FROM crawls WHERE id = ?", [summary.crawl_id]).fetchone() == (2,)
    crawl(memory_db, [posting("1")], NIGHT3, listed_refs=["1", "2"])  # "3" really left the listing
    gone = crawl(memory_db, [posting("1")], NIGHT4, listed_refs=["1", "2"])
    assert gone.closed == 1 and open_refs(memory_db) == ["1", "2"]


def test_a_listing_cut_short_without_a_count_closes_nothing_and_is_named(memory_db):
    board = [posting(str(n)) for n in range(30)]
    crawl(memory_db, board, NIGHT1)
    suspect = crawl(memory_db, board[:15], NIGHT2)  # half the board gone at once
    assert (suspect.status, suspect.closed) == ("suspect", 0)
    assert "lists 15 postings where its last listing had 30" in suspect.failure_reason
    back = crawl(memory_db, board, NIGHT3)
    assert (back.status, back.closed, back.reopened) == ("complete", 0, 0)
    assert len(open_refs(memory_db)) == 30 and count(memory_db, "posting_events") == 30


def test_a_board_that_really_halved_closes_on_the_next_listing_dated_when_first_missed(memory_db):
    board = [posting(str(n)) for n in range(30)]
    crawl(memory_db, board, NIGHT1)
    assert crawl(memory_db, board[:15], NIGHT2).status == "suspect"
    confirmed = crawl(memory_db, board[:15], NIGHT3)
    assert (confirmed.status, confirmed.closed) == ("complete", 15)
    assert len(open_refs(memory_db)) == 15
    # Dated by the listing that confirmed them: the held one might have been cut short.
    assert {at for (at,) in memory_db.execute("SELECT closed_at FROM postings WHERE closed_at IS NOT NULL")} == {NIGHT3}


def test_a_slow_leak_is_held_every_night_it_shrinks_and_closes_nothing(memory_db):
    board = [posting(str(n)) for n in range(200)]
    crawl(memory_db, board, NIGHT1)
    for night in range(1, 8):  # 5 % of the board more missing each night, for a week
        leak = crawl(memory_db, board[:200 - 10 * night], f"2026-11-{1 + night:02d}T03:00:00+00:00")
        assert (leak.status, leak.closed) == ("suspect", 0), night
    whole = crawl(memory_db, board, "2026-11-09T03:00:00+00:00")
    assert (whole.status, whole.closed, whole.reopened) == ("complete", 0, 0)
    assert memory_db.execute("SELECT count(*) FROM posting_events WHERE event != 'opened'").fetchone()[0] == 0


def test_renumbered_ids_open_and_close_nothing_until_a_next_listing_confirms(memory_db):
    board = [posting(str(n)) for n in range(30)]
    crawl(memory_db, board, NIGHT1)
    renumbered = [posting(f"9{n}") for n in range(30)]
    suspect = crawl(memory_db, renumbered, NIGHT2)
    assert (suspect.status, suspect.new, suspect.planned_new, suspect.closed) == ("suspect", 0, 30, 0)
    assert "no longer lists 30 of 30 open postings" in suspect.failure_reason
    back = crawl(memory_db, board, NIGHT3)
    assert (back.status, back.new, back.closed) == ("complete", 0, 0)
    assert count(memory_db, "posting_events") == 30 and len(open_refs(memory_db)) == 30


def test_a_posting_missed_by_a_cut_short_listing_then_really_gone_is_dated_by_the_whole_listing(memory_db):
    board = [posting(str(n)) for n in range(30)]
    crawl(memory_db, board, NIGHT1)
    assert crawl(memory_db, board[:20], NIGHT2).status == "suspect"  # cut short: "25" missed, but still there
    gone = crawl(memory_db, board[:25] + board[26:], NIGHT3)  # "25" really taken down tonight
    assert (gone.status, gone.closed) == ("complete", 1)
    assert memory_db.execute("SELECT closed_at FROM postings WHERE ref = '25'").fetchone()[0] == NIGHT3


def test_small_boards_close_normally(memory_db):
    crawl(memory_db, [posting("1"), posting("2")], NIGHT1)
    assert crawl(memory_db, [posting("1")], NIGHT2).status == "complete"  # one of two is no shrinking board
    assert crawl(memory_db, [posting("1")], NIGHT3).closed == 1


def test_an_empty_listing_closes_everything_on_the_second_empty_night(memory_db):
    crawl(memory_db, [posting(str(n)) for n in range(12)], NIGHT1)
    first = crawl(memory_db, [], NIGHT2, listed_refs=[])
    assert (first.status, first.closed) == ("suspect", 0)
    second = crawl(memory_db, [], NIGHT3, listed_refs=[])
    assert (second.status, second.closed) == ("complete", 12) and open_refs(memory_db) == []
    assert {at for (at,) in memory_db.execute("SELECT at FROM posting_events WHERE event = 'closed'")} == {NIGHT3}


@pytest.mark.parametrize("field, strip", [
    ("description", {"description": None}),
    ("pay_text", {"pay_text": None}),
    ("structured_pay", {"pay_ranges": []}),
])
def test_schema_drift_fails_the_crawl_instead_of_versioning_every_posting(memory_db, field, strip):
    board = [posting(str(n), pay_text="$100k", ranges=[pay(100000, 120000, source="structured")]) for n in range(20)]
    crawl(memory_db, board, NIGHT1)
    drifted = crawl(memory_db, [{**item, **strip} for item in board], NIGHT2)
    assert drifted.status == "failed" and f"schema drift: {field}" in drifted.failure_reason
    assert count(memory_db, "posting_versions") == 20


def test_a_value_that_cannot_be_stored_loses_only_that_value(memory_db):
    nan_range = pay(100000, 120000) | {"min": float("nan")}
    summary = crawl(memory_db, [posting("1", title="Engineer \ud800"), posting("2", ranges=[nan_range, pay(90000, 95000)])],
                    NIGHT1)
    assert summary.seen == 2 and summary.status == "complete"
    assert memory_db.execute("SELECT title FROM postings WHERE ref = '1'").fetchone() == ("Engineer \ufffd",)
    assert memory_db.execute("SELECT min FROM pay_ranges").fetchall() == [(90000.0,)]


def test_two_copies_of_one_id_are_resolved_the_same_way_in_any_order(tmp_path):
    copies = [posting("1", title="Engineer"), posting("1", title="Senior Engineer")]
    titles = []
    for order in (copies, copies[::-1]):
        db = open_archive(str(tmp_path / f"archive{len(titles)}.db"))
        crawl(db, order, NIGHT1)
        titles.append(db.execute("SELECT title FROM posting_versions").fetchall())
        db.close()
    assert titles[0] == titles[1] and len(titles[0]) == 1


def copy_hash(item):
    from archive.store import content_hash, storable, tracked_snapshot

    return content_hash(tracked_snapshot(storable(item)))


@pytest.mark.parametrize("first_night", ["one copy", "both copies"])
def test_an_id_listed_twice_keeps_the_copy_its_open_version_holds_whichever_comes_first(memory_db, first_night):
    """A board listing one id twice, the other copy stale and different every night (below and above
    the kept copy's content hash, first and second in turn): nothing flips, nothing flips back."""
    real = posting("1", ranges=[pay(100000, 120000)])
    others = [posting("1", title=f"Software Engineer {n}", ranges=[pay(90000, 110000)]) for n in range(40)]
    below = [item for item in others if copy_hash(item) < copy_hash(real)][:3]
    above = [item for item in others if copy_hash(item) > copy_hash(real)][:3]
    stale = [item for pair in zip(below, above) for item in pair]
    # With no version yet, the smaller content hash is kept, as before: stale[0] sorts below.
    current = real if first_night == "one copy" else stale[0]
    crawl(memory_db, [real] if first_night == "one copy" else [real, stale[0]], NIGHT1)
    assert memory_db.execute("SELECT title FROM posting_versions").fetchall() == [(current["title"],)]
    nights = [f"2026-11-{day:02d}T03:00:00+00:00" for day in range(2, 2 + 2 * len(stale))]
    for number, (started_at, other) in enumerate(zip(nights, stale[1:] + stale[::-1])):
        summary = crawl(memory_db, [other, current] if number % 2 else [current, other], started_at)
        assert (summary.seen, summary.new, summary.changed, summary.unchanged) == (1, 0, 0, 1), started_at
    assert count(memory_db, "posting_versions") == 1


def test_the_write_waits_for_another_writer_instead_of_failing(tmp_path):
    import threading
    import time

    path = str(tmp_path / "archive.db")
    open_archive(path).close()
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another crawl is writing
    release = threading.Timer(1.0, lambda: other.execute("COMMIT"))
    release.start()
    db = open_archive(path)
    started = time.monotonic()
    summary = crawl(db, [posting("1")], NIGHT1)
    assert summary.seen == 1 and time.monotonic() - started >= 0.9
    release.join()
    db.close()
    other.close()


def test_the_planned_counts_migration_leaves_older_crawls_unknown(tmp_path):
    from archive.schema import migrations

    path = str(tmp_path / "old.db")
    db = Database(path)
    migrations.apply(db, stop_before="m010_planned_counts")
    db["crawls"].insert({"company": "acme", "platform": "greenhouse", "started_at": NIGHT1, "finished_at": NIGHT1,
                         "status": "failed", "seen": 7, "changed": 3})
    db.close()
    db = open_archive(path)
    assert db.execute("SELECT changed, planned_changed, planned_closed FROM crawls").fetchall() == [(3, None, None)]


def test_the_suspect_status_migration_keeps_every_old_crawl(tmp_path):
    from archive.schema import migrations

    path = str(tmp_path / "old.db")
    db = Database(path)
    migrations.apply(db, stop_before="m003_crawl_verdicts")
    db["crawls"].insert({"company": "acme", "platform": "greenhouse", "started_at": NIGHT1, "finished_at": NIGHT1,
                         "status": "complete", "seen": 7})
    db.close()
    db = open_archive(path)
    assert db.execute("SELECT company, status, seen, unreadable FROM crawls").fetchall() == [("acme", "complete", 7, 0)]
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE crawls SET seen = 0")


def test_a_listing_that_balloons_overnight_opens_nothing_until_a_next_crawl_lists_as_many(memory_db):
    board = [posting(str(n)) for n in range(20)]
    crawl(memory_db, board, NIGHT1)
    runaway = board + [posting(f"junk-{n}") for n in range(500)]  # pages that never end
    held = crawl(memory_db, runaway, NIGHT2)
    assert (held.status, held.closed) == ("suspect", 0) and "would open 500 postings where 20 are open" in held.failure_reason
    assert count(memory_db, "postings") == 20
    back = crawl(memory_db, board, NIGHT3)  # the next night the listing is itself again
    assert (back.status, back.new, back.closed) == ("complete", 0, 0) and count(memory_db, "postings") == 20


def test_a_listing_that_really_grew_opens_when_the_next_crawl_confirms_it(memory_db):
    board = [posting(str(n)) for n in range(20)]
    crawl(memory_db, board, NIGHT1)
    grown = board + [posting(f"new-{n}") for n in range(100)]
    assert crawl(memory_db, grown, NIGHT2).status == "suspect"
    confirmed = crawl(memory_db, grown, NIGHT3)
    assert (confirmed.status, confirmed.new) == ("complete", 100) and count(memory_db, "postings") == 120


def test_the_detail_reads_migration_dates_every_known_posting_read_when_last_seen(tmp_path):
    from archive.schema import migrations

    path = str(tmp_path / "old.db")
    db = Database(path)
    migrations.apply(db, stop_before="m004_detail_reads")
    db["crawls"].insert({"id": 1, "company": "acme", "platform": "greenhouse", "started_at": NIGHT1,
                         "finished_at": NIGHT1, "status": "complete", "seen": 2})
    for posting_id in (1, 2):
        db["postings"].insert({"id": posting_id, "platform": "greenhouse", "company": "acme", "ref": str(posting_id),
                               "first_seen_at": NIGHT1, "last_seen_at": NIGHT1, "first_crawl_id": 1,
                               "last_crawl_id": 1, "current_version": 1})
        db["posting_versions"].insert({"posting_id": posting_id, "version": 1, "crawl_id": 1, "observed_at": NIGHT1,
                                       "content_hash": "x", "changed_fields": "[]"})
    db.close()
    db = open_archive(path)
    assert db.execute("SELECT ref, detail_read_at, list_hash FROM postings ORDER BY ref").fetchall() == [
        ("1", NIGHT1, None), ("2", NIGHT1, None)]
    assert db.execute("SELECT DISTINCT list_only FROM posting_versions").fetchall() == [(0,)]
    assert db.execute("SELECT deferred, detail_reads, completed, oldest_detail_at, requests FROM crawls").fetchall() == [
        (0, 0, 0, None, None)]
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_range_changes_are_written_with_their_versions_as_the_whole_archive_would_compute_them(memory_db):
    from archive.schema import RANGE_CHANGE_ROW_COLUMNS, _range_changes_select

    crawl(memory_db, [posting("1", ranges=[pay(100000, 150000)]), posting("2", ranges=[pay(50, 60, period="hour")]),
                      posting("3", ranges=[pay(90000, 120000)])], NIGHT1)
    crawl(memory_db, [posting("1", ranges=[pay(110000, 160000)], description="raised"),
                      posting("2", ranges=[pay(45, 70, period="hour")], description="widened"),
                      posting("3", description="pay taken out")], NIGHT2)
    crawl(memory_db, [posting("1", ranges=[pay(100000, 150000)], description="cut back"), posting("2"),
                      posting("3", ranges=[pay(95000, 125000)], description="pay back")], NIGHT3)
    stored = memory_db.execute(f"SELECT {', '.join(RANGE_CHANGE_ROW_COLUMNS)} FROM range_change_rows").fetchall()
    computed = memory_db.execute(_range_changes_select("1")).fetchall()
    assert sorted(stored) == sorted(computed)
    kinds = memory_db.execute("SELECT ref, change, changed_at FROM range_changes ORDER BY changed_at, ref").fetchall()
    assert kinds == [("1", "raised", NIGHT2), ("2", "widened", NIGHT2), ("3", "removed", NIGHT2),
                     ("1", "cut", NIGHT3), ("2", "removed", NIGHT3), ("3", "added", NIGHT3)]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        memory_db.execute("DELETE FROM range_change_rows")


def test_pay_history_rows_are_written_with_their_versions_as_the_joins_would_compute_them(memory_db):
    from archive.schema import _PAY_HISTORY_ROWS_FROM_JOINS, PAY_HISTORY_ROW_COLUMNS

    crawl(memory_db, [posting("1", ranges=[pay(100000, 150000), pay(90000, 140000, label="Remote")]),
                      posting("2", ranges=[pay(50, 60, period="hour")]), posting("3")], NIGHT1)
    crawl(memory_db, [posting("1", ranges=[pay(110000, 160000), pay(90000, 140000, label="Remote")], description="raised"),
                      posting("2", ranges=[pay(50, 60, period="hour")], description="edited, same pay"),
                      posting("3", ranges=[pay(95000, 125000)], description="pay added")], NIGHT2)
    crawl(memory_db, [posting("1", title="Staff Engineer", list_only=True)], NIGHT3, listed_refs=["1", "2", "3"])
    stored = memory_db.execute(f"SELECT {', '.join(PAY_HISTORY_ROW_COLUMNS)} FROM pay_history_rows").fetchall()
    assert sorted(stored) == sorted(memory_db.execute(_PAY_HISTORY_ROWS_FROM_JOINS).fetchall())
    assert len(stored) == count(memory_db, "pay_ranges") == 7
    # The view over them: pay changes flagged, the posting's status and the company's sector joined in.
    assert memory_db.execute("SELECT ref, version, label, pay_changed, posting_status FROM pay_history "
                             "ORDER BY ref, version, position").fetchall() == [
        ("1", 1, None, 0, "open"), ("1", 1, "Remote", 0, "open"), ("1", 2, None, 1, "open"),
        ("1", 2, "Remote", 1, "open"), ("2", 1, None, 0, "open"), ("2", 2, None, 0, "open"), ("3", 2, None, 1, "open")]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        memory_db.execute("UPDATE pay_history_rows SET min = 1")


def test_the_pay_history_migration_fills_its_rows_from_an_archive_written_before_it(tmp_path):
    from archive.schema import PAY_HISTORY_ROW_COLUMNS, migrations

    path = str(tmp_path / "old.db")
    db = Database(path)
    migrations.apply(db, stop_before="m006_written_with_versions")
    crawl(db, [posting("1", ranges=[pay(100000, 150000)]), posting("2")], NIGHT1)
    crawl(db, [posting("1", ranges=[pay(120000, 150000)], description="raised"),
               posting("2", ranges=[pay(60, 70, period="hour")], description="pay added")], NIGHT2)
    before = db.execute("SELECT * FROM pay_history ORDER BY version_id, position").fetchall()
    db.close()
    db = open_archive(path)
    after = db.execute("SELECT * FROM pay_history ORDER BY version_id, position").fetchall()
    # m008 adds period_suspect last; ranges archived before it are not assessed (NULL), never rewritten.
    assert [row[:-1] for row in after] == before and {row[-1] for row in after} == {None}
    assert count(db, "pay_history_rows") == 3
    crawl(db, [posting("1", ranges=[pay(130000, 150000)], description="raised again"),
               posting("2", ranges=[pay(60, 70, period="hour")], description="pay added")], NIGHT3)
    assert count(db, "pay_history_rows") == 4
    columns = ", ".join(PAY_HISTORY_ROW_COLUMNS)
    assert db.execute(f"SELECT {columns} FROM pay_history_rows WHERE version = 3").fetchall()[0][-3:] == (
        NIGHT3, 3, "https://boards.greenhouse.io/acme/jobs/1")


def test_each_range_keeps_where_its_text_sits_and_a_suspect_period_is_kept_flagged(memory_db):
    from pipelines.pay_parser import parse_pay, period_suspect

    text = "Pay: the base salary range is $120,000 - $150,000 per year."
    [parsed] = parse_pay(text)
    assert text[parsed.start:parsed.end] == parsed.raw == "$120,000 - $150,000 per year"
    monthly_as_yearly = {**pay(2100, 2600), "source": "structured", "raw": "2100-2600 per year",
                         "period_suspect": period_suspect(2100, 2600, "USD", "year")}
    crawl(memory_db, [posting("1", ranges=[parsed.to_dict()], pay_text=text),
                      posting("2", ranges=[monthly_as_yearly])], NIGHT1)
    rows = memory_db.execute("SELECT v.posting_id, r.raw_start, r.raw_end, r.period_suspect FROM pay_ranges r "
                             "JOIN posting_versions v ON v.id = r.version_id ORDER BY v.posting_id").fetchall()
    assert rows == [(1, parsed.start, parsed.end, 0), (2, None, None, 1)]
    assert memory_db.execute("SELECT ref, period_suspect FROM pay_history ORDER BY ref").fetchall() == [("1", 0), ("2", 1)]
    # The open-pay summaries research reads leave the suspect range out; the history keeps it.
    summary = memory_db.execute("SELECT ranges, annual_mins FROM open_pay_summaries WHERE currency = 'USD'").fetchall()
    assert summary == [(1, "[120000]")]


def test_full_width_text_keeps_positions_in_the_text_as_written():
    from pipelines.pay_parser import parse_pay

    text = "年収：＄１２０，０００ – ＄１５０，０００ per year"
    [parsed] = parse_pay(text)
    assert text[parsed.start:parsed.end] == parsed.raw and parsed.raw.startswith("＄１２０")


def test_a_read_beside_a_crawls_writer_keeps_the_writers_locks(tmp_path):
    """A crawl reads its archive (detail history, progress lines) while its writer holds it open. Were the
    read to open and close the file outside SQLite, every POSIX lock the process holds on it would go:
    another process closing the archive would then take itself for the last and delete the -wal the
    writer is still writing into, losing the crawls written after (seen as lost nights under load)."""
    import subprocess
    import sys

    from archive.access import open_read_only
    from archive.schema import open_archive
    from archive.store import ingest_crawl

    path = tmp_path / "paywatch.db"
    writer = open_archive(str(path))
    try:
        ingest_crawl(writer, company="acme", platform="greenhouse", started_at="2026-11-01T03:00:00+00:00",
                     items=[{"ref": "1", "title": "Job 1", "pay_ranges": []}])
        open_read_only(str(path)).close()  # as the crawl's own reads do
        other = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('SELECT 1 FROM crawls'); c.close()"
        subprocess.run([sys.executable, "-c", other, str(path)], check=True, timeout=60)
        assert (tmp_path / "paywatch.db-wal").exists(), "another process deleted the -wal the writer holds"
    finally:
        writer.close()


def test_a_value_lost_for_a_night_keeps_the_version_instead_of_a_removal_and_a_restoring(memory_db):
    ranges = [pay(100000, 150000, source="structured")]
    crawl(memory_db, [posting("1", ranges=ranges), posting("2", ranges=ranges)], NIGHT1)
    lost = crawl(memory_db, [posting("1", lost_values=["pay_ranges"]), posting("2", ranges=ranges)], NIGHT2)
    assert (lost.changed, lost.unreadable, lost.with_pay, lost.planned_changed) == (0, 1, 2, 0)
    back = crawl(memory_db, [posting("1", ranges=ranges), posting("2", ranges=ranges)], NIGHT3)
    assert back.changed == 0 and count(memory_db, "posting_versions") == 2
    assert memory_db.execute("SELECT last_seen_at FROM postings WHERE ref = '1'").fetchone() == (NIGHT3,)


def test_a_posting_that_lost_a_value_and_changed_besides_is_versioned(memory_db):
    ranges = [pay(100000, 150000, source="structured")]
    crawl(memory_db, [posting("1", ranges=ranges)], NIGHT1)
    edited = crawl(memory_db, [posting("1", title="Staff Software Engineer", lost_values=["pay_ranges"])], NIGHT2)
    assert edited.changed == 1


def test_storable_names_the_values_it_had_to_change():
    from archive.store import storable

    odd = posting("1", ranges=[pay(float("nan"), 150000)], title="Editor \ud800")
    assert storable(odd)["lost_values"] == ["pay_ranges", "title"]
    assert storable(posting("2"))["lost_values"] == []


@pytest.mark.parametrize("interrupted", ["m001_initial", "m002_views", "m003_crawl_verdicts", "m007_company_summaries",
                                         "m010_planned_counts"])
def test_a_migration_interrupted_midway_leaves_the_archive_at_the_old_schema(tmp_path, interrupted):
    """Each migration runs whole or not at all: one stopped partway through its statements (SQLite's
    progress handler aborts a statement, as a crawl killed there stops) leaves no table, view or record
    of it, and the next open applies it."""
    import archive.schema as schema

    import shutil

    path = str(tmp_path / "archive.db")
    names = [migration.name for migration in schema.migrations._migrations]
    before = names[:names.index(interrupted)]
    db = Database(path)
    schema.migrations.ensure_migrations_table(db)
    if before:
        schema.migrations.apply(db, stop_before=interrupted)
    db.close()
    snapshot = sorted(Database(path).execute("SELECT type, name, sql FROM sqlite_master").fetchall())
    migration = next(m for m in schema.migrations._migrations if m.name == interrupted)
    original = migration.fn
    steps = {"n": 0, "stop": None}

    def counted(db):
        def handler():
            steps["n"] += 1
            return steps["stop"] is not None and steps["n"] >= steps["stop"]  # nonzero: SQLite aborts
        db.conn.set_progress_handler(handler, 1)
        try:
            original(db)
        finally:
            db.conn.set_progress_handler(None, 0)

    migration.fn = counted
    try:
        shutil.copy(path, tmp_path / "dry.db")  # how long the migration runs, to stop it halfway
        schema.migrations.apply(Database(str(tmp_path / "dry.db")), stop_before=names[names.index(interrupted) + 1:])
        steps["n"], steps["stop"] = 0, steps["n"] // 2
        with pytest.raises(sqlite3.OperationalError, match="interrupted"):
            schema.migrations.apply(Database(path))
    finally:
        migration.fn = original
    db = Database(path)
    assert sorted(db.execute("SELECT type, name, sql FROM sqlite_master").fetchall()) == snapshot
    assert [m.name for m in schema.migrations.applied(db)] == before
    db.close()
    reopened = schema.open_archive(path)
    assert [m.name for m in schema.migrations.applied(reopened)] == names
    assert reopened.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_failed_night_between_two_listings_allows_a_night_more_of_churn(memory_db):
    board = [posting(str(n)) for n in range(100)]
    crawl(memory_db, board, NIGHT1)
    crawl(memory_db, board, NIGHT2, status="failed", failure_reason="HTTP 503")
    assert crawl(memory_db, board[:94], NIGHT3).status == "complete"  # 6%: two nights of churn
    crawl(memory_db, board[:94], NIGHT4, status="failed", failure_reason="HTTP 503")
    assert crawl(memory_db, board[:80], "2026-11-05T03:00:00+00:00").status == "suspect"  # 15%: cut short


def test_text_that_differs_only_in_compatibility_forms_is_no_new_version(memory_db):
    crawl(memory_db, [posting("1", pay_text="Pay: $120,000 - $150,000 a year")], NIGHT1)
    wide = crawl(memory_db, [posting("1", pay_text="Pay: \uff04\uff11\uff12\uff10,\uff10\uff10\uff10 - "
                                                   "\uff04\uff11\uff15\uff10,\uff10\uff10\uff10 a year")], NIGHT2)
    assert (wide.changed, wide.unchanged, wide.unreadable) == (0, 1, 0)
    assert crawl(memory_db, [posting("1", pay_text="Pay: $120,000 - $150,000 a year")], NIGHT3).changed == 0
    assert count(memory_db, "posting_versions") == 1
    assert crawl(memory_db, [posting("1", pay_text="Pay: $125,000 - $150,000 a year")], NIGHT4).changed == 1
