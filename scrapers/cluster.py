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
