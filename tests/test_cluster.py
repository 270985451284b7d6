"""Issue 14's first steps: paywatch as a Scrapyd project (the egg scrapyd-deploy builds carries the
registry and the settings) and the partition of the registry's companies across nodes."""

import collections
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scrapers.cluster import host_group, node_for, partition
from scrapers.platforms import load_registry

REPO = Path(__file__).resolve().parents[1]
NODES = ["http://10.0.0.1:6800", "http://10.0.0.2:6800", "http://10.0.0.3:6800"]


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def test_every_company_lands_on_exactly_one_node_and_host_groups_stay_together(registry):
    assigned = partition(registry, NODES)
    assert sorted(c.slug for companies in assigned.values() for c in companies) == sorted(c.slug for c in registry)
    nodes_of_group = collections.defaultdict(set)
    for node, companies in assigned.items():
        for company in companies:
            nodes_of_group[host_group(company)].add(node)
    assert all(len(nodes) == 1 for nodes in nodes_of_group.values())
    # SmartRecruiters' eight companies share api.smartrecruiters.com: one node crawls them in turn.
    assert len(nodes_of_group["smartrecruiters:smartrecruiters"]) == 1
    assert len({host_group(c) for c in registry if c.platform == "workday" and "xboxgaming" in c.ids["host"]}) == 1


def test_the_partition_is_stable_and_spreads_the_groups(registry):
    first, again = partition(registry, NODES), partition(list(reversed(registry)), NODES)
    assert {node: {c.slug for c in cs} for node, cs in first.items()} == {node: {c.slug for c in cs} for node, cs in again.items()}
    groups = {host_group(c) for c in registry}
    per_node = collections.Counter(node_for(group, NODES) for group in groups)
    assert set(per_node) == set(NODES) and min(per_node.values()) >= len(groups) / len(NODES) / 2


def test_adding_a_node_moves_only_the_groups_it_wins(registry):
    groups = sorted({host_group(c) for c in registry})
    before = {group: node_for(group, NODES) for group in groups}
    grown = NODES + ["http://10.0.0.4:6800"]
    after = {group: node_for(group, grown) for group in groups}
    moved = [group for group in groups if before[group] != after[group]]
    assert all(after[group] == "http://10.0.0.4:6800" for group in moved)
    assert 0 < len(moved) < len(groups) / 2  # about a quarter, never a reshuffle


def test_no_nodes_is_an_error(registry):
    with pytest.raises(ValueError):
        partition(registry, [])


def test_the_scrapyd_egg_carries_the_registry_and_the_settings(tmp_path):
    pytest.importorskip("scrapyd_client", reason='the egg is built by scrapyd-deploy (pip install -e ".[scale]")')
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "setup.py", "scrapy.cfg", "README.md"):
        shutil.copy(REPO / name, project / name)
    for package in ("scrapers", "pipelines", "archive"):
        shutil.copytree(REPO / package, project / package, ignore=shutil.ignore_patterns("__pycache__"))
    egg = tmp_path / "paywatch.egg"
    deploy = Path(sys.executable).with_name("scrapyd-deploy")
    subprocess.run([str(deploy), "--build-egg", str(egg)], cwd=project, check=True, capture_output=True, timeout=180)
    with zipfile.ZipFile(egg) as built:
        names = set(built.namelist())
        assert {"scrapers/companies.toml", "scrapers/settings.py", "pipelines/role_rules.toml",
                "archive/metadata.yml"} <= names
        assert "settings = scrapers.settings" in built.read("EGG-INFO/entry_points.txt").decode()
