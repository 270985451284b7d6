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


def build_egg(directory):
    """The project's egg as scrapyd-deploy builds it, from a copy of the checkout (the build writes
    build/ and setup files where it runs)."""
    pytest.importorskip("scrapyd_client", reason='the egg is built by scrapyd-deploy (pip install -e ".[scale]")')
    project = directory / "project"
    project.mkdir()
    for name in ("pyproject.toml", "setup.py", "scrapy.cfg", "README.md"):
        shutil.copy(REPO / name, project / name)
    for package in ("scrapers", "pipelines", "archive"):
        shutil.copytree(REPO / package, project / package, ignore=shutil.ignore_patterns("__pycache__"))
    egg = directory / "paywatch.egg"
    deploy = Path(sys.executable).with_name("scrapyd-deploy")
    subprocess.run([str(deploy), "--build-egg", str(egg)], cwd=project, check=True, capture_output=True, timeout=180)
    return egg


def test_the_scrapyd_egg_carries_the_registry_and_the_settings(tmp_path):
    egg = build_egg(tmp_path)
    with zipfile.ZipFile(egg) as built:
        names = set(built.namelist())
        assert {"scrapers/companies.toml", "scrapers/settings.py", "pipelines/role_rules.toml",
                "archive/metadata.yml"} <= names
        assert "settings = scrapers.settings" in built.read("EGG-INFO/entry_points.txt").decode()
    # Run from the zipped egg, as a Scrapyd node runs it: the registry, the role rules and the
    # extraction code's hash are read through the package, not as files beside the modules.
    probe = ("import scrapers, pipelines; assert '.egg' in scrapers.__file__ and '.egg' in pipelines.__file__\n"
             "from scrapers.platforms import load_registry; from pipelines.role_classifier import classify_role\n"
             "from scrapers.platforms.details import extraction_code_version\n"
             "print(len(load_registry()), classify_role('Research Scientist').role_type, len(extraction_code_version()))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(egg), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(len(load_registry())), "research", "16"]


# -- a node captures, the archive machine ingests -------------------------------------------------
def test_captures_from_a_node_ingested_make_the_archive_a_crawl_of_its_own_makes(tmp_path):
    """Night 1 and 2 of the demo crawled as a cluster node crawls (capture only, no archive), then
    the captures ingested by the archive machine: the same history as the ordinary crawl's."""
    from dataclasses import asdict

    from archive.companies import sync_companies
    from archive.handoff import write_detail_histories
    from archive.raw import SUFFIX, ingest_captures
    from archive.schema import open_archive
    from benchmarks.archive_equal import compare
    from scrapers.demo import DEMO_DIR, FAST_LOCAL_SETTINGS, replay_settings
    from scrapers.demo.replay import ReplayServer

    registry = DEMO_DIR / "companies.toml"
    mounts = {f"/{night}": sorted((DEMO_DIR / night).glob("routes*.json")) for night in ("night1", "night2")}
    ordinary, node_raw, ingested, kept = (tmp_path / "ordinary.db", tmp_path / "node-raw", tmp_path / "ingested.db",
                                          tmp_path / "ingested.db.raw")
    handoff = tmp_path / "handoff"
    companies = load_registry(registry)

    def paywatch_crawl(server, night, *settings):
        arguments = [f"{setting}" for setting in [*replay_settings(server.url, night), *FAST_LOCAL_SETTINGS, *settings]]
        command = [sys.executable, "-m", "scrapers.cli", "crawl", "--db", str(ordinary), "--registry", str(registry),
                   "--log-level", "WARNING", *[arg for setting in arguments for arg in ("-s", setting)]]
        return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)

    def node_crawl(server, night, slug):
        settings = [*replay_settings(server.url, night), *FAST_LOCAL_SETTINGS, "PAYWATCH_CAPTURE_ONLY=True",
                    f"PAYWATCH_RAW_DIR={node_raw}", f"PAYWATCH_DETAIL_HISTORY_DIR={handoff}",
                    f"PAYWATCH_REGISTRY={registry}", "LOG_LEVEL=WARNING"]
        command = [sys.executable, "-m", "scrapy.cmdline", "crawl", slug, *[arg for s in settings for arg in ("-s", s)]]
        return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)

    slugs = [line.split()[0] for line in subprocess.run(
        [sys.executable, "-m", "scrapers.cli", "companies", "--registry", str(registry), "--format", "csv"],
        cwd=REPO, capture_output=True, text=True, check=True).stdout.splitlines()[1:]]
    with ReplayServer(mounts) as server:
        for night in ("night1", "night2"):
            assert paywatch_crawl(server, night).returncode == 0
            db = open_archive(str(ingested))  # what the nodes need of the archive, handed over first
            write_detail_histories(db, [(company.slug, company.platform) for company in companies], handoff)
            db.close()
            for slug in [s.split(",")[0] for s in slugs]:
                result = node_crawl(server, night, slug)
                assert result.returncode == 0, result.stderr
            db = open_archive(str(ingested))
            try:
                # What the archive machine records of the registry, as a crawl of its own does.
                sync_companies(db, [asdict(company) for company in companies])
                fresh = [path for path in node_raw.glob(f"*/*{SUFFIX}")]
                ingest_captures(fresh, db, keep_dir=kept)
                assert ingest_captures(fresh, db, keep_dir=kept) == []  # the same captures again: nothing new
            finally:
                db.close()
    assert not any(node_raw.glob("*.db"))  # the node wrote captures only
    # Each node job reads robots.txt itself, where one process reads a host's once a night: one more
    # request on some crawls, nothing else.
    differences = compare(ordinary, ingested, ignore_columns=frozenset({"requests"}))
    assert differences == [], "\n".join(difference[:600] for difference in differences)
    assert sorted(path.name for path in kept.glob(f"*/*{SUFFIX}")) == sorted(path.name for path in node_raw.glob(f"*/*{SUFFIX}"))



