"""The archive's schema, applied as recorded sqlite-utils migrations.

Tables (modelled on git-history's item / item_version / commits):
- ``crawls``: one row per crawl of one company, with its status and counts.
- ``postings``: one row per posting identity (platform, company, ref): first/last seen, closed at,
  current version. The only table whose rows are updated (it is the "latest state" index).
- ``posting_versions``: a full snapshot of the tracked fields, appended only when they changed.
- ``version_changes``: which fields changed in each version, so "pay changed" is a filter.
- ``pay_ranges``: the ranges of each version, one row per range.
- ``descriptions``: each distinct description text once, addressed by its SHA-256.
- ``posting_events``: opened / closed / reopened, so closures stay in history after a reopen.

History tables refuse UPDATE and DELETE (triggers): the archive is append-only by construction.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database, Migrations

from archive.summaries import CREATE_SUMMARY_TABLES, fill_summaries

migrations = Migrations("paywatch")

HISTORY_TABLES = ("crawls", "posting_versions", "version_changes", "pay_ranges", "descriptions", "posting_events")


@migrations()
def m001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE crawls (
            id INTEGER PRIMARY KEY,
            company TEXT NOT NULL,
            platform TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('complete', 'failed')),
            failure_reason TEXT,
            seen INTEGER NOT NULL DEFAULT 0,
            new INTEGER NOT NULL DEFAULT 0,
            changed INTEGER NOT NULL DEFAULT 0,
            unchanged INTEGER NOT NULL DEFAULT 0,
            reopened INTEGER NOT NULL DEFAULT 0,
            closed INTEGER NOT NULL DEFAULT 0,
            with_pay INTEGER NOT NULL DEFAULT 0,
            dropped INTEGER NOT NULL DEFAULT 0,
            code_version TEXT
        );
        CREATE INDEX crawls_company ON crawls (company, started_at);

        CREATE TABLE descriptions (
            hash TEXT PRIMARY KEY,
            text TEXT NOT NULL
        );

        CREATE TABLE postings (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            company TEXT NOT NULL,
            ref TEXT NOT NULL,
            title TEXT,
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            closed_at TEXT,
            first_crawl_id INTEGER NOT NULL REFERENCES crawls (id),
            last_crawl_id INTEGER NOT NULL REFERENCES crawls (id),
            current_version INTEGER NOT NULL,
            platform_updated_at TEXT,
            UNIQUE (platform, company, ref)
        );
        CREATE INDEX postings_company ON postings (company, closed_at);

        CREATE TABLE posting_versions (
            id INTEGER PRIMARY KEY,
            posting_id INTEGER NOT NULL REFERENCES postings (id),
            version INTEGER NOT NULL,
            crawl_id INTEGER NOT NULL REFERENCES crawls (id),
            observed_at TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            title TEXT,
            url TEXT,
            department TEXT,
            locations TEXT,
            country TEXT,
            employment_type TEXT,
            posted_at TEXT,
            description_hash TEXT REFERENCES descriptions (hash),
            pay_text TEXT,
            pay_source TEXT,
            role_type TEXT,
            ai_related INTEGER,
            seniority TEXT,
            changed_fields TEXT NOT NULL,
            UNIQUE (posting_id, version)
        );
        CREATE INDEX posting_versions_crawl ON posting_versions (crawl_id);

        CREATE TABLE version_changes (
            version_id INTEGER NOT NULL REFERENCES posting_versions (id),
            field TEXT NOT NULL,
            PRIMARY KEY (version_id, field)
        );
        CREATE INDEX version_changes_field ON version_changes (field);

        CREATE TABLE pay_ranges (
            id INTEGER PRIMARY KEY,
            version_id INTEGER NOT NULL REFERENCES posting_versions (id),
            position INTEGER NOT NULL,
            min REAL NOT NULL,
            max REAL NOT NULL,
            currency TEXT NOT NULL,
            period TEXT NOT NULL,
            basis TEXT NOT NULL,
            label TEXT,
            raw TEXT,
            source TEXT NOT NULL,
            period_inferred INTEGER NOT NULL,
            annual_min REAL NOT NULL,
            annual_max REAL NOT NULL,
            annualized INTEGER NOT NULL
        );
        CREATE INDEX pay_ranges_version ON pay_ranges (version_id);

        CREATE TABLE posting_events (
            id INTEGER PRIMARY KEY,
            posting_id INTEGER NOT NULL REFERENCES postings (id),
            crawl_id INTEGER NOT NULL REFERENCES crawls (id),
            event TEXT NOT NULL CHECK (event IN ('opened', 'closed', 'reopened')),
            at TEXT NOT NULL
        );
        CREATE INDEX posting_events_at ON posting_events (at);
        """
    )
    for table in HISTORY_TABLES:
        _append_only(db, table)


