"""Crawls on a Scrapyd cluster (issue 14; docs/SCALE.md): which node crawls which companies, the
project's egg, the nodes' jobs followed to their end, and the night's captures ingested here.

The companies of one host group (the same platform host: a Workday pod, SmartRecruiters' API, one
Oracle site) stay on one node, so the per-host politeness a crawler keeps (one request at a time,
the download delay, Retry-After) still holds across the cluster; two nodes sharing a host would each
keep their own pace and together send twice the traffic.

Each host group goes to a node by rendezvous hashing (highest random weight): every node scores the
group's key with a stable hash and the highest score wins. A company therefore always runs on the
same node while the node list is the same, and adding or removing a node moves only the groups that
node wins or held (about 1/N of them), never reshuffles the rest. The hash is SHA-256, not Python's
``hash()``, which changes from one process to the next.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from scrapers.platforms import PLATFORMS
from scrapers.registry import Company


class ClusterError(RuntimeError):
    """The cluster cannot be used as asked (no egg can be built, a node cannot start); one line."""


def host_group(company: Company) -> str:
    """The host a crawl of ``company`` talks to (``PlatformSpider.host_key``, as a one-process night
    groups them): what must stay on one node. Two platforms may name one host."""
    return PLATFORMS[company.platform].host_key(company)


def node_for(group: str, nodes: Sequence[str]) -> str:
    """The node (one of ``nodes``) that crawls the host group ``group``."""
    if not nodes:
        raise ValueError("no Scrapyd nodes to partition across")
    return max(nodes, key=lambda node: (hashlib.sha256(f"{node}\n{group}".encode()).digest(), node))


def partition(companies: Iterable[Company], nodes: Sequence[str]) -> dict[str, list[Company]]:
    """Each node's companies (every node listed, some perhaps with none), host groups kept together,
    in the order ``companies`` came in."""
    unique = list(dict.fromkeys(nodes))
    if not unique:
        raise ValueError("no Scrapyd nodes to partition across")
    assigned: dict[str, list[Company]] = {node: [] for node in unique}
    for company in companies:
        assigned[node_for(host_group(company), unique)].append(company)
    return assigned


# -- talking to Scrapyd nodes ------------------------------------------------------------------
# Every call to a node is bounded: a node that is down or hung makes its companies' crawls fail,
# never the night hang.
NODE_TIMEOUT = 30.0


def scrapyd_client(url: str, timeout: float = NODE_TIMEOUT):
    """scrapyd-client's ScrapydClient for ``url``, its requests bounded by ``timeout`` seconds
    (it sends them with none)."""
    import requests
    from scrapyd_client.pyclient import HEADERS, ScrapydClient, _process_response

    class BoundedClient(ScrapydClient):
        def _get(self, basename, params=None):
            return _process_response(requests.get(f"{self.url}/{basename}.json", params=params or {}, headers=HEADERS,
                                                  auth=self.auth, timeout=timeout))

        def _post(self, basename, data):
            return _process_response(requests.post(f"{self.url}/{basename}.json", data=data, headers=HEADERS,
                                                   auth=self.auth, timeout=timeout))

    return BoundedClient(url.rstrip("/"))


def deploy_egg(url: str, egg: str | Path, project: str = "paywatch", version: str = "1",
               timeout: float = NODE_TIMEOUT) -> int:
    """Upload the project's egg (``scrapyd-deploy --build-egg``) to the node; how many spiders it lists."""
    import requests

    with open(egg, "rb") as egg_file:
        response = requests.post(f"{url.rstrip('/')}/addversion.json", data={"project": project, "version": version},
                                 files={"egg": egg_file}, timeout=timeout)
    reply = response.json()
    if reply.get("status") != "ok":
        raise ClusterError(f"{url} refused the egg: {reply.get('message', reply)}")
    return int(reply.get("spiders", 0))


