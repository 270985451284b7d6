"""Which postings' details a night reads, on platforms that need one request per posting.

Workday, Eightfold, SmartRecruiters and Phenom list a posting without its description or pay, so
reading every detail every night costs a request per posting: ~99% of a night's requests, and more
than a night allows for the largest employers. So a night reads details in priority order, up to a
budget per company:

1. postings the archive does not hold open (new tonight, or relisted after a closure);
2. postings whose list entry changed since their detail was last read (a new title, location, …);
3. postings never read (their version holds only what the list gave), then the least recently read,
   ``refresh_at_least`` of them or ``1 / refresh_days`` of those read if that is more,
   so a small board is re-read every night and a large one about every ``refresh_days`` nights,
   without re-reading the whole of it every night.

Presence and closures come from the lists, never from details, so a posting whose detail waits is
still seen; it keeps its version until its detail is read.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

NEW, LIST_CHANGED, STALE = 0, 1, 2


@dataclass(frozen=True)
class KnownDetail:
    """What the archive knows of an open posting's last detail read."""

    list_hash: str | None  # the fingerprint of its list entry when its detail was last read
    read_at: str | None  # when; None: never (its version holds only what the list gave)


@dataclass(frozen=True)
class WantedDetail:
    ref: str
    tier: int
    read_at: str | None
    make_request: Callable[[], Any]


@functools.cache
def extraction_code_version() -> str:
    """A hash of the code that turns a list entry into an archived version: the extraction functions,
    the platform spiders, the pipelines with their rule files, and the item (its pay annualization). Part of an entry's fingerprint where
    the entry is the whole posting, so every entry is read again once that code changes, released or
    not. The packages are found, not imported (the crawling side never imports the pipelines)."""
    digest = hashlib.sha256()
    for name in ("scrapers.extract", "scrapers.platforms", "pipelines", "scrapers.items"):
        spec = importlib.util.find_spec(name)
        if spec is None:
            continue
        directories = [Path(location) for location in spec.submodule_search_locations or () if Path(location).is_dir()]
        if directories:  # a package: its modules and rule files
            files = [path for directory in directories for path in sorted(directory.iterdir())]
        elif spec.submodule_search_locations:
            # Zipped (the egg a Scrapyd node runs): read through importlib.resources.
            files = sorted(resources.files(name).iterdir(), key=lambda entry: entry.name)
        elif spec.origin and Path(spec.origin).is_file():
            files = [Path(spec.origin)]
        else:
            package, _, module = name.rpartition(".")
            files = [resources.files(package).joinpath(f"{module}.py")]
        files = [entry for entry in files if entry.name.endswith((".py", ".toml"))]
        for entry in files:
            digest.update(f"{name}/{entry.name}\n".encode())
            digest.update(entry.read_bytes())
    return digest.hexdigest()[:16]


def list_fingerprint(raw: Mapping[str, Any], volatile: Iterable[str] = (), code_version: str = "") -> str:
    """A hash of a posting's list entry, leaving out fields that change without the posting changing
    (Workday's "Posted 3 Days Ago" is rewritten every day). With ``code_version``, the hash also
    names the code that read the entry: where an entry is the whole posting, an equal hash means the
    same version would be extracted again (see PlatformSpider.entry_is_posting)."""
    skipped = set(volatile)
    kept = {key: value for key, value in raw.items() if key not in skipped}
    encoded = json.dumps(kept, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    if code_version:
        encoded = f"{code_version}\n{encoded}"
    return hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).hexdigest()


def detail_tier(known: KnownDetail | None, fingerprint: str) -> int:
    if known is None:
        return NEW
    if known.list_hash is not None and known.list_hash != fingerprint:
        return LIST_CHANGED
    return STALE


def night_order(wanted: Iterable[WantedDetail], refresh_days: float, refresh_at_least: int = 0) -> list[WantedDetail]:
    """The known postings' details worth reading tonight, most wanted first: every one whose list
    changed, every one never read, then the least recently read of the rest, ``refresh_at_least`` of
    them or ``ceil(n / refresh_days)`` if more. Those left out wait for a later night."""
    wanted = list(wanted)
    changed = [entry for entry in wanted if entry.tier <= LIST_CHANGED]
    stale = sorted((entry for entry in wanted if entry.tier == STALE), key=lambda entry: (entry.read_at or "", entry.ref))
    never_read = sum(1 for entry in stale if entry.read_at is None)
    quota = never_read + max(refresh_at_least, math.ceil((len(stale) - never_read) / max(refresh_days, 1)))
    return sorted(changed, key=lambda entry: (entry.tier, entry.read_at or "", entry.ref)) + stale[:quota]


def seconds_per_request(delay: float, latency: float, concurrency: float) -> float:
    """What one request costs a host's slot: at least the download delay, and no less than the
    latency shared among the requests the slot keeps in flight."""
    return max(delay, latency / max(concurrency, 1.0), 0.01)


# What a company's listing may take beyond its details before the crawl is cut (a listing that never ends).
LISTING_ALLOWANCE_SECONDS = 1800


def time_limits(night_seconds: float, per_request: float, budget: int, host_share: int = 1) -> tuple[float, float]:
    """(seconds a company may spend sending details, seconds after which its crawl is cut): the
    budget's worth of requests with room to spare, never more than its share of the night; the cut
    leaves the listing its allowance on top."""
    details = min(night_seconds / max(host_share, 1), budget * per_request * 1.5)
    return details, details + LISTING_ALLOWANCE_SECONDS


def default_budget(night_seconds: float, per_request: float, host_share: int = 1) -> int:
    """Detail requests one company may send in a night: its share of the night's time on its host
    (companies on one host are crawled one after another), at what a request costs there."""
    return max(1, int(night_seconds / max(host_share, 1) / per_request))
