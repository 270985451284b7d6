"""What two research questions read, summarised per company as each crawl leaves it (issue 11).

A median cannot use an index: SQL has to gather and sort every open range, and the share of new
postings that publish pay has to look at every posting's first full read. On 30 nights x 200,000
postings that took 2.1 s and 1.3 s a query. Both answers change only when a crawl of that company
writes, so the archive writer computes them then, inside the crawl's transaction, from what the
archive holds once the crawl is written (never updated in place: a derived table that drifted from
history would lie quietly), and appends them only when they changed:

- ``open_pay_summaries``: for each (currency, ML/AI or other, role type, basis), the company's open
  postings' current ranges: how many, the median annual minimum and maximum, and every annual figure
  in order (JSON), which lets a query take the true median of any union of groups (a company's ML/AI
  roles, a sector's engineers) with datasette-statistics' ``statistics_median`` over ``json_each``. A company's
  summary is all rows of its latest ``crawl_id``; a company left with no open range gets one row with
  no currency, so its summary says so.
- ``transparency_counts``: per company and month of first sight, the postings opened, those read in
  full (not only their list entry) and those whose first full read published a range; one row per
  month whose counts a crawl changed; the latest ``crawl_id`` of a (company, month) holds its counts.

Both tables are history in their own right (a company's median after each crawl) and append-only.
"""

from __future__ import annotations

import json
import statistics
from typing import Any, Iterable

from sqlite_utils import Database

OPEN_PAY_COLUMNS = ("crawl_id", "company", "currency", "roles", "role_type", "basis", "ranges", "median_annual_min",
                    "median_annual_max", "annual_mins", "annual_maxes")
TRANSPARENCY_COLUMNS = ("crawl_id", "company", "month", "opened", "read_in_full", "with_pay")

CREATE_SUMMARY_TABLES = (
    """CREATE TABLE open_pay_summaries (
        crawl_id INTEGER NOT NULL REFERENCES crawls (id),
        company TEXT NOT NULL,
        currency TEXT,
        roles TEXT,
        role_type TEXT,
        basis TEXT,
        ranges INTEGER NOT NULL,
        median_annual_min INTEGER,
        median_annual_max INTEGER,
        annual_mins TEXT,
        annual_maxes TEXT
    )""",
    "CREATE INDEX open_pay_summaries_company ON open_pay_summaries (company, crawl_id)",
    """CREATE TABLE transparency_counts (
        crawl_id INTEGER NOT NULL REFERENCES crawls (id),
        company TEXT NOT NULL,
        month TEXT NOT NULL,
        opened INTEGER NOT NULL,
        read_in_full INTEGER NOT NULL,
        with_pay INTEGER NOT NULL
    )""",
    "CREATE INDEX transparency_counts_company_month ON transparency_counts (company, month, crawl_id)",
)

_OPEN_RANGES = """
    SELECT r.currency, CASE WHEN v.ai_related THEN 'ML/AI' ELSE 'other' END AS roles, v.role_type, r.basis,
           r.annual_min, r.annual_max
    FROM postings p
    JOIN posting_versions v ON v.posting_id = p.id AND v.version = p.current_version
    JOIN pay_ranges r ON r.version_id = v.id
    WHERE p.company = ? AND p.closed_at IS NULL AND r.currency IS NOT NULL{not_suspect}"""

# Per month of first sight: postings opened, read in full, and whose first full read has a range.
_MONTH_COUNTS = """
    SELECT month, count(*) AS opened, sum(read_in_full) AS read_in_full, sum(with_pay) AS with_pay
    FROM (
        SELECT substr(p.first_seen_at, 1, 7) AS month,
               first_read.id IS NOT NULL AS read_in_full,
               EXISTS (SELECT 1 FROM pay_ranges r WHERE r.version_id = first_read.id) AS with_pay
        FROM postings p
        LEFT JOIN posting_versions first_read ON first_read.id =
            (SELECT v.id FROM posting_versions v WHERE v.posting_id = p.id AND v.list_only = 0
             ORDER BY v.version LIMIT 1)
        WHERE p.company = ? {months}
    )
    GROUP BY month"""


