"""Crawls on a Scrapyd cluster (issue 14; docs/SCALE.md): which node crawls which companies.

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
import time
from pathlib import Path
from typing import Iterable, Sequence

from scrapers.platforms import PLATFORMS
from scrapers.registry import Company


def host_group(company: Company) -> str:
    """The host a crawl of ``company`` talks to, with its platform: what must stay on one node."""
    return f"{company.platform}:{PLATFORMS[company.platform].host_key(company)}"


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
        raise RuntimeError(f"{url} refused the egg: {reply.get('message', reply)}")
    return int(reply.get("spiders", 0))


class LocalNode:
    """A Scrapyd node on 127.0.0.1 with its own directory and a free port, for the demo and tests:
    ``with LocalNode(workdir) as node: node.url``. It is stopped by its PID when the block ends, and
    it stops itself after ``max_seconds`` in any case."""

    def __init__(self, workdir: str | Path, max_seconds: float = 900.0, poll_interval: float = 0.5) -> None:
        self.workdir = Path(workdir)
        self.max_seconds = max_seconds
        self.poll_interval = poll_interval
        self.process = None
        self.port = _free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "LocalNode":
        import subprocess
        import sys

        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "scrapyd.conf").write_text(
            "[scrapyd]\nbind_address = 127.0.0.1\n"
            f"http_port = {self.port}\npoll_interval = {self.poll_interval}\n"
            f"eggs_dir = {self.workdir / 'eggs'}\nlogs_dir = {self.workdir / 'logs'}\ndbs_dir = {self.workdir / 'dbs'}\n"
            "items_dir =\njobs_to_keep = 5\nmax_proc = 2\n", encoding="utf-8")
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
        raise RuntimeError(f"the Scrapyd node in {self.workdir} did not start (see its scrapyd.log)")

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


def run_jobs(url: str, project: str, jobs: Sequence[tuple[str, Sequence[str]]], timeout: float,
             poll: float = 1.0) -> dict[str, str]:
    """Schedule each (spider, settings) on the node and wait for them all, at most ``timeout``
    seconds: spider -> "finished", or why not ("node unreachable: …", "not finished in N s"; those
    still running are cancelled). A job that finished may still have failed its crawl: its capture
    says so."""
    client = scrapyd_client(url)
    outcome: dict[str, str] = {}
    job_ids: dict[str, str] = {}
    for spider, settings in jobs:
        try:
            job_ids[spider] = client.schedule(project, spider, [("setting", setting) for setting in settings])
        except Exception as error:
            outcome[spider] = f"node unreachable or refused the job: {error}"
    deadline = time.monotonic() + timeout
    while job_ids and time.monotonic() < deadline:
        try:
            finished = {job["id"] for job in client.jobs(project).get("finished", [])}
        except Exception as error:
            for spider in job_ids:
                outcome[spider] = f"node unreachable: {error}"
            return outcome
        for spider, job_id in list(job_ids.items()):
            if job_id in finished:
                outcome[spider] = "finished"
                del job_ids[spider]
        if job_ids:
            time.sleep(poll)
    for spider, job_id in job_ids.items():
        outcome[spider] = f"not finished in {timeout:.0f} s"
        try:
            client.cancel(project, job_id)
        except Exception:
            pass
    return outcome
