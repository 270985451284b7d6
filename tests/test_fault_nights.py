"""Issue 9's fault matrix as tests: no ordinary fault may ever close a posting that is still listed.

Every row of ``benchmarks/faultlab.py`` (the same lab ``python benchmarks/faults.py`` prints) runs
the real ``paywatch crawl`` against a fault server on 127.0.0.1 for good night → fault night → two good
nights, on small boards (30 Greenhouse postings, 40 Workday postings with details, 30 Lever
postings), two rows at a time. The rows are run once for the module; each test reads the archive
measures of one row. Whatever the fault, a row must show

- no false closure (no listed posting closed) and no lost night (every crawl left its row);
- a fault night that is not ``complete`` when the fault means the crawl cannot prove it saw the
  whole listing (redirect off the company's host, count mismatch, missing ids, schema drift,
  runaway pagination, HTML, 5xx after retries, a stalled or truncated list page, empty board,
  robots.txt); a detail that cannot be read (timed out, nested absurdly deep) only makes its posting
  unreadable, as the listing is still whole;
- no request to another host, no posting archived that the server never listed, and nothing
  written by a crawl recorded failed;
- the posting really taken down on night 3 closed by night 4, dated night 3 (a closure waits for
  a second listing that misses it);
- after the good night 4, the same open postings with the same content as a fault-free run, and an
  archive that passes ``PRAGMA integrity_check``.

A failing test's message is the row's evidence (statuses, failure reasons, the refs closed, the
exceptions in the crawl's log).
"""

from __future__ import annotations

import pytest

from benchmarks.faultlab import (
    COMPANIES, EDITED_ON_NIGHT_3, FAULT_NIGHT, FAULTS, NIGHTS, NOT_COMPLETE, RAISED_ON_NIGHT_2, REMOVED_ON_NIGHT_3,
    FaultLab, LabConfig, fault_named, posting_ref, render_matrix,
)

TEST_CONFIG = LabConfig(
    sizes={"greenhouse": 30, "workday": 40, "lever": 30},
    runaway_total=999,     # a runaway Workday search claims 999 results (50 pages) in the tests
    crawl_timeout=120,
    server_max_seconds=900,
)
ROWS = [fault.name for fault in FAULTS]
pytestmark = pytest.mark.slow  # every row's four nights: about two minutes on 2 cores
MUST_NOT_BE_COMPLETE = [fault.name for fault in FAULTS if fault.expect == NOT_COMPLETE]


@pytest.fixture(scope="module")
def fault_lab(tmp_path_factory):
    return FaultLab(TEST_CONFIG, tmp_path_factory.mktemp("faultlab"))


@pytest.fixture(scope="module")
def rows(fault_lab):
    results = fault_lab.run_rows(FAULTS, workers=2)
    print("\n" + render_matrix(results))  # shown with pytest -s
    return {result.name: result for result in results}


def why(result) -> str:
    return f"{result.name} ({result.summary}):\n  " + "\n  ".join(result.evidence)


def test_the_fault_free_reference_records_exactly_the_real_changes(fault_lab):
    reference = fault_lab.reference()
    assert reference.lab_problems == []
    for night in NIGHTS:
        statuses = {slug: status for slug, (status, _) in reference.status[night].items()}
        assert statuses == dict.fromkeys(COMPANIES.values(), "complete"), night
    changed = {posting_ref(platform, index)
               for platform in COMPANIES for index in (RAISED_ON_NIGHT_2, EDITED_ON_NIGHT_3)}
    for (company, ref), hashes in reference.versions.items():
        assert len(hashes) == (2 if ref in changed else 1), (company, ref)
    assert reference.false_closures == [] and reference.late_closures == []
    removed = {(slug, posting_ref(platform, REMOVED_ON_NIGHT_3)) for platform, slug in COMPANIES.items()}
    open_postings = set(fault_lab.reference_state().open_current)
    assert removed <= set(reference.versions) and not removed & open_postings
    assert len(open_postings) == sum(TEST_CONFIG.sizes.values())  # + one opened on night 2, - one removed
    assert reference.integrity == "ok"


@pytest.mark.parametrize("name", ROWS)
def test_the_lab_served_the_row_without_errors(rows, name):
    assert rows[name].lab_problems == []


@pytest.mark.parametrize("name", ROWS)
def test_no_listed_posting_is_closed(rows, name):
    result = rows[name]
    assert result.false_closures == [], why(result)


@pytest.mark.parametrize("name", ROWS)
def test_the_posting_really_taken_down_is_closed_by_the_next_night_dated_when_it_went(rows, name):
    result = rows[name]
    assert result.late_closures == [], why(result)


@pytest.mark.parametrize("name", ROWS)
def test_no_night_is_lost(rows, name):
    result = rows[name]
    assert result.lost_nights == [], why(result)


@pytest.mark.parametrize("name", MUST_NOT_BE_COMPLETE)
def test_a_crawl_that_cannot_prove_it_saw_the_listing_is_not_complete(rows, name):
    result = rows[name]
    assert result.night_status(FAULT_NIGHT) in ("failed", "suspect"), why(result)


@pytest.mark.parametrize("name", ROWS)
def test_other_companies_are_untouched_by_one_company_fault(rows, name):
    result = rows[name]
    others = {(night, slug, status) for night in NIGHTS[1:] for slug, (status, _) in result.status[night].items()
              if slug != result.company and status != "complete"}
    assert others == set(), why(result)


@pytest.mark.parametrize("name", ROWS)
def test_nothing_the_server_never_listed_is_archived(rows, name):
    result = rows[name]
    assert result.unlisted_postings == [], why(result)


@pytest.mark.parametrize("name", ROWS)
def test_no_request_leaves_the_company_hosts(rows, name):
    result = rows[name]
    assert result.off_host_requests == 0, why(result)


@pytest.mark.parametrize("name", ROWS)
def test_a_failed_crawl_writes_no_versions_and_opens_no_postings(rows, name):
    result = rows[name]
    assert result.failed_crawl_writes == 0, why(result)


@pytest.mark.parametrize("name", ROWS)
def test_the_archive_passes_integrity_check(rows, name):
    assert rows[name].integrity == "ok"


@pytest.mark.parametrize("name", ROWS)
def test_a_good_night_after_the_fault_converges_on_the_fault_free_archive(rows, name):
    result = rows[name]
    assert result.converged, f"{result.convergence_differences} open postings differ\n" + why(result)


def test_versions_do_not_depend_on_the_order_of_a_duplicated_id(rows):
    first, second = rows["gh_dup_id_a"], rows["gh_dup_id_b"]
    differing = {key for key in set(first.versions) | set(second.versions)
                 if first.versions.get(key) != second.versions.get(key)}
    assert differing == set(), f"version histories differ for {sorted(differing)}"


def test_every_row_is_a_registered_fault():
    assert len(ROWS) == len(set(ROWS)) and all(fault_named(name).name == name for name in ROWS)
