"""`paywatch crawl` and `paywatch diff` as a user runs them, against saved responses on 127.0.0.1."""

import json
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from scrapers.demo import DEMO_DIR, FAST_LOCAL_SETTINGS, replay_settings
from scrapers.demo.replay import ReplayServer

REPO = Path(__file__).resolve().parents[1]
REGISTRY = DEMO_DIR / "companies.toml"


def paywatch(*args, check=True):
    result = subprocess.run([sys.executable, "-m", "scrapers.cli", *args], cwd=REPO, capture_output=True,
                            text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"paywatch {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def crawl(db, server, night, *extra):
    settings = [arg for setting in [*replay_settings(server.url, night), *FAST_LOCAL_SETTINGS] for arg in ("-s", setting)]
    return paywatch("crawl", "--db", str(db), "--registry", str(REGISTRY), "--log-level", "WARNING",
                    *settings, *extra, check=False)


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory):
    """Night 1, night 2, and night 2's replies once more (night 3): a posting night 2 no longer lists is
    closed by night 3's listing, which misses it again, dated night 2."""
    db = tmp_path_factory.mktemp("e2e") / "archive.db"
    mounts = {f"/{night}": sorted((DEMO_DIR / night).glob("routes*.json")) for night in ("night1", "night2")}
    with ReplayServer(mounts) as server:
        first = crawl(db, server, "night1")
        second = crawl(db, server, "night2")
        third = crawl(db, server, "night2")
        requests = list(server.requests)
        misses = list(server.misses)
    return db, first, second, requests, misses, third


def test_both_nights_crawl_cleanly(two_nights):
    db, first, second, requests, misses, third = two_nights
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert third.returncode == 0, third.stderr
    assert misses == []
    assert all(request["path"] == "/robots.txt" or request["path"].startswith(("/night1/", "/night2/"))
               for request in requests)
    assert any(request["path"] == "/robots.txt" for request in requests), "robots.txt must be obeyed"
    assert all(request["headers"].get("User-Agent", "").startswith("paywatch/") for request in requests)


def test_summary_shows_per_company_counts(two_nights):
    _, first, second, _, _, third = two_nights
    assert "company" in first.stdout and "with pay" in first.stdout
    a24_night2 = next(line for line in second.stdout.splitlines() if line.startswith("a24 "))
    assert a24_night2.split()[:6] == ["a24", "complete", "3", "1", "1", "0"]  # seen, new, changed, closed
    a24_night3 = next(line for line in third.stdout.splitlines() if line.startswith("a24 "))
    assert a24_night3.split()[:6] == ["a24", "complete", "3", "0", "0", "1"]  # missed again: closed


def test_archive_holds_versioned_postings_with_pay(two_nights):
    db = sqlite3.connect(two_nights[0])
    statuses = db.execute("SELECT company, status FROM crawls ORDER BY id").fetchall()
    assert all(status == "complete" for _, status in statuses) and len(statuses) >= 4
    director = db.execute(
        "SELECT v.version, pr.min, pr.max, pr.currency, pr.period FROM posting_versions v "
        "JOIN pay_ranges pr ON pr.version_id = v.id WHERE v.title = 'Director, Film Marketing' ORDER BY v.version"
    ).fetchall()
    assert director == [(1, 180000.0, 220000.0, "USD", "year"), (2, 190000.0, 235000.0, "USD", "year")]
    closed = db.execute("SELECT title FROM postings WHERE closed_at IS NOT NULL").fetchall()
    assert ("Post-Production Coordinator",) in closed
    role = db.execute("SELECT role_type, ai_related FROM posting_versions WHERE title LIKE 'Machine Learning%'").fetchone()
    assert role == ("engineering", 1)


def night2_start(db):
    """When night 2's first crawl started: its five companies' crawls are the five rows before night 3's
    five (each company's crawl has its own start, seconds apart on a busy machine)."""
    return sqlite3.connect(db).execute(
        "SELECT min(started_at) FROM (SELECT started_at FROM crawls ORDER BY id DESC LIMIT 5 OFFSET 5)").fetchone()[0]


