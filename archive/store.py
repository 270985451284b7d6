"""Ingest one company crawl into the archive, in one transaction.

Rules:
- a posting gets a new version only when its tracked content changed (its content hash);
- re-ingesting identical data adds no version;
- a posting absent from a *complete* crawl of its company is closed; one that comes back is
  reopened; a failed crawl records what it saw and closes nothing;
- everything a crawl writes commits together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from sqlite_utils import Database
from w3lib.url import url_query_cleaner

# Fields published by the posting itself. A change in any of them is a new version. What paywatch
# derives (parsed pay ranges, role type, AI flag, seniority) is stored with each version but not
# hashed: a better parser or classifier must not make every posting look changed overnight.
SOURCE_FIELDS = ("title", "url", "department", "locations", "country", "employment_type", "posted_at",
                 "description", "pay_text")
PAY_RANGE_KEYS = ("min", "max", "currency", "period", "basis", "label")
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
    reopened: int = 0
    closed: int = 0
    with_pay: int = 0
    dropped: int = 0


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


def _previous_comparable(db: Database, version_id: int) -> dict[str, Any]:
    (previous,) = db.query(
        "SELECT v.*, d.text AS description FROM posting_versions v "
        "LEFT JOIN descriptions d ON d.hash = v.description_hash WHERE v.id = ?",
        [version_id],
    )
    previous["locations"] = json.loads(previous["locations"] or "[]")
    previous["pay_ranges"] = list(db.query(
        f"SELECT {', '.join(PAY_RANGE_KEYS)} FROM pay_ranges WHERE version_id = ? ORDER BY position", [version_id]
    ))
    return _comparable(previous)


def ingest_crawl(
    db: Database,
    *,
    company: str,
    platform: str,
    items: Iterable[Mapping[str, Any]],
    started_at: str,
    finished_at: str | None = None,
    status: str = "complete",
    failure_reason: str | None = None,
    dropped: int = 0,
    code_version: str | None = None,
) -> CrawlSummary:
    """Append one crawl of one company. Items are JobPosting dicts (after the pipelines)."""
    if status not in ("complete", "failed"):
        raise ValueError(f"crawl status must be complete or failed, not {status!r}")
    finished_at = finished_at or utc_now()
    items = list(items)
    with db.atomic():
        return _ingest(db, company, platform, items, started_at, finished_at, status, failure_reason,
                       dropped, code_version)


@dataclass
class _PlannedVersion:
    posting_id: int | None  # None: a new posting
    version: int
    item: Mapping[str, Any]
    changed_fields: list[str]


def _ingest(db, company, platform, items, started_at, finished_at, status, failure_reason, dropped, code_version):
    existing = {
        row["ref"]: row
        for row in db.query(
            """
            SELECT p.id, p.ref, p.closed_at, p.current_version, v.content_hash AS hash, v.id AS version_id
            FROM postings p JOIN posting_versions v ON v.posting_id = p.id AND v.version = p.current_version
            WHERE p.platform = ? AND p.company = ?
            """,
            [platform, company],
        )
    }

    # Plan first, so the crawl row is written once with its final counts (crawls is append-only).
    counts = dict.fromkeys(("seen", "new", "changed", "unchanged", "reopened", "closed", "with_pay"), 0)
    planned: list[_PlannedVersion] = []
    seen_items: dict[str, Mapping[str, Any]] = {}
    reopened: list[int] = []
    for item in items:
        ref = str(item["ref"])
        if ref in seen_items:
            continue
        seen_items[ref] = item
        counts["seen"] += 1
        counts["with_pay"] += bool(item.get("pay_ranges"))
        known = existing.get(ref)
        if known is None:
            counts["new"] += 1
            planned.append(_PlannedVersion(None, 1, item, sorted(_comparable(item))))
            continue
        if known["closed_at"] is not None:
            counts["reopened"] += 1
            reopened.append(known["id"])
        if known["hash"] != content_hash(tracked_snapshot(item)):
            before = _previous_comparable(db, known["version_id"])
            after = _comparable(item)
            changed = sorted(name for name in after if after[name] != before.get(name))
            counts["changed"] += 1
            planned.append(_PlannedVersion(known["id"], known["current_version"] + 1, item, changed))
        else:
            counts["unchanged"] += 1
    closing = (
        [known["id"] for ref, known in existing.items() if ref not in seen_items and known["closed_at"] is None]
        if status == "complete"
        else []
    )
    counts["closed"] = len(closing)

    crawl_id = db.table("crawls").insert(
        {"company": company, "platform": platform, "started_at": started_at, "finished_at": finished_at,
         "status": status, "failure_reason": failure_reason, "dropped": dropped, "code_version": code_version,
         **counts}
    ).last_pk

    for ref, item in seen_items.items():
        known = existing.get(ref)
        if known is not None:
            update = {"last_seen_at": started_at, "last_crawl_id": crawl_id, "title": item.get("title"),
                      "platform_updated_at": item.get("updated_at")}
            if known["closed_at"] is not None:
                update["closed_at"] = None
            db.table("postings").update(known["id"], update)
    for posting_id in reopened:
        _event(db, posting_id, crawl_id, "reopened", started_at)

    _store_descriptions(db, [plan.item.get("description") for plan in planned])
    for plan in planned:
        item = plan.item
        posting_id = plan.posting_id
        if posting_id is None:
            posting_id = db.table("postings").insert(
                {"platform": platform, "company": company, "ref": str(item["ref"]), "title": item.get("title"),
                 "first_seen_at": started_at, "last_seen_at": started_at, "closed_at": None,
                 "first_crawl_id": crawl_id, "last_crawl_id": crawl_id, "current_version": 1,
                 "platform_updated_at": item.get("updated_at")}
            ).last_pk
            _event(db, posting_id, crawl_id, "opened", started_at)
        else:
            db.table("postings").update(posting_id, {"current_version": plan.version})
        description = item.get("description")
        description_hash = text_hash(description) if description else None
        version_id = db.table("posting_versions").insert(
            {
                "posting_id": posting_id,
                "version": plan.version,
                "crawl_id": crawl_id,
                "observed_at": started_at,
                "content_hash": content_hash(tracked_snapshot(item)),
                "title": item.get("title"),
                "url": item.get("url"),
                "department": item.get("department"),
                "locations": json.dumps(list(item.get("locations") or []), ensure_ascii=False),
                "country": item.get("country"),
                "employment_type": item.get("employment_type"),
                "posted_at": item.get("posted_at"),
                "description_hash": description_hash,
                "pay_text": item.get("pay_text"),
                "pay_source": item.get("pay_source"),
                "role_type": item.get("role_type"),
                "ai_related": item.get("ai_related"),
                "seniority": item.get("seniority"),
                "changed_fields": json.dumps(plan.changed_fields),
            }
        ).last_pk
        db.table("version_changes").insert_all(
            {"version_id": version_id, "field": name} for name in plan.changed_fields
        )
        db.table("pay_ranges").insert_all(
            {
                "version_id": version_id,
                "position": position,
                **{key: pay.get(key) for key in PAY_RANGE_KEYS},
                "raw": pay.get("raw"),
                "source": pay.get("source") or "text",
                "period_inferred": bool(pay.get("period_inferred")),
                "annual_min": pay.get("annual_min"),
                "annual_max": pay.get("annual_max"),
                "annualized": bool(pay.get("annualized")),
            }
            for position, pay in enumerate(item.get("pay_ranges") or [])
        )

    for posting_id in closing:
        db.table("postings").update(posting_id, {"closed_at": started_at})
        _event(db, posting_id, crawl_id, "closed", started_at)

    return CrawlSummary(crawl_id, company, platform, status, failure_reason, dropped=dropped, **counts)


def _store_descriptions(db: Database, texts: list[str | None]) -> None:
    """Each distinct description once, addressed by its hash (a version costs bytes, not kilobytes)."""
    by_hash = {text_hash(text): text for text in texts if text}
    db.table("descriptions").insert_all(({"hash": key, "text": text} for key, text in by_hash.items()), ignore=True)


def _event(db: Database, posting_id: int, crawl_id: int, event: str, at: str) -> None:
    db.table("posting_events").insert({"posting_id": posting_id, "crawl_id": crawl_id, "event": event, "at": at})


def crawl_records(db: Database, crawl_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The ``crawls`` rows with these ids, by id (ids not in the archive are left out)."""
    ids = list(crawl_ids)
    if not ids:
        return {}
    rows = db.query(f"SELECT * FROM crawls WHERE id IN ({', '.join('?' * len(ids))})", ids)
    return {row["id"]: row for row in rows}