# crawls as m003 rebuilt it: a crawl is complete, suspect (closures held) or failed.
CRAWLS_TABLE = """
CREATE TABLE crawls (
    id INTEGER PRIMARY KEY,
    company TEXT NOT NULL,
    platform TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('complete', 'suspect', 'failed')),
    failure_reason TEXT,
    seen INTEGER NOT NULL DEFAULT 0,
    new INTEGER NOT NULL DEFAULT 0,
    changed INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    unreadable INTEGER NOT NULL DEFAULT 0,
    reopened INTEGER NOT NULL DEFAULT 0,
    closed INTEGER NOT NULL DEFAULT 0,
    with_pay INTEGER NOT NULL DEFAULT 0,
    dropped INTEGER NOT NULL DEFAULT 0,
    code_version TEXT
)
"""

# The views as m002 created them and m003 recreated them after rebuilding crawls. Frozen: m002 and m003
# must create the same views on a fresh archive as they did on the archives they first ran on. The
# views of today's schema are CURRENT_VIEWS_SQL / CURRENT_VIEW_NAMES (m005 on).
VIEW_NAMES = ("version_pay", "version_detail", "current_postings", "pay_changes")
VIEWS_SQL = """
        CREATE VIEW version_pay AS
        SELECT version_id,
               group_concat(
                   printf('%s%s %,d-%,d/%s%s', coalesce(label || ': ', ''), currency,
                          CAST(min AS INTEGER), CAST(max AS INTEGER), period,
                          CASE basis WHEN 'unknown' THEN '' ELSE ' ' || basis END),
                   '; ') AS pay
        FROM (SELECT * FROM pay_ranges ORDER BY version_id, position)
        GROUP BY version_id;

        CREATE VIEW version_detail AS
        SELECT v.id AS version_id, p.company, p.platform, p.ref, v.version, v.title, v.department,
               v.locations, v.role_type, v.ai_related, v.seniority, vp.pay, v.pay_source,
               v.changed_fields, c.started_at AS crawl_started_at, v.crawl_id, v.url
        FROM posting_versions v
        JOIN postings p ON p.id = v.posting_id
        JOIN crawls c ON c.id = v.crawl_id
        LEFT JOIN version_pay vp ON vp.version_id = v.id;

        CREATE VIEW current_postings AS
        SELECT p.id AS posting_id, p.company, p.platform, p.ref, v.title, v.department, v.locations,
               v.role_type, v.ai_related, v.seniority, vp.pay, v.pay_source, p.first_seen_at,
               p.last_seen_at, p.closed_at, p.current_version, v.url
        FROM postings p
        JOIN posting_versions v ON v.posting_id = p.id AND v.version = p.current_version
        LEFT JOIN version_pay vp ON vp.version_id = v.id;

        CREATE VIEW pay_changes AS
        WITH ordered AS (
            SELECT v.id, v.posting_id, v.version, v.crawl_id,
                   LAG(v.id) OVER (PARTITION BY v.posting_id ORDER BY v.version) AS previous_id
            FROM posting_versions v
        )
        SELECT p.company, p.ref, cur.title, prev_pay.pay AS old_pay, cur_pay.pay AS new_pay,
               c.started_at AS changed_at, o.version, o.posting_id, cur.url
        FROM ordered o
        JOIN version_changes vc ON vc.version_id = o.id AND vc.field = 'pay_ranges'
        JOIN posting_versions cur ON cur.id = o.id
        JOIN postings p ON p.id = o.posting_id
        JOIN crawls c ON c.id = o.crawl_id
        LEFT JOIN version_pay cur_pay ON cur_pay.version_id = o.id
        LEFT JOIN version_pay prev_pay ON prev_pay.version_id = o.previous_id
        WHERE o.previous_id IS NOT NULL;
"""


@migrations()
def m002_views(db: Database) -> None:
    db.executescript(VIEWS_SQL)


@migrations(transactional=False)
def m003_crawl_verdicts(db: Database) -> None:
    """A crawl may be ``suspect`` (its listing was whole, but it would close so many postings that
    closures wait for the next complete crawl to confirm them), and counts postings it saw listed but
    could not read (``unreadable``). SQLite cannot change a CHECK constraint in place, so ``crawls``
    is rebuilt by SQLite's documented procedure (new table, every row copied as it was, old dropped,
    new renamed), with its index, append-only triggers and the views that read it recreated."""
    columns = ("id, company, platform, started_at, finished_at, status, failure_reason, seen, new, changed, "
               "unchanged, reopened, closed, with_pay, dropped, code_version")
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        with db.atomic():
            for view in VIEW_NAMES:
                db.execute(f"DROP VIEW IF EXISTS {view}")
            db.execute(CRAWLS_TABLE.replace("CREATE TABLE crawls", "CREATE TABLE crawls_rebuilt"))
            db.execute(f"INSERT INTO crawls_rebuilt ({columns}) SELECT {columns} FROM crawls")
            db.execute("DROP TABLE crawls")
            db.execute("ALTER TABLE crawls_rebuilt RENAME TO crawls")
            db.execute("CREATE INDEX crawls_company ON crawls (company, started_at)")
            _append_only(db, "crawls")
            for statement in _statements(VIEWS_SQL):  # executescript would commit the open transaction
                db.execute(statement)
            problems = db.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise RuntimeError(f"rebuilding crawls broke foreign keys: {problems[:5]}")
    finally:
        db.execute("PRAGMA foreign_keys = ON")


