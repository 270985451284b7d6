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

# The views, kept in one place so a migration that rebuilds a table they read can recreate them.
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