def test_diff_reports_the_raised_range_the_new_and_the_closed_posting(two_nights):
    db = two_nights[0]
    since = night2_start(db)
    changes = json.loads(paywatch("diff", "--since", since, "--db", str(db), "--format", "json").stdout)
    kinds = {(change["company"], change["title"], change["kind"]) for change in changes}
    assert ("a24", "Director, Film Marketing", "pay_raised") in kinds
    assert ("a24", "Machine Learning Engineer, Recommendations", "opened") in kinds
    assert ("a24", "Post-Production Coordinator", "closed") in kinds
    raised = next(c for c in changes if c["title"] == "Director, Film Marketing")
    assert "180,000-220,000" in raised["old_pay"] and "190,000-235,000" in raised["new_pay"]
    table = paywatch("diff", "--since", since, "--db", str(db)).stdout
    assert "pay_raised" in table and "→" in table
    csv_text = paywatch("diff", "--since", since, "--db", str(db), "--format", "csv").stdout
    assert csv_text.splitlines()[0] == ("at,changed_after,company,sector,ref,title,role_type,ai_related,kind,range,"
                                        "old_min,old_max,old_currency,old_period,old_basis,new_min,new_max,new_currency,"
                                        "new_period,new_basis,min_change_pct,max_change_pct,old_pay,new_pay")


# Netflix's ML/AI postings (Eightfold, night 1 and night 2), the ranges the project was born from.
NETFLIX_ML = {
    "790313401122": ("Product Manager - Machine Learning Platform", "product", 300000, 900000),
    "790313402217": ("Research Scientist (ML) - Personalization", "research", 390000, 900000),
    "790313403390": ("Machine Learning Engineering Manager - Content & Studio", "engineering", 300000, 849000),
}


def test_netflix_ml_postings_are_archived_with_their_market_ranges_and_flagged_ml(two_nights):
    db = sqlite3.connect(two_nights[0])
    first = db.execute(
        "SELECT p.ref, v.title, v.role_type, v.ai_related, pr.min, pr.max, pr.currency, pr.period, pr.basis "
        "FROM postings p JOIN posting_versions v ON v.posting_id = p.id AND v.version = 1 "
        "JOIN pay_ranges pr ON pr.version_id = v.id WHERE p.company = 'netflix' AND v.ai_related = 1").fetchall()
    assert {ref: (title, role_type, low, high) for ref, title, role_type, _, low, high, *_ in first} == NETFLIX_ML
    assert {(currency, period, basis) for *_, currency, period, basis in first} == {("USD", "year", "total")}
    others = db.execute("SELECT count(*) FROM posting_versions v JOIN postings p ON p.id = v.posting_id "
                        "WHERE p.company = 'netflix' AND v.ai_related = 0 AND v.version = 1").fetchone()[0]
    assert others == 4  # the board's four earlier postings stay "other"


def test_netflix_counts_follow_from_the_replies(two_nights):
    """Night 1 lists 7 (4 + 3 ML/AI), 5 with a market range; night 2 lists 6 (one no longer listed, closed by
    night 3), two ranges raised (the web engineer's and the research scientist's)."""
    _, first, second, _, _, third = two_nights
    night1 = next(line for line in first.stdout.splitlines() if line.startswith("netflix "))
    night2 = next(line for line in second.stdout.splitlines() if line.startswith("netflix "))
    night3 = next(line for line in third.stdout.splitlines() if line.startswith("netflix "))
    assert night1.split()[:7] == ["netflix", "complete", "7", "7", "0", "0", "0"] and "71%" in night1
    assert night2.split()[:7] == ["netflix", "complete", "6", "0", "2", "0", "0"] and "83%" in night2
    assert night3.split()[:7] == ["netflix", "complete", "6", "0", "0", "1", "0"]


def test_diff_shows_netflix_raising_an_ml_range(two_nights):
    db = two_nights[0]
    changes = json.loads(paywatch("diff", "--since", night2_start(db), "--db", str(db), "--company", "netflix",
                                  "--role-type", "research", "--format", "json").stdout)
    [raised] = changes
    assert (raised["title"], raised["kind"], raised["ai_related"], raised["sector"]) == (
        "Research Scientist (ML) - Personalization", "pay_raised", True, "streaming")
    [pair] = raised["ranges"]
    assert (pair["old"]["min"], pair["old"]["max"], pair["new"]["min"], pair["new"]["max"]) == (
        390000, 900000, 420000, 960000)
    assert (pair["min_change_pct"], pair["max_change_pct"]) == (7.69, 6.67)
    [history] = json.loads(paywatch("history", "netflix", "790313402217", "--db", str(db), "--format", "json").stdout)
    assert [version["pay"] for version in history["versions"]] == [
        "USD 390,000-900,000/year total", "USD 420,000-960,000/year total"]