@migrations()
def m004_detail_reads(db: Database) -> None:
    """Details are read incrementally, within a budget a night (issue 10), so the archive records:
    per posting, when its detail was last read (``detail_read_at``) and the fingerprint of its list
    entry then (``list_hash``, to tell a posting whose list fields changed since); per version, whether
    it holds only what the list gave because its detail was deferred (``list_only``) and when the
    posting was read before (``changed_after``: the change happened since then); per crawl, the
    listed postings whose detail was deferred, the details read, the list-only postings given their
    first detail, the oldest detail read among the postings listed, and the requests sent."""
    db.execute("ALTER TABLE postings ADD COLUMN detail_read_at TEXT")
    db.execute("ALTER TABLE postings ADD COLUMN list_hash TEXT")
    # Until now every crawl read every posting's detail: the last time one was seen is when it was read.
    db.execute("UPDATE postings SET detail_read_at = last_seen_at")
    db.execute("ALTER TABLE posting_versions ADD COLUMN list_only INTEGER NOT NULL DEFAULT 0")
    # A change seen in a detail read after some nights happened after the read before it: the window.
    db.execute("ALTER TABLE posting_versions ADD COLUMN changed_after TEXT")
    for column in ("deferred INTEGER NOT NULL DEFAULT 0", "detail_reads INTEGER NOT NULL DEFAULT 0",
                   "completed INTEGER NOT NULL DEFAULT 0", "oldest_detail_at TEXT", "requests INTEGER"):
        db.execute(f"ALTER TABLE crawls ADD COLUMN {column}")


def _pay_summary(version_id: str) -> str:
    """The readable pay of version ``version_id`` ("USD 180,000-220,000/year base; ..."), as a scalar
    subquery: evaluated only for the rows a page shows, through pay_ranges' (version_id, position)
    index. (The m002 view ordered every pay_ranges row before grouping, so one lookup scanned them all.)"""
    return f"""(SELECT group_concat(piece, '; ') FROM (
                   SELECT printf('%s%s %,d-%,d/%s%s', coalesce(r.label || ': ', ''), r.currency,
                                 CAST(r.min AS INTEGER), CAST(r.max AS INTEGER), r.period,
                                 CASE r.basis WHEN 'unknown' THEN '' ELSE ' ' || r.basis END) AS piece
                   FROM pay_ranges r WHERE r.version_id = {version_id} ORDER BY r.position))"""


def _first_range(column: str, version_id: str) -> str:
    return (f"(SELECT r.{column} FROM pay_ranges r WHERE r.version_id = {version_id} "
            "ORDER BY r.position LIMIT 1)")


def _range_change(kind_new: str, kind_old: str) -> str:
    return f"""CASE
               WHEN {kind_old}.id IS NULL THEN 'added'
               WHEN {kind_new}.id IS NULL THEN 'removed'
               WHEN {kind_new}.min = {kind_old}.min AND {kind_new}.max = {kind_old}.max THEN 'changed'
               WHEN {kind_new}.min >= {kind_old}.min AND {kind_new}.max >= {kind_old}.max THEN 'raised'
               WHEN {kind_new}.min <= {kind_old}.min AND {kind_new}.max <= {kind_old}.max THEN 'cut'
               WHEN {kind_new}.min < {kind_old}.min THEN 'widened'
               ELSE 'narrowed'
           END"""


_RANGE_CHANGE_COLUMNS = """p.company, p.ref, cur.title, cur.role_type, cur.ai_related, cur.seniority,
           {change} AS change,
           coalesce(n.label, o.label) AS label, coalesce(n.currency, o.currency) AS currency,
           coalesce(n.period, o.period) AS period, coalesce(n.basis, o.basis) AS basis,
           o.min AS old_min, o.max AS old_max, n.min AS new_min, n.max AS new_max,
           round(100.0 * (n.min - o.min) / nullif(o.min, 0), 1) AS min_change_pct,
           round(100.0 * (n.max - o.max) / nullif(o.max, 0), 1) AS max_change_pct,
           o.annual_min AS old_annual_min, o.annual_max AS old_annual_max,
           n.annual_min AS new_annual_min, n.annual_max AS new_annual_max,
           cur.observed_at AS changed_at, prev.observed_at AS previous_observed_at, cur.changed_after,
           cur.version, cur.id AS version_id, p.id AS posting_id, cur.url"""

# Driven by the versions after a first one (a partial index holds them; one crawl's, through
# posting_versions_crawl): starting from version_changes would visit every pay change ever recorded.
# CROSS JOIN keeps that order whether or not the archive has been ANALYZEd.
_PAY_CHANGED_VERSIONS = """posting_versions cur
      CROSS JOIN version_changes vc ON vc.version_id = cur.id AND vc.field = 'pay_ranges'
      JOIN posting_versions prev ON prev.posting_id = cur.posting_id AND prev.version = cur.version - 1
      JOIN postings p ON p.id = cur.posting_id"""

