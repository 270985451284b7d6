"""The per-company summaries the archive writer appends (archive.summaries), checked against the
archive itself: after every night of a random history (new, changed, closed, reopened, list-only and
completed postings, a failed crawl, ranges in two currencies, base and total,
ML/AI and not), the ai_vs_other_pay and pay_transparency_by_month queries, run as Datasette runs
them, give what a direct computation over the open postings and every posting's versions gives."""

from __future__ import annotations

import random
import sqlite3
import statistics
from importlib import resources

import datasette_statistics
import pytest
import yaml
from sqlite_utils import Database

from archive.companies import sync_companies
from archive.schema import migrations, open_archive
from archive.store import ingest_crawl

QUERIES = yaml.safe_load(resources.files("archive").joinpath("metadata.yml").read_text())["databases"]["archive"][
    "queries"]
COMPANIES = [{"slug": "studio-a", "name": "Studio A", "sector": "studio", "platform": "greenhouse"},
             {"slug": "studio-b", "name": "Studio B", "sector": "studio", "platform": "greenhouse"},
             {"slug": "tech-c", "name": "Tech C", "sector": "tech", "platform": "greenhouse"}]


def canned(db: Database, name: str, **params) -> list[dict]:
    query = QUERIES[name]
    arguments = {param: params.get(param, "") for param in query.get("params", [])}
    datasette_statistics.prepare_connection(db.conn)  # statistics_median, as Datasette has it
    cursor = db.conn.execute(query["sql"], arguments)
    columns = [column[0] for column in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def random_posting(rng: random.Random, company: str, ref: int, night: int) -> dict:
    ranges = []
    for _ in range(rng.choice((0, 1, 1, 1, 2))):
        low = rng.randrange(50, 400) * 1000 + night * rng.choice((0, 0, 1000))
        high = low + rng.randrange(0, 200) * 1000
        currency = rng.choice(("USD", "USD", "USD", "CAD"))
        ranges.append({"min": low, "max": high, "currency": currency, "period": "year",
                       "basis": rng.choice(("base", "base", "total")), "label": None, "raw": f"{low}-{high}",
                       "source": "text", "period_inferred": False, "annual_min": low, "annual_max": high,
                       "annualized": False})
    ai = rng.random() < 0.3
    return {"platform": "greenhouse", "company": company, "ref": str(ref),
            "title": "Machine Learning Engineer" if ai else "Producer", "url": f"https://example.test/{company}/{ref}",
            "department": "x", "locations": ["Los Angeles, CA"], "description": f"Posting {ref} of night {night}.",
            "pay_ranges": ranges, "role_type": rng.choice(("engineering", "research", "production")),
            "ai_related": ai, "seniority": "mid"}


def random_history(db: Database, seed: int, nights: int, after_each=lambda night: None) -> None:
    """``nights`` nights of the three companies, each listing most of what it had plus a few new ones."""
    rng = random.Random(seed)
    listed = {company["slug"]: {} for company in COMPANIES}
    next_ref = 0
    for night in range(nights):
        started_at = f"2026-{1 + night // 3:02d}-{1 + 9 * (night % 3):02d}T03:00:00+00:00"  # three nights a month
        for slug, postings in listed.items():
            for ref in list(postings):
                roll = rng.random()
                if roll < 0.1:
                    del postings[ref]  # gone from the listing: closed by a complete crawl
                elif roll < 0.25:
                    postings[ref] = random_posting(rng, slug, ref, night)  # changed
                elif postings[ref].get("list_only") and roll < 0.6:
                    postings[ref] = random_posting(rng, slug, ref, night)  # its detail read at last
            for _ in range(rng.randrange(0, 6)):
                postings[next_ref] = random_posting(rng, slug, next_ref, night)
                if rng.random() < 0.2:
                    postings[next_ref] = {**postings[next_ref], "description": None, "list_only": True,
                                          "pay_ranges": []}
                next_ref += 1
            if night > 0 and rng.random() < 0.1:
                reopened = rng.randrange(next_ref)  # listed again after a closure, or a new one
                postings[reopened] = random_posting(rng, slug, reopened, night)
            items = list(postings.values())
            ingest_crawl(db, company=slug, platform="greenhouse", items=items, started_at=started_at,
                         status="failed" if rng.random() < 0.08 else "complete",
                         deferred_refs=[item["ref"] for item in items if item.get("list_only")])
        after_each(night)


def true_medians(db: Database, currency: str) -> dict[tuple, tuple]:
    """(sector, company, roles, basis) -> (ranges, median min, median max), straight from the open
    postings' current ranges, with each sector's "all <sector>" rows."""
    groups: dict[tuple, list[tuple]] = {}
    for sector, company, ai, basis, low, high in db.execute(
            """SELECT co.sector, p.company, v.ai_related, r.basis, r.annual_min, r.annual_max
               FROM postings p JOIN posting_versions v ON v.posting_id = p.id AND v.version = p.current_version
               JOIN pay_ranges r ON r.version_id = v.id JOIN companies co ON co.slug = p.company
               WHERE p.closed_at IS NULL AND r.currency = ?""", [currency]):
        roles = "ML/AI" if ai else "other"
        for key in ((sector, company, roles, basis), (sector, f"all {sector}", roles, basis)):
            groups.setdefault(key, []).append((low, high))

    def median(values):
        values = [value for value in values if value is not None]
        return int(statistics.median(values)) if values else None

    return {key: (len(figures), median(low for low, _ in figures), median(high for _, high in figures))
            for key, figures in groups.items()}


def true_transparency(db: Database) -> dict[tuple, tuple]:
    """(month, company) -> (opened, read in full, whose first full read has a range)."""
    counts: dict[tuple, list[int]] = {}
    for posting_id, company, first_seen_at in db.execute("SELECT id, company, first_seen_at FROM postings"):
        full_reads = db.execute("SELECT id FROM posting_versions WHERE posting_id = ? AND list_only = 0 ORDER BY version",
                                [posting_id]).fetchall()
        with_pay = bool(full_reads) and db.execute("SELECT count(*) FROM pay_ranges WHERE version_id = ?",
                                                   [full_reads[0][0]]).fetchone()[0] > 0
        row = counts.setdefault((first_seen_at[:7], company), [0, 0, 0])
        row[0] += 1
        row[1] += bool(full_reads)
        row[2] += with_pay
    return {key: tuple(value) for key, value in counts.items()}


def assert_postings_keep_their_current_version(db: Database) -> None:
    """postings.current_version_id, role_type and ai_related (m007) are the current version's."""
    assert db.execute(
        """SELECT count(*) FROM postings p JOIN posting_versions v ON v.id = p.current_version_id
           WHERE v.posting_id = p.id AND v.version = p.current_version AND v.role_type IS p.role_type
             AND v.ai_related IS p.ai_related""").fetchone()[0] == db.execute("SELECT count(*) FROM postings").fetchone()[0]


def answered_medians(db: Database, currency: str) -> dict[tuple, tuple]:
    return {(row["sector"], row["company"], row["roles"], row["basis"]):
            (row["ranges"], row["median_annual_min"], row["median_annual_max"])
            for row in canned(db, "ai_vs_other_pay", currency=currency)}


def answered_transparency(db: Database) -> dict[tuple, tuple]:
    return {(row["month"], row["company"]): (row["opened"], row["read_in_full"], row["with_pay"])
            for row in canned(db, "pay_transparency_by_month")}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_summaries_answer_what_the_archive_holds_after_every_night(tmp_path, seed):
    db = open_archive(str(tmp_path / "archive.db"))
    sync_companies(db, COMPANIES)
    checked = []

    def check(night):
        for currency in ("USD", "CAD"):
            truth = true_medians(db, currency)
            if truth:
                assert answered_medians(db, currency) == truth, (night, currency)
        assert answered_transparency(db) == true_transparency(db), night
        assert_postings_keep_their_current_version(db)
        checked.append(night)

    random_history(db, seed, nights=12, after_each=check)
    assert len(checked) == 12
    # The history did what it is meant to: closures, completed list-only postings, ranges of each kind.
    assert db.execute("SELECT count(*) FROM posting_events WHERE event = 'closed'").fetchone()[0] > 0
    assert db.execute("SELECT count(*) FROM posting_versions WHERE version > 1 AND changed_after IS NOT NULL "
                      "AND posting_id IN (SELECT posting_id FROM posting_versions WHERE list_only = 1)").fetchone()[0] > 0
    assert db.execute("SELECT count(DISTINCT currency || basis) FROM pay_ranges").fetchone()[0] == 4
    assert db.execute("SELECT count(*) FROM crawls WHERE status = 'failed'").fetchone()[0] > 0


def test_a_summary_is_appended_only_when_it_changed(memory_db):
    sync_companies(memory_db, COMPANIES[:1])
    items = [random_posting(random.Random(ref), "studio-a", ref, 0) for ref in range(5)]
    for night in ("2026-01-01T03:00:00+00:00", "2026-01-02T03:00:00+00:00"):
        ingest_crawl(memory_db, company="studio-a", platform="greenhouse", items=items, started_at=night)
    summaries = memory_db.execute("SELECT DISTINCT crawl_id FROM open_pay_summaries").fetchall()
    months = memory_db.execute("SELECT DISTINCT crawl_id FROM transparency_counts").fetchall()
    assert summaries == months == [(1,)]  # the same postings the second night: nothing new to say
    for night in ("2026-01-03T03:00:00+00:00", "2026-01-04T03:00:00+00:00"):  # two empty listings: all closed
        ingest_crawl(memory_db, company="studio-a", platform="greenhouse", items=[], started_at=night)
    assert memory_db.execute("SELECT currency, ranges FROM open_pay_summaries WHERE crawl_id = 4").fetchall() == [
        (None, 0)]  # every posting closed: the company's summary says it has no open range
    assert canned(memory_db, "ai_vs_other_pay")[0]["sector"].startswith("no open posting publishes pay in USD")
    for table in ("open_pay_summaries", "transparency_counts"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            memory_db.execute(f"DELETE FROM {table}")


def test_the_m007_migration_fills_summaries_and_current_versions_from_an_archive_written_before_it(tmp_path):
    path = str(tmp_path / "old.db")
    db = Database(path)
    migrations.apply(db, stop_before="m007_company_summaries")
    sync_companies(db, COMPANIES)
    random_history(db, seed=7, nights=6)
    db.close()
    db = open_archive(path)
    assert answered_medians(db, "USD") == true_medians(db, "USD")
    assert answered_transparency(db) == true_transparency(db)
    assert_postings_keep_their_current_version(db)
    random_history(db, seed=8, nights=2)  # and the writer carries on from them
    assert answered_medians(db, "USD") == true_medians(db, "USD")
    assert answered_transparency(db) == true_transparency(db)


CHARTS = yaml.safe_load(resources.files("archive").joinpath("metadata.yml").read_text())["plugins"][
    "datasette-dashboards"]["pay"]["charts"]


def chart(db: Database, name: str, **filters) -> list[tuple]:
    """A dashboard chart's rows as datasette-dashboards runs it: a [[ ... ]] clause only for a filter set."""
    sql = CHARTS[name]["query"]
    for clause in set(part.split("]]")[0] for part in sql.split("[[")[1:]):
        param = clause.split(":")[1].strip()
        sql = sql.replace(f"[[{clause}]]", clause if filters.get(param) else "")
    datasette_statistics.prepare_connection(db.conn)
    return db.conn.execute(sql, filters).fetchall()


def test_the_charts_medians_are_the_true_medians_of_what_they_filter(tmp_path):
    db = open_archive(str(tmp_path / "archive.db"))
    sync_companies(db, COMPANIES)
    random_history(db, seed=5, nights=9)
    open_ranges = db.execute(
        """SELECT p.company, v.ai_related, v.role_type, r.currency, r.basis, r.annual_max
           FROM postings p JOIN posting_versions v ON v.posting_id = p.id AND v.version = p.current_version
           JOIN pay_ranges r ON r.version_id = v.id WHERE p.closed_at IS NULL""").fetchall()
    # The dashboard's default ({"currency": "USD"}) takes every basis, each basis its own bar.
    for filters in ({"currency": "USD"}, {"currency": "USD", "basis": "base"}, {"currency": "CAD", "basis": "total"},
                    {"currency": "USD", "basis": "base", "company": "studio-b", "role_type": "engineering"},
                    {"currency": "USD", "basis": "base", "role_type": "research"}):
        expected: dict[tuple, list] = {}
        for company, ai, role_type, currency, basis, annual_max in open_ranges:
            row = {"company": company, "role_type": role_type, "currency": currency, "basis": basis}
            if all(row[key] == value for key, value in filters.items()):
                expected.setdefault((company, "ML/AI" if ai else "other", basis), []).append(annual_max)
        assert expected and ("basis" in filters or len({basis for *_, basis in expected}) > 1), filters
        assert chart(db, "ai-vs-other", **filters) == [
            (company, roles, basis, f"{roles} ({basis})", len(values), statistics.median(values))
            for (company, roles, basis), values in sorted(expected.items())], filters

    for filters in ({"company": "studio-a", "currency": "USD"}, {"company": "studio-a", "currency": "USD", "basis": "base"}):
        weekly: dict[tuple, list] = {}
        for week, basis, low, high in db.execute(
                "SELECT date(observed_at, 'weekday 0', '-6 days'), basis, annual_min, annual_max FROM pay_history "
                "WHERE company = 'studio-a' AND currency = 'USD' AND basis = coalesce(:basis, basis)",
                {"basis": filters.get("basis")}):
            weekly.setdefault((week, basis), []).append((low, high))
        assert len(weekly) > 3 and ("basis" in filters or len({basis for _, basis in weekly}) > 1), filters
        assert chart(db, "range-over-time", **filters) == [
            (*key, len(figures), statistics.median(low for low, _ in figures),
             statistics.median(high for _, high in figures))
            for key, figures in sorted(weekly.items())], filters