class LocalNode:
    """A Scrapyd node on 127.0.0.1 with its own directory and a free port, for the demo and tests:
    ``with LocalNode(workdir) as node: node.url``. It is stopped by its PID when the block ends, and
    it stops itself after ``max_seconds`` in any case."""

    def __init__(self, workdir: str | Path, max_seconds: float = 900.0, poll_interval: float = 0.5,
                 max_proc: int = 2) -> None:
        self.workdir = Path(workdir)
        self.max_seconds = max_seconds
        self.poll_interval = poll_interval
        self.max_proc = max_proc
        self.process = None
        self.port = _free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "LocalNode":
        if importlib.util.find_spec("scrapyd") is None:
            raise ClusterError("Scrapyd is not installed: pip install -e '.[scale]'")
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "scrapyd.conf").write_text(
            "[scrapyd]\nbind_address = 127.0.0.1\n"
            f"http_port = {self.port}\npoll_interval = {self.poll_interval}\n"
            f"eggs_dir = {self.workdir / 'eggs'}\nlogs_dir = {self.workdir / 'logs'}\ndbs_dir = {self.workdir / 'dbs'}\n"
            f"items_dir =\njobs_to_keep = 5\nmax_proc = {self.max_proc}\n", encoding="utf-8")
        log = open(self.workdir / "scrapyd.log", "wb")
        # timeout(1) is the watchdog: the node ends by itself even if this process dies first.
        self.process = subprocess.Popen(["timeout", str(int(self.max_seconds)), sys.executable, "-m", "scrapyd"],
                                        cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                scrapyd_client(self.url, timeout=2).daemonstatus()
                return self
            except Exception:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        self.__exit__(None, None, None)
        raise ClusterError(f"the Scrapyd node in {self.workdir} did not start (see its scrapyd.log)")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except Exception:
                self.process.kill()
                self.process.wait(timeout=15)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- the project's egg --------------------------------------------------------------------------
PROJECT_FILES = ("pyproject.toml", "setup.py", "scrapy.cfg", "README.md")
PACKAGES = ("scrapers", "pipelines", "archive")


def source_checkout() -> Path:
    """The checkout this paywatch runs from (an editable install), which the egg is built from."""
    return Path(__file__).resolve().parents[1]


def build_egg(out_dir: str | Path, source: str | Path | None = None) -> Path:
    """The project's egg, built by ``scrapyd-deploy --build-egg`` from a copy of the checkout
    ``source`` (the build writes build/ and egg-info where it runs, never in the checkout itself)."""
    source = Path(source) if source is not None else source_checkout()
    out_dir = Path(out_dir)
    missing = [name for name in (*PROJECT_FILES, *PACKAGES) if not (source / name).exists()]
    if missing:
        raise ClusterError(f"no paywatch checkout at {source} (no {', '.join(missing)}); the Scrapyd egg is "
                           "built from one (pip install -e '.[scale]' in a clone)")
    deploy = Path(sys.executable).with_name("scrapyd-deploy")
    if not deploy.exists():
        raise ClusterError("scrapyd-deploy is not installed: pip install -e '.[scale]'")
    project = out_dir / "project"
    project.mkdir(parents=True)
    for name in PROJECT_FILES:
        shutil.copy(source / name, project / name)
    for package in PACKAGES:
        shutil.copytree(source / package, project / package, ignore=shutil.ignore_patterns("__pycache__"))
    egg = out_dir / "paywatch.egg"
    try:
        built = subprocess.run([str(deploy), "--build-egg", str(egg)], cwd=project, capture_output=True, text=True,
                               timeout=300)
    except subprocess.TimeoutExpired:
        raise ClusterError("scrapyd-deploy did not build the egg in 300 s") from None
    if built.returncode != 0 or not egg.is_file():
        last = (built.stderr.strip().splitlines() or ["no message"])[-1]
        raise ClusterError(f"scrapyd-deploy could not build the egg: {last}")
    return egg


# -- a night's jobs on the nodes ------------------------------------------------------------------
@dataclass(frozen=True)
class JobEnd:
    """How a company's Scrapyd job ended: ``reason`` "finished" when the node ran it to its end (its
    capture says how the crawl went), else why it did not run or was cut."""
    node: str
    reason: str = "finished"
    log_url: str | None = None

    @property
    def finished(self) -> bool:
        return self.reason == "finished"


# Companies one Scrapyd job crawls in turn (a host group longer than this is several jobs, one after
# another). A Scrapy process costs about 4 s of CPU and 150 MB to start (docs/SCALE.md): one job a
# company would spend 7 hours a night starting processes for 6,000 Greenhouse boards. Fewer per job
# would make a job that dies cost less; each company is still captured, and ingested, on its own.
JOB_COMPANIES = 50


@dataclass
class _Chain:
    """One host group's companies on a node, crawled by one job after another (never two at once,
    so the host sees one polite crawler); each job gets the group's share of the night, as in one
    process."""
    companies: deque
    host_share: int


def crawl_chains(chains: Mapping[str, Sequence[Sequence[Company]]], project: str, job_settings: Sequence[str],
                 timeout: float, poll: float = 2.0, heard: Callable[[Company, JobEnd], None] | None = None,
                 request_timeout: float = NODE_TIMEOUT, captured: Callable[[Company], bool] = lambda company: True,
                 job_companies: int = JOB_COMPANIES, cancel_grace: float = 30.0) -> dict[str, JobEnd]:
    """Crawl each node's chains (host groups, see ``partition``) through Scrapyd's JSON API: a job
    (``schedule.json`` with ``job_settings``, the group's ``host_share`` and the ``company_queue``
    after its first company) crawls up to ``job_companies`` of a group in turn, the group's next job
    is scheduled when the one before ends, the groups run side by side, followed through
    ``listjobs.json``.

    ``captured`` says whether a company's crawl left its capture. A job that ended with some of its
    companies uncaptured (a company's own limit closed the crawler, or the job died) is followed by
    one for the rest; when it captured none, its first company has ended without a capture and the
    next job starts after it, so a night always moves on.

    Waits at most ``timeout`` seconds in all: jobs still running then are cancelled (and given
    ``cancel_grace`` seconds to stop), companies not yet scheduled are not started. A node that
    cannot be reached ends all its companies' jobs. Every company gets its JobEnd (slug -> JobEnd),
    and ``heard`` hears of each as it ends."""
    from scrapyd_client.exceptions import ErrorResponse

    deadline = time.monotonic() + timeout
    clients = {node: scrapyd_client(node, request_timeout) for node in chains}
    waiting = {node: [_Chain(deque(chain), len(chain)) for chain in node_chains if chain]
               for node, node_chains in chains.items()}
    running: dict[str, dict[str, tuple[list[Company], _Chain]]] = {node: {} for node in chains}
    ends: dict[str, JobEnd] = {}
    lost: dict[str, str] = {}  # node -> why it is out for the night
    unlisted: set[str] = set()  # jobs in none of a node's lists at the last poll
    why = "cancelled: the crawl was interrupted"

    def end(company: Company, job_end: JobEnd) -> None:
        if company.slug not in ends:  # a company's crawl ends once, whatever else happens to its node
            ends[company.slug] = job_end
            if heard is not None:
                heard(company, job_end)

    def cut(node: str, job: list[Company], why: str) -> None:
        """A job ended early for ``why``: its companies already captured have finished."""
        for company in job:
            end(company, JobEnd(node, "finished") if captured(company) else JobEnd(node, why))

    def lose_node(node: str, why: str) -> None:
        lost[node] = why
        for job, chain in running[node].values():
            cut(node, job, why)
            for company in chain.companies:
                end(company, JobEnd(node, why))
            chain.companies.clear()
        for chain in waiting[node]:
            for company in chain.companies:
                end(company, JobEnd(node, why))
        running[node].clear()
        waiting[node] = []

    def start_next(node: str, chain: _Chain) -> None:
        if node in lost:
            for company in chain.companies:
                end(company, JobEnd(node, lost[node]))
            chain.companies.clear()
        while chain.companies:
            job = [chain.companies.popleft()]  # and those after it of its platform (one spider class crawls them)
            while chain.companies and len(job) < job_companies and chain.companies[0].platform == job[0].platform:
                job.append(chain.companies.popleft())
            arguments = [("setting", setting) for setting in job_settings] + [("host_share", str(chain.host_share))]
            if len(job) > 1:
                arguments.append(("company_queue", ",".join(company.slug for company in job[1:])))
            try:
                job_id = clients[node].schedule(project, job[0].slug, arguments)
            except ErrorResponse as error:  # the node answered: this job's first company is refused
                end(job[0], JobEnd(node, f"{node} refused the job: {error}"))
                chain.companies.extendleft(reversed(job[1:]))
                continue
            except Exception as error:
                chain.companies.extendleft(reversed(job))
                lose_node(node, f"{node} unreachable: {_why(error)}")
                start_next(node, chain)  # the node is lost: this chain's companies end with it
                return
            running[node][job_id] = (job, chain)
            return

    def job_ended(node: str, job: list[Company], chain: _Chain, log_url: str | None) -> None:
        left = [company for company in job if not captured(company)]
        if len(left) == len(job):  # nothing captured: the first company is where it stopped
            end(job[0], JobEnd(node, "finished", log_url))
            left = left[1:]
        for company in job:
            if company not in left:
                end(company, JobEnd(node, "finished", log_url))
        chain.companies.extendleft(reversed(left))
        start_next(node, chain)

    for node in chains:
        try:
            clients[node].spiders(project)
        except ErrorResponse as error:
            lose_node(node, f"{node} has no project {project!r} deployed (scrapyd-deploy): {error}")
            continue
        except Exception as error:
            lose_node(node, f"{node} unreachable: {_why(error)}")
            continue
        while waiting[node]:
            start_next(node, waiting[node].pop(0))
    try:
        while any(running.values()) and time.monotonic() < deadline:
            time.sleep(poll)
            for node, jobs in running.items():
                if not jobs:
                    continue
                try:
                    listed = clients[node].jobs(project)
                except Exception as error:
                    lose_node(node, f"{node} unreachable while its jobs ran: {_why(error)}")
                    continue
                finished = {job["id"]: job.get("log_url") for job in listed.get("finished", [])}
                active = _active_jobs(listed)
                for job_id in list(jobs):
                    if job_id in active:
                        unlisted.discard(job_id)
                    elif job_id in finished or job_id in unlisted:
                        # Gone from every list twice running (Scrapyd keeps only finished_to_keep
                        # finished jobs): it ended too.
                        job, chain = jobs.pop(job_id)
                        unlisted.discard(job_id)
                        job_ended(node, job, chain, _log_url(node, finished.get(job_id)))
                    else:
                        unlisted.add(job_id)
        why = f"not finished in {timeout:.0f} s (cancelled)"
    finally:
        for node, jobs in running.items():
            _cancel(clients[node], project, jobs, cancel_grace, min(poll, 1.0))
            for job, chain in jobs.values():
                cut(node, job, why)
                chain.companies.clear()
            jobs.clear()
    for node, node_chains in chains.items():
        for chain in node_chains:
            for company in chain:
                if company.slug not in ends:
                    end(company, JobEnd(node, f"not started: the night's wait of {timeout:.0f} s ran out"))
    return ends


def _cancel(client: Any, project: str, jobs: Mapping[str, Any], grace: float, poll: float) -> None:
    """Cancel the jobs still running on a node and give them ``grace`` seconds to stop (a crawl told
    to stop still writes its capture); best effort: the night is over for them either way."""
    for job_id in jobs:
        try:
            client.cancel(project, job_id)
        except Exception:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            listed = client.jobs(project)
        except Exception:
            return
        if not _active_jobs(listed) & set(jobs):
            return
        time.sleep(poll)


def _active_jobs(listed: Mapping[str, Any]) -> set[str]:
    """The ids of the jobs a ``listjobs.json`` reply has pending or running."""
    return {job["id"] for state in ("pending", "running") for job in listed.get(state, [])}


def _log_url(node: str, log_url: str | None) -> str | None:
    return f"{node.rstrip('/')}{log_url}" if log_url and log_url.startswith("/") else log_url


def _why(error: BaseException) -> str:
    """A node error in a few words (requests' own messages run to several hundred characters)."""
    import requests
    from scrapyd_client.exceptions import MalformedResponse

    if isinstance(error, MalformedResponse):
        return "it answered something other than Scrapyd's JSON"
    if isinstance(error, requests.Timeout):
        return "no answer in time"
    if isinstance(error, requests.ConnectionError):
        return "connection failed"
    return (str(error) or type(error).__name__)[:200]


# -- a night on the cluster, as the archive machine runs it ---------------------------------------
def chains_by_node(companies: Iterable[Company], nodes: Sequence[str]) -> dict[str, list[list[Company]]]:
    """Each node's host groups (``partition``), each group's companies in the order they came in."""
    chains: dict[str, list[list[Company]]] = {}
    for node, assigned in partition(companies, nodes).items():
        groups: dict[str, list[Company]] = {}
        for company in assigned:
            groups.setdefault(host_group(company), []).append(company)
        chains[node] = list(groups.values())
    return chains


def run_cluster_crawl(db_path: str, selected: list[Company], nodes: Sequence[str], shared_dir: str | Path,
                      job_settings: Sequence[str], *, timeout: float, registry: str | None = None,
                      keep_dir: str | None = None, code_version: str | None = None, project: str = "paywatch",
                      poll: float = 2.0, progress: Callable[[int, int, str, str, str | None], None] | None = None,
                      job_companies: int = JOB_COMPANIES) -> list[dict[str, Any]]:
    """Crawl the selected companies on the Scrapyd ``nodes`` and ingest what they captured into the
    archive at ``db_path``, which this process alone writes; one result per company, in ``selected``
    order, as ``scrapers.crawl.run_crawl`` gives them: its archived ``crawls`` row.

    Tonight's directory under ``shared_dir`` (which every node sees at the same path) holds what the
    nodes need, the registry and each company's detail history, and receives their captures. As each
    company's job ends its capture is ingested (one ``ingest_crawl``, one transaction, so the
    archive's rules hold as for a crawl of its own), and kept under ``keep_dir`` (the archive's raw
    captures): the one writer works while the nodes crawl, in the order their crawls finish. A
    company whose job did not finish, or left no capture that could be ingested, gets a failed crawl
    that says why: it closes nothing. Tonight's directory is removed once everything in it is
    ingested, and kept (and named) otherwise."""
    from archive.handoff import write_detail_histories
    from archive.raw import begin_night
    from archive.schema import open_archive
    from archive.store import crawl_records, utc_now
    from scrapers.registry import resolve_registry_path

    started_at = utc_now()
    # Absolute: a node's job runs in a directory of Scrapyd's own.
    night_dir = Path(shared_dir).absolute() / f"{started_at.replace(':', '').replace('+0000', 'Z')}-{os.getpid()}"
    handoff, captures = night_dir / "handoff", night_dir / "captures"
    captures.mkdir(parents=True)
    # The nodes crawl the archive machine's registry, whatever registry their egg shipped with.
    registry_copy = night_dir / "companies.toml"
    shutil.copy(resolve_registry_path(registry), registry_copy)
    node_settings = [*job_settings, "PAYWATCH_CAPTURE_ONLY=True", f"PAYWATCH_RAW_DIR={captures}",
                     f"PAYWATCH_DETAIL_HISTORY_DIR={handoff}", f"PAYWATCH_REGISTRY={registry_copy}"]
    db = open_archive(db_path)
    try:
        begin_night(db, [asdict(company) for company in selected], keep_dir, started_at)  # names and sectors
        write_detail_histories(db, [(company.slug, company.platform) for company in selected], handoff)
        night = _Ingest(db, captures, night_dir, started_at, keep_dir, code_version)

        def heard(company: Company, job_end: JobEnd) -> None:
            summary = night.job_ended(company, job_end)
            if progress is not None:
                progress(len(night.crawl_ids), len(selected), company.slug, summary.status,
                         summary.failure_reason or f"on {job_end.node}")

        crawl_chains(chains_by_node(selected, nodes), project, node_settings, timeout, poll, heard,
                     captured=night.captured, job_companies=job_companies)
        archived = crawl_records(db, list(night.crawl_ids.values()))
    finally:
        db.close()
    if not night.kept:
        shutil.rmtree(night_dir, ignore_errors=True)
    return [archived[night.crawl_ids[company.slug]] for company in selected]


class _Ingest:
    """The archive machine's side of a night on the cluster: each company's capture ingested as its
    job ends, or a failed crawl recorded for it."""

    def __init__(self, db: Any, captures: Path, night_dir: Path, started_at: str, keep_dir: str | None,
                 code_version: str | None) -> None:
        self.db, self.captures, self.night_dir = db, captures, night_dir
        self.started_at, self.keep_dir, self.code_version = started_at, keep_dir, code_version
        self.crawl_ids: dict[str, int] = {}
        self.kept = False  # something in tonight's directory could not be ingested: it stays

    def captured(self, company: Company) -> bool:
        from archive.raw import company_captures

        return bool(company_captures(self.captures, company.slug))

    def job_ended(self, company: Company, job_end: JobEnd) -> Any:
        from archive.access import DiskFull, is_disk_full
        from archive.raw import CaptureError, company_captures, ingest_captures

        problem = None
        summaries = []
        try:
            summaries = ingest_captures(company_captures(self.captures, company.slug), self.db, keep_dir=self.keep_dir)
        except Exception as error:
            if is_disk_full(error):  # as in one process: the night stops, exit 3 (scrapers.crawl.run_crawl)
                self.kept = True
                raise DiskFull(f"disk full: {error}; the night stopped while {company.slug}'s capture was "
                               f"ingested; tonight's captures are kept in {self.night_dir}") from None
            if not isinstance(error, (CaptureError, OSError)):
                raise
            problem = f"its capture could not be ingested ({error}); tonight's captures are kept in {self.night_dir}"
            self.kept = True
        if summaries and problem is None:
            self.crawl_ids[company.slug] = summaries[-1].crawl_id
            return summaries[-1]
        if problem is None and job_end.finished:
            problem = (f"the job on {job_end.node} ended without a capture"
                       + (f" (its log: {job_end.log_url})" if job_end.log_url else ""))
        return self.failed(company, problem or job_end.reason)

    def failed(self, company: Company, reason: str) -> Any:
        """A failed crawl of ``company`` that says why (it closes nothing), kept with the captures so
        a rebuild replays it too."""
        from archive.raw import ingest_kept
        from archive.store import utc_now

        crawl = dict(company=company.slug, platform=company.platform, started_at=self.started_at,
                     finished_at=utc_now(), status="failed", failure_reason=reason, code_version=self.code_version)
        summary = ingest_kept(self.db, self.keep_dir, crawl, [])
        self.crawl_ids[company.slug] = summary.crawl_id
        return summary
