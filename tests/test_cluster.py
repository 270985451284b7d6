"""Issue 14's first steps: paywatch as a Scrapyd project (the egg scrapyd-deploy builds carries the
registry and the settings) and the partition of the registry's companies across nodes."""

import collections
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
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
    assert len(nodes_of_group["smartrecruiters"]) == 1
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
    pytest.importorskip("scrapyd_client", reason='the egg is built by scrapyd-deploy (pip install -e ".[scale]")')
    from scrapers.cluster import build_egg as built

    return built(directory)


def test_an_egg_needs_a_checkout_to_build_from(tmp_path):
    from scrapers.cluster import ClusterError, build_egg as built

    with pytest.raises(ClusterError, match="no paywatch checkout at .* the Scrapyd egg is built from one"):
        built(tmp_path / "out", source=tmp_path)


@pytest.mark.slow
@pytest.mark.scale
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


# -- following a night's jobs on the nodes (scrapers.cluster.crawl_chains) -------------------------
class FakeScrapyd:
    """A loopback stand-in for a Scrapyd node's JSON API (listspiders, schedule, listjobs, cancel),
    each job scripted by its spider's name: ``polls[spider]`` listings until it finishes (None:
    never), ``vanish`` (gone from every list instead of finishing), ``refuse`` (schedule.json answers
    an error), ``dies_after`` listings (then it answers garbage), ``captures[spider]`` how many of
    its companies (the spider's, then its company_queue's) a finished job captured (default all).
    It records when each job ran and which companies were captured."""

    def __init__(self, polls=None, vanish=(), refuse=(), dies_after=None, project="paywatch", captures=None):
        from scrapers.demo.replay import LoopbackServer, QuietHandler

        self.polls, self.vanish, self.refuse, self.dies_after, self.project = dict(polls or {}), set(vanish), \
            set(refuse), dies_after, project
        self.captures, self.captured = dict(captures or {}), set()
        self.jobs, self.listings, self.cancelled, self.events = {}, 0, [], []
        fake = self

        class Handler(QuietHandler):
            def _serve(self, method):
                from urllib.parse import parse_qsl, urlsplit

                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qsl(self.rfile.read(length).decode()) if length else parse_qsl(split.query)
                body = fake.answer(split.path.strip("/").removesuffix(".json"), form)
                payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = LoopbackServer(Handler, max_seconds=120)

    def __enter__(self):
        self.server.__enter__()
        return self

    def __exit__(self, *exc):
        self.server.__exit__(*exc)

    @property
    def url(self):
        return self.server.url

    def answer(self, endpoint, form):
        fields = dict(form)
        if self.dies_after is not None and self.listings >= self.dies_after:
            return "<html>502 Bad Gateway</html>"
        if endpoint == "listspiders":
            if fields.get("project") != self.project:
                return {"status": "error", "message": f"project {fields.get('project')!r} not found"}
            return {"status": "ok", "spiders": sorted(self.polls)}
        if endpoint == "schedule":
            spider = fields["spider"]
            if spider in self.refuse:
                return {"status": "error", "message": f"spider {spider!r} not found"}
            job = f"job{len(self.jobs) + 1}"
            companies = [spider, *[slug for slug in fields.get("company_queue", "").split(",") if slug]]
            self.jobs[job] = {"spider": spider, "left": self.polls.get(spider), "state": "running", "form": form,
                              "companies": companies}
            self.events.append(("start", spider))
            return {"status": "ok", "jobid": job}
        if endpoint == "listjobs":
            self.listings += 1
            for job in self.jobs.values():
                if job["state"] == "running" and job["left"] is not None:
                    job["left"] -= 1
                    if job["left"] <= 0:
                        job["state"] = "gone" if job["spider"] in self.vanish else "finished"
                        self.captured |= set(job["companies"][:self.captures.get(job["spider"], len(job["companies"]))])
                        self.events.append(("end", job["spider"]))
            return {"status": "ok", "pending": [], **{state: [
                {"id": job_id, "spider": job["spider"], "log_url": f"/logs/paywatch/{job['spider']}/{job_id}.log"}
                for job_id, job in self.jobs.items() if job["state"] == state] for state in ("running", "finished")}}
        if endpoint == "cancel":
            self.cancelled.append(self.jobs[fields["job"]]["spider"])
            self.jobs[fields["job"]]["state"] = "finished"
            return {"status": "ok", "prevstate": "running"}
        return {"status": "error", "message": f"no endpoint {endpoint}"}