RANGE_CHANGE_ROW_COLUMNS = (
    "company", "ref", "title", "role_type", "ai_related", "seniority", "change", "label", "currency", "period",
    "basis", "old_min", "old_max", "new_min", "new_max", "min_change_pct", "max_change_pct", "old_annual_min",
    "old_annual_max", "new_annual_min", "new_annual_max", "changed_at", "previous_observed_at", "changed_after",
    "version", "version_id", "posting_id", "url")


def _range_changes_select(versions: str) -> str:
    """Each change of a range between a version (``versions``: a condition on ``cur``) and the one
    before it: ranges matched by position, label, currency and period; a completion (a late first
    detail, no version_changes row) is never one. Computed once, when the version is written."""
    return f"""
        SELECT {_RANGE_CHANGE_COLUMNS.format(change=_range_change("n", "o"))}
        FROM {_PAY_CHANGED_VERSIONS}
        JOIN pay_ranges n ON n.version_id = cur.id
        LEFT JOIN pay_ranges o ON o.version_id = prev.id AND o.position = n.position AND o.label IS n.label
                              AND o.currency = n.currency AND o.period = n.period
        WHERE cur.version > 1 AND {versions}
          AND (o.id IS NULL OR o.min != n.min OR o.max != n.max OR o.basis != n.basis)
        UNION ALL
        SELECT {_RANGE_CHANGE_COLUMNS.format(change="'removed'")}
        FROM {_PAY_CHANGED_VERSIONS}
        JOIN pay_ranges o ON o.version_id = prev.id
        CROSS JOIN (SELECT NULL AS id, NULL AS min, NULL AS max, NULL AS label, NULL AS currency, NULL AS period,
                           NULL AS basis, NULL AS annual_min, NULL AS annual_max) n  -- no new range
        WHERE cur.version > 1 AND {versions} AND NOT EXISTS (
            SELECT 1 FROM pay_ranges m WHERE m.version_id = cur.id AND m.position = o.position AND m.label IS o.label
                                         AND m.currency = o.currency AND m.period = o.period)"""


_INSERT_RANGE_CHANGES = f"INSERT INTO range_change_rows ({', '.join(RANGE_CHANGE_ROW_COLUMNS)})"
# What archive.store runs after writing a crawl's versions (the crawl's id, twice: one a branch).
RANGE_CHANGES_OF_CRAWL = _INSERT_RANGE_CHANGES + _range_changes_select("cur.crawl_id = ?")

# Today's views: these statements, then pay_history as m008 defined it (_PAY_HISTORY_WITH_SUSPECT: m006's,
# _PAY_HISTORY_OVER_ROWS, with period_suspect), then m007's views (M007_VIEWS_SQL: current_open_pay, and
# three of these replaced). A
# migration that rebuilds a table they read recreates every one (drop CURRENT_VIEW_NAMES, rebuild, run
# both), as m003 did with the views of its time. Pay
# summaries and previous versions are looked up per row through indexes, never by a window or an
# ordered subquery over a whole table, so a page, a facet or a lookup costs what it shows. A join only
# to show something (a company's sector, a posting's status) is a lookup by key in the select list
# instead: SQLite computes such a column only for the rows that show it, but keeps a LEFT JOIN for
# every row of a count(*) or a facet (it leaves out an unused join only when a query does not
# aggregate), and Datasette counts every page. On 30 nights x 200,000 postings that took pay_history's
# count from 197 to 1 ms and its company facet from 178 to 32 ms. Joins that bring a row's own columns
# are written LEFT JOIN on a unique key, which SQLite reorders as an inner join when a filter rejects
# NULLs (?company=...).
_SECTOR_OF = "(SELECT co.sector FROM companies co WHERE co.slug = {}.company) AS sector"
CURRENT_VIEW_NAMES = ("version_pay", "version_detail", "current_postings", "pay_changes", "version_search_text",
                      "open_postings", "pay_history", "range_changes", "posting_lifetimes")