def test_a_scrapyd_node_runs_the_deployed_egg_and_its_captures_are_ingested(tmp_path):
    """A real Scrapyd 1.6 node on 127.0.0.1: the egg deployed, two companies' jobs scheduled with the
    node settings, followed to the end, their captures ingested by the archive machine."""
    pytest.importorskip("scrapyd", reason='the node is Scrapyd (pip install -e ".[scale]")')
    from archive.raw import SUFFIX, ingest_captures
    from archive.schema import open_archive
    from scrapers.cluster import LocalNode, deploy_egg, run_jobs
    from scrapers.demo import DEMO_DIR, FAST_LOCAL_SETTINGS, replay_settings
    from scrapers.demo.replay import ReplayServer

    egg = build_egg(tmp_path)
    raw = tmp_path / "captures"
    with ReplayServer({"/night1": sorted((DEMO_DIR / "night1").glob("routes*.json"))}) as server, \
            LocalNode(tmp_path / "node", max_seconds=300) as node:
        assert deploy_egg(node.url, egg) == len(load_registry())
        settings = [*replay_settings(server.url, "night1"), *FAST_LOCAL_SETTINGS, "PAYWATCH_CAPTURE_ONLY=True",
                    f"PAYWATCH_RAW_DIR={raw}", f"PAYWATCH_REGISTRY={DEMO_DIR / 'companies.toml'}"]
        outcome = run_jobs(node.url, "paywatch", [("a24", settings), ("spotify", settings)], timeout=120, poll=0.5)
        assert outcome == {"a24": "finished", "spotify": "finished"}
        refused = run_jobs(node.url, "paywatch", [("no_such_company", settings)], timeout=30, poll=0.5)
        assert refused["no_such_company"].startswith("node unreachable or refused the job") and \
            "no_such_company" in refused["no_such_company"]
    db = open_archive(str(tmp_path / "archive.db"))
    try:
        crawls = ingest_captures(sorted(raw.glob(f"*/*{SUFFIX}")), db)
    finally:
        db.close()
    assert sorted((crawl.company, crawl.status, crawl.seen) for crawl in crawls) == [
        ("a24", "complete", 3), ("spotify", "complete", 2)]


def test_a_node_that_is_down_is_a_reason_not_a_hang():
    pytest.importorskip("scrapyd_client")
    from scrapers.cluster import _free_port, run_jobs

    outcome = run_jobs(f"http://127.0.0.1:{_free_port()}", "paywatch", [("a24", [])], timeout=5)
    assert outcome["a24"].startswith("node unreachable or refused the job")