def company(slug):
    from scrapers.registry import Company

    return Company(slug=slug, name=slug.title(), sector="tech", platform="greenhouse", ids={"token": slug})


def follow(fakes, chains, timeout=20.0, job_companies=1):
    """crawl_chains on the fakes' chains; a company is captured when its fake says so."""
    pytest.importorskip("scrapyd_client")
    from scrapers.cluster import crawl_chains

    heard = []
    ends = crawl_chains(chains, "paywatch", ["DOWNLOAD_DELAY=2"], timeout=timeout, poll=0.05,
                        heard=lambda company, end: heard.append(company.slug), request_timeout=5,
                        captured=lambda company: any(company.slug in fake.captured for fake in fakes),
                        job_companies=job_companies, cancel_grace=1)
    return ends, heard


@pytest.mark.scale
def test_one_job_crawls_a_run_of_its_host_groups_companies_of_one_platform_in_turn():
    from dataclasses import replace

    group = [company(slug) for slug in "abcde"] + [replace(company("f"), platform="jsonld"), company("g")]
    with FakeScrapyd(polls={"a": 1, "d": 1, "f": 1, "g": 1}) as node:
        ends, heard = follow([node], {node.url: [group]}, job_companies=3)
        jobs = [(job["spider"], dict(job["form"]).get("company_queue"), dict(job["form"])["host_share"])
                for job in node.jobs.values()]
    assert jobs == [("a", "b,c", "7"), ("d", "e", "7"), ("f", None, "7"), ("g", None, "7")]
    assert heard == list("abcdefg") and all(end.finished for end in ends.values())


@pytest.mark.scale
def test_a_job_cut_short_is_followed_by_one_for_the_companies_it_left_and_one_that_captured_none_moves_on():
    """A job that captured a and then stopped (b's own limit closed the crawler): b and c go on in a
    new job. That job captures nothing: b has ended without a capture, c gets a job of its own."""
    group = [company(slug) for slug in "abc"]
    with FakeScrapyd(polls={"a": 1, "b": 1, "c": 1}, captures={"a": 1, "b": 0}) as node:
        ends, heard = follow([node], {node.url: [group]}, job_companies=3)
        jobs = [(job["spider"], dict(job["form"]).get("company_queue")) for job in node.jobs.values()]
    assert jobs == [("a", "b,c"), ("b", "c"), ("c", None)]
    assert node.captured == {"a", "c"}
    assert all(ends[slug].finished for slug in "abc") and heard == list("abc")  # b's missing capture is for the caller


@pytest.mark.scale
def test_a_host_groups_jobs_run_one_after_another_while_groups_run_side_by_side():
    with FakeScrapyd(polls={"a": 2, "b": 2, "c": 1, "d": 5}) as node:
        ends, heard = follow([node], {node.url: [[company("a"), company("b"), company("c")], [company("d")]]})
        forms = {job["spider"]: job["form"] for job in node.jobs.values()}
    assert {slug: end.reason for slug, end in ends.items()} == dict.fromkeys("abcd", "finished")
    assert sorted(heard) == list("abcd")
    assert ends["a"].log_url == f"{node.url}/logs/paywatch/a/job1.log"
    # Never two jobs of the host group a-b-c at once; d beside them.
    started_before_end = {}
    active = set()
    for event, spider in node.events:
        if event == "start":
            started_before_end[spider] = set(active)
            active.add(spider)
        else:
            active.discard(spider)
    assert started_before_end["b"] == {"d"} and started_before_end["c"] == {"d"}
    assert ("host_share", "3") in forms["b"] and ("host_share", "1") in forms["d"]
    assert ("setting", "DOWNLOAD_DELAY=2") in forms["a"]