def _figure(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _median(values: list[float]) -> int:
    return int(statistics.median(values))


def open_pay_rows(db: Database, company: str, crawl_id: int) -> list[tuple]:
    """The company's open-pay summary rows as the archive holds it now (OPEN_PAY_COLUMNS order)."""
    groups: dict[tuple[str, str, str | None, str | None], list[tuple[Any, Any]]] = {}
    # A range whose period is suspect (m008) is kept in the history but left out of what research reads.
    not_suspect = " AND r.period_suspect IS NOT 1" if "period_suspect" in db["pay_ranges"].columns_dict else ""
    query = _OPEN_RANGES.format(not_suspect=not_suspect)
    for currency, roles, role_type, basis, annual_min, annual_max in db.execute(query, [company]).fetchall():
        groups.setdefault((currency, roles, role_type, basis), []).append((annual_min, annual_max))
    rows = []
    for (currency, roles, role_type, basis), figures in sorted(groups.items(),
                                                                key=lambda group: tuple(map(str, group[0]))):
        mins = sorted(_figure(low) for low, _ in figures)  # the archive stores a range only with both figures
        maxes = sorted(_figure(high) for _, high in figures)
        rows.append((crawl_id, company, currency, roles, role_type, basis, len(figures), _median(mins), _median(maxes),
                     json.dumps(mins), json.dumps(maxes)))
    return rows or [(crawl_id, company, None, None, None, None, 0, None, None, None, None)]


def _latest_open_pay(db: Database, company: str) -> list[tuple]:
    return [tuple(row) for row in db.execute(
        f"SELECT {', '.join(OPEN_PAY_COLUMNS[2:])} FROM open_pay_summaries WHERE company = ? AND crawl_id = "
        "(SELECT max(crawl_id) FROM open_pay_summaries WHERE company = ?) ORDER BY rowid", [company, company])]


def month_counts(db: Database, company: str, months: Iterable[str] | None = None) -> dict[str, tuple[int, int, int]]:
    """(opened, read in full, with pay) by month of first sight, for ``months`` (None: every month)."""
    months = None if months is None else sorted(set(months))
    if months == []:
        return {}
    where = "" if months is None else f"AND substr(p.first_seen_at, 1, 7) IN ({', '.join('?' * len(months))})"
    return {month: (opened, read, with_pay) for month, opened, read, with_pay in
            db.execute(_MONTH_COUNTS.format(months=where), [company, *(months or ())]).fetchall()}


def _latest_month_counts(db: Database, company: str, months: list[str]) -> dict[str, tuple[int, int, int]]:
    latest = {}
    for month in months:
        row = db.execute("SELECT opened, read_in_full, with_pay FROM transparency_counts WHERE company = ? AND month = ? "
                         "ORDER BY crawl_id DESC LIMIT 1", [company, month]).fetchone()
        if row:
            latest[month] = tuple(row)
    return latest


def write_company_summaries(db: Database, company: str, crawl_id: int, touched_months: Iterable[str] | None) -> None:
    """Append the company's summaries as this crawl leaves it, where they changed. ``touched_months``
    are the months of first sight of the postings the crawl gave a version (None: every month). An
    archive not yet migrated to m007 has no summary tables; that migration fills them."""
    if not db["open_pay_summaries"].exists():
        return
    open_pay = open_pay_rows(db, company, crawl_id)
    if [row[2:] for row in open_pay] != _latest_open_pay(db, company):
        db.conn.executemany(f"INSERT INTO open_pay_summaries ({', '.join(OPEN_PAY_COLUMNS)}) "
                            f"VALUES ({', '.join('?' * len(OPEN_PAY_COLUMNS))})", open_pay)
    counts = month_counts(db, company, touched_months)
    latest = _latest_month_counts(db, company, list(counts))
    db.conn.executemany(
        f"INSERT INTO transparency_counts ({', '.join(TRANSPARENCY_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)",
        [(crawl_id, company, month, *figures) for month, figures in sorted(counts.items())
         if latest.get(month) != figures])


def fill_summaries(db: Database) -> None:
    """Every company's summaries as the archive holds it, under its latest crawl (the migration)."""
    for company, crawl_id in db.execute(
            "SELECT company, max(id) FROM crawls WHERE company IN (SELECT DISTINCT company FROM postings) "
            "GROUP BY company ORDER BY company").fetchall():
        write_company_summaries(db, company, crawl_id, None)
