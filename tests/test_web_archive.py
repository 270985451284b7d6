"""Record mode (``PAYWATCH_WEB_ARCHIVE``, scrapers/web_archive.py): a night's every request and reply
as a WARC file, read back with warcio, the reference library."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from scrapers.demo import DEMO_DIR
from scrapers.demo.replay import ReplayServer
from scrapers.web_archive import payload_digest
from tests.test_end_to_end import crawl

NIGHT = "2026-11-01T03:15:00+00:00"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("web")
    db = tmp_path / "archive.db"
    mounts = {"/night1": sorted((DEMO_DIR / "night1").glob("routes*.json"))}
    with ReplayServer(mounts) as server:
        result = crawl(db, server, "night1", "-s", "PAYWATCH_WEB_ARCHIVE=True", "-s", f"PAYWATCH_CRAWL_TIME={NIGHT}")
        requests = list(server.requests)
    assert result.returncode == 0, result.stderr
    files = sorted((tmp_path / "archive.db.raw" / "2026-11-01" / "web").glob("*.warc.gz"))
    records = []
    for path in files:
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                body = record.content_stream().read()
                records.append((path.name, record.rec_type, record.rec_headers, record.http_headers, body))
    return files, records, requests


def test_every_request_the_server_answered_is_in_the_night_s_web_archive(recorded):
    files, records, requests = recorded
    assert files, "no WARC written"
    answered = sorted(request["path"] for request in requests)
    archived = sorted("/" + record[2].get_header("WARC-Target-URI").split("/", 3)[3].split("?")[0]
                      for record in records if record[1] == "request")
    assert archived == sorted(path.split("?")[0] for path in answered)
    assert sum(record[1] in ("response", "revisit") for record in records) == len(requests)


def test_each_file_opens_with_its_warcinfo_naming_paywatch(recorded):
    files, records, _ = recorded
    firsts = {}
    for name, kind, headers, _, body in records:
        firsts.setdefault(name, (kind, body))
    assert {kind for kind, _ in firsts.values()} == {"warcinfo"}
    assert all(b"software: paywatch/" in body and NIGHT.encode() in body for _, body in firsts.values())


def test_replies_are_kept_as_served_and_their_digests_hold(recorded):
    _, records, _ = recorded
    responses = [record for record in records if record[1] == "response"]
    assert responses
    saved = {}
    for routes in (DEMO_DIR / "night1").glob("routes*.json"):
        for route in json.loads(routes.read_text())["routes"]:
            if route.get("file"):
                saved[route["path"]] = (DEMO_DIR / "night1" / route["file"]).read_bytes()
    matched = 0
    for _, _, headers, http, body in responses:
        if (http.get_header("Content-Encoding") or "") == "gzip":
            body = gzip.decompress(body)
        parts = headers.get_header("WARC-Target-URI").split("/", 4)  # http: '' host night path
        path = "/" + parts[4].split("?")[0] if len(parts) > 4 else parts[-1]
        if path in saved:
            assert body == saved[path], path
            matched += 1
        assert headers.get_header("WARC-Payload-Digest")
    assert matched >= 5  # every platform's listing, at least


def test_a_repeated_payload_is_a_revisit_pointing_at_the_first(tmp_path):
    from scrapy import Spider
    from scrapy.http import Request, TextResponse
    from scrapy.utils.test import get_crawler

    from scrapers.web_archive import WebArchiveMiddleware

    assert payload_digest(b"abc") == "sha1:VGMT4NSHA2AWVOR6EVYXQUGCNSONBWE5"
    crawler = get_crawler(Spider, {"PAYWATCH_WEB_ARCHIVE": True, "PAYWATCH_RAW_DIR": str(tmp_path),
                                   "PAYWATCH_CRAWL_TIME": NIGHT})
    spider = Spider("acme")
    middleware = WebArchiveMiddleware.from_crawler(crawler)
    for page in (1, 2, 3):
        request = Request(f"http://127.0.0.1:9/jobs?page={page}")
        body = b'{"jobs": []}' if page > 1 else b'{"jobs": [1]}'
        middleware.process_response(request, TextResponse(request.url, body=body, headers={"Content-Type": "application/json"}), spider)
    middleware.close()
    with open(middleware.path, "rb") as stream:
        kinds = [(record.rec_type, record.rec_headers.get_header("WARC-Refers-To-Target-URI"))
                 for record in ArchiveIterator(stream) if record.rec_type != "request"]
    assert kinds == [("warcinfo", None), ("response", None), ("response", None),
                     ("revisit", "http://127.0.0.1:9/jobs?page=2")]
    assert middleware.path.parent == tmp_path / "2026-11-01" / "web"


def test_record_mode_is_off_by_default():
    from scrapy import Spider
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    from scrapers.web_archive import WebArchiveMiddleware

    with pytest.raises(NotConfigured):
        WebArchiveMiddleware.from_crawler(get_crawler(Spider, {"PAYWATCH_DB": "x.db"}))