CURRENT_VIEWS_SQL = f"""
        CREATE VIEW version_pay AS
        SELECT v.id AS version_id, {_pay_summary("v.id")} AS pay
        FROM posting_versions v
        WHERE EXISTS (SELECT 1 FROM pay_ranges r WHERE r.version_id = v.id);

        CREATE VIEW version_detail AS
        SELECT v.id AS version_id, p.company, p.platform, p.ref, v.version, v.title, v.department,
               v.locations, v.role_type, v.ai_related, v.seniority, {_pay_summary("v.id")} AS pay, v.pay_source,
               v.changed_fields, c.started_at AS crawl_started_at, v.crawl_id, v.url
        FROM posting_versions v
        JOIN postings p ON p.id = v.posting_id
        JOIN crawls c ON c.id = v.crawl_id;

        CREATE VIEW current_postings AS
        SELECT p.id AS posting_id, p.company, p.platform, p.ref, v.title, v.department, v.locations,
               v.role_type, v.ai_related, v.seniority, {_pay_summary("v.id")} AS pay, v.pay_source, p.first_seen_at,
               p.last_seen_at, p.closed_at, p.current_version, v.url
        FROM postings p
        JOIN posting_versions v ON v.posting_id = p.id AND v.version = p.current_version;

        CREATE VIEW pay_changes AS
        SELECT p.company, p.ref, cur.title, {_pay_summary("prev.id")} AS old_pay, {_pay_summary("cur.id")} AS new_pay,
               c.started_at AS changed_at, cur.version, cur.posting_id, cur.url
        FROM version_changes vc
        JOIN posting_versions cur ON cur.id = vc.version_id
        JOIN posting_versions prev ON prev.posting_id = cur.posting_id AND prev.version = cur.version - 1
        JOIN postings p ON p.id = cur.posting_id
        JOIN crawls c ON c.id = cur.crawl_id
        WHERE vc.field = 'pay_ranges';

        CREATE VIEW version_search_text AS
        SELECT v.id AS version_id, v.title, d.text AS description
        FROM posting_versions v LEFT JOIN descriptions d ON d.hash = v.description_hash;

        CREATE VIEW open_postings AS
        SELECT p.company, {_SECTOR_OF.format("p")}, p.ref, v.title, v.department, v.locations, v.role_type, v.ai_related,
               v.seniority, {_pay_summary("v.id")} AS pay,
               EXISTS (SELECT 1 FROM pay_ranges r WHERE r.version_id = v.id) AS has_pay,
               {_first_range("currency", "v.id")} AS currency, {_first_range("basis", "v.id")} AS basis,
               {_first_range("annual_min", "v.id")} AS annual_min, {_first_range("annual_max", "v.id")} AS annual_max,
               v.list_only, p.first_seen_at, p.last_seen_at, p.current_version AS version, v.id AS version_id,
               p.id AS posting_id, p.platform, v.url
        FROM postings p
        LEFT JOIN posting_versions v ON v.posting_id = p.id AND v.version = p.current_version
        WHERE p.closed_at IS NULL;

        CREATE VIEW range_changes AS
        SELECT r.company, {_SECTOR_OF.format("r")}, {', '.join('r.' + column for column in RANGE_CHANGE_ROW_COLUMNS[1:])}
        FROM range_change_rows r;

        CREATE VIEW posting_lifetimes AS
        SELECT p.company, {_SECTOR_OF.format("p")}, p.ref, v.title, v.role_type, v.ai_related, v.seniority,
               CASE WHEN p.closed_at IS NULL THEN 'open' ELSE 'closed' END AS status,
               p.first_seen_at, p.closed_at, p.last_seen_at,
               round(julianday(coalesce(p.closed_at, p.last_seen_at)) - julianday(p.first_seen_at), 1) AS days_open,
               (SELECT count(*) FROM posting_events e WHERE e.posting_id = p.id AND e.event = 'reopened') AS reopenings,
               p.id AS posting_id, p.platform, v.url
        FROM postings p
        LEFT JOIN posting_versions v ON v.posting_id = p.id AND v.version = p.current_version;
"""


@migrations()
def m005_research(db: Database) -> None:
    """The archive as a research instrument (issue 11): companies with their sector, views with pay as
    numbers (pay_history, range_changes, open_postings, posting_lifetimes), full-text search over
    titles and descriptions, pay summaries looked up through an index, and indexes for what pages sort
    and filter on."""
    # Reference data, not history: kept in step with the registry at each crawl (archive.companies).
    db.execute("""
        CREATE TABLE companies (
            slug TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            sector TEXT NOT NULL,
            platform TEXT NOT NULL,
            careers_url TEXT
        )""")
    # Range changes are history: computed once as each version is written (archive.store), kept
    # append-only, so a page or a facet reads rows instead of comparing every pair of versions.
    db.execute(f"""
        CREATE TABLE range_change_rows (
            {', '.join(RANGE_CHANGE_ROW_COLUMNS)},
            FOREIGN KEY (version_id) REFERENCES posting_versions (id)
        )""")
    _append_only(db, "range_change_rows")
    db.execute("CREATE INDEX pay_ranges_version_position ON pay_ranges (version_id, position)")
    db.execute("DROP INDEX pay_ranges_version")  # the new index starts with version_id: this one is redundant
    for index in ("crawls_started_at ON crawls (started_at)",
                  "posting_versions_observed_at ON posting_versions (observed_at)",
                  "posting_events_posting ON posting_events (posting_id, at)",
                  "postings_first_seen_at ON postings (first_seen_at)",
                  "posting_versions_later ON posting_versions (version) WHERE version > 1"):
        db.execute(f"CREATE INDEX {index}")
    for view in VIEW_NAMES:
        db.execute(f"DROP VIEW {view}")
    for statement in _statements(CURRENT_VIEWS_SQL):
        db.execute(statement)
    db.execute(_PAY_HISTORY_OVER_JOINS)
    # One index over each version's title and its description (kept once in descriptions, so an
    # external-content FTS5 table reads both through the version_search_text view; the index stores
    # no copy of the text). Versions are append-only, so keeping it in step needs an insert trigger
    # only: the history tables' triggers refuse UPDATE and DELETE before any FTS trigger could run.
    db.execute("""
        CREATE VIRTUAL TABLE posting_search USING fts5(
            title, description, content='version_search_text', content_rowid='version_id',
            tokenize='porter unicode61 remove_diacritics 2')""")
    db.execute("""
        CREATE TRIGGER posting_search_insert AFTER INSERT ON posting_versions BEGIN
            INSERT INTO posting_search (rowid, title, description)
            VALUES (new.id, new.title, (SELECT text FROM descriptions WHERE hash = new.description_hash));
        END""")
    db.execute("INSERT INTO posting_search (posting_search) VALUES ('rebuild')")
    db.execute(_INSERT_RANGE_CHANGES + _range_changes_select("1"))
    for index in ("range_change_rows_changed_at ON range_change_rows (changed_at)",
                  "range_change_rows_company ON range_change_rows (company, changed_at)",
                  "range_change_rows_version ON range_change_rows (version_id)"):
        db.execute(f"CREATE INDEX {index}")