@pytest.mark.scale
def test_a_refused_job_fails_that_company_and_its_group_goes_on():
    with FakeScrapyd(polls={"a": 1, "c": 1}, refuse={"b"}) as node:
        ends, _ = follow([node], {node.url: [[company("a"), company("b"), company("c")]]})
    assert ends["a"].finished and ends["c"].finished
    assert ends["b"].reason == f"{node.url} refused the job: spider 'b' not found"


@pytest.mark.scale
def test_jobs_past_the_wait_are_cancelled_and_the_rest_are_not_started():
    with FakeScrapyd(polls={"a": None, "b": 1, "d": 1}) as node:
        started = time.monotonic()
        ends, _ = follow([node], {node.url: [[company("a"), company("b")], [company("d")]]}, timeout=1.0)
        took = time.monotonic() - started
    assert took < 10
    assert ends["d"].finished
    assert ends["a"].reason == "not finished in 1 s (cancelled)" and node.cancelled == ["a"]
    assert ends["b"].reason == "not started: the night's wait of 1 s ran out"


@pytest.mark.scale
def test_a_job_gone_from_every_list_has_ended():
    with FakeScrapyd(polls={"a": 1, "b": 1}, vanish={"a"}) as node:
        ends, _ = follow([node], {node.url: [[company("a"), company("b")]]})
    assert ends["a"].finished and ends["a"].log_url is None and ends["b"].finished


@pytest.mark.scale
def test_nodes_that_are_down_die_or_lack_the_project_fail_their_companies_only():
    from scrapers.cluster import _free_port

    down = f"http://127.0.0.1:{_free_port()}"
    with FakeScrapyd(polls={"a": 1}) as healthy, FakeScrapyd(polls={"b": 50}, dies_after=2) as dying, \
            FakeScrapyd(polls={"c": 1}, project="other") as bare:
        ends, heard = follow([healthy, dying, bare], {
            healthy.url: [[company("a")]], dying.url: [[company("b"), company("b2")]], down: [[company("e")]],
            bare.url: [[company("c")]]})
    assert ends["a"].finished
    assert ends["b"].reason.startswith(f"{dying.url} unreachable while its jobs ran: ") and \
        ends["b2"].reason == ends["b"].reason
    assert ends["e"].reason == f"{down} unreachable: connection failed"
    assert ends["c"].reason.startswith(f"{bare.url} has no project 'paywatch' deployed (scrapyd-deploy)")
    assert sorted(heard) == ["a", "b", "b2", "c", "e"]


# -- real Scrapyd nodes ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def egg(tmp_path_factory):
    pytest.importorskip("scrapyd", reason='the nodes are Scrapyd (pip install -e ".[scale]")')
    return build_egg(tmp_path_factory.mktemp("egg"))


def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.slow
@pytest.mark.scale
def test_demo_on_two_scrapyd_nodes_builds_the_archive_the_single_process_demo_builds(tmp_path, egg):
    """`paywatch demo --nodes 2`: two Scrapyd nodes on 127.0.0.1, the egg deployed to both, the two
    nights crawled on them and ingested here: the same history as `paywatch demo`, the nodes gone."""
    from archive.raw import SUFFIX, ingest_captures
    from archive.schema import open_archive
    from benchmarks.archive_equal import compare
    from scrapers.cluster import chains_by_node
    from scrapers.demo import DEMO_DIR

    def demo(db, *options):
        return subprocess.run([sys.executable, "-m", "scrapers.cli", "demo", "--db", str(db), *options],
                              cwd=tmp_path, capture_output=True, text=True, timeout=600,
                              env={**os.environ, "PYTHONPATH": str(REPO)})

    single, clustered = tmp_path / "single.db", tmp_path / "cluster.db"
    on_nodes = demo(clustered, "--nodes", "2")
    assert on_nodes.returncode == 0, on_nodes.stderr[-3000:]
    assert demo(single).returncode == 0
    nodes = re.findall(r"node \d: (http://127\.0\.0\.1:\d+) \(pid (\d+)\), (\d+) spiders deployed", on_nodes.stdout)
    assert len(nodes) == 2 and all(int(spiders) == len(load_registry()) for _, _, spiders in nodes)
    assert all(gone(int(pid)) for _, pid, _ in nodes)  # stopped by their PIDs
    # Each company's crawl ingested as its job ended, all three nights, on the node its host group goes
    # to (the ports are free ones, so which node that is, and whether both get work, varies by run).
    ingested = re.findall(r"\[\d/5\] (\w+): complete \(on (http://127\.0\.0\.1:\d+)\)", on_nodes.stderr)
    node_of = {company.slug: node for node, groups in chains_by_node(load_registry(DEMO_DIR / "companies.toml"),
                                                                    [url for url, _, _ in nodes]).items()
               for group in groups for company in group}
    assert sorted(ingested) == sorted(3 * list(node_of.items()))
    assert "pay_raised" in on_nodes.stdout and "Research Scientist (ML) - Personalization" in on_nodes.stdout
    # Every node job read robots.txt itself where one process reads a host's once a night: one more
    # request on some crawls, nothing else.
    differences = compare(single, clustered, ignore_columns=frozenset({"requests"}))
    assert differences == [], "\n".join(difference[:600] for difference in differences)
    # The archive's own raw captures hold every ingested crawl; ingesting them again adds nothing.
    kept = sorted((tmp_path / "cluster.db.raw").glob(f"*/*{SUFFIX}"))
    assert len(kept) == 15  # five companies, three nights
    db = open_archive(str(clustered))
    try:
        assert ingest_captures(kept, db) == []
    finally:
        db.close()


