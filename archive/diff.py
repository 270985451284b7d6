"""What changed in the archive between two times: pay ranges raised, cut, widened or narrowed; postings
opened, closed and reopened. Reads only; every row cites the crawl time it was observed at.

Only what migrations m001–m004 created is read (tables and their indexes, never the views), so an
archive written by an older paywatch is read as it is, without migrating it; one older than m004
has no ``changed_after`` and shows none. Ranges are read straight from ``pay_ranges`` by version id
(its index ``pay_ranges_version``), a few hundred versions a query: the ``version_pay`` view's
ordered subquery reads every range in the archive for each lookup.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from textwrap import shorten
from typing import Any, Collection, Iterable, Iterator, Mapping, Sequence

from sqlite_utils import Database

from archive.tables import fitted_table, keep_together, ranges_kept_whole

TITLE_WIDTH = 48  # the pay column after it is what a reader came for; long titles are shortened
BATCH = 500  # version ids per pay_ranges query (SQLite allows 32,766 parameters; this keeps each small)
RANGE_FIELDS = ("min", "max", "currency", "period", "basis", "label")


class BadSelection(ValueError):
    """A selection the archive cannot answer (an unknown company or role type): say so, do not print nothing."""


def utc_iso(moment: datetime) -> str:
    """``moment`` as the archive writes times: UTC, seconds, ``+00:00`` (so text order is time order)."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


@dataclass
class RangeChange:
    """One range before and after (``None`` on the side where it did not exist), with the percent
    its minimum and maximum moved when both sides are in the same currency and period."""

    old: dict[str, Any] | None
    new: dict[str, Any] | None
    min_change_pct: float | None = None
    max_change_pct: float | None = None


@dataclass
class Change:
    at: str  # when the crawl that saw it started (UTC)
    changed_after: str | None  # the posting's detail read before: a change seen late happened since then
    company: str
    sector: str | None
    ref: str
    title: str | None
    role_type: str | None
    ai_related: bool | None
    kind: str
    old_pay: str | None
    new_pay: str | None
    ranges: list[RangeChange] = field(default_factory=list)

    def largest_move_pct(self) -> float | None:
        """The largest movement, in percent, of any range's minimum or maximum."""
        moves = [abs(pct) for pair in self.ranges for pct in (pair.min_change_pct, pair.max_change_pct)
                 if pct is not None]
        return max(moves) if moves else None


def pay_display(ranges: Sequence[Mapping[str, Any]]) -> str | None:
    """Ranges as the archive's views show them: ``USD 180,000-220,000/year base``, ``; `` between."""
    if not ranges:
        return None
    return "; ".join(
        f"{r['label'] + ': ' if r['label'] else ''}{r['currency']} {int(r['min']):,}-{int(r['max']):,}/{r['period']}"
        f"{'' if r['basis'] == 'unknown' else ' ' + r['basis']}"
        for r in ranges)