# m005's pay_history: every range of every version, joined from pay_ranges, posting_versions and postings
# at each read (a company facet at 30 nights x 20,000 postings took 242 ms, 1,086 ms at 10x); m006
# replaces it with the same columns over pay_history_rows.
_PAY_HISTORY_OVER_JOINS = """
        CREATE VIEW pay_history AS
        SELECT p.company, co.sector, p.ref, v.title, v.role_type, v.ai_related, v.seniority,
               r.min, r.max, r.currency, r.period, r.basis, r.label, r.annual_min, r.annual_max,
               r.annualized, r.period_inferred, r.source, r.position, v.list_only,
               v.version > 1 AND EXISTS (SELECT 1 FROM version_changes vc
                                         WHERE vc.version_id = v.id AND vc.field = 'pay_ranges') AS pay_changed,
               v.observed_at, v.version, v.id AS version_id, p.id AS posting_id,
               CASE WHEN p.closed_at IS NULL THEN 'open' ELSE 'closed' END AS posting_status, p.platform, v.url
        FROM pay_ranges r
        LEFT JOIN posting_versions v ON v.id = r.version_id
        LEFT JOIN postings p ON p.id = v.posting_id
        LEFT JOIN companies co ON co.slug = p.company;

"""

# One row per range per version, written with the version (archive.store._write_versions): what never
# changes about a range once archived. What can (the posting's open or closed status, the company's
# sector) is joined in by the pay_history view, by primary key.
PAY_HISTORY_ROW_COLUMNS = ("version_id", "position", "posting_id", "platform", "company", "ref", "title", "role_type",
                           "ai_related", "seniority", "min", "max", "currency", "period", "basis", "label",
                           "annual_min", "annual_max", "annualized", "period_inferred", "source", "list_only",
                           "pay_changed", "observed_at", "version", "url")
_PAY_HISTORY_ROWS_FROM_JOINS = """
        SELECT r.version_id, r.position, p.id, p.platform, p.company, p.ref, v.title, v.role_type, v.ai_related,
               v.seniority, r.min, r.max, r.currency, r.period, r.basis, r.label, r.annual_min, r.annual_max,
               r.annualized, r.period_inferred, r.source, v.list_only,
               v.version > 1 AND EXISTS (SELECT 1 FROM version_changes vc
                                         WHERE vc.version_id = v.id AND vc.field = 'pay_ranges'),
               v.observed_at, v.version, v.url
        FROM pay_ranges r
        JOIN posting_versions v ON v.id = r.version_id
        JOIN postings p ON p.id = v.posting_id
        ORDER BY r.version_id, r.position"""
_PAY_HISTORY_OVER_ROWS = f"""
        CREATE VIEW pay_history AS
        SELECT h.company, {_SECTOR_OF.format("h")}, h.ref, h.title, h.role_type, h.ai_related, h.seniority,
               h.min, h.max, h.currency, h.period, h.basis, h.label, h.annual_min, h.annual_max,
               h.annualized, h.period_inferred, h.source, h.position, h.list_only, h.pay_changed,
               h.observed_at, h.version, h.version_id, h.posting_id,
               (SELECT CASE WHEN p.closed_at IS NULL THEN 'open' ELSE 'closed' END FROM postings p
                WHERE p.id = h.posting_id) AS posting_status, h.platform, h.url
        FROM pay_history_rows h"""
# m007's posting views: every column of the posting's current version is a lookup by its id
# (postings.current_version_id) in the select list, and the role type and AI flag the facets count
# are the posting's own (postings.role_type, ai_related), so a count or a facet of these views reads
# postings alone. Through the LEFT JOIN they had, on 30 nights x 200,000 postings open_postings' count
# took 83 ms and its role_type facet 240 ms, and three facets of a page timed out (Datasette's 200 ms).
def _current(column: str) -> str:
    return f"(SELECT v.{column} FROM posting_versions v WHERE v.id = p.current_version_id)"