@pytest.mark.slow
@pytest.mark.scale
def test_a_night_on_nodes_records_why_each_company_was_not_crawled_and_closes_nothing(tmp_path, egg):
    """Crawls on a real Scrapyd node that fail in the ways a cluster fails: a company the node's egg
    does not know, a node that is down, jobs that die before they capture anything. Each is a failed
    crawl that says why, named on stderr and in the report; nothing is closed; a rebuild replays it."""
    from benchmarks.archive_equal import compare
    from scrapers.cluster import LocalNode, _free_port, chains_by_node, deploy_egg, scrapyd_client
    from scrapers.demo import DEMO_DIR, FAST_LOCAL_SETTINGS, replay_settings
    from scrapers.demo.replay import ReplayServer

    registry = tmp_path / "companies.toml"
    # Two more on A24's host: a24_films first in the group, so its spider name is the one scheduled
    # (the deployed egg has no such spider); a24_again after a24, crawled in a24's job (company_queue).
    def entry(slug):
        return f'[[company]]\nslug = "{slug}"\nname = "{slug}"\nsector = "studio"\nplatform = "greenhouse"\ntoken = "a24"\n\n'

    registry.write_text(entry("a24_films") + (DEMO_DIR / "companies.toml").read_text() + "\n" + entry("a24_again"))
    companies = load_registry(registry)
    # The archive named relative to where the crawl runs, and the shared directory left to its
    # default beside it: the nodes' jobs, which run in Scrapyd's own directories, must still find it.
    db, shared, report = tmp_path / "archive.db", tmp_path / "archive.db.cluster", tmp_path / "night2.json"

    def crawl_on(nodes, night, *settings):
        arguments = [*replay_settings(server.url, night), *FAST_LOCAL_SETTINGS, "PAYWATCH_NODE_WAIT=240", *settings]
        command = [sys.executable, "-m", "scrapers.cli", "crawl", "--db", db.name, "--registry", str(registry),
                   "--nodes", ",".join(nodes), "--report", str(report),
                   "--log-level", "WARNING", *[part for setting in arguments for part in ("-s", setting)]]
        return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=400,
                              env={**os.environ, "PYTHONPATH": str(REPO)})

    def crawls(night):
        archive = sqlite3.connect(db)
        try:
            return {company: (status, reason) for company, status, reason in archive.execute(
                "SELECT company, status, failure_reason FROM crawls WHERE id IN "
                "(SELECT max(id) FROM crawls GROUP BY company)")}
        finally:
            archive.close()

    mounts = {f"/{night}": sorted((DEMO_DIR / night).glob("routes*.json")) for night in ("night1", "night2")}
    with ReplayServer(mounts) as server, LocalNode(tmp_path / "node", max_seconds=600) as node:
        deploy_egg(node.url, egg)
        first = crawl_on([node.url], "night1")
        assert first.returncode == 1, first.stderr[-2000:]
        assert "paywatch: crawl failed for: a24_films" in first.stderr
        night1 = crawls("night1")
        assert night1.pop("a24_films") == ("failed", f"{node.url} refused the job: spider 'a24_films' not found")
        assert set(night1.values()) == {("complete", None)} and len(night1) == 6
        jobs = scrapyd_client(node.url).jobs("paywatch")["finished"]
        assert sorted(job["spider"] for job in jobs) == ["a24", "disney", "netflix", "ramp", "spotify"]
        seen = dict(sqlite3.connect(db).execute("SELECT company, seen FROM crawls WHERE company LIKE 'a24%'"))
        assert seen == {"a24": 3, "a24_again": 3, "a24_films": 0}
        assert list(shared.iterdir()) == []  # tonight's directory is removed once all of it is ingested
        open_before = sqlite3.connect(db).execute("SELECT count(*) FROM postings WHERE closed_at IS NULL").fetchone()

        # Night 2 would close three postings: on a node that is down, or in jobs that die before
        # they capture (a component the node's Scrapy cannot load), it must close none.
        # A node that is down, chosen so that A24's host group stays on the live node.
        down = next(url for url in (f"http://127.0.0.1:{_free_port()}" for _ in range(200))
                    if chains_by_node(companies, [node.url, url])[url] and "a24" in
                    {company.slug for group in chains_by_node(companies, [node.url, url])[node.url] for company in group})
        second = crawl_on([node.url, down], "night2", "DUPEFILTER_CLASS=scrapers.no_such_module.DupeFilter")
    assert second.returncode == 1
    night2 = crawls("night2")
    assert {status for status, _ in night2.values()} == {"failed"}
    on_live = {company.slug for group in chains_by_node(companies, [node.url, down])[node.url] for company in group}
    for slug, (_, reason) in night2.items():
        if slug not in on_live:
            assert reason == f"{down} unreachable: connection failed"
        elif slug in ("a24_films", "a24_again"):
            # a24_again was queued in a24's job, which died with nothing captured; the job that
            # then led with it was refused, as its egg has no such spider.
            assert reason == f"{node.url} refused the job: spider '{slug}' not found"
        else:
            assert reason.startswith(f"the job on {node.url} ended without a capture (its log: {node.url}/logs/"), reason
    assert sqlite3.connect(db).execute("SELECT count(*) FROM postings WHERE closed_at IS NULL").fetchone() == open_before
    assert "paywatch: crawl failed for: " in second.stderr
    named = {entry["company"]: entry["failure_reason"] for entry in json.loads(report.read_text())["companies"]}
    assert named == {slug: reason for slug, (_, reason) in night2.items()}
    # The failures were kept with the captures: a rebuild replays the same history.
    rebuilt = subprocess.run([sys.executable, "-m", "scrapers.cli", "rebuild", "--from", f"{db}.raw", "--db",
                              str(tmp_path / "rebuilt.db")], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert rebuilt.returncode == 0, rebuilt.stderr
    # (The companies table is the registry's, written by a crawl, not replayed from captures.)
    assert [difference for difference in compare(db, tmp_path / "rebuilt.db")
            if not difference.startswith("companies:")] == []


def test_a_full_disk_on_the_archive_machine_stops_the_night_as_in_one_process(tmp_path, monkeypatch):
    import sqlite3

    import archive.raw
    from archive.access import DiskFull
    from scrapers.cluster import JobEnd, _Ingest

    def disk_full(paths, db, keep_dir=None):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(archive.raw, "company_captures", lambda captures, slug: [tmp_path / f"{slug}.jsonl.gz"])
    monkeypatch.setattr(archive.raw, "ingest_captures", disk_full)
    ingest = _Ingest(None, tmp_path, tmp_path / "night", "2026-11-02T03:15:00+00:00", None, None)
    with pytest.raises(DiskFull, match="^disk full: database or disk is full; the night stopped while acme"):
        ingest.job_ended(company("acme"), JobEnd(node="http://127.0.0.1:6800"))
    assert ingest.kept  # tonight's captures stay, for the next night's start to ingest
