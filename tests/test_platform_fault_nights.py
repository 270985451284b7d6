"""The fault matrix on every platform the night lab serves (``benchmarks/platform_faults.py``): for
each fault, four nights of the real ``paywatch crawl`` of one company a platform, in its real reply
shapes, with the fault on every listing on night 2, measured against a fault-free run of the same
nights. Whatever the fault and platform: no listed posting closed, no spurious version, no lost night,
convergence by night 4, and a fault night that cannot prove it saw the whole listing is not complete."""

from __future__ import annotations

import pytest

from benchmarks.platform_faults import FAULTS, run_matrix
from benchmarks.closures import SERVED_PLATFORMS

pytestmark = pytest.mark.slow  # ten faults' four nights on thirteen platforms: about two minutes


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    rows, errors = run_matrix(30, list(FAULTS), 2, tmp_path_factory.mktemp("platform-faults"), progress=lambda line: None)
    return {(row.fault, row.platform): row for row in rows}, errors


def test_the_lab_served_every_row_without_errors(matrix):
    rows, errors = matrix
    assert errors == [] and len(rows) == len(FAULTS) * len(SERVED_PLATFORMS)


@pytest.mark.parametrize("platform", SERVED_PLATFORMS)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_no_fault_closes_a_listed_posting_or_writes_a_spurious_version_on_any_platform(matrix, fault, platform):
    row = matrix[0][(fault, platform)]
    assert row.problems == [], f"{fault} on {platform}: nights {row.statuses}"
