"""One posting's history: every version the archive holds (when observed, what changed, its ranges)
and its opened / closed / reopened events, in the order they happened. Reads only, and only what
migrations m001–m004 created (see ``archive.diff``)."""

from __future__ import annotations

import json
from textwrap import shorten
from typing import Any, Sequence

from sqlite_utils import Database

from archive.diff import RANGE_FIELDS, has_column, pay_display, ranges_of, write_csv
from archive.tables import TERMINAL_WIDTH, fitted_table, ranges_kept_whole


class NoSuchPosting(LookupError):
    """The archive holds no posting with that company and ref."""


def posting_history(db: Database, company: str, ref: str) -> list[dict[str, Any]]:
    """The posting ``ref`` of ``company`` (one per platform it was seen on: nearly always one), each
    with its versions and events."""
    postings = db.execute(
        "SELECT id, platform, company, ref, first_seen_at, last_seen_at, closed_at, current_version "
        "FROM postings WHERE company = ? AND ref = ? ORDER BY platform", [company, ref]).fetchall()
    if not postings:
        raise NoSuchPosting(f"no posting {ref!r} of {company!r} in the archive")
    m004 = has_column(db, "posting_versions", "changed_after")
    late = "v.changed_after, v.list_only" if m004 else "NULL, 0"
    found = []
    for posting_id, platform, slug, posting_ref, first_seen, last_seen, closed_at, current in postings:
        versions = [
            {"version": version, "observed_at": observed_at, "crawl_started_at": started_at,
             "changed_after": changed_after, "list_only": bool(list_only),
             "changed_fields": json.loads(changed_fields), "title": title, "url": url, "department": department,
             "role_type": role_type, "ai_related": None if ai is None else bool(ai), "seniority": seniority,
             "pay_text": pay_text, "version_id": version_id}
            for (version_id, version, observed_at, started_at, changed_after, list_only, changed_fields, title, url,
                 department, role_type, ai, seniority, pay_text) in db.execute(
                f"SELECT v.id, v.version, v.observed_at, c.started_at, {late}, v.changed_fields, v.title, v.url, "
                "v.department, v.role_type, v.ai_related, v.seniority, v.pay_text "
                "FROM posting_versions v JOIN crawls c ON c.id = v.crawl_id "
                "WHERE v.posting_id = ? ORDER BY v.version", [posting_id]).fetchall()
        ]
        ranges = ranges_of(db, [version["version_id"] for version in versions])
        for version in versions:
            version["ranges"] = ranges[version.pop("version_id")]
            version["pay"] = pay_display(version["ranges"])
        events = [{"event": event, "at": at} for event, at in db.execute(
            "SELECT event, at FROM posting_events WHERE posting_id = ? ORDER BY at, id", [posting_id]).fetchall()]
        found.append({"company": slug, "platform": platform, "ref": posting_ref, "first_seen_at": first_seen,
                      "last_seen_at": last_seen, "closed_at": closed_at, "current_version": current,
                      "versions": versions, "events": events})
    return found


def timeline(posting: dict[str, Any]) -> list[dict[str, Any]]:
    """Versions and events in time order (an opening before the version it opened with)."""
    entries = [{"at": event["at"], "entry": event["event"], "order": 0} for event in posting["events"]]
    entries += [{"at": version["crawl_started_at"], "entry": f"version {version['version']}", "order": 1,
                 "version": version} for version in posting["versions"]]
    return sorted(entries, key=lambda entry: (entry["at"], entry["order"]))


def _what_changed(version: dict[str, Any]) -> str:
    if version["version"] == 1:
        return "first seen" + (" (list entry only)" if version["list_only"] else "")
    if not version["changed_fields"]:
        return "first detail read (completes the list entry)"
    return ", ".join(version["changed_fields"])


CSV_COLUMNS = ("company", "platform", "ref", "at", "entry", "version", "observed_at", "changed_after", "list_only",
               "changed_fields", "title", "role_type", "ai_related", "range", *RANGE_FIELDS, "pay")


def render(postings: Sequence[dict[str, Any]], fmt: str = "table") -> str:
    if fmt == "json":
        return json.dumps(list(postings), indent=2, ensure_ascii=False)  # a list: a ref can recur across platforms
    if fmt == "csv":
        rows = []
        for posting in postings:
            identity = {name: posting[name] for name in ("company", "platform", "ref")}
            for entry in timeline(posting):
                version = entry.get("version")
                row = dict(identity, at=entry["at"], entry=entry["entry"].split()[0])
                if version is None:
                    rows.append(row)
                    continue
                row.update({name: version[name] for name in
                            ("version", "observed_at", "changed_after", "list_only", "title", "role_type",
                             "ai_related", "pay")}, changed_fields=" ".join(version["changed_fields"]))
                for position, pay_range in enumerate(version["ranges"] or [None], start=1):
                    rows.append(dict(row, range=position if pay_range else None, **(pay_range or {})))
        return write_csv(CSV_COLUMNS, rows)
    blocks = []
    for posting in postings:
        latest = posting["versions"][-1]
        state = f"closed {posting['closed_at']}" if posting["closed_at"] else f"open, last seen {posting['last_seen_at']}"
        identity = f"{posting['company']} {posting['ref']} ({posting['platform']}): "
        title = shorten(latest["title"] or "", max(TERMINAL_WIDTH - len(identity), 20), placeholder="…")
        header = (f"{identity}{title}\n"
                  f"{latest['url'] or ''}\nfirst seen {posting['first_seen_at']}; {state}; "
                  f"{len(posting['versions'])} version{'s' if len(posting['versions']) != 1 else ''}")
        rows = []
        for entry in timeline(posting):
            version = entry.get("version")
            if version is None:
                rows.append([entry["at"][:16].replace("T", " "), entry["entry"], "", "", ""])
            else:
                rows.append([entry["at"][:16].replace("T", " "), entry["entry"], _what_changed(version),
                             (version["changed_after"] or "")[:16].replace("T", " "), ranges_kept_whole(version["pay"])])
        # Too wide for a terminal, the changed fields wrap first, then the pay between its ranges.
        blocks.append(header + "\n\n" + fitted_table(rows, ["when", "what", "changed", "changed after", "pay"],
                                                     wrap=[(2, 16), (4, 24), (3, 10), (0, 10)]))
    return "\n\n".join(blocks)