def test_a_failing_company_is_named_and_closes_nothing(tmp_path):
    db = tmp_path / "archive.db"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "routes.json").write_text(json.dumps({"routes": [
        {"path": "/greenhouse/v1/boards/a24/jobs", "status": 503, "body_text": "maintenance"},
        {"path": "/lever/v0/postings/spotify", "body_text": "<html>not json</html>", "content_type": "text/html"},
    ]}))
    mounts = {"/night1": sorted((DEMO_DIR / "night1").glob("routes*.json")), "/broken": [broken / "routes.json"]}
    with ReplayServer(mounts) as server:
        only = ("--company", "a24", "--company", "spotify")
        assert crawl(db, server, "night1", *only).returncode == 0
        result = crawl(db, server, "broken", *only)
    assert result.returncode == 1
    assert "crawl failed for: a24, spotify" in result.stderr
    archive = sqlite3.connect(db)
    assert archive.execute("SELECT count(*) FROM postings WHERE closed_at IS NOT NULL").fetchone()[0] == 0
    failures = archive.execute("SELECT company, failure_reason FROM crawls WHERE status = 'failed'").fetchall()
    assert {company for company, _ in failures} == {"a24", "spotify"}
    assert any("malformed JSON" in reason for _, reason in failures)


def test_selection_by_company_and_unknown_company(tmp_path):
    result = paywatch("crawl", "--registry", str(REGISTRY), "--company", "nope", "--db", str(tmp_path / "x.db"), check=False)
    assert result.returncode != 0 and "not in the registry: nope" in result.stderr


def run_demo(tmp_path, *options):
    # Run from tmp_path (the demo writes nothing else there), with this checkout's code, not an installed copy's.
    return subprocess.run([sys.executable, "-m", "scrapers.cli", "demo", "--db", str(tmp_path / "demo.db"), *options],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO)})


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("demo")
    return tmp_path, run_demo(tmp_path)


def test_demo_runs_offline_and_shows_the_changes(demo_run):
    tmp_path, result = demo_run
    assert result.returncode == 0, result.stderr
    for expected in ("Night 1", "Night 2", "pay_raised", "opened", "closed"):
        assert expected in result.stdout
    for company in ("a24", "spotify", "netflix", "ramp", "disney"):  # five platforms
        assert f"\n{company} " in result.stdout and company in result.stdout.split("Changes since night 2")[1]
    changed = result.stdout.split("Changes since night 2")[1].splitlines()
    at = next(number for number, line in enumerate(changed) if "Research Scientist (ML) -" in line)
    assert "pay_raised" in changed[at] and changed[at + 1].split()[0] == "Personalization"  # the title wraps
    assert result.stdout.rstrip().splitlines()[-2:] == [
        f"  paywatch serve --db {tmp_path / 'demo.db'}",
        "  then open http://127.0.0.1:8001/-/dashboards/pay (pay over time, ML/AI roles against the rest)"]


