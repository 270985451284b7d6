"""Entries that are the whole posting (Greenhouse, Lever, Ashby) and equal, under the same code, the
entry the archive's open version was read from are handed over unchanged, not extracted again: the
archive takes them as seen and unchanged only when it agrees (their fingerprint is the one it kept),
an id listed twice keeps the copy its open version holds, and the night's counts say what happened."""

from __future__ import annotations

import json
import sqlite3

from archive.schema import open_archive
from archive.store import content_hash, storable, tracked_snapshot

from tests.test_archive import NIGHT1, NIGHT2, NIGHT3, count, crawl, pay, posting
from tests.test_host_groups import greenhouse_board, registry_entries, write_mount

FINGERPRINTS = {"1": "fp-1", "2": "fp-2", "3": "fp-3"}


def first_night(db):
    items = [posting("1", ranges=[pay(100000, 120000)]), posting("2"), posting("3", ranges=[pay(90000, 95000)])]
    return crawl(db, items, NIGHT1, list_fingerprints=FINGERPRINTS)


def test_unchanged_entries_are_seen_unchanged_and_keep_their_pay(memory_db):
    first_night(memory_db)
    summary = crawl(memory_db, [], NIGHT2, listed_refs=["1", "2", "3"], unchanged_refs=["1", "2", "3"],
                    list_fingerprints=FINGERPRINTS)
    assert (summary.status, summary.seen, summary.unchanged, summary.unreadable, summary.new, summary.closed) == (
        "complete", 3, 3, 0, 0, 0)
    assert summary.with_pay == 2  # the kept versions' pay
    assert count(memory_db, "posting_versions") == 3
    assert memory_db.execute("SELECT DISTINCT last_seen_at, detail_read_at FROM postings").fetchall() == [(NIGHT2, NIGHT2)]


def test_an_entry_the_archive_does_not_recognise_is_unreadable_not_closed(memory_db):
    first_night(memory_db)
    summary = crawl(memory_db, [posting("1")], NIGHT2, listed_refs=["1", "2", "3"], unchanged_refs=["2", "3"],
                    list_fingerprints={**FINGERPRINTS, "3": "something else"})
    assert (summary.unchanged, summary.unreadable, summary.closed) == (2, 1, 0)  # "1" extracted and unchanged
    assert memory_db.execute("SELECT detail_read_at FROM postings WHERE ref = '3'").fetchone() == (NIGHT1,)


def current_title(db, ref):
    return db.execute("SELECT v.title FROM postings p JOIN posting_versions v ON v.posting_id = p.id "
                      "AND v.version = p.current_version WHERE p.ref = ?", [ref]).fetchone()[0]


def test_an_id_listed_twice_keeps_its_unchanged_copy_as_when_both_copies_are_extracted():
    original = content_hash(tracked_snapshot(storable(posting("2"))))
    titles = [f"Software Engineer {number}" for number in range(60)]
    # One edit whose copy sorts before the original's and one after: both ways round.
    below = next(title for title in titles if content_hash(tracked_snapshot(storable(posting("2", title=title)))) < original)
    above = next(title for title in titles if content_hash(tracked_snapshot(storable(posting("2", title=title)))) > original)
    for title in (below, above):
        edited = posting("2", title=title)
        both_read = open_archive(":memory:")
        first_night(both_read)  # both copies extracted: the one equal to the open version is kept
        crawl(both_read, [posting("1"), posting("2"), edited, posting("3", ranges=[pay(90000, 95000)])], NIGHT2,
              list_fingerprints=FINGERPRINTS)
        one_unchanged = open_archive(":memory:")
        first_night(one_unchanged)
        summary = crawl(one_unchanged, [edited], NIGHT2, listed_refs=["1", "2", "3"], unchanged_refs=["1", "2", "3"],
                        list_fingerprints=FINGERPRINTS)
        assert current_title(one_unchanged, "2") == current_title(both_read, "2") == "Software Engineer"
        assert (summary.seen, summary.unchanged, summary.changed, summary.unreadable) == (3, 3, 0, 0)
        assert count(one_unchanged, "posting_versions") == count(both_read, "posting_versions") == 3
        # The id's fingerprint is forgotten, so tomorrow its copies are read again rather than taken as unchanged,
        # and the same copy is kept.
        assert one_unchanged.execute("SELECT list_hash FROM postings WHERE ref = '2'").fetchone() == (None,)
        tomorrow = crawl(one_unchanged, [], NIGHT3, listed_refs=["1", "2", "3"], unchanged_refs=["1", "2", "3"],
                         list_fingerprints=FINGERPRINTS)
        assert (tomorrow.unchanged, tomorrow.unreadable, tomorrow.closed) == (2, 1, 0)
        both_again = crawl(one_unchanged, [edited, posting("2")], "2026-11-04T03:00:00+00:00", listed_refs=["1", "2", "3"],
                           unchanged_refs=["1", "3"], list_fingerprints=FINGERPRINTS)
        assert (both_again.changed, both_again.unchanged) == (0, 3) and current_title(one_unchanged, "2") == "Software Engineer"