def ranges_of(db: Database, version_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Each version's ranges in their published order, read by version id a batch at a time."""
    ids = sorted(set(version_ids))
    found: dict[int, list[dict[str, Any]]] = {version_id: [] for version_id in ids}
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        rows = db.execute(
            f"SELECT version_id, {', '.join(RANGE_FIELDS)} FROM pay_ranges "
            f"WHERE version_id IN ({', '.join('?' * len(batch))}) ORDER BY version_id, position", batch)
        for version_id, *values in rows.fetchall():
            found[version_id].append(dict(zip(RANGE_FIELDS, values)))
    return found


def _percent(old: float, new: float) -> float | None:
    return None if old == 0 else round((new - old) / old * 100, 2)


def pair_ranges(old: Sequence[dict], new: Sequence[dict]) -> list[RangeChange]:
    """Ranges paired by position; a percent only where a pair is in the same currency and period."""
    pairs = []
    for position in range(max(len(old), len(new))):
        before = old[position] if position < len(old) else None
        after = new[position] if position < len(new) else None
        pair = RangeChange(before, after)
        if before and after and (before["currency"], before["period"]) == (after["currency"], after["period"]):
            pair.min_change_pct = _percent(before["min"], after["min"])
            pair.max_change_pct = _percent(before["max"], after["max"])
        pairs.append(pair)
    return pairs


def classify_pay_change(old: Sequence[Mapping], new: Sequence[Mapping]) -> str:
    """raised / cut / widened / narrowed when every range moved that way, else changed."""
    if not old and new:
        return "pay_added"
    if old and not new:
        return "pay_removed"
    if len(old) != len(new) or any((a["currency"], a["period"]) != (b["currency"], b["period"])
                                   for a, b in zip(old, new)):
        return "pay_changed"
    moves = [(b["min"] - a["min"], b["max"] - a["max"]) for a, b in zip(old, new)]
    if all(low >= 0 and high >= 0 for low, high in moves):
        return "pay_raised" if any(low or high for low, high in moves) else "pay_relabelled"
    if all(low <= 0 and high <= 0 for low, high in moves):
        return "pay_cut"
    if all(low <= 0 <= high for low, high in moves):
        return "pay_widened"
    if all(low >= 0 >= high for low, high in moves):
        return "pay_narrowed"
    return "pay_changed"


def has_column(db: Database, table: str, column: str) -> bool:
    return any(row[1] == column for row in db.execute(f"PRAGMA table_info({table})").fetchall())


def company_sectors(db: Database) -> dict[str, str] | None:
    """Each company's sector from the archive's ``companies`` table, or None when the archive has none
    (it was written before that table existed): the caller then asks the registry."""
    if not (has_column(db, "companies", "slug") and has_column(db, "companies", "sector")):
        return None
    return {slug: sector for slug, sector in db.execute("SELECT slug, sector FROM companies").fetchall()}


def check_selection(db: Database, companies: Collection[str] = (), role_types: Collection[str] = ()) -> None:
    """Refuse a company or role type the archive has never seen: a typo must not read as "no changes"."""
    known = {row[0] for row in db.execute("SELECT DISTINCT company FROM crawls").fetchall()}
    unknown = sorted(set(companies) - known)
    if unknown:
        raise BadSelection(f"not in the archive: {', '.join(unknown)} (it has: {', '.join(sorted(known)) or 'none'})")
    for role_type in role_types:
        if db.execute("SELECT 1 FROM posting_versions WHERE role_type = ? LIMIT 1", [role_type]).fetchone() is None:
            raise BadSelection(f"no posting in the archive has role type {role_type!r}")


def _in(column: str, values: Collection[str]) -> tuple[str, list[str]]:
    return (f" AND {column} IN ({', '.join('?' * len(values))})", list(values)) if values else ("", [])


def changes_since(db: Database, since: str, until: str | None = None, *, companies: Collection[str] = (),
                    role_types: Collection[str] = (), min_change: float | None = None, pay_only: bool = False,
                    sector_of: Mapping[str, str] | None = None) -> list[Change]:
    """Every change observed by crawls that started at or after ``since`` and before ``until`` (UTC ISO
    times as the archive writes them), for these companies and role types (all when empty).

    ``min_change`` keeps only the pay changes where some range's minimum or maximum moved by at least
    that percent (a range added or removed has no percent and is left out), and so no openings or
    closings, as ``pay_only``. A version that completes a posting first read from its list entry
    alone (``list_only``) records no changed field, so it is not a change here."""
    sector_of = sector_of or {}
    window, window_params = " AND c.started_at >= ?", [since]
    if until is not None:
        window, window_params = window + " AND c.started_at < ?", [since, until]
    by_company, company_params = _in("c.company", companies)
    by_posting_company, _ = _in("p.company", companies)
    by_role, role_params = _in("v.role_type", role_types)
    changed_after = "v.changed_after" if has_column(db, "posting_versions", "changed_after") else "NULL"
    # CROSS JOIN fixes the order SQLite reads in: the window's crawls, their versions (by
    # posting_versions_crawl), then each one's pay change, previous version and posting by key. Left
    # to choose, it starts from every pay change ever recorded (version_changes_field) and scans the
    # crawls for each: 2 s on a 30-night archive of 20,000 postings.
    pay_rows = db.execute(
        f"""
        SELECT v.id, prev.id, c.started_at, {changed_after}, c.company, p.ref, v.title, v.role_type, v.ai_related
        FROM crawls c
        CROSS JOIN posting_versions v ON v.crawl_id = c.id
        CROSS JOIN version_changes vc ON vc.version_id = v.id AND vc.field = 'pay_ranges'
        CROSS JOIN posting_versions prev ON prev.posting_id = v.posting_id AND prev.version = v.version - 1
        CROSS JOIN postings p ON p.id = v.posting_id
        WHERE 1{window}{by_company}{by_role}
        """,
        window_params + company_params + role_params,
    ).fetchall()
    event_rows = [] if pay_only or min_change is not None else db.execute(
        f"""
        SELECT e.event, e.at, p.company, p.ref, v.title, v.role_type, v.ai_related, v.id
        FROM posting_events e
        JOIN postings p ON p.id = e.posting_id
        JOIN posting_versions v ON v.posting_id = p.id AND v.version = (
            SELECT max(version) FROM posting_versions WHERE posting_id = p.id AND crawl_id <= e.crawl_id)
        WHERE e.at >= ?{' AND e.at < ?' if until is not None else ''}{by_posting_company}{by_role}
        """,
        window_params + company_params + role_params,
    ).fetchall()
    ranges = ranges_of(db, [row[0] for row in pay_rows] + [row[1] for row in pay_rows] + [row[-1] for row in event_rows])

    changes: list[Change] = []
    for version_id, previous_id, at, after, company, ref, title, role_type, ai_related in pay_rows:
        old, new = ranges[previous_id], ranges[version_id]
        change = Change(at, after, company, sector_of.get(company), ref, title, role_type, _flag(ai_related),
                        classify_pay_change(old, new), pay_display(old), pay_display(new), pair_ranges(old, new))
        moved = change.largest_move_pct()
        if min_change is not None and (moved is None or moved < min_change):
            continue
        changes.append(change)
    for event, at, company, ref, title, role_type, ai_related, version_id in event_rows:
        pay = ranges[version_id]
        old, new = (pay, []) if event == "closed" else ([], pay)
        changes.append(Change(at, None, company, sector_of.get(company), ref, title, role_type, _flag(ai_related),
                              event, pay_display(old), pay_display(new), pair_ranges(old, new)))
    changes.sort(key=lambda change: (change.at, change.company, change.kind, change.ref))
    return changes


def _flag(value: int | None) -> bool | None:
    return None if value is None else bool(value)


CSV_COLUMNS = ("at", "changed_after", "company", "sector", "ref", "title", "role_type", "ai_related", "kind",
               "range", *(f"old_{name}" for name in RANGE_FIELDS[:5]), *(f"new_{name}" for name in RANGE_FIELDS[:5]),
               "min_change_pct", "max_change_pct", "old_pay", "new_pay")


def csv_rows(changes: Iterable[Change]) -> Iterator[dict[str, Any]]:
    """One row per range of each change (numbers in their own columns); a change without pay is one row."""
    for change in changes:
        common = {name: getattr(change, name) for name in CSV_COLUMNS if hasattr(change, name) and name != "ranges"}
        for position, pair in enumerate(change.ranges or [RangeChange(None, None)], start=1):
            row = dict(common, range=position if change.ranges else None,
                       min_change_pct=pair.min_change_pct, max_change_pct=pair.max_change_pct)
            for side, values in (("old", pair.old), ("new", pair.new)):
                for name in RANGE_FIELDS[:5]:
                    row[f"{side}_{name}"] = values[name] if values else None
            yield row


def write_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def render(changes: Sequence[Change], fmt: str = "table") -> str:
    if fmt == "json":
        return json.dumps([asdict(change) for change in changes], indent=2, ensure_ascii=False)
    if fmt == "csv":
        return write_csv(CSV_COLUMNS, csv_rows(changes))
    if not changes:
        return "no changes"
    # Too wide for a terminal, the pay column wraps between its ranges and after the arrow, the
    # percent at its slash, then the title, and the time after its date last.
    return fitted_table(
        [[c.at[:16].replace("T", " "), c.company, shorten(c.title or "", TITLE_WIDTH, placeholder="…"), c.kind,
          _old_and_new(c), _moved(c)] for c in changes],
        ["when", "company", "title", "change", "old → new", "moved"],
        wrap=[(4, 24), (5, 8), (2, 24), (0, 10)],
    )


def _old_and_new(change: Change) -> str:
    if change.old_pay is None and change.new_pay is None:
        return "no published pay"  # an opening or closing of a posting that never showed a range
    return f"{ranges_kept_whole(change.old_pay)}{keep_together(' →')} {ranges_kept_whole(change.new_pay)}"


def _moved(change: Change) -> str:
    """The first range's move in percent, min/max, for the table (JSON and CSV carry every range)."""
    pair = change.ranges[0] if change.ranges else None
    if pair is None or pair.min_change_pct is None:
        return ""
    return f"{pair.min_change_pct:+g}% / {pair.max_change_pct:+g}%"
