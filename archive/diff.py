"""What changed in the archive since a date: pay ranges raised, cut, widened or narrowed; postings
opened, closed and reopened. Reads only; every row cites the crawl time it was observed at."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from textwrap import shorten
from typing import Iterable

from sqlite_utils import Database
from tabulate import tabulate

TITLE_WIDTH = 48  # the pay column after it is what a reader came for; long titles are shortened


@dataclass
class Change:
    at: str
    company: str
    ref: str
    title: str | None
    kind: str
    old_pay: str | None
    new_pay: str | None


def _pay_rows(db: Database, version_id: int | None) -> list[tuple]:
    if version_id is None:
        return []
    return db.execute(
        "SELECT min, max, currency, period, label FROM pay_ranges WHERE version_id = ? ORDER BY position",
        [version_id],
    ).fetchall()


def _pay_summary(db: Database, version_id: int | None) -> str | None:
    if version_id is None:
        return None
    row = db.execute("SELECT pay FROM version_pay WHERE version_id = ?", [version_id]).fetchone()
    return row[0] if row else None


def classify_pay_change(old: list[tuple], new: list[tuple]) -> str:
    """raised / cut / widened / narrowed when every range moved that way, else changed."""
    if not old and new:
        return "pay_added"
    if old and not new:
        return "pay_removed"
    if len(old) != len(new) or any(a[2:4] != b[2:4] for a, b in zip(old, new)):
        return "pay_changed"
    moves = [(new_min - old_min, new_max - old_max) for (old_min, old_max, *_), (new_min, new_max, *_) in zip(old, new)]
    if all(low >= 0 and high >= 0 for low, high in moves):
        return "pay_raised" if any(low or high for low, high in moves) else "pay_relabelled"
    if all(low <= 0 and high <= 0 for low, high in moves):
        return "pay_cut"
    if all(low <= 0 <= high for low, high in moves):
        return "pay_widened"
    if all(low >= 0 >= high for low, high in moves):
        return "pay_narrowed"
    return "pay_changed"


def changes_since(db: Database, since: str, *, company: str | None = None, pay_only: bool = False) -> list[Change]:
    """Every change observed by crawls that started at or after ``since`` (an ISO date or time)."""
    filters, params = "", [since]
    if company:
        filters, params = " AND p.company = ?", [since, company]
    changes: list[Change] = []
    for version_id, posting_id, version, at, company_slug, ref, title in db.execute(
        f"""
        SELECT v.id, v.posting_id, v.version, c.started_at, p.company, p.ref, v.title
        FROM posting_versions v
        JOIN version_changes vc ON vc.version_id = v.id AND vc.field = 'pay_ranges'
        JOIN crawls c ON c.id = v.crawl_id
        JOIN postings p ON p.id = v.posting_id
        WHERE v.version > 1 AND c.started_at >= ?{filters}
        ORDER BY c.started_at, p.company, p.ref
        """,
        params,
    ).fetchall():
        previous = db.execute(
            "SELECT id FROM posting_versions WHERE posting_id = ? AND version = ?", [posting_id, version - 1]
        ).fetchone()[0]
        kind = classify_pay_change(_pay_rows(db, previous), _pay_rows(db, version_id))
        changes.append(Change(at, company_slug, ref, title, kind, _pay_summary(db, previous), _pay_summary(db, version_id)))
    if not pay_only:
        for event, at, company_slug, ref, title, version_id in db.execute(
            f"""
            SELECT e.event, e.at, p.company, p.ref, v.title, v.id
            FROM posting_events e
            JOIN postings p ON p.id = e.posting_id
            JOIN posting_versions v ON v.posting_id = p.id AND v.version = (
                SELECT max(version) FROM posting_versions WHERE posting_id = p.id AND crawl_id <= e.crawl_id)
            WHERE e.at >= ?{filters}
            """,
            params,
        ).fetchall():
            pay = _pay_summary(db, version_id)
            changes.append(Change(at, company_slug, ref, title, event,
                                  pay if event == "closed" else None, None if event == "closed" else pay))
    changes.sort(key=lambda change: (change.at, change.company, change.kind, change.ref))
    return changes


def render(changes: Iterable[Change], fmt: str = "table") -> str:
    rows = [asdict(change) for change in changes]
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(Change.__dataclass_fields__))
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()
    if not rows:
        return "no changes"
    return tabulate(
        [[r["at"][:16].replace("T", " "), r["company"], shorten(r["title"] or "", TITLE_WIDTH, placeholder="…"),
          r["kind"], f"{r['old_pay'] or '—'} → {r['new_pay'] or '—'}"] for r in rows],
        headers=["when", "company", "title", "change", "old → new"],
        tablefmt="simple",
        disable_numparse=True,
    )