def test_a_steady_night_reads_only_the_entries_that_changed(tmp_path):
    from scrapers.demo.replay import ReplayServer
    from tests.test_host_groups import crawl as crawl_command

    night1 = greenhouse_board("g_one", 5)
    night2 = json.loads(json.dumps(night1))
    night2["jobs"][0]["title"] = "Editor, Trailers"
    mounts = {}
    for night, board in (("night", night1), ("later", night2)):
        directory = tmp_path / night
        directory.mkdir()
        mounts[f"/{night}"] = write_mount(directory, [{"path": "/greenhouse/v1/boards/g_one/jobs", "file": "b.json"}],
                                          {"b.json": board})
    registry = registry_entries("greenhouse", ["g_one"], "token")
    with ReplayServer(mounts) as server:
        first, _ = crawl_command(tmp_path, server, registry)
        server_url = server.url
        second, second_log = crawl_command(tmp_path, server, registry, f"GREENHOUSE_API_URL={server_url}/later/greenhouse")
        upgraded, upgraded_log = crawl_command(tmp_path, server, registry, f"GREENHOUSE_API_URL={server_url}/later/greenhouse",
                                               "PAYWATCH_VERSION=a-newer-release")
    assert (first.returncode, second.returncode, upgraded.returncode) == (0, 0, 0), second.stderr
    with sqlite3.connect(tmp_path / "paywatch.db") as connection:
        nights = connection.execute("SELECT status, seen, new, changed, unchanged, unreadable FROM crawls ORDER BY id").fetchall()
        versions = connection.execute("SELECT count(*) FROM posting_versions").fetchone()[0]
    assert nights == [("complete", 5, 5, 0, 0, 0), ("complete", 5, 0, 1, 4, 0), ("complete", 5, 0, 0, 5, 0)]
    assert versions == 6
    # Night 2 extracted only the edited posting; a new release reads every entry again, once.
    assert "'paywatch/posting/unchanged_entry': 4" in second_log.split("Dumping Scrapy stats")[-1]
    assert "paywatch/posting/unchanged_entry" not in upgraded_log.split("Dumping Scrapy stats")[-1]


def test_postings_edited_while_the_rest_are_unchanged_are_edits_not_schema_drift(memory_db):
    refs = [str(number) for number in range(40)]
    fingerprints = {ref: f"fp-{ref}" for ref in refs}
    crawl(memory_db, [posting(ref, pay_text=f"$100,000 - $120,000 (posting {ref})") for ref in refs], NIGHT1,
          list_fingerprints=fingerprints)
    edited = refs[:12]  # each loses its pay text; the other 28 are unchanged and not extracted
    summary = crawl(memory_db, [posting(ref, description="no pay now") for ref in edited], NIGHT2, listed_refs=refs,
                    unchanged_refs=refs[12:], list_fingerprints={**fingerprints, **{ref: f"new-{ref}" for ref in edited}})
    assert (summary.status, summary.changed, summary.unchanged, summary.unreadable) == ("complete", 12, 28, 0)
    # When the other 28 lose it too, read in full, that is drift again.
    drifted = crawl(memory_db, [posting(ref, description="no pay now") for ref in refs], NIGHT3)
    assert drifted.status == "failed" and "schema drift: pay_text" in drifted.failure_reason


def test_the_entry_fingerprint_names_the_extraction_code(tmp_path, monkeypatch):
    from importlib.machinery import ModuleSpec

    from scrapers.platforms import details

    before = details.extraction_code_version()
    assert before == details.extraction_code_version()  # cached: one hash a run
    details.extraction_code_version.cache_clear()
    real_find_spec = details.importlib.util.find_spec
    copy = tmp_path / "pipelines"
    copy.mkdir()
    for path in real_find_spec("pipelines").submodule_search_locations[0:1]:
        for source in sorted(details.Path(path).iterdir()):
            if source.suffix in (".py", ".toml"):
                (copy / source.name).write_bytes(source.read_bytes())
    (copy / "pay_parser.py").write_text((copy / "pay_parser.py").read_text() + "\n# a parser fix\n")

    def find_spec(name):
        if name != "pipelines":
            return real_find_spec(name)
        # A spec of its own: the imported package's spec must stay as it is.
        spec = ModuleSpec("pipelines", None, is_package=True)
        spec.submodule_search_locations = [str(copy)]
        return spec

    monkeypatch.setattr(details.importlib.util, "find_spec", find_spec)
    try:
        assert details.extraction_code_version() != before
    finally:
        details.extraction_code_version.cache_clear()