def readme_demo_paragraph():
    """The paragraph after the two commands at the top of README.md, on one line."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    after_commands = text.split("```", 2)[2]
    return " ".join(after_commands.strip().split("\n\n")[0].split())


def test_the_demo_nights_are_dated_a_week_ago_two_days_ago_and_yesterday_as_replays_and_the_diff_reruns(demo_run):
    tmp_path, result = demo_run
    dated = [datetime.fromisoformat(f"{day}T{time}:00+00:00") for day, time in
             re.findall(r"^== Night \d, dated (\S+) (\S+) UTC: replaying", result.stdout, re.M)]
    assert len(dated) == 3 and dated[1] - dated[0] == timedelta(days=5) and dated[2] - dated[1] == timedelta(days=1)
    assert (datetime.now(timezone.utc).date() - dated[2].date()).days in (1, 2)  # 2: the test ran past midnight
    assert result.stdout.count("\nreplayed: saved responses, dated ") == 3
    archive = sqlite3.connect(tmp_path / "demo.db")
    crawls = archive.execute("SELECT started_at, replayed_at FROM crawls").fetchall()
    assert {started[:10] for started, _ in crawls} == {day.date().isoformat() for day in dated}
    assert all(replayed is not None and replayed[:10] != started[:10] for started, replayed in crawls)
    # A posting night 2 no longer listed is closed (by night 3), dated night 2: it was open the days
    # between the first two nights; one opened on night 2 was open a day when night 3 ran.
    lifetimes = dict(archive.execute("SELECT title, days_open FROM posting_lifetimes"))
    assert lifetimes["Post-Production Coordinator"] == 5 and lifetimes["Software Engineer, Frontend"] == 1
    closed_at = {at[:10] for (at,) in archive.execute("SELECT at FROM posting_events WHERE event = 'closed'")}
    assert closed_at == {dated[1].date().isoformat()}

    [command] = re.findall(r"^== Changes since night 2: (paywatch diff .*)$", result.stdout, re.M)
    diff_args = shlex.split(command)[1:]
    assert diff_args[:2] == ["diff", "--since"] and "--db" in diff_args
    rerun = subprocess.run([sys.executable, "-m", "scrapers.cli", *diff_args], cwd=tmp_path, capture_output=True,
                           text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert rerun.returncode == 0 and rerun.stdout.strip() in result.stdout
    words = subprocess.run([sys.executable, "-m", "scrapers.cli", "diff", "--since", "2 days ago", "--db", "demo.db"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60,
                           env={**os.environ, "PYTHONPATH": str(REPO)})
    assert words.stdout == rerun.stdout  # nights 2 and 3: night 1 is a week back


def test_the_readme_says_what_the_demo_prints(demo_run):
    tmp_path, result = demo_run
    paragraph = readme_demo_paragraph()
    since = re.search(r"^== Changes since night 2: paywatch diff --since (\S+)", result.stdout, re.M).group(1)
    changes = json.loads(paywatch("diff", "--since", since, "--db", str(tmp_path / "demo.db"), "--format", "json").stdout)
    kinds = Counter(change["kind"] for change in changes)
    assert sum(kinds.values()) == kinds["pay_raised"] + kinds["pay_widened"] + kinds["opened"] + kinds["closed"]
    said = re.search(r"(\d+) ranges raised .*?, (\d+) widened, (\d+) postings opened and (\d+) closed", paragraph)
    assert said, paragraph
    assert [int(number) for number in said.groups()] == [
        kinds["pay_raised"], kinds["pay_widened"], kinds["opened"], kinds["closed"]]

    listing = result.stdout.split("== Netflix's ML/AI postings after night 1")[1].split("\n== Night 2")[0]
    rows = [line for line in listing.splitlines()[3:] if line.strip()]
    stated = re.findall(r"(?:the )?((?:Product Manager|Research Scientist|Machine Learning Engineering Manager)[^,]*?"
                        r"(?:, [^,]*?)?) at (USD [\d,]+–[\d,]+ a year), (\w+)", paragraph)
    assert len(stated) == len(rows) == 3, (stated, rows)
    for title, spoken, basis in stated:
        [row] = [row for row in rows if row.startswith(title)]
        assert row.split() == [*title.split(), *spoken.split(), basis, "open"]
    raised = next(change for change in changes if change["title"] == "Research Scientist (ML) - Personalization")
    assert f"the Research Scientist's to {raised['new_pay'].split('/')[0]}" in paragraph
    assert "a `replayed:` line under the night's table" in paragraph and "replayed:" in result.stdout
    assert "night 1 a week ago, night 2 two days ago and night 3 yesterday" in paragraph


def test_demo_keep_refuses_to_date_its_nights_before_crawls_the_archive_holds(tmp_path):
    from archive.schema import open_archive
    from archive.store import ingest_crawl

    db = open_archive(str(tmp_path / "demo.db"))
    ingest_crawl(db, company="a24", platform="greenhouse", items=[], started_at=datetime.now(timezone.utc).isoformat(),
                 status="failed", failure_reason="a crawl of today")
    db.close()
    result = run_demo(tmp_path, "--keep")
    assert result.returncode == 2 and "Night 1" not in result.stdout
    assert "already holds crawls dated" in result.stderr and "--keep cannot append them" in result.stderr
    assert sqlite3.connect(tmp_path / "demo.db").execute("SELECT count(*) FROM crawls").fetchone()[0] == 1


def test_a_board_that_redirects_to_another_host_is_not_archived_and_closes_nothing(tmp_path):
    db = tmp_path / "archive.db"
    moved = tmp_path / "moved"
    moved.mkdir()
    (moved / "routes.json").write_text(json.dumps({"routes": [
        {"path": "/greenhouse/v1/boards/a24/jobs", "status": 302,
         "headers": {"Location": "http://127.0.0.2:9/greenhouse/v1/boards/someone-else/jobs"}},
    ]}))
    mounts = {"/night1": sorted((DEMO_DIR / "night1").glob("routes*.json")), "/moved": [moved / "routes.json"]}
    with ReplayServer(mounts) as server:
        assert crawl(db, server, "night1", "--company", "a24").returncode == 0
        result = crawl(db, server, "moved", "--company", "a24")
        requests = list(server.requests)
    assert result.returncode == 1 and "crawl failed for: a24" in result.stderr
    archive = sqlite3.connect(db)
    status, reason = archive.execute("SELECT status, failure_reason FROM crawls ORDER BY id DESC LIMIT 1").fetchone()
    assert status == "failed" and "hosts outside 127.0.0.1" in reason
    assert archive.execute("SELECT count(*) FROM postings WHERE closed_at IS NOT NULL").fetchone()[0] == 0
    assert archive.execute("SELECT count(*) FROM postings").fetchone()[0] == 3
    assert all(request["path"] != "/greenhouse/v1/boards/someone-else/jobs" for request in requests)


def test_the_demo_and_its_archive_read_in_120_columns(demo_run):
    """Every line the demo prints, the archive's report, and every posting's history fit 120 columns
    (but a posting's URL: it stays whole, to be copied)."""
    from archive.access import open_read_only
    from archive.history import posting_history, render
    from archive.report import last_night, night_report, render_table

    tmp_path, result = demo_run
    assert max(len(line) for line in result.stdout.splitlines()) <= 120, result.stdout
    archive = open_read_only(str(tmp_path / "demo.db"))
    try:
        tables = [render_table(night_report(archive, last_night(archive)))]
        refs = archive.execute("SELECT company, ref FROM postings").fetchall()
        tables += [render(posting_history(archive, company, ref)) for company, ref in refs]
    finally:
        archive.close()
    assert len(refs) == 23
    for table in tables:
        assert max(len(line) for line in table.splitlines() if not line.startswith("https://")) <= 120, table


FULL_DISK = r'''
set -e
mount -t tmpfs -o size=6m tmpfs "$MNT"
crawl() { "$PYTHON" -m scrapers.cli crawl --db "$MNT/archive.db" --registry "$REGISTRY" --log-level ERROR "$@"; }
crawl $NIGHT1 > /dev/null 2>&1
dd if=/dev/zero of="$MNT/filler" bs=64k > /dev/null 2>&1 || true
truncate -s -96K "$MNT/filler"
set +e
crawl $NIGHT2 > "$OUT/full.out" 2> "$OUT/full.err"; echo $? > "$OUT/full.code"
rm "$MNT/filler"
crawl $NIGHT2 > /dev/null 2> "$OUT/next.err"; echo $? > "$OUT/next.code"
cp "$MNT/archive.db" "$OUT/archive.db"
'''


@pytest.mark.slow  # three crawls on a tmpfs mounted for the test
def test_a_full_disk_stops_the_night_with_exit_3_and_the_next_night_converges(tmp_path):
    if shutil.which("unshare") is None or subprocess.run(
            ["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=1m tmpfs {tmp_path}"], capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here (unshare -rm and mount -t tmpfs are needed)")
    mnt, out = tmp_path / "mnt", tmp_path / "out"
    mnt.mkdir()
    out.mkdir()
    mounts = {f"/{night}": sorted((DEMO_DIR / night).glob("routes*.json")) for night in ("night1", "night2")}
    with ReplayServer(mounts) as server:
        nights = {f"NIGHT{n}": " ".join(f"-s {setting}" for setting in [*replay_settings(server.url, f"night{n}"),
                                                                          *FAST_LOCAL_SETTINGS]) for n in (1, 2)}
        subprocess.run(["unshare", "-rm", "sh", "-c", FULL_DISK], cwd=REPO, timeout=300, check=True,
                       env={**os.environ, "PYTHONPATH": str(REPO), "MNT": str(mnt), "OUT": str(out),
                            "PYTHON": sys.executable, "REGISTRY": str(REGISTRY), **nights})
    err = (out / "full.err").read_text()
    assert (out / "full.code").read_text().strip() == "3", err
    assert [line for line in err.splitlines() if line.startswith("paywatch: disk full: ")], err
    assert "Traceback" not in err
    assert (out / "next.code").read_text().strip() == "0", (out / "next.err").read_text()
    archive = sqlite3.connect(out / "archive.db")
    assert archive.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # The next night converged: every company's latest crawl complete, as after an undisturbed night 2.
    latest = archive.execute("SELECT company, status FROM crawls WHERE id IN (SELECT max(id) FROM crawls "
                             "GROUP BY company)").fetchall()
    assert sorted(latest) == [(slug, "complete") for slug in ("a24", "disney", "netflix", "ramp", "spotify")]
    raised = archive.execute("SELECT count(*) FROM posting_versions WHERE title = 'Director, Film Marketing'").fetchone()
    assert raised == (2,)
