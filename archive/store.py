"""Ingest one company crawl into the archive, in one transaction.

Rules (docs/ARCHIVE.md tells them with an example each):
- a posting is *seen* when the platform listed it, whether or not it could be read: one listed but
  not read (its detail failed, its fields did not parse, validation dropped it) is *unreadable*:
  it keeps its current version, its last-seen time moves, it is never closed for that;
- a posting whose detail the night's budget deferred is seen and keeps its version; a new one is
  opened from its list entry alone (a *list-only* version), and the version its first detail brings
  is recorded as *completed*, not changed (no field is shown as changed for it);
- a posting gets a new version only when its tracked content changed (its content hash), beyond
  Unicode compatibility forms (full-width digits, no-break spaces: equal under NFKC), and beyond a
  value that could not be read tonight (``lost_values``: the posting is unreadable tonight instead);
  re-ingesting identical data adds no version; of two copies of one id, the one equal to the
  posting's current version is kept, else the one with the smaller content hash: whatever their order;
- a posting is closed on evidence: missing from two whole listings in a row (the crawl that misses it
  again closes it, dated when it was first missed); a listing that shrank against the company's last
  one, or that no longer lists an unusual share of its open postings, is *suspect* and closes nothing
  until the next listing confirms it;
- a field most postings had last time missing from almost all of them (schema drift) fails the crawl;
- a *failed* crawl writes nothing a fault may have produced: no versions, no new postings, no
  reopening, no closure; it records the crawl and when its known postings were last seen;
- a crawl row's new/changed/completed/reopened/closed count what it wrote; what the listing called
  for (held by a suspect crawl, dropped by a failed one) is kept as its planned_ counts;
- a value that cannot be stored (a lone surrogate, a non-finite pay figure) loses that value only;
- everything a crawl writes commits together or not at all, waiting for another writer to finish.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Mapping

from sqlite_utils import Database
from w3lib.url import url_query_cleaner

from archive.schema import PAY_HISTORY_ROW_COLUMNS, RANGE_CHANGES_OF_CRAWL
from archive.summaries import write_company_summaries

# Fields published by the posting itself. A change in any of them is a new version. What paywatch
# derives (parsed pay ranges, role type, AI flag, seniority) is stored with each version but not
# hashed: a better parser or classifier must not make every posting look changed overnight.
SOURCE_FIELDS = ("title", "url", "department", "locations", "country", "employment_type", "posted_at",
                 "description", "pay_text")
PAY_RANGE_KEYS = ("min", "max", "currency", "period", "basis", "label")
# A complete listing that no longer lists more than this share of a company's open postings, and at
# least HOLD_AT_LEAST of them, holds its closures and openings (a board whose ids were renumbered)
# until a next listing of about the same size (SAME_LISTING) confirms it.
HOLD_SHARE = 1 / 3
HOLD_AT_LEAST = 10
# A listing SHRINK_AT_LEAST postings and SHRINK_SHARE shorter than the company's last one (not one
# whose openings were held), or SHRINK_RUN_SHARE a night shorter over a run of nights each shorter than
# the last, holds its closures until a next listing is no shorter again: a board cut short without a
# count, or leaking postings night after night, is held each night it shrinks. From
# nightlab's churn (1 % of a board opened and 1 % closed a night), the net change of a 200-posting
# board has a standard deviation of 2 postings: 8 (4 %) is four of them; of a 30-posting board, 0.8,
# so the floor of 3. docs/NIGHT.md, "When a posting is closed".
SHRINK_SHARE = 0.04
SHRINK_AT_LEAST = 3
# Over a run of nights each shorter than the last, SHRINK_RUN_SHARE a night is enough: a board that
# truly shrinks does so at nightlab's 1 % or so, and the run's total drowns the night's noise.
SHRINK_RUN_SHARE = 0.025
# A leak is measured over at most this many listings (a week and a day of nightly crawls).
SHRINK_RUN_AT_MOST = 8
# Likewise a crawl that would open more than this many times the postings a company has open (and at
# least HOLD_AT_LEAST): a listing that balloons overnight is far more often pagination gone wrong
# than a hiring spree. Its openings wait for a next crawl that lists about as many (SAME_LISTING).
HOLD_GROWTH = 3
SAME_LISTING = 0.1
# Schema drift: a field at least DRIFT_AT_LEAST postings had last time, missing tonight from at least
# this share of them.
DRIFT_SHARE = 0.9
DRIFT_AT_LEAST = 10
DRIFT_FIELDS = ("description", "pay_text", "structured_pay")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
TRACKING_PARAMETERS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gh_src", "source")


@dataclass
class CrawlSummary:
    crawl_id: int
    company: str
    platform: str
    status: str
    failure_reason: str | None
    seen: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    unreadable: int = 0
    reopened: int = 0
    closed: int = 0
    with_pay: int = 0
    dropped: int = 0
    deferred: int = 0
    completed: int = 0
    detail_reads: int = 0
    oldest_detail_at: str | None = None
    requests: int | None = None
    # What the listing called for, of which new, changed, completed, reopened and closed say what was
    # written: a failed crawl writes none of it, a suspect one holds its closures (and its openings).
    planned_new: int = 0
    planned_changed: int = 0
    planned_completed: int = 0
    planned_reopened: int = 0
    planned_closed: int | None = None  # None: closures never weighed (a failed crawl's listing is no evidence)


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def stable_url(url: str | None) -> str | None:
    """The URL without tracking parameters, which would otherwise make every night a change."""
    if not url:
        return url
    return url_query_cleaner(url, TRACKING_PARAMETERS, remove=True, keep_fragments=False)


def tracked_snapshot(item: Mapping[str, Any]) -> dict[str, Any]:
    snapshot = {name: item.get(name) for name in SOURCE_FIELDS}
    snapshot["url"] = stable_url(snapshot["url"])
    snapshot["locations"] = list(snapshot["locations"] or [])
    # Platform pay fields are published data, so they count as source; parsed ranges do not.
    snapshot["structured_pay"] = [
        {key: pay.get(key) for key in PAY_RANGE_KEYS}
        for pay in item.get("pay_ranges") or []
        if pay.get("source") == "structured"
    ]
    return snapshot


def content_hash(snapshot: Mapping[str, Any]) -> str:
    encoded = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _comparable(item: Mapping[str, Any]) -> dict[str, Any]:
    """Every tracked field, source and derived, in the form compared to find what changed."""
    values = tracked_snapshot(item)
    values.pop("structured_pay")
    values["pay_ranges"] = [{key: pay.get(key) for key in PAY_RANGE_KEYS} for pay in item.get("pay_ranges") or []]
    values["role_type"] = item.get("role_type")
    values["ai_related"] = None if item.get("ai_related") is None else bool(item.get("ai_related"))
    values["seniority"] = item.get("seniority")
    return values


def _previous_comparables(db: Database, version_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each version's tracked fields as ``_comparable`` gives them, by version id."""
    found: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(version_ids):
        marks = ", ".join("?" * len(chunk))
        ranges: dict[int, list[dict[str, Any]]] = {version_id: [] for version_id in chunk}
        for row in db.query(f"SELECT version_id, {', '.join(PAY_RANGE_KEYS)} FROM pay_ranges "
                            f"WHERE version_id IN ({marks}) ORDER BY version_id, position", chunk):
            ranges[row.pop("version_id")].append(row)
        for previous in db.query("SELECT v.*, d.text AS description FROM posting_versions v LEFT JOIN descriptions d "
                                 f"ON d.hash = v.description_hash WHERE v.id IN ({marks})", chunk):
            previous["locations"] = json.loads(previous["locations"] or "[]")
            previous["pay_ranges"] = ranges[previous["id"]]
            found[previous["id"]] = _comparable(previous)
    return found


