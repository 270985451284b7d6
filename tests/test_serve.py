"""`paywatch serve`: Datasette on 127.0.0.1 with the canned queries, on a real archive."""

import json
import socket
import subprocess
import sys
import time
import urllib.request

from archive.schema import open_archive
from archive.store import ingest_crawl
from tests.test_archive import pay, posting


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def test_serve_exposes_the_archive_views_and_canned_queries(tmp_path):
    db_path = tmp_path / "nightly.db"
    db = open_archive(str(db_path))
    ingest_crawl(db, company="acme", platform="greenhouse", items=[posting("1", ranges=[pay(100000, 150000, source="structured")])],
                 started_at="2026-11-01T03:00:00+00:00")
    ingest_crawl(db, company="acme", platform="greenhouse", items=[posting("1", ranges=[pay(120000, 150000, source="structured")])],
                 started_at="2026-11-02T03:00:00+00:00")
    db.close()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "scrapers.cli", "serve", "--db", str(db_path), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/nightly"
    try:
        for _ in range(100):
            try:
                get_json(f"http://127.0.0.1:{port}/-/versions.json")
                break
            except OSError:
                time.sleep(0.1)
        changes = get_json(f"{base}/pay_changes.json?_shape=array")
        assert [(c["old_pay"], c["new_pay"]) for c in changes] == [
            ("USD 100,000-150,000/year base", "USD 120,000-150,000/year base")]
        canned = get_json(f"{base}/pay_changes_since.json?since=2026-11-01&_shape=array")
        assert len(canned) == 1
        share = get_json(f"{base}/share_with_pay.json?_shape=array")
        # No crawl through `paywatch crawl` filled companies here, so the sector is unknown.
        assert share == [{"company": "acme", "sector": None, "open_postings": 1, "with_pay": 1, "percent_with_pay": 100.0}]
        ai = get_json(f"{base}/ai_vs_other_pay.json?currency=USD&_shape=array")
        assert (ai[0]["company"], ai[0]["median_annual_min"]) == ("all unknown", 120000)
    finally:
        server.terminate()
        server.wait(timeout=10)
    # Stopping `paywatch serve` stops its Datasette: nothing is left listening on the port.
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        except OSError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"Datasette still listens on port {port} after paywatch serve stopped")