M007_VIEW_NAMES = ("open_postings", "current_postings", "posting_lifetimes")
M007_VIEWS_SQL = f"""
        CREATE VIEW current_open_pay AS
        SELECT s.* FROM open_pay_summaries s
        WHERE s.crawl_id = (SELECT max(latest.crawl_id) FROM open_pay_summaries latest WHERE latest.company = s.company)
          AND s.currency IS NOT NULL;

        CREATE VIEW open_postings AS
        SELECT p.company, {_SECTOR_OF.format("p")}, p.ref, {_current("title")} AS title,
               {_current("department")} AS department, {_current("locations")} AS locations, p.role_type,
               p.ai_related, {_current("seniority")} AS seniority, {_pay_summary("p.current_version_id")} AS pay,
               EXISTS (SELECT 1 FROM pay_ranges r WHERE r.version_id = p.current_version_id) AS has_pay,
               {_first_range("currency", "p.current_version_id")} AS currency,
               {_first_range("basis", "p.current_version_id")} AS basis,
               {_first_range("annual_min", "p.current_version_id")} AS annual_min,
               {_first_range("annual_max", "p.current_version_id")} AS annual_max,
               {_current("list_only")} AS list_only, p.first_seen_at, p.last_seen_at, p.current_version AS version,
               p.current_version_id AS version_id, p.id AS posting_id, p.platform, {_current("url")} AS url
        FROM postings p
        WHERE p.closed_at IS NULL;

        CREATE VIEW current_postings AS
        SELECT p.id AS posting_id, p.company, p.platform, p.ref, {_current("title")} AS title,
               {_current("department")} AS department, {_current("locations")} AS locations, p.role_type,
               p.ai_related, {_current("seniority")} AS seniority, {_pay_summary("p.current_version_id")} AS pay,
               {_current("pay_source")} AS pay_source, p.first_seen_at, p.last_seen_at, p.closed_at,
               p.current_version, {_current("url")} AS url
        FROM postings p;

        CREATE VIEW posting_lifetimes AS
        SELECT p.company, {_SECTOR_OF.format("p")}, p.ref, {_current("title")} AS title, p.role_type, p.ai_related,
               {_current("seniority")} AS seniority,
               CASE WHEN p.closed_at IS NULL THEN 'open' ELSE 'closed' END AS status,
               p.first_seen_at, p.closed_at, p.last_seen_at,
               round(julianday(coalesce(p.closed_at, p.last_seen_at)) - julianday(p.first_seen_at), 1) AS days_open,
               (SELECT count(*) FROM posting_events e WHERE e.posting_id = p.id AND e.event = 'reopened') AS reopenings,
               p.id AS posting_id, p.platform, {_current("url")} AS url
        FROM postings p;
"""


@migrations()
def m006_written_with_versions(db: Database) -> None:
    """What research reads most is written with each batch of versions by the archive writer
    (archive.store._write_versions), in one ``executemany`` each:

    - the full-text index, no longer by a trigger per version row (the trigger made a first night's
      archive write 1.7x as slow: 0.45 against 0.27 ms a posting, same index);
    - ``pay_history_rows``, one row per range per version, which the pay_history view now reads
      instead of joining three tables per row; filled here from the archive's ranges.

    Today's views are recreated: those that show a company's sector (and pay_history the posting's
    status) look it up by key rather than join it, so a count or a facet reads fewer tables."""
    db.execute("DROP TRIGGER IF EXISTS posting_search_insert")
    db.execute("""
        CREATE TABLE pay_history_rows (
            version_id INTEGER NOT NULL REFERENCES posting_versions (id),
            position INTEGER NOT NULL,
            posting_id INTEGER NOT NULL REFERENCES postings (id),
            platform TEXT NOT NULL,
            company TEXT NOT NULL,
            ref TEXT NOT NULL,
            title TEXT,
            role_type TEXT,
            ai_related INTEGER,
            seniority TEXT,
            min REAL,
            max REAL,
            currency TEXT,
            period TEXT,
            basis TEXT,
            label TEXT,
            annual_min REAL,
            annual_max REAL,
            annualized INTEGER,
            period_inferred INTEGER,
            source TEXT,
            list_only INTEGER,
            pay_changed INTEGER,
            observed_at TEXT,
            version INTEGER,
            url TEXT,
            PRIMARY KEY (version_id, position)
        )""")
    db.execute(f"INSERT INTO pay_history_rows ({', '.join(PAY_HISTORY_ROW_COLUMNS)}) {_PAY_HISTORY_ROWS_FROM_JOINS}")
    for index in ("pay_history_rows_company ON pay_history_rows (company, observed_at)",
                  "pay_history_rows_observed_at ON pay_history_rows (observed_at)",
                  "pay_history_rows_role_type ON pay_history_rows (role_type, company)",
                  "pay_history_rows_posting ON pay_history_rows (posting_id)"):
        db.execute(f"CREATE INDEX {index}")
    _append_only(db, "pay_history_rows")
    for view in CURRENT_VIEW_NAMES:
        db.execute(f"DROP VIEW IF EXISTS {view}")
    for statement in _statements(CURRENT_VIEWS_SQL):
        db.execute(statement)
    db.execute(_PAY_HISTORY_OVER_ROWS)


