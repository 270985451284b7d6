"""The night report: per company, what its crawl recorded and what looks wrong against its recent nights.

``night_report(db, crawls)`` reports the given ``crawls`` rows (those of one ``paywatch crawl`` run);
``last_night(db)`` picks the rows of the archive's last night: the latest crawl of each company among
those started within ``NIGHT_HOURS`` of the newest crawl in the archive. Everything is read from the
``crawls`` table; columns an older archive lacks, or that a crawl left NULL, are reported as unknown.

Anomalies compare a crawl with its company's previous nights: the median of its last ``HISTORY``
crawls that did not fail (a failed crawl's counts are not evidence of anything).
"""

from __future__ import annotations

import json
import os
import statistics
import textwrap
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from sqlite_utils import Database

from archive.tables import TERMINAL_WIDTH, fitted_table

NIGHT_HOURS = 24
HISTORY = 7
# Seen falls to this share of the usual count or below, or rises to this multiple or above, and by at
# least SEEN_AT_LEAST postings (a board of 3 that lists 1 is not news).
SEEN_FELL_TO = 0.5
SEEN_ROSE_TO = 2.0
SEEN_AT_LEAST = 5
# The share of seen postings with pay falls by this many points or more (0.2: from 60% to 40%), on a
# listing of at least SEEN_AT_LEAST.
PAY_SHARE_FELL_BY = 0.2
# Failed this many crawls in a row (tonight included); no complete crawl for this many days.
FAILED_IN_A_ROW = 2
INCOMPLETE_DAYS = 2

COUNTS = ("seen", "new", "changed", "unchanged", "unreadable", "reopened", "closed", "with_pay", "dropped")
# What a crawl wrote (these COUNTS, and completed) against what its listing called for (planned_<name>).
WRITTEN = ("new", "changed", "completed", "reopened", "closed")
PROBLEM_STATUSES = ("failed", "suspect")


def last_night(db: Database) -> list[dict[str, Any]]:
    """The latest crawl of each company among those started within NIGHT_HOURS of the newest one."""
    return list(db.query(
        """
        SELECT * FROM crawls WHERE id IN (
            SELECT max(id) FROM crawls
            WHERE julianday(started_at) >= (SELECT max(julianday(started_at)) FROM crawls) - :hours / 24.0
            GROUP BY company
        ) ORDER BY company
        """,
        {"hours": NIGHT_HOURS},
    ))


def night_report(db: Database, crawls: Iterable[Mapping[str, Any]], *, generated_at: str | None = None) -> dict[str, Any]:
    """The report of these crawls (``crawls`` rows; a result without an ``id`` is a crawl that was
    never archived), with each company's anomalies against its previous crawls in ``db``."""
    companies = [_company_entry(db, crawl) for crawl in crawls]
    started = [entry["started_at"] for entry in companies if entry["started_at"]]
    finished = [entry["finished_at"] for entry in companies if entry["finished_at"]]
    totals: dict[str, Any] = {"companies": len(companies)}
    for status in ("complete", "suspect", "failed"):
        totals[status] = sum(entry["status"] == status for entry in companies)
    for name in ("seen", "new", "changed", "closed", "with_pay", "deferred", "requests"):
        known = [entry[name] for entry in companies if entry[name] is not None]
        totals[name] = sum(known) if known else None  # requests stay unknown until crawls record them
    return {
        "generated_at": generated_at or datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "started_at": min(started, default=None),
        "finished_at": max(finished, default=None),
        "ok": all(entry["status"] == "complete" for entry in companies),
        "problems": [entry["company"] for entry in companies if entry["status"] != "complete"],
        "totals": totals,
        "companies": companies,
    }


