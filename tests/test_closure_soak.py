"""The closure soak (``benchmarks/closures.py``), short: eight nights of real crawls of boards on four
platforms with churn, truncations, empty and failing listings and week-long leaks mixed in, checked
against the truth every night."""

from __future__ import annotations

import pytest

from benchmarks.closures import LATENCY_GOAL, REPO_ROOT, fault_plan, kept, run_soak
from benchmarks.nightlab import PostingState

pytestmark = pytest.mark.slow  # eight nights of four companies: about 40 s


@pytest.fixture(scope="module")
def soak(tmp_path_factory):
    results, plan = run_soak(8, 60, 0.03, 23, tmp_path_factory.mktemp("soak"), {"paywatch": REPO_ROOT},
                             platforms=("greenhouse", "lever", "workday", "apple"), progress=lambda line: None)
    return results[0], plan


def test_the_plan_mixes_every_kind_of_fault_in(soak):
    _, plan = soak
    assert {kind for kind, _ in plan.values()} >= {"leak", "down"}
    assert len(plan) >= 10


def test_no_posting_still_listed_is_ever_closed(soak):
    result, _ = soak
    assert [(night.night, night.false_closures, night.wrongly_closed) for night in result.figures
            if night.false_closures or night.wrongly_closed] == []


def test_every_night_is_recorded(soak):
    assert soak[0].lost_nights == 0


def test_real_closures_arrive_within_two_nights_when_no_fault_holds_them(soak):
    latency = soak[0].latency
    assert latency.clean and max(latency.clean) <= LATENCY_GOAL and latency.late == 0
    # Dated the night they went, or a night later when that night's listing was held (a board that
    # shrank by chance: a listing held dates no closure).
    assert sorted(latency.clean_dating)[len(latency.clean_dating) // 2] == 0 and max(latency.clean_dating) <= 1
    assert len(latency.nights) >= 20  # the soak really closed postings


def test_the_plan_never_cuts_a_board_two_nights_running_outside_a_leak():
    plan = fault_plan(["a", "b", "c", "d"], 30, 23)
    for (night, slug), (kind, _) in plan.items():
        if kind != "leak":
            assert (night + 1, slug) not in plan and (night - 1, slug) not in plan


def test_a_leak_keeps_the_same_postings_missing_as_it_grows():
    postings = [PostingState("greenhouse", index, "t", "d", "c", "s", None, False, 0, 0) for index in range(100)]
    first, second = kept(postings, "leak", 0.95, "x"), kept(postings, "leak", 0.90, "x")
    assert len(first) == 95 and len(second) == 90 and set(p.index for p in second) <= set(p.index for p in first)