# Ids in one statement's IN (...): well under SQLite's limit on bound parameters (32,766 since 3.32).
CHUNK = 500


def _update_postings(db: Database, assignments: str, values: tuple, posting_ids: list[int]) -> None:
    """``UPDATE postings SET <assignments>`` for every posting in ``posting_ids``, a chunk a statement."""
    for chunk in _chunks(posting_ids):
        db.execute(f"UPDATE postings SET {assignments} WHERE id IN ({', '.join('?' * len(chunk))})", [*values, *chunk])


def _chunks(values: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def ingest_crawl(
    db: Database,
    *,
    company: str,
    platform: str,
    items: Iterable[Mapping[str, Any]],
    started_at: str,
    listed_refs: Iterable[str] | None = None,
    finished_at: str | None = None,
    status: str = "complete",
    failure_reason: str | None = None,
    dropped: int = 0,
    code_version: str | None = None,
    deferred_refs: Iterable[str] = (),
    list_fingerprints: Mapping[str, str] | None = None,
    detail_reads: int = 0,
    requests: int | None = None,
    unchanged_refs: Iterable[str] = (),
    replayed_at: str | None = None,
) -> CrawlSummary:
    """Append one crawl of one company. Items are JobPosting dicts (after the pipelines);
    ``listed_refs`` the ids of every posting the platform listed (None: the items are the listing);
    ``deferred_refs`` the listed postings whose detail the night's budget left for later;
    ``list_fingerprints`` each listed posting's list-entry hash (kept with the detail read tonight);
    ``unchanged_refs`` the listed postings not extracted because their entry is the whole posting and
    its fingerprint equals the one their open version was read from (each is checked here: one that
    does not match, or has no open version, counts as unreadable). ``replayed_at``: for a replay of
    saved responses dated to the night they stand for (``started_at``), when it really ran."""
    if status not in ("complete", "failed"):
        raise ValueError(f"crawl status must be complete or failed, not {status!r}")
    finished_at = finished_at or utc_now()
    items, listed_twice = _copies_per_ref([storable(item) for item in items])
    listed = {str(ref) for ref in listed_refs or ()} | set(items)
    detail = _DetailReads({str(ref) for ref in deferred_refs} & listed, dict(list_fingerprints or {}), detail_reads,
                          requests, {str(ref) for ref in unchanged_refs} & listed, listed_twice)
    with write_transaction(db):
        return _ingest(db, company, platform, items, listed, started_at, finished_at, status, failure_reason,
                       dropped, code_version, detail, replayed_at)


@dataclass
class _DetailReads:
    deferred: set[str]
    list_fingerprints: dict[str, str]
    reads: int
    requests: int | None
    unchanged: set[str]
    listed_twice: set[str]  # refs with more than one item tonight


def detail_history(db: Database, company: str, platform: str) -> dict[str, tuple[str | None, str | None]]:
    """A company's open postings: ref -> (their list fingerprint when their detail was last read, when
    that was, None if never: their version is list-only). What a crawl needs to choose which details
    to read tonight."""
    return {
        row["ref"]: (row["list_hash"], None if row["list_only"] else row["detail_read_at"])
        for row in db.query(
            "SELECT p.ref, p.list_hash, p.detail_read_at, v.list_only FROM postings p "
            "JOIN posting_versions v ON v.posting_id = p.id AND v.version = p.current_version "
            "WHERE p.platform = ? AND p.company = ? AND p.closed_at IS NULL",
            [platform, company],
        )
    }


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """One transaction that takes the write lock at once (BEGIN IMMEDIATE), so it waits out another
    writer for the connection's busy timeout instead of failing midway when it first writes."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.commit()


def storable(item: Mapping[str, Any]) -> dict[str, Any]:
    """``item`` with what SQLite and hashing cannot take removed one value at a time: lone surrogates
    (from a JSON escape such as "\\ud800") become U+FFFD, pay ranges with a non-finite figure are left out.
    Each field so changed joins the item's ``lost_values``."""
    clean = {key: _storable_value(value) for key, value in item.items()}
    lost = list(item.get("lost_values") or [])
    lost += [key for key, value in clean.items() if key != "lost_values" and value is not item[key]]
    pay_ranges = clean.get("pay_ranges") or []
    clean["pay_ranges"] = [
        pay for pay in pay_ranges
        if all(isinstance(pay.get(key), (int, float)) and math.isfinite(pay[key])
               for key in ("min", "max", "annual_min", "annual_max"))
    ]
    if len(clean["pay_ranges"]) < len(pay_ranges):
        lost.append("pay_ranges")
    clean["lost_values"] = sorted(set(lost))
    return clean


def _storable_value(value: Any) -> Any:
    """``value`` itself when it can be stored as it is (so a caller can tell by identity), else a copy
    with its lone surrogates replaced."""
    if isinstance(value, str):
        return value if _free_of_surrogates(value) else _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        entries = [_storable_value(entry) for entry in value]
        return value if all(new is old for new, old in zip(entries, value)) else entries
    if isinstance(value, dict):
        entries = {key: _storable_value(entry) for key, entry in value.items()}
        return value if all(entries[key] is entry for key, entry in value.items()) else entries
    return value


def _free_of_surrogates(text: str) -> bool:
    """True unless ``text`` holds a surrogate code point, found cheaply: isascii() is a flag CPython keeps
    on every string, and strict UTF-8 encoding, which fails on surrogates alone, runs four times faster
    than the pattern's scan (most descriptions are not ASCII: a bullet, a curly quote)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _copies_per_ref(items: list[dict[str, Any]]) -> tuple[dict[str, list[dict[str, Any]]], set[str]]:
    """(every copy of each id, the ids that came more than once); ``_one_copy`` chooses once the
    archive's current versions are read."""
    copies: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        copies.setdefault(str(item["ref"]), []).append(item)
    return copies, {ref for ref, found in copies.items() if len(found) > 1}


def _one_copy(copies: list[dict[str, Any]], current_hash: str | None) -> dict[str, Any]:
    """The copy equal to the posting's current version, if one is: a board that lists an id twice
    then neither flips the posting to the other copy nor back, whichever comes first. Otherwise (or
    among equal ones) the smallest by content hash, so that the choice never depends on order."""
    if len(copies) == 1:
        return copies[0]
    ordered = sorted(((_copy_order(candidate), candidate) for candidate in copies), key=lambda pair: pair[0])
    return next((candidate for (digest, _), candidate in ordered if digest == current_hash), ordered[0][1])


def _copy_order(item: Mapping[str, Any]) -> tuple[str, str]:
    return content_hash(tracked_snapshot(item)), json.dumps(_comparable(item), sort_keys=True, default=str)


@dataclass
class _PlannedVersion:
    posting_id: int | None  # None: a new posting
    version: int
    item: Mapping[str, Any]
    changed_fields: list[str]
    digest: str  # the item's content hash, computed once when its verdict was reached
    list_only: bool = False
    changed_after: str | None = None  # the read before this one (the change happened since)
    verdict: str = "new"  # new, changed or completed: what the crawl row counts it as


def _ingest(db, company, platform, items, listed, started_at, finished_at, status, failure_reason, dropped,
            code_version, detail, replayed_at=None):
    existing = {
        row["ref"]: row
        for row in db.query(
            """
            SELECT p.id, p.ref, p.closed_at, p.current_version, p.last_crawl_id, p.title, p.platform_updated_at,
                   p.list_hash, p.first_seen_at, v.content_hash AS hash,
                   v.id AS version_id, v.list_only, p.detail_read_at, v.description_hash IS NOT NULL AS had_description,
                   v.pay_text IS NOT NULL AS had_pay_text,
                   EXISTS (SELECT 1 FROM pay_ranges r WHERE r.version_id = v.id) AS had_pay,
                   EXISTS (SELECT 1 FROM pay_ranges r WHERE r.version_id = v.id AND r.source = 'structured')
                       AS had_structured_pay
            FROM postings p JOIN posting_versions v ON v.posting_id = p.id AND v.version = p.current_version
            WHERE p.platform = ? AND p.company = ?
            """,
            [platform, company],
        )
    }
    items = {ref: _one_copy(copies, existing[ref]["hash"] if ref in existing else None) for ref, copies in items.items()}
    # A list-only item only opens a posting: a known one keeps its version until its detail is read.
    items = {ref: item for ref, item in items.items() if not (item.get("list_only") and ref in existing)}
    # Unchanged entries (not extracted): seen, read tonight and unchanged, if the archive agrees.
    unchanged = {
        ref for ref in detail.unchanged
        if ref in existing and existing[ref]["closed_at"] is None and not existing[ref]["list_only"]
        and existing[ref]["list_hash"] is not None and existing[ref]["list_hash"] == detail.list_fingerprints.get(ref)
    }
    # An id listed twice, one copy unchanged and one extracted: the unchanged copy is its open version,
    # so it is kept as _one_copy keeps the copy equal to the current version. The posting's list
    # fingerprint is forgotten, so that tomorrow both copies are read again (and the same copy kept).
    ambiguous = unchanged & set(items)
    for ref in ambiguous:
        del items[ref]
    forget_fingerprint = ambiguous | detail.listed_twice
    if status == "complete":
        drift = _schema_drift(existing, items, unchanged)
        if drift:
            status, failure_reason = "failed", drift

    # Plan first, so the crawl row is written once with its final counts (crawls is append-only).
    counts = dict.fromkeys(("seen", "new", "changed", "unchanged", "unreadable", "reopened", "closed", "with_pay",
                            "completed"), 0)
    counts["seen"] = len(listed)
    # Deferred: listed, its detail left for a later night (a new one is opened from its list entry).
    deferred = detail.deferred
    counts["unreadable"] = len(listed) - len(items) - len((deferred | unchanged) - set(items))
    counts["unchanged"] = len(unchanged)
    verdicts = []
    for ref, item in items.items():
        counts["with_pay"] += bool(item.get("pay_ranges"))
        known = existing.get(ref)
        digest = content_hash(tracked_snapshot(item))
        if known is None:
            verdict = "new"
        elif known["hash"] == digest:
            verdict = "unchanged"
        elif known["list_only"]:
            verdict = "completed"  # its first detail, late: what the list alone gave is completed, nothing changed
        else:
            verdict = "changed"
        counts[verdict] += 1
        verdicts.append((verdict, item, known, digest))
    # The changed postings' previous versions, read in a few queries rather than two a posting.
    previous = _previous_comparables(db, [known["version_id"] for verdict, _, known, _ in verdicts
                                          if verdict == "changed"])
    # Changes that are none: a known posting that changed only where a value could not be read tonight
    # keeps its version and is unreadable tonight (a pay figure sent as "n/a" one night is no pay
    # removed, then added back); text that differs only in its compatibility forms (full-width digits,
    # a no-break space, a ligature: equal under NFKC) says nothing new: read, unchanged, no version.
    held_lost, same_folded = set(), set()
    for verdict, item, known, _ in verdicts:
        if verdict != "changed":
            continue
        before, after = previous[known["version_id"]], _comparable(item)
        if item.get("lost_values") and _changed_only_where_lost(before, after, item["lost_values"]):
            held_lost.add(str(item["ref"]))
        elif _equal_when_folded(before, after):
            same_folded.add(str(item["ref"]))
    if held_lost or same_folded:
        verdicts = [entry for entry in verdicts if str(entry[1]["ref"]) not in held_lost | same_folded]
        counts["with_pay"] -= sum(1 for ref in held_lost if items[ref].get("pay_ranges"))
        items = {ref: item for ref, item in items.items() if ref not in held_lost}
        counts["changed"] -= len(held_lost) + len(same_folded)
        counts["unreadable"] += len(held_lost)
        counts["unchanged"] += len(same_folded)
    planned: list[_PlannedVersion] = []
    for verdict, item, known, digest in verdicts:
        if verdict == "new":
            planned.append(_PlannedVersion(None, 1, item, sorted(_comparable(item)), digest,
                                           bool(item.get("list_only"))))
        elif verdict == "completed":
            planned.append(_PlannedVersion(known["id"], known["current_version"] + 1, item, [], digest,
                                           changed_after=known["detail_read_at"], verdict="completed"))
        elif verdict == "changed":
            before, after = previous[known["version_id"]], _comparable(item)
            planned.append(_PlannedVersion(known["id"], known["current_version"] + 1, item,
                                           sorted(name for name in after if after[name] != before.get(name)), digest,
                                           changed_after=known["detail_read_at"], verdict="changed"))
    # A listed posting not read tonight (deferred, unreadable) keeps its version, and so its pay: the
    # share with pay is of what is listed, not of what happened to be read.
    counts["with_pay"] += sum(1 for ref in listed if ref not in items and ref in existing and existing[ref]["had_pay"])
    reopening = [known["id"] for ref, known in existing.items() if ref in listed and known["closed_at"] is not None]
    closing: list[Mapping[str, Any]] = []
    due: list[Mapping[str, Any]] = []  # the closures the listing calls for: postings it missed again
    if status == "complete":
        open_count = sum(1 for known in existing.values() if known["closed_at"] is None)
        previous = _previous_verdict(db, company, platform)
        balloon = _openings_held(previous, open_count, counts["new"], len(listed))
        if balloon:
            status, failure_reason = "suspect", balloon
            planned = [plan for plan in planned if plan.posting_id is not None]  # known postings still versioned
    absent = None  # the open postings a listing known to be whole no longer lists
    if status != "failed":
        absent = [known for ref, known in existing.items() if ref not in listed and known["closed_at"] is None]
        due = _missed_again(db, company, platform, previous, absent, started_at)
    if status == "complete":
        held = (_listing_shrank(_listing_history(db, company, platform), len(listed))
                or _absences_held(previous, open_count, absent, len(listed)))
        if held:
            status, failure_reason = "suspect", held
            if held.startswith(HELD_ABSENCES):  # ids swapped overnight: their openings wait as well
                planned = [plan for plan in planned if plan.posting_id is not None]
        else:
            closing = due
    plans = {"planned_new": counts["new"], "planned_changed": counts["changed"], "planned_completed": counts["completed"],
             "planned_reopened": len(reopening), "planned_closed": None if absent is None else len(due)}
    if status == "failed":
        planned, reopening, closing = [], [], []  # a failed crawl writes nothing a fault may have produced
    # The row counts what is written below, from the very lists written: what was only planned (held
    # by a suspect crawl, dropped by a failed one) is in the planned_ columns.
    for verdict in ("new", "changed", "completed"):
        counts[verdict] = sum(plan.verdict == verdict for plan in planned)
    counts["reopened"], counts["closed"] = len(reopening), len(closing)

    read = {ref for ref, item in items.items() if not item.get("list_only")} | unchanged if status != "failed" else set()
    detail_dates = [started_at if ref in read else (existing[ref]["detail_read_at"] if ref in existing else None)
                    for ref in listed]
    oldest_detail_at = min((date for date in detail_dates if date), default=None)
    # Only a replay names replayed_at, so a crawl of the live sites writes what it wrote before m009.
    replay = {"replayed_at": replayed_at} if replayed_at else {}
    # An archive handed over before m010 has no planned_ columns (m010 leaves its crawls' NULL).
    planned_columns = plans if "planned_new" in db["crawls"].columns_dict else {}
    crawl_id = db.table("crawls").insert(
        {"company": company, "platform": platform, "started_at": started_at, "finished_at": finished_at,
         "status": status, "failure_reason": failure_reason, "dropped": dropped, "code_version": code_version,
         "deferred": len(deferred), "detail_reads": detail.reads, "oldest_detail_at": oldest_detail_at,
         "requests": detail.requests, **counts, **planned_columns, **replay}
    ).last_pk

    # The seen postings' latest state (issue 10: one statement a posting was most of a steady night's
    # write). Most only move their last-seen time, and their detail-read time when read tonight: one
    # statement for a few hundred of them. Those whose title, platform update time or list fingerprint
    # moved take the new ones, a statement each. A failed crawl's, and the unreadable ones, only say
    # when they were last seen.
    moved, read_unmoved, unread = [], [], []
    for ref in listed:
        known = existing.get(ref)
        if known is None:
            continue
        if ref not in read:
            unread.append(known["id"])
            continue
        fingerprint = None if ref in forget_fingerprint else detail.list_fingerprints.get(ref)
        if ref in unchanged and fingerprint is not None:
            read_unmoved.append(known["id"])
            continue
        item = items.get(ref) or {"title": known["title"], "updated_at": known["platform_updated_at"]}
        latest = (item.get("title"), item.get("updated_at"), fingerprint)
        if latest == (known["title"], known["platform_updated_at"], known["list_hash"]):
            read_unmoved.append(known["id"])
        else:
            moved.append((started_at, crawl_id, *latest, started_at, known["id"]))
    db.conn.executemany(
        "UPDATE postings SET last_seen_at = ?, last_crawl_id = ?, title = ?, platform_updated_at = ?, list_hash = ?, "
        "detail_read_at = ? WHERE id = ?",
        moved,
    )
    _update_postings(db, "last_seen_at = ?, last_crawl_id = ?, detail_read_at = ?", (started_at, crawl_id, started_at),
                     read_unmoved)
    _update_postings(db, "last_seen_at = ?, last_crawl_id = ?", (started_at, crawl_id), unread)
    db.conn.executemany("UPDATE postings SET closed_at = NULL WHERE id = ?", [(posting_id,) for posting_id in reopening])
    _events(db, reopening, crawl_id, "reopened", started_at)

    _store_descriptions(db, [plan.item.get("description") for plan in planned])
    _write_versions(db, planned, platform, company, crawl_id, started_at,
                    {ref: value for ref, value in detail.list_fingerprints.items() if ref not in forget_fingerprint})
    if any(plan.posting_id is not None for plan in planned):
        db.conn.execute(RANGE_CHANGES_OF_CRAWL, [crawl_id, crawl_id])

    # Dated when first missed: the confirming crawl is the event's crawl_id, the evidence that closed it.
    db.conn.executemany("UPDATE postings SET closed_at = ? WHERE id = ?",
                        [(known["missed_at"], known["id"]) for known in closing])
    _dated_events(db, [(known["id"], known["missed_at"]) for known in closing], crawl_id, "closed")
    if planned or closing or reopening:
        # Months whose share-with-pay counts can move: a new posting's, and a list-only one's read at last.
        firsts = {known["ref"]: known["first_seen_at"] for known in existing.values() if known["list_only"]}
        touched_months = {(firsts.get(str(plan.item["ref"])) or started_at)[:7] for plan in planned
                          if plan.posting_id is None or str(plan.item["ref"]) in firsts}
        write_company_summaries(db, company, crawl_id, touched_months)

    return CrawlSummary(crawl_id, company, platform, status, failure_reason, dropped=dropped, deferred=len(deferred),
                        detail_reads=detail.reads, oldest_detail_at=oldest_detail_at, requests=detail.requests,
                        **counts, **plans)


# What follows from a field: a title read differently reclassifies the posting; pay lost may be read
# from the text instead.
DERIVED_FROM = {"title": ("role_type", "ai_related", "seniority"), "pay_ranges": ("pay_ranges",)}


def _equal_when_folded(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    changed = [name for name in after if after[name] != before.get(name)]
    return bool(changed) and all(_folded(after[name]) == _folded(before.get(name)) for name in changed)


def _folded(value: Any) -> str:
    return unicodedata.normalize("NFKC", json.dumps(value, ensure_ascii=False, sort_keys=True))


def _changed_only_where_lost(before: Mapping[str, Any], after: Mapping[str, Any], lost: Iterable[str]) -> bool:
    allowed = set(lost) | {derived for name in lost for derived in DERIVED_FROM.get(name, ())}
    return all(name in allowed for name in after if after[name] != before.get(name))


def _schema_drift(existing: Mapping[str, Mapping[str, Any]], items: Mapping[str, Mapping[str, Any]],
                  unchanged: set[str]) -> str | None:
    """Why tonight's postings look re-shaped rather than edited, or None: a field most of them had last
    time is missing from almost all of them now (a platform renamed or dropped it). A posting handed
    over unchanged (not extracted again) still has what its version had."""
    present_tonight = {
        "description": lambda item: bool(item.get("description")),
        "pay_text": lambda item: bool(item.get("pay_text")),
        "structured_pay": lambda item: any(pay.get("source") == "structured" for pay in item.get("pay_ranges") or []),
    }
    for field in DRIFT_FIELDS:
        had = [ref for ref, known in existing.items() if (ref in items or ref in unchanged) and known[f"had_{field}"]]
        lost = [ref for ref in had if ref in items and not present_tonight[field](items[ref])]
        if len(had) >= DRIFT_AT_LEAST and len(lost) >= DRIFT_SHARE * len(had):
            return (f"schema drift: {field} is missing tonight from {len(lost)} of the {len(had)} postings "
                    "that had it; nothing is versioned until a crawl reads it again")
    return None


HELD_ABSENCES = "no longer lists"
HELD_SHRINK = "lists"
HELD_OPENINGS = "would open"  # a listing that ballooned (_openings_held): no measure of the board


def _listing_shrank(history: list[tuple[int, int]], listed: int) -> str | None:
    """Why a listing's closures wait because it is shorter than the company's last listings, or None.
    ``history``: its last listings, the latest first, as (postings listed, failed crawls after it).
    Tonight and the listings before it that each listed fewer postings than the one before are a run
    of shrinking listings; the listing before the run is the measure. A run of one that lost
    SHRINK_SHARE of it a night, or a longer run that lost SHRINK_RUN_SHARE of it a night (and at least
    SHRINK_AT_LEAST postings either way), is held: a board leaking a little every night is held every
    night it leaks, and one that lost a share at once is confirmed by the next listing no shorter. A
    failed crawl in between is a night of churn more to allow for."""
    sizes = [listed, *(size for size, _ in history)]
    failed = [failed for _, failed in history]
    steps = 0
    while steps + 1 < len(sizes) and sizes[steps] < sizes[steps + 1]:
        steps += 1
    if steps == 0:
        return None
    before = sizes[steps]
    nights = steps + sum(failed[:steps])
    shortfall = before - listed
    allowed = (SHRINK_SHARE * nights if steps == 1 else SHRINK_RUN_SHARE * nights) * before
    if shortfall < SHRINK_AT_LEAST or shortfall < allowed:
        return None
    since = "its last listing" if steps == 1 else f"its listing {steps} crawls ago (shorter each time since)"
    return (f"{HELD_SHRINK} {listed} postings where {since} had {before}: closures held until a listing no "
            "shorter confirms it")


def _absences_held(previous: Mapping[str, Any] | None, open_count: int, absent: list[Mapping[str, Any]],
                   listed: int) -> str | None:
    """Why a listing that no longer lists an unusual share of the open postings holds its closures and
    openings, or None. A next listing of about the same size after the suspect one (``previous``, the
    last crawl not failed) confirms it."""
    if len(absent) < HOLD_AT_LEAST or len(absent) <= HOLD_SHARE * open_count:
        return None
    if previous is not None and previous["status"] == "suspect" and abs(previous["seen"] - listed) <= SAME_LISTING * listed:
        return None
    return (f"{HELD_ABSENCES} {len(absent)} of {open_count} open postings: closures and openings held until the "
            "next listing confirms it")


def _missed_again(db: Database, company: str, platform: str, previous: Mapping[str, Any] | None,
                  absent: list[Mapping[str, Any]], tonight: str) -> list[dict[str, Any]]:
    """The absent postings that ``previous`` (the last crawl not failed) did not list either, each with
    ``missed_at``: when the first complete listing after its last sighting started, or ``tonight`` if
    none did. A held (suspect) listing does not date a closure: it may have been cut short, and a
    posting it missed may really have gone only since."""
    if previous is None:
        return []
    missed = [known for known in absent if (known["last_crawl_id"] or 0) < previous["id"]]
    if not missed:
        return []
    since = min(known["last_crawl_id"] or 0 for known in missed)
    listings = list(db.execute(
        "SELECT id, started_at FROM crawls WHERE company = ? AND platform = ? AND status = 'complete' AND id > ? "
        "ORDER BY id", [company, platform, since]).fetchall())
    ids = [crawl_id for crawl_id, _ in listings]
    dated = []
    for known in missed:
        first = bisect.bisect_right(ids, known["last_crawl_id"] or 0)
        dated.append({**known, "missed_at": listings[first][1] if first < len(listings) else tonight})
    return dated


def _listing_history(db: Database, company: str, platform: str) -> list[tuple[int, int]]:
    """The company's last listings, the latest first, as (postings listed, failed crawls between it and
    the next listing, or tonight): its crawls not failed, passing over those whose openings were held
    (a listing that ballooned is no measure of the board)."""
    history: list[tuple[int, int]] = []
    failed_since = 0
    rows = db.execute("SELECT status, seen, failure_reason FROM crawls WHERE company = ? AND platform = ? "
                      "ORDER BY id DESC LIMIT ?", [company, platform, 3 * SHRINK_RUN_AT_MOST]).fetchall()
    for status, seen, reason in rows:
        if status == "failed":
            failed_since += 1
        elif not (status == "suspect" and (reason or "").startswith(HELD_OPENINGS)):
            history.append((seen, failed_since))
            failed_since = 0
            if len(history) == SHRINK_RUN_AT_MOST:
                break
    return history


def _openings_held(previous: Mapping[str, Any] | None, open_count: int, new: int, listed: int) -> str | None:
    """Why a crawl's new postings wait (the listing ballooned overnight), or None. A next crawl that
    lists about as many postings again (after ``previous``, the last crawl not failed, was suspect)
    confirms the listing, and opens them."""
    if open_count < HOLD_AT_LEAST or new < HOLD_AT_LEAST or new <= HOLD_GROWTH * open_count:
        return None
    if previous is not None and previous["status"] == "suspect" and abs(previous["seen"] - listed) <= SAME_LISTING * listed:
        return None
    return (f"{HELD_OPENINGS} {new} postings where {open_count} are open: openings and closures held until a "
            "next crawl lists about as many")


def _previous_verdict(db: Database, company: str, platform: str) -> Mapping[str, Any] | None:
    """The company's last crawl that was not failed (failed ones say nothing about the listing)."""
    return next(iter(db.query(
        "SELECT id, status, seen FROM crawls WHERE company = ? AND platform = ? AND status != 'failed' "
        "ORDER BY id DESC LIMIT 1", [company, platform])), None)


VERSION_COLUMNS = ("id", "posting_id", "version", "crawl_id", "observed_at", "content_hash", "title", "url",
                   "department", "locations", "country", "employment_type", "posted_at", "description_hash",
                   "pay_text", "pay_source", "role_type", "ai_related", "seniority", "changed_fields", "list_only",
                   "changed_after")
RANGE_COLUMNS = ("version_id", "position", *PAY_RANGE_KEYS, "raw", "source", "period_inferred", "annual_min",
                 "annual_max", "annualized")


def _write_versions(db: Database, planned: list[_PlannedVersion], platform: str, company: str, crawl_id: int,
                    started_at: str, list_fingerprints: Mapping[str, str]) -> None:
    """Every planned version, with its new posting, changed fields and ranges, in one batch a table.

    Ids are given out here, after the largest in use, as SQLite itself would: the write holds the
    database's write lock (BEGIN IMMEDIATE), so no other connection can take one meanwhile.
    """
    next_posting_id, next_version_id = _next_id(db, "postings"), _next_id(db, "posting_versions")
    # What the posting's latest state keeps of its current version (m007): its id, and the role type
    # and AI flag the posting views count. An archive before m007 has no such columns (m007 fills them).
    latest_columns = ("current_version_id", "role_type", "ai_related") \
        if "current_version_id" in db["postings"].columns_dict else ()
    # Where each range's raw text sits and whether its period is suspect (m008; not before it).
    range_extras = ("raw_start", "raw_end", "period_suspect") if "period_suspect" in db["pay_ranges"].columns_dict else ()
    new_postings, opened, current, versions, changes, ranges, search, history = [], [], [], [], [], [], [], []
    for plan in planned:
        item = plan.item
        version_id, next_version_id = next_version_id, next_version_id + 1
        latest = (version_id, item.get("role_type"), item.get("ai_related")) if latest_columns else ()
        if plan.posting_id is None:
            posting_id, next_posting_id = next_posting_id, next_posting_id + 1
            read_at, list_hash = (None, None) if plan.list_only else (started_at, list_fingerprints.get(str(item["ref"])))
            new_postings.append((posting_id, platform, company, str(item["ref"]), item.get("title"), started_at,
                                 started_at, crawl_id, crawl_id, item.get("updated_at"), read_at, list_hash, *latest))
            opened.append(posting_id)
        else:
            posting_id = plan.posting_id
            current.append((plan.version, *latest, posting_id))
        description = item.get("description")
        search.append((version_id, item.get("title"), description or None))
        versions.append((
            version_id, posting_id, plan.version, crawl_id, started_at, plan.digest,
            item.get("title"), item.get("url"), item.get("department"),
            json.dumps(list(item.get("locations") or []), ensure_ascii=False), item.get("country"),
            item.get("employment_type"), item.get("posted_at"), text_hash(description) if description else None,
            item.get("pay_text"), item.get("pay_source"), item.get("role_type"), item.get("ai_related"),
            item.get("seniority"), json.dumps(plan.changed_fields), plan.list_only, plan.changed_after,
        ))
        if plan.version > 1:  # a first version changed nothing: changed_fields lists every field, no rows
            changes += [(version_id, name) for name in plan.changed_fields]
        pay_changed = plan.version > 1 and "pay_ranges" in plan.changed_fields
        for position, pay in enumerate(item.get("pay_ranges") or []):
            figures, source = [pay.get(key) for key in PAY_RANGE_KEYS], pay.get("source") or "text"
            annual, period_inferred, annualized = (pay.get("annual_min"), pay.get("annual_max")), \
                bool(pay.get("period_inferred")), bool(pay.get("annualized"))
            suspect = (bool(pay.get("period_suspect")),) if range_extras else ()
            extras = (pay.get("start"), pay.get("end"), *suspect) if range_extras else ()
            ranges.append((version_id, position, *figures, pay.get("raw"), source, period_inferred, *annual, annualized,
                           *extras))
            history.append((version_id, position, posting_id, platform, company, str(item["ref"]), item.get("title"),
                            item.get("role_type"), item.get("ai_related"), item.get("seniority"), *figures, *annual,
                            annualized, period_inferred, source, plan.list_only, pay_changed, started_at, plan.version,
                            item.get("url"), *suspect))
    db.conn.executemany(
        "INSERT INTO postings (id, platform, company, ref, title, first_seen_at, last_seen_at, closed_at, "
        "first_crawl_id, last_crawl_id, current_version, platform_updated_at, detail_read_at, list_hash"
        f"{''.join(', ' + column for column in latest_columns)}) "
        f"VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, 1, ?, ?, ?{', ?' * len(latest_columns)})",
        new_postings,
    )
    _events(db, opened, crawl_id, "opened", started_at)
    db.conn.executemany(
        f"UPDATE postings SET current_version = ?{''.join(', ' + column + ' = ?' for column in latest_columns)} "
        "WHERE id = ?", current)
    _insert_rows(db, "posting_versions", VERSION_COLUMNS, versions)
    _insert_rows(db, "version_changes", ("version_id", "field"), changes)
    _insert_rows(db, "pay_ranges", RANGE_COLUMNS + range_extras, ranges)
    # What research reads, written with the versions (m006): the titles and descriptions as the
    # posting_search index reads them back through version_search_text, and each range's
    # pay_history row. An archive handed over before m005/m006 has neither yet; those migrations
    # fill them from every version they find.
    written = {name for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE name IN ('posting_search', 'pay_history_rows')")}
    if "posting_search" in written:
        db.conn.executemany("INSERT INTO posting_search (rowid, title, description) VALUES (?, ?, ?)", search)
    if "pay_history_rows" in written:
        _insert_rows(db, "pay_history_rows", PAY_HISTORY_ROW_COLUMNS + range_extras[2:], history)


def _next_id(db: Database, table: str) -> int:
    return db.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]


def _insert_rows(db: Database, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    db.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)


def _store_descriptions(db: Database, texts: list[str | None]) -> None:
    """Each distinct description once, addressed by its hash (a version costs bytes, not kilobytes)."""
    by_hash = {text_hash(text): text for text in texts if text}
    db.table("descriptions").insert_all(({"hash": key, "text": text} for key, text in by_hash.items()), ignore=True)


def _events(db: Database, posting_ids: list[int], crawl_id: int, event: str, at: str) -> None:
    _dated_events(db, [(posting_id, at) for posting_id in posting_ids], crawl_id, event)


def _dated_events(db: Database, dated: list[tuple[int, str]], crawl_id: int, event: str) -> None:
    """One ``event`` a (posting id, when) pair, written by crawl ``crawl_id``."""
    db.conn.executemany("INSERT INTO posting_events (posting_id, crawl_id, event, at) VALUES (?, ?, ?, ?)",
                        [(posting_id, crawl_id, event, at) for posting_id, at in dated])


def crawl_records(db: Database, crawl_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The ``crawls`` rows with these ids, by id (ids not in the archive are left out)."""
    ids = list(crawl_ids)
    if not ids:
        return {}
    rows = db.query(f"SELECT * FROM crawls WHERE id IN ({', '.join('?' * len(ids))})", ids)
    return {row["id"]: row for row in rows}