def _company_entry(db: Database, crawl: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "company": crawl["company"],
        "platform": crawl.get("platform"),
        "status": crawl["status"],
        "failure_reason": crawl.get("failure_reason"),
        "crawl_id": crawl.get("id"),
        "started_at": crawl.get("started_at"),
        "finished_at": crawl.get("finished_at"),
        "duration_s": _seconds_between(crawl.get("started_at"), crawl.get("finished_at")),
        # Set when the crawl replayed saved responses dated to the night they stand for: when it really ran.
        "replayed_at": crawl.get("replayed_at"),
    }
    entry.update({name: crawl.get(name) for name in COUNTS})
    entry.update(_written_and_planned(db, crawl))
    entry["pay_share"] = _share(crawl.get("with_pay"), crawl.get("seen"))
    entry["requests"] = crawl.get("requests")
    entry["detail_reads"] = crawl.get("detail_reads")
    entry["deferred"] = crawl.get("deferred")
    entry["oldest_detail_at"] = crawl.get("oldest_detail_at")
    age = _seconds_between(crawl.get("oldest_detail_at"), crawl.get("started_at"))
    entry["detail_age_days"] = None if age is None else round(age / 86400, 1)
    entry["anomalies"] = anomalies(db, crawl)
    return entry


def _written_and_planned(db: Database, crawl: Mapping[str, Any]) -> dict[str, Any]:
    """new, changed, ... as written, and ``planned_<name>`` as the listing called for them. A crawl
    archived before m010 has no plans recorded: where it failed or was suspect, the counts it recorded
    were its plans (it wrote no version or opening a failed crawl, none a held one), and what it
    wrote is read from its versions (by their crawl, an index); closures and reopenings it recorded
    as written."""
    found = {name: crawl.get(name) for name in WRITTEN}
    found.update({f"planned_{name}": crawl.get(f"planned_{name}") for name in WRITTEN})
    older = crawl.get("id") is not None and crawl.get("planned_new") is None and crawl["status"] != "complete"
    if older and any(found[name] for name in ("new", "changed", "completed")):
        versions = db.execute(
            "SELECT count(*) FILTER (WHERE version = 1), count(*) FILTER (WHERE version > 1 AND changed_fields != '[]'), "
            "count(*) FILTER (WHERE version > 1 AND changed_fields = '[]') FROM posting_versions WHERE crawl_id = ?",
            [crawl["id"]]).fetchone()
        for name, written in zip(("new", "changed", "completed"), versions):
            found[f"planned_{name}"], found[name] = found[name], written
    return found


def _not_written(entry: Mapping[str, Any]) -> str | None:
    """"planned, not written: 19060 new, 200 changed" where a crawl's plans exceed what it wrote."""
    held = [f"{entry[f'planned_{name}'] - (entry[name] or 0)} {name}" for name in WRITTEN
            if entry.get(f"planned_{name}") is not None and entry[f"planned_{name}"] > (entry[name] or 0)]
    return f"planned, not written: {', '.join(held)}" if held else None


def anomalies(db: Database, crawl: Mapping[str, Any]) -> list[dict[str, str]]:
    """What looks wrong in ``crawl`` against its company's previous crawls: each a kind and a sentence."""
    before = crawl.get("id")
    where, params = "company = :company", {"company": crawl["company"], "before": before}
    if before is not None:
        where += " AND id < :before"
    found = []
    if crawl["status"] != "failed":
        usual = list(db.query(
            f"SELECT seen, with_pay FROM crawls WHERE {where} AND status != 'failed' ORDER BY id DESC LIMIT {HISTORY}",
            params,
        ))
        found += _against_usual(crawl, usual)
    recent = [row["status"] for row in db.query(
        f"SELECT status FROM crawls WHERE {where} ORDER BY id DESC LIMIT 1000", params)]
    in_a_row = 1 + next((index for index, status in enumerate(recent) if status != "failed"), len(recent))
    if crawl["status"] == "failed" and in_a_row >= FAILED_IN_A_ROW:
        found.append({"kind": "failed_in_a_row", "message": f"failed {in_a_row} crawls in a row"})
    if crawl["status"] != "complete" and crawl.get("started_at"):
        last_complete = db.execute(
            f"SELECT max(started_at) FROM crawls WHERE {where} AND status = 'complete'", params).fetchone()[0]
        if last_complete is None and recent:
            found.append({"kind": "never_complete",
                          "message": f"no complete crawl in its {len(recent) + 1} crawls"})
        elif last_complete is not None:
            days = (_seconds_between(last_complete, crawl["started_at"]) or 0) / 86400
            if days >= INCOMPLETE_DAYS:
                found.append({"kind": "incomplete_for_days",
                              "message": f"no complete crawl for {days:.0f} days (last {last_complete[:10]})"})
    return found