@migrations()
def m007_company_summaries(db: Database) -> None:
    """Per-company summaries the archive writer appends with each crawl (archive.summaries): each
    company's open ranges by currency, ML/AI or other and basis, with their medians and sorted annual
    figures, and its counts of new postings, full reads and published pay by month of first sight.
    The ai_vs_other_pay and pay_transparency_by_month queries read them instead of every open range
    and every posting's first read. Filled here from the archive as it stands.

    Postings gain their current version's id, role type and AI flag (kept by the writer with
    ``current_version``), and open_postings, current_postings and posting_lifetimes read them
    (M007_VIEWS_SQL), so their counts and facets read postings alone."""
    for statement in CREATE_SUMMARY_TABLES:
        db.execute(statement)
    fill_summaries(db)
    # The posting's current version by id, and what the facets of the posting views count.
    # No REFERENCES: a new posting is written before its first version, so the key would have to be a
    # deferred one, and SQLite checks a deferred key by looking for its child rows on every version
    # insert; without an index on the column that scanned postings each time (a first night of 20,000
    # postings took 24 s instead of 4).
    for column in ("current_version_id INTEGER", "role_type TEXT", "ai_related INTEGER"):
        db.execute(f"ALTER TABLE postings ADD COLUMN {column}")
    db.execute("""UPDATE postings SET (current_version_id, role_type, ai_related) =
                  (SELECT v.id, v.role_type, v.ai_related FROM posting_versions v
                   WHERE v.posting_id = postings.id AND v.version = postings.current_version)""")
    for view in M007_VIEW_NAMES:
        db.execute(f"DROP VIEW {view}")
    for statement in _statements(M007_VIEWS_SQL):
        db.execute(statement)
    _append_only(db, "open_pay_summaries")
    _append_only(db, "transparency_counts")


# m008's pay_history: m006's columns, and whether each range's period is suspect.
_PAY_HISTORY_WITH_SUSPECT = _PAY_HISTORY_OVER_ROWS.replace(
    "h.platform, h.url\n        FROM pay_history_rows h", "h.platform, h.url, h.period_suspect\n        FROM pay_history_rows h")


@migrations()
def m008_range_positions(db: Database) -> None:
    """Each range keeps where its ``raw`` text sits in the field it was parsed from (``raw_start``,
    ``raw_end``: offsets into the version's ``pay_source`` text), and whether its period is
    implausible for its size (``period_suspect``: kept as published, flagged so research can leave
    it out; pay_history shows it, the open-pay summaries leave such ranges out).

    Ranges archived before m008 are not rewritten (history is append-only): their columns are NULL,
    "not assessed"; ``paywatch rebuild`` from the raw captures assesses them all."""
    for column in ("raw_start INTEGER", "raw_end INTEGER", "period_suspect INTEGER"):
        db.execute(f"ALTER TABLE pay_ranges ADD COLUMN {column}")
    db.execute("ALTER TABLE pay_history_rows ADD COLUMN period_suspect INTEGER")
    db.execute("DROP VIEW pay_history")
    db.execute(_PAY_HISTORY_WITH_SUSPECT)


@migrations()
def m009_replayed_crawls(db: Database) -> None:
    """A crawl of saved responses dated to the night they stand for (``PAYWATCH_CRAWL_TIME``, the
    demo's nights) says so: ``replayed_at`` is when it really ran, while ``started_at`` and every time
    it wrote are the night's. NULL for a crawl of the live sites at its own time, as every crawl
    archived before m009 was."""
    db.execute("ALTER TABLE crawls ADD COLUMN replayed_at TEXT")


PLANNED_COUNTS = ("planned_new", "planned_changed", "planned_completed", "planned_reopened", "planned_closed")


@migrations()
def m010_planned_counts(db: Database) -> None:
    """A crawl row's new, changed, completed, reopened and closed count what it wrote; what its
    listing called for is kept beside them as plans (``planned_new`` ...), so a failed crawl that
    read 200 edits says "changed 0, planned 200" rather than the night report showing changes that
    were never made. ``planned_closed`` is NULL where no closure was weighed (a failed crawl).

    Crawls archived before m010 are not rewritten (history is append-only): their plans are NULL,
    and the counts they recorded were plans where they failed or held openings (the report reads
    what they wrote from their versions); ``paywatch rebuild`` records both."""
    for column in PLANNED_COUNTS:
        db.execute(f"ALTER TABLE crawls ADD COLUMN {column} INTEGER")


def _statements(script: str) -> list[str]:
    """The SQL statements of ``script`` (a ";" inside a string literal does not end one)."""
    statements, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending.strip())
            pending = ""
    return statements


def _append_only(db: Database, table: str) -> None:
    for action in ("UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only history'); END"
        )


# How long a write waits for another connection's write to finish before it gives up.
BUSY_TIMEOUT_MS = 120_000


def open_archive(path: str) -> Database:
    """The archive at ``path``, created or migrated, in WAL mode so Datasette can read while we write."""
    db = Database(path)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if path != ":memory:":
        db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    migrations.apply(db)
    return db