def _against_usual(crawl: Mapping[str, Any], usual: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    if not usual:
        return []
    found = []
    nights = f"median of its last {len(usual)} crawl{'s' if len(usual) > 1 else ''}"
    seen, usual_seen = crawl.get("seen") or 0, statistics.median(row["seen"] or 0 for row in usual)
    if abs(seen - usual_seen) >= SEEN_AT_LEAST:
        if seen <= usual_seen * SEEN_FELL_TO:
            found.append({"kind": "seen_fell", "message": f"seen {seen}, usually {usual_seen:g} ({nights})"})
        elif seen >= usual_seen * SEEN_ROSE_TO:
            found.append({"kind": "seen_rose", "message": f"seen {seen}, usually {usual_seen:g} ({nights})"})
    share = _share(crawl.get("with_pay"), crawl.get("seen"))
    usual_shares = [value for value in (_share(row["with_pay"], row["seen"]) for row in usual) if value is not None]
    if share is not None and usual_shares and seen >= SEEN_AT_LEAST:
        usual_share = statistics.median(usual_shares)
        if usual_share - share >= PAY_SHARE_FELL_BY:
            found.append({"kind": "pay_share_fell",
                          "message": f"{share:.0%} with pay, usually {usual_share:.0%} ({nights})"})
    return found


def render_table(report: Mapping[str, Any]) -> str:
    """The report as a plain-text table, one company a line, then why a crawl was not complete and
    what looks wrong, a company a line: a sentence never widens the table past a terminal."""
    if not report["companies"]:
        return "no crawl recorded yet"
    rows, notes = [], []
    for entry in report["companies"]:
        said = [entry["failure_reason"]] if entry["failure_reason"] else []
        said += [note for note in (_not_written(entry),) if note]
        said += [anomaly["message"] for anomaly in entry["anomalies"]]
        if said:
            notes.append(f"  {entry['company']}: {'; '.join(said)}")
        rows.append([
            entry["company"], entry["status"],
            *[_blank(entry[name]) for name in ("seen", "new", "changed", "closed", "unreadable")],
            "" if entry["pay_share"] is None else f"{entry['pay_share']:.0%}",
            _blank(entry["requests"]), _duration(entry["duration_s"]),
            "" if entry["detail_age_days"] is None else f"{entry['detail_age_days']:g}d",
            _blank(entry["deferred"]),
        ])
    table = fitted_table(rows, ["company", "status", "seen", "new", "changed", "closed", "unreadable", "with pay",
                                "requests", "took", "oldest detail", "deferred"], wrap=[(10, 6), (7, 4)])
    if notes:
        table += "\nwhy not complete; anomalies:\n" + "\n".join(
            textwrap.fill(note, TERMINAL_WIDTH, subsequent_indent="    ", break_on_hyphens=False) for note in notes)
    replayed = sorted(entry["replayed_at"] for entry in report["companies"] if entry.get("replayed_at"))
    if replayed:
        table += (f"\nreplayed: saved responses, dated {_day_and_time(report['started_at'])} UTC, the night they stand "
                  f"for; crawled {_day_and_time(replayed[0])} UTC")
    return table


def _day_and_time(moment: str | None) -> str:
    return (moment or "")[:16].replace("T", " ")


def _blank(value: Any) -> str:
    return "" if value is None else str(value)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _share(part: int | None, whole: int | None) -> float | None:
    return None if not whole or part is None else round(part / whole, 3)


def _seconds_between(earlier: str | None, later: str | None) -> float | None:
    if not earlier or not later:
        return None
    try:
        return (_parse_time(later) - _parse_time(earlier)).total_seconds()
    except ValueError:
        return None


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def write_report(report: Mapping[str, Any], path: Path) -> None:
    """Write the report as JSON, whole or not at all: a hook or a watcher never reads half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)
