"""The fault lab: a careers-platform server on 127.0.0.1 that knows the truth, and the measures.

``benchmarks/faults.py`` (the matrix, the kill -9 run, the fuzz run) and
``tests/test_fault_nights.py`` (the same rows on smaller boards) are built on this module.

The lab plays four nights of one Greenhouse board, one Workday tenant and one Lever site,
generated in the platforms' real reply shapes (copied from ``scrapers/demo/night*/`` and
``tests/fixtures/<platform>/``), and crawls each night with the real ``paywatch crawl`` in a
subprocess, exactly as cron would. Nights 1 and 3 are good nights; on night 2 one fault is applied
to one platform's replies. The good nights carry real changes, so that "lost" and "false" mean
something: on night 2 one posting's pay is raised and a new posting opens; on night 3 one posting is
really taken down and one description is edited. The server's boards are the truth: which refs are
listed each night and what each posting says. A fault changes what the server *sends*, never what is
true: a posting whose id the fault removed is still listed.

Measures, per row, from the archive (sqlite3, read-only):

- status of every company's crawl each night (``crawls.status``, ``failure_reason``);
- false closures: 'closed' events for refs the server listed that night, or later reopened;
- spurious / lost versions: each posting's version hashes against those of a fault-free run of the
  same three nights (longest common subsequence: what the reference has and the row lacks is lost,
  what the row has beyond it is spurious, e.g. "pay removed" then "pay added" around the fault night,
  or postings the server never listed);
- lost nights: a (night, company) whose crawl left no ``crawls`` row (the archive write raised, or
  the crawl had to be killed at its time limit);
- writes by failed crawls: versions written or postings opened by a crawl recorded ``failed``;
- unlisted postings: archived postings the server never listed (another host's board, runaway pages);
- off-host requests: what the "other host" (another port on 127.0.0.1) was asked, robots.txt aside;
- real closures: the posting really taken down on night 3 is closed by night 4, dated no earlier than
  the last night it was listed and no later than night 3's crawl (``late_closures`` otherwise);
- ``PRAGMA integrity_check`` after night 4;
- convergence: after night 4, the open postings and each one's current content hash equal the
  fault-free run's.

Everything is bounded: every server stops at the end of its ``with`` block and by itself after
``LabConfig.server_max_seconds``; every stall sleeps a bounded time; a runaway listing stops after a page cap; every
subprocess has a timeout. Nothing is sent anywhere but 127.0.0.1.
"""

from __future__ import annotations

import copy
import hashlib
import html
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterable

from scrapers.demo.replay import LoopbackServer, QuietHandler, read_request

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
FAULT_NIGHT = 2
# Night 4 lists what night 3 did: a posting is closed when two listings in a row miss it, so the one
# taken down on night 3 is closed by night 4's listing, dated night 3.
NIGHTS = (1, 2, 3, 4)

# ------------------------------------------------------------------------------------------------
# The registry the lab crawls: one company per platform, all served by the lab's server.
# ------------------------------------------------------------------------------------------------
GREENHOUSE_TOKEN = "faultlab"
WORKDAY_HOST = "faultlab.wd1.myworkdayjobs.com"
WORKDAY_TENANT = "faultlab"
WORKDAY_SITE = "careers"
LEVER_SITE = "faultlab"
COMPANIES = {"greenhouse": "faultlab_gh", "workday": "faultlab_wd", "lever": "faultlab_lever"}
PLATFORM_OF = {slug: platform for platform, slug in COMPANIES.items()}

REGISTRY_TOML = f"""\
# The fault lab's registry: one made-up company per platform, served from 127.0.0.1 by
# benchmarks/faultlab.py in each platform's real reply shape.
[[company]]
slug = "{COMPANIES['greenhouse']}"
name = "FaultLab Studios (Greenhouse)"
sector = "studio"
platform = "greenhouse"
token = "{GREENHOUSE_TOKEN}"
careers_url = "https://boards.greenhouse.io/{GREENHOUSE_TOKEN}"

[[company]]
slug = "{COMPANIES['workday']}"
name = "FaultLab Parks (Workday)"
sector = "studio"
platform = "workday"
host = "{WORKDAY_HOST}"
tenant = "{WORKDAY_TENANT}"
site = "{WORKDAY_SITE}"
careers_url = "https://{WORKDAY_HOST}/{WORKDAY_SITE}"

[[company]]
slug = "{COMPANIES['lever']}"
name = "FaultLab Audio (Lever)"
sector = "tech"
platform = "lever"
site = "{LEVER_SITE}"
careers_url = "https://jobs.lever.co/{LEVER_SITE}"
"""

# ------------------------------------------------------------------------------------------------
# The truth: each platform's board, night by night.
# ------------------------------------------------------------------------------------------------
TITLES = (
    "Software Engineer, Payments", "Senior Data Scientist", "Product Manager, Growth",
    "Machine Learning Engineer, Recommendations", "Technical Recruiter", "Account Executive",
    "Production Coordinator", "Senior Product Designer", "Financial Analyst",
    "Customer Support Specialist", "Staff Backend Engineer", "Marketing Manager",
    "Research Scientist, Large Language Models", "Security Engineer", "Video Editor",
    "Director, Film Marketing", "Data Engineer", "Attractions Cast Member", "Animator, Feature Films",
    "Engineering Manager, Platform",
)
HOURLY_TITLES = {"Customer Support Specialist", "Attractions Cast Member", "Production Coordinator"}
DEPARTMENTS = ("Engineering", "Data", "Product", "Design", "Marketing", "Sales", "Operations", "Finance")
PLACES = (("Los Angeles", "CA"), ("New York", "NY"), ("Burbank", "CA"), ("Seattle", "WA"),
          ("Austin", "TX"), ("Chicago", "IL"))

# The real changes of the good nights, by posting index (the same on every platform); and on
# night 2 a new posting opens: index = the board's size.
RAISED_ON_NIGHT_2 = 2    # its pay range goes up on night 2 and stays up
REMOVED_ON_NIGHT_3 = 4   # really taken down on night 3
EDITED_ON_NIGHT_3 = 6    # its description gains a paragraph on night 3


@dataclass(frozen=True)
class Posting:
    """One posting as it truly is on one night (what every platform shape is rendered from)."""

    platform: str
    index: int
    title: str
    department: str
    city: str
    state: str
    pay: tuple[float, float] | None  # (min, max) USD; hourly when the title is an hourly one
    hourly: bool
    extra_paragraph: bool

    @property
    def ref(self) -> str:
        return posting_ref(self.platform, self.index)

    @property
    def location(self) -> str:
        return f"{self.city}, {self.state}"


def posting_ref(platform: str, index: int) -> str:
    """The platform's own id for posting ``index`` (what the archive keys postings by)."""
    if platform == "greenhouse":
        return str(4100000000 + index)
    if platform == "workday":
        return f"JR-{10000 + index}"
    return f"{index:08x}-fa17-4c1b-8d2e-{index:012x}"  # Lever ids are UUIDs


def make_posting(platform: str, index: int, night: int) -> Posting:
    title = TITLES[index % len(TITLES)]
    hourly = title in HOURLY_TITLES
    has_pay = {"greenhouse": index % 6 != 5, "workday": index % 4 != 3, "lever": index % 2 == 0}[platform]
    pay = None
    if has_pay:
        if hourly:
            low = 20.0 + index % 9
            pay = (low, low + 6.0)
        else:
            low = 60000.0 + (index * 7919) % 140 * 1000
            pay = (low, round(low * 1.3, -3))
        if index == RAISED_ON_NIGHT_2 and night >= 2:
            pay = (round(pay[0] * 1.1, -3), round(pay[1] * 1.1, -3))
    city, state = PLACES[index % len(PLACES)]
    return Posting(platform, index, title, DEPARTMENTS[index % len(DEPARTMENTS)], city, state, pay, hourly,
                   extra_paragraph=index == EDITED_ON_NIGHT_3 and night >= 3)


def board(platform: str, size: int, night: int) -> list[Posting]:
    """The postings truly listed on ``night`` (the new one appears on night 2, one goes on night 3)."""
    indexes = list(range(size)) + ([size] if night >= 2 else [])
    if night >= 3:
        indexes.remove(REMOVED_ON_NIGHT_3)
    return [make_posting(platform, index, night) for index in indexes]


def listed_refs(platform: str, size: int, night: int) -> set[str]:
    return {posting.ref for posting in board(platform, size, night)}


# ------------------------------------------------------------------------------------------------
# Platform shapes (the field sets of the demo's and the fixtures' real replies).
# ------------------------------------------------------------------------------------------------
def money(amount: float) -> str:
    return f"${amount:,.2f}" if amount < 1000 else f"${amount:,.0f}"


def description_paragraphs(posting: Posting) -> list[str]:
    paragraphs = [
        "FaultLab is an independent entertainment company that makes films, series and the software behind them.",
        f"As our {posting.title} in {posting.location}, you will work with the {posting.department} team "
        "on the projects of the coming season.",
        "You have shipped work you are proud of and enjoy explaining it to people outside your field.",
    ]
    if posting.extra_paragraph:
        paragraphs.append("This role now includes mentoring two new members of the team.")
    return paragraphs


def pay_sentence(posting: Posting, *, digits: Callable[[str], str] = str) -> str:
    low, high = posting.pay
    unit = "per hour" if posting.hourly else "per year"
    return (f"The hiring range for this position in {posting.location} is {digits(money(low))} to "
            f"{digits(money(high))} {unit}. Pay within the range depends on skills and experience.")


def greenhouse_job(posting: Posting) -> dict[str, Any]:
    """One entry of ``GET /v1/boards/{token}/jobs?content=true&pay_transparency=true``."""
    parts = [f'<div class="content-intro"><p>{description_paragraphs(posting)[0]}</p></div>']
    parts += [f"<p>{paragraph}</p>" for paragraph in description_paragraphs(posting)[1:]]
    pay_inputs = None
    style = posting.index % 3  # structured pay, the pay-transparency block, or prose
    if posting.pay is not None and style == 0:
        low, high = posting.pay
        pay_inputs = [{"min_cents": int(low * 100), "max_cents": int(high * 100), "currency_type": "USD",
                       "title": f"{posting.city} Pay Range", "blurb": "<p>Base pay for this role.</p>"}]
    elif posting.pay is not None and style == 1:
        low, high = posting.pay
        parts.append(
            '<div class="content-pay-transparency"><div class="pay-input"><div class="description"><p>The base '
            'salary range for this role is listed below.</p></div>'
            f'<div class="title">{posting.city} Pay Range</div><div class="pay-range"><span>{money(low)}</span>'
            f'<span class="divider">&mdash;</span><span>{money(high)} USD</span></div></div></div>'
        )
    elif posting.pay is not None:
        parts.append(f"<p>{pay_sentence(posting)}</p>")
    job = {
        "absolute_url": f"https://boards.greenhouse.io/{GREENHOUSE_TOKEN}/jobs/{posting.ref}",
        "data_compliance": [{"type": "gdpr", "requires_consent": False, "requires_processing_consent": False,
                             "requires_retention_consent": False, "retention_period": None,
                             "demographic_data_consent_applies": False}],
        "internal_job_id": 15440000 + posting.index,
        "location": {"name": posting.location},
        "metadata": [{"id": 4120051, "name": "Employment Type",
                      "value": "Part-time" if posting.hourly else "Full-time", "value_type": "single_select"}],
        "id": int(posting.ref),
        "updated_at": "2026-11-02T10:15:00-05:00",
        "requisition_id": f"FL-{posting.index}",
        "title": posting.title,
        "company_name": "FaultLab Studios",
        "first_published": f"2026-10-{1 + posting.index % 28:02d}T09:00:00-04:00",
        "language": "en",
        "application_deadline": None,
        "content": html.escape("".join(parts)),
        "departments": [{"id": 60100 + posting.index % len(DEPARTMENTS), "name": posting.department,
                         "child_ids": [], "parent_id": None}],
        "offices": [{"id": 50200 + posting.index % len(PLACES), "name": posting.location,
                     "location": posting.location, "child_ids": [], "parent_id": None}],
    }
    if pay_inputs is not None:
        job["pay_input_ranges"] = pay_inputs
    return job


def greenhouse_board(postings: list[Posting]) -> dict[str, Any]:
    return {"jobs": [greenhouse_job(posting) for posting in postings], "meta": {"total": len(postings)}}


def workday_slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "-", text)


def workday_path(posting: Posting) -> str:
    return f"/job/{workday_slug(posting.city)}-{posting.state}-USA/{workday_slug(posting.title)}_{posting.ref}"


def workday_list_entry(posting: Posting) -> dict[str, Any]:
    return {
        "title": posting.title,
        "externalPath": workday_path(posting),
        "locationsText": f"USA - {posting.state} - {posting.city}",
        "postedOn": "Posted 30+ Days Ago",
        "bulletFields": [posting.ref],
    }


def workday_page(postings: list[Posting], offset: int, total: int | None = None) -> dict[str, Any]:
    """One CXS search page. As on real tenants, only the first page reports ``total``."""
    page = postings[offset:offset + 20]
    families: dict[str, int] = {}
    for posting in postings:
        families[posting.department] = families.get(posting.department, 0) + 1
    return {
        "total": (len(postings) if total is None else total) if offset == 0 else 0,
        "jobPostings": [workday_list_entry(posting) for posting in page],
        "facets": [{"facetParameter": "jobFamilyGroup", "descriptor": "Job Category",
                    "values": [{"descriptor": name, "id": hashlib.md5(name.encode()).hexdigest(), "count": count}
                               for name, count in sorted(families.items())]}] if offset == 0 else [],
        "userAuthenticated": False,
    }


def workday_detail(posting: Posting, *, digits: Callable[[str], str] = str) -> dict[str, Any]:
    paragraphs = description_paragraphs(posting)
    if posting.pay is not None:
        paragraphs = paragraphs + [pay_sentence(posting, digits=digits)]
    return {
        "jobPostingInfo": {
            "id": f"{posting.index:031x}",
            "title": posting.title,
            "jobDescription": "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs),
            "location": f"USA - {posting.state} - {posting.city}",
            "postedOn": "Posted 30+ Days Ago",
            "startDate": f"2026-10-{1 + posting.index % 28:02d}",
            "timeType": "Part time" if posting.hourly else "Full time",
            "jobReqId": posting.ref,
            "jobPostingId": workday_path(posting).rsplit("/", 1)[-1],
            "jobPostingSiteId": WORKDAY_SITE,
            "country": {"descriptor": "United States of America", "id": "bc33aa3152ec42d4995f4791a106ed09"},
            "canApply": True,
            "posted": True,
            "includeResumeParsing": True,
            "jobRequisitionLocation": {
                "descriptor": f"USA - {posting.state} - {posting.city}",
                "country": {"descriptor": "United States of America", "id": "bc33aa3152ec42d4995f4791a106ed09",
                            "alpha2Code": "US"},
            },
            "externalUrl": f"https://{WORKDAY_HOST}/{WORKDAY_SITE}{workday_path(posting)}",
            "questionnaireId": "7d1f2ab4c1e0100135a4f2d7b8e40000",
        },
        "hiringOrganization": {"name": "FaultLab Parks", "url": ""},
        "similarJobs": [],
        "userAuthenticated": False,
    }


def lever_posting(posting: Posting) -> dict[str, Any]:
    paragraphs = description_paragraphs(posting)
    raw: dict[str, Any] = {
        "additional": "<div>FaultLab is an equal opportunity employer.</div>",
        "additionalPlain": "FaultLab is an equal opportunity employer.",
        "categories": {"commitment": "Part-time" if posting.hourly else "Permanent",
                       "department": posting.department, "location": posting.location,
                       "team": "Studio", "allLocations": [posting.location]},
        "createdAt": 1761000000000 + posting.index * 86_400_000,
        "descriptionPlain": "\n".join(paragraphs),
        "description": "".join(f"<div>{paragraph}</div>" for paragraph in paragraphs),
        "id": posting.ref,
        "lists": [{"text": "What you'll do", "content": "<li>Ship work to millions of listeners</li>"}],
        "text": posting.title,
        "country": "US",
        "workplaceType": "hybrid",
        "hostedUrl": f"https://jobs.lever.co/{LEVER_SITE}/{posting.ref}",
        "applyUrl": f"https://jobs.lever.co/{LEVER_SITE}/{posting.ref}/apply",
    }
    if posting.pay is not None:
        low, high = posting.pay
        raw["salaryRange"] = {"min": low, "max": high, "currency": "USD",
                              "interval": "per-hour-wage" if posting.hourly else "per-year-salary"}
        unit = "hourly" if posting.hourly else "base"
        sentence = f"The United States {unit} range for this position is {money(low)} - {money(high)}."
        raw["salaryDescription"] = f"<div>{sentence}</div>"
        raw["salaryDescriptionPlain"] = sentence
    return raw


# ------------------------------------------------------------------------------------------------
# The server.
# ------------------------------------------------------------------------------------------------
MAX_STALL_SECONDS = 30.0
ROBOTS_ALLOW = "User-agent: *\nAllow: /\n"
WORKDAY_CXS = f"/workday/{WORKDAY_HOST}/wday/cxs/{WORKDAY_TENANT}/{WORKDAY_SITE}"


@dataclass
class Reply:
    """What the server sends. ``data`` is serialised as the platforms do (NaN allowed, non-ASCII
    escaped, so a lone surrogate goes out as the six characters ``\\ud800``); ``body`` wins over it."""

    status: int = 200
    data: Any = None
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0       # seconds to wait before answering (capped at MAX_STALL_SECONDS)
    truncate: bool = False   # send half the body under the full Content-Length, then hang up

    def payload(self) -> bytes:
        if self.body is not None:
            return self.body
        if self.data is None:
            return b""
        return json.dumps(self.data, allow_nan=True).encode("ascii")


@dataclass
class Call:
    """One request as the lab sees it, with what it is for."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    platform: str | None = None   # greenhouse / workday / lever; None for robots.txt and strays
    kind: str = ""                # robots, board, list, detail, page
    offset: int | None = None     # Workday search offset / Lever skip
    ref: str | None = None        # the posting a Workday detail is for
    count: int = 0                # how many requests of this (platform, kind) came before, this night
    server: "FaultServer | None" = None


@dataclass
class LabConfig:
    """Board sizes and the crawl settings every night of every row uses."""

    sizes: dict[str, int] = field(default_factory=lambda: {"greenhouse": 200, "workday": 60, "lever": 60})
    download_timeout: float = 2.0
    retry_times: int = 1
    lever_page_size: int = 10
    runaway_total: int = 1999      # what a runaway Workday search claims (under Workday's 2000 cap)
    runaway_page_cap: int = 500    # the server's own bound on a runaway listing (then empty pages)
    crawl_timeout: float = 240.0   # seconds a `paywatch crawl` may take before it is killed
    server_max_seconds: float = 1800.0

    @property
    def stall_seconds(self) -> float:
        """A stall outlasts the download timeout, but ends by itself."""
        return self.download_timeout + 1.5


class QuietServer(ThreadingHTTPServer):
    """A crawler that times out, or is killed, resets its connections: that is expected, not an
    error worth a traceback. Anything else still goes to stderr."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class FaultServer(LoopbackServer):
    """``with FaultServer(config) as server:`` serves the lab's boards for ``server.night`` on
    127.0.0.1 (port 0), applying ``server.fault`` on the fault night. ``other_host`` is a second
    server, another port on 127.0.0.1 standing for "another host" (what an off-host redirect points
    at); it serves a foreign board and counts what it was asked."""

    def __init__(self, config: LabConfig, *, foreign: bool = False) -> None:
        self.config = config
        self.foreign = foreign
        self.night = 1
        self.fault: Fault | None = None
        self.requests: list[Call] = []
        self.misses: list[str] = []
        self.errors: list[str] = []
        self.other_host: FaultServer | None = None
        self._counts: dict[tuple[str | None, str], int] = {}
        self._lock = threading.Lock()
        lab = self

        class Handler(QuietHandler):
            def _serve(self, method: str) -> None:
                try:
                    self._answer(method)
                except Exception as error:  # a lab bug must show, not pass for a platform fault
                    lab.errors.append(f"{method} {self.path}: {error!r}")
                    raise

            def _answer(self, method: str) -> None:
                split, query, body = read_request(self)
                call = Call(method, split.path, query, body)
                reply = lab.answer(call)
                if reply.stall:
                    time.sleep(min(reply.stall, MAX_STALL_SECONDS))
                payload = reply.payload()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    # Said out loud: without it Twisted pools the connection this HTTP/1.0 server is
                    # about to close, and a POST sent on it fails with ConnectionDone (a lab artefact,
                    # not a platform fault).
                    self.send_header("Connection", "close")
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if reply.truncate:
                        self.wfile.write(payload[: len(payload) // 2])
                        self.wfile.flush()
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                    else:
                        self.wfile.write(payload)
                except OSError:  # the crawler gave up (timeout) or we hung up on purpose
                    self.close_connection = True

        super().__init__(Handler, host=HOST, max_seconds=config.server_max_seconds, server_class=QuietServer)

    def __enter__(self) -> "FaultServer":
        super().__enter__()
        if not self.foreign:
            self.other_host = FaultServer(self.config, foreign=True).__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.other_host is not None:
            self.other_host.__exit__(*exc)
        super().__exit__(*exc)

    def set_night(self, night: int, fault: "Fault | None" = None) -> None:
        """What the next crawl sees: ``night``'s boards, with ``fault`` applied on the fault night."""
        with self._lock:
            self.night = night
            self.fault = fault if night == FAULT_NIGHT else None
            self._counts = {}
        if self.other_host is not None:
            self.other_host.set_night(night)

    def board(self, platform: str) -> list[Posting]:
        size = self.config.sizes[platform]
        if self.foreign:  # a different company's board: other ids, other titles
            return [make_posting(platform, 5000 + index, 1) for index in range(size)]
        return board(platform, size, self.night)

    # -- answering ----------------------------------------------------------------------------
    def answer(self, call: Call) -> Reply:
        self.classify(call)
        with self._lock:
            key = (call.platform, call.kind)
            call.count = self._counts.get(key, 0)
            self._counts[key] = call.count + 1
            self.requests.append(call)
            fault = self.fault
        reply = self.good_reply(call)
        if fault is not None and fault.applies_to(call):
            reply = fault.edit(call, reply) or reply
        if reply.status == 404:
            self.misses.append(f"{call.method} {call.path}")
        return reply

    def classify(self, call: Call) -> None:
        call.server = self
        path = call.path
        if path == "/robots.txt":
            call.kind = "robots"
        elif path == f"/greenhouse/v1/boards/{GREENHOUSE_TOKEN}/jobs":
            call.platform, call.kind = "greenhouse", "board"
        elif path == f"{WORKDAY_CXS}/jobs" and call.method == "POST":
            call.platform, call.kind = "workday", "list"
            call.offset = int((call.body or {}).get("offset") or 0)
        elif path.startswith(f"{WORKDAY_CXS}/job/"):
            call.platform, call.kind = "workday", "detail"
            call.ref = path.rsplit("_", 1)[-1]
        elif path == f"/lever/v0/postings/{LEVER_SITE}":
            call.platform, call.kind = "lever", "page"
            call.offset = int(call.query.get("skip") or 0)

    def good_reply(self, call: Call) -> Reply:
        if call.kind == "robots":
            return Reply(body=ROBOTS_ALLOW.encode(), content_type="text/plain")
        if call.kind == "board":
            return Reply(data=greenhouse_board(self.board("greenhouse")))
        if call.kind == "list":
            return Reply(data=workday_page(self.board("workday"), call.offset or 0))
        if call.kind == "detail":
            posting = next((p for p in self.board("workday") if p.ref == call.ref), None)
            if posting is not None and call.path == f"{WORKDAY_CXS}{workday_path(posting)}":
                return Reply(data=workday_detail(posting))
            return Reply(status=404, data={"errorCode": "HTTP_404", "message": "The job posting is not available"})
        if call.kind == "page":
            skip = call.offset or 0
            limit = int(call.query.get("limit") or 100)
            return Reply(data=[lever_posting(p) for p in self.board("lever")[skip:skip + limit]])
        return Reply(status=404, data={"error": "not found"})


# ------------------------------------------------------------------------------------------------
# The faults: each edits what the server sends on the fault night, on one platform.
# ------------------------------------------------------------------------------------------------
NOT_COMPLETE = "not complete"   # the fault night must be recorded failed (or suspect)
ANY_STATUS = "any"              # a bad value: lose one value, never the night; status not prescribed


@dataclass(frozen=True)
class Fault:
    name: str
    platform: str
    summary: str
    expect: str
    edit: Callable[[Call, Reply], Reply | None]
    kinds: tuple[str, ...] = ()   # which kinds of request the fault edits (robots.txt is platform-less)

    def applies_to(self, call: Call) -> bool:
        if call.kind == "robots":
            return "robots" in self.kinds
        return call.platform == self.platform and (not self.kinds or call.kind in self.kinds)


FAULTS: list[Fault] = []


def fault(name: str, platform: str, summary: str, expect: str = ANY_STATUS, kinds: tuple[str, ...] = ()):
    def register(edit: Callable[[Call, Reply], Reply | None]) -> Callable[[Call, Reply], Reply | None]:
        FAULTS.append(Fault(name, platform, summary, expect, edit, kinds))
        return edit
    return register


def fault_named(name: str) -> Fault:
    for candidate in FAULTS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def middle(items: list[Any], wanted: Callable[[Any], bool] = lambda item: True) -> Any:
    """The first item past the middle of the list that ``wanted`` accepts: a fault in the middle of
    a board shows what a crawl does with the postings before and after it."""
    ordered = items[len(items) // 2:] + items[: len(items) // 2]
    return next(item for item in ordered if wanted(item))


def every_tenth(items: list[Any]) -> list[Any]:
    return [item for position, item in enumerate(items) if position % 10 == 3]


@fault("gh_pay_type", "greenhouse", 'one posting: pay_input_ranges[].min_cents = "n/a"', kinds=("board",))
def _pay_of_unexpected_type(call: Call, reply: Reply) -> None:
    job = middle(reply.data["jobs"], lambda job: "pay_input_ranges" in job)
    job["pay_input_ranges"][0]["min_cents"] = "n/a"


@fault("gh_metadata_type", "greenhouse", "one posting: metadata is a number, not a list", kinds=("board",))
def _metadata_of_wrong_type(call: Call, reply: Reply) -> None:
    middle(reply.data["jobs"])["metadata"] = 42


@fault("gh_redirect_offhost", "greenhouse", "board reply 302 to another host (another port) serving another board",
       NOT_COMPLETE, kinds=("board",))
def _redirect_to_another_host(call: Call, reply: Reply) -> Reply:
    target = f"{call.server.other_host.url}{call.path}?content=true&pay_transparency=true"
    return Reply(status=302, body=b"", content_type="text/html", headers={"Location": target})


@fault("gh_id_missing", "greenhouse", "id missing on 10% of postings", NOT_COMPLETE, kinds=("board",))
def _greenhouse_id_missing(call: Call, reply: Reply) -> None:
    for job in every_tenth(reply.data["jobs"]):
        del job["id"]


@fault("gh_title_missing", "greenhouse", "title missing on 10% of postings", kinds=("board",))
def _greenhouse_title_missing(call: Call, reply: Reply) -> None:
    for job in every_tenth(reply.data["jobs"]):
        del job["title"]


def _workday_tenth(call: Call) -> set[str]:
    return {posting.ref for posting in every_tenth(call.server.board("workday"))}


@fault("wd_id_missing", "workday", "externalPath (the id) missing on 10% of list entries", NOT_COMPLETE,
       kinds=("list",))
def _workday_id_missing(call: Call, reply: Reply) -> None:
    chosen = _workday_tenth(call)
    for entry in reply.data["jobPostings"]:
        if entry["bulletFields"][0] in chosen:
            del entry["externalPath"]
            entry["bulletFields"] = []


@fault("wd_title_missing", "workday", "title missing (list and detail) on 10% of postings", kinds=("list", "detail"))
def _workday_title_missing(call: Call, reply: Reply) -> None:
    chosen = _workday_tenth(call)
    if call.kind == "list":
        for entry in reply.data["jobPostings"]:
            if entry["bulletFields"][0] in chosen:
                del entry["title"]
    elif call.ref in chosen and reply.status == 200:
        del reply.data["jobPostingInfo"]["title"]


@fault("gh_count_mismatch", "greenhouse", "meta.total counts the whole board; only the first half is sent",
       NOT_COMPLETE, kinds=("board",))
def _greenhouse_half_board(call: Call, reply: Reply) -> None:
    jobs = reply.data["jobs"]
    reply.data["jobs"] = jobs[: len(jobs) // 2]  # meta.total still says len(jobs)


@fault("wd_deep_nesting", "workday", "one detail reply nested 200,000 deep (that posting unreadable; the listing is whole)",
       kinds=("detail",))
def _workday_deep_detail(call: Call, reply: Reply) -> Reply | None:
    if reply.status != 200 or call.ref != middle(call.server.board("workday")).ref:
        return None
    reply.data["jobPostingInfo"]["questionnaireId"] = "__DEEP__"
    depth = 200_000
    text = json.dumps(reply.data).replace('"__DEEP__"', "[" * depth + "]" * depth)
    return Reply(body=text.encode("ascii"))


@fault("gh_drift", "greenhouse", "schema drift: content removed from every posting", NOT_COMPLETE, kinds=("board",))
def _greenhouse_without_content(call: Call, reply: Reply) -> None:
    for job in reply.data["jobs"]:
        del job["content"]


@fault("wd_drift", "workday", "schema drift: jobDescription removed from every detail", NOT_COMPLETE,
       kinds=("detail",))
def _workday_without_description(call: Call, reply: Reply) -> None:
    if reply.status == 200:
        del reply.data["jobPostingInfo"]["jobDescription"]


@fault("lever_pay_drift", "lever", "schema drift: salaryRange removed from every posting", NOT_COMPLETE,
       kinds=("page",))
def _lever_without_structured_pay(call: Call, reply: Reply) -> None:
    for posting in reply.data:
        posting.pop("salaryRange", None)


@fault("gh_nan_pay", "greenhouse", "one posting: pay_input_ranges[].min_cents = NaN", kinds=("board",))
def _greenhouse_nan_pay(call: Call, reply: Reply) -> None:
    job = middle(reply.data["jobs"], lambda job: "pay_input_ranges" in job)
    job["pay_input_ranges"][0]["min_cents"] = float("nan")


@fault("gh_surrogate_title", "greenhouse", 'one posting: title ends with a lone surrogate "\\ud800"', kinds=("board",))
def _greenhouse_surrogate_title(call: Call, reply: Reply) -> None:
    job = middle(reply.data["jobs"])
    job["title"] = job["title"] + " \ud800"


def _full_width(text: str) -> str:
    return text.translate({ord(digit): 0xFF10 + int(digit) for digit in "0123456789"})


@fault("wd_fullwidth_pay", "workday", "one detail: the pay sentence in full-width digits", kinds=("detail",))
def _workday_full_width_pay(call: Call, reply: Reply) -> Reply | None:
    target = middle(call.server.board("workday"), lambda posting: posting.pay is not None)
    if call.ref != target.ref or reply.status != 200:
        return None
    return Reply(data=workday_detail(target, digits=_full_width))


def _phantom(index: int) -> Posting:
    return make_posting("workday", 100_000 + index, FAULT_NIGHT)


@fault("wd_runaway_pages", "workday", "search pagination never ends: new ids on every page (total 1999)",
       NOT_COMPLETE, kinds=("list", "detail"))
def _workday_runaway(call: Call, reply: Reply) -> Reply | None:
    config = call.server.config
    real = call.server.board("workday")
    if call.kind == "detail":
        if reply.status == 404 and call.ref and call.ref.startswith("JR-1"):
            number = int(call.ref.removeprefix("JR-")) - 10000 - 100_000
            if 0 <= number < config.runaway_page_cap * 20:
                return Reply(data=workday_detail(_phantom(number)))
        return None
    offset = call.offset or 0
    if offset == 0:
        reply.data["total"] = config.runaway_total
    if offset + 20 > len(real) and offset // 20 < config.runaway_page_cap:
        # Past the real postings every page is full of new ids (a bounded "never").
        phantoms = [_phantom(number) for number in range(max(0, offset - len(real)), offset + 20 - len(real))]
        reply.data["jobPostings"] = [workday_list_entry(p) for p in real[offset:offset + 20]]
        reply.data["jobPostings"] += [workday_list_entry(p) for p in phantoms][: 20 - len(reply.data["jobPostings"])]
    return None


def _duplicate(first_is_real: bool) -> Callable[[Call, Reply], None]:
    def edit(call: Call, reply: Reply) -> None:
        jobs = reply.data["jobs"]
        real = middle(jobs, lambda job: "pay_input_ranges" in job)
        stale = copy.deepcopy(real)
        stale["pay_input_ranges"][0]["min_cents"] -= 1_000_000
        stale["content"] = stale["content"].replace("projects of the coming season", "projects of last season")
        position = jobs.index(real)
        jobs[position:position + 1] = [real, stale] if first_is_real else [stale, real]
    return edit


fault("gh_dup_id_a", "greenhouse", "one id listed twice with different content (current copy first)",
      kinds=("board",))(_duplicate(first_is_real=True))
fault("gh_dup_id_b", "greenhouse", "one id listed twice with different content (stale copy first)",
      kinds=("board",))(_duplicate(first_is_real=False))


@fault("gh_5xx", "greenhouse", "board answers 503 (every attempt)", NOT_COMPLETE, kinds=("board",))
def _greenhouse_unavailable(call: Call, reply: Reply) -> Reply:
    return Reply(status=503, body=b"<html><body><h1>503 Service Unavailable</h1></body></html>",
                 content_type="text/html")


@fault("lever_429", "lever", "first page answers 429 with Retry-After: 1 once, then normally", kinds=("page",))
def _lever_rate_limited(call: Call, reply: Reply) -> Reply | None:
    if call.offset == 0 and call.count == 0:
        return Reply(status=429, data={"ok": False, "error": "Too many requests"}, headers={"Retry-After": "1"})
    return None


@fault("wd_list_timeout", "workday", "search page 2 stalls past DOWNLOAD_TIMEOUT (every attempt)", NOT_COMPLETE,
       kinds=("list",))
def _workday_list_stall(call: Call, reply: Reply) -> None:
    if call.offset == 20:
        reply.stall = call.server.config.stall_seconds


@fault("wd_detail_timeout", "workday", "one detail stalls past DOWNLOAD_TIMEOUT (every attempt)", kinds=("detail",))
def _workday_detail_stall(call: Call, reply: Reply) -> None:
    if call.ref == middle(call.server.board("workday")).ref:
        reply.stall = call.server.config.stall_seconds


@fault("wd_truncated", "workday", "search page 2 cut in half (connection drops mid-body, every attempt)",
       NOT_COMPLETE, kinds=("list",))
def _workday_truncated_page(call: Call, reply: Reply) -> None:
    if call.offset == 20:
        reply.truncate = True


@fault("lever_html", "lever", "page 2 is an HTML maintenance page (status 200)", NOT_COMPLETE, kinds=("page",))
def _lever_html_page(call: Call, reply: Reply) -> Reply | None:
    if call.offset == call.server.config.lever_page_size:
        return Reply(body=b"<!DOCTYPE html><html><body><h1>We'll be right back</h1></body></html>",
                     content_type="text/html; charset=utf-8")
    return None


@fault("gh_empty_board", "greenhouse", "empty board: jobs [] and meta.total 0", NOT_COMPLETE, kinds=("board",))
def _greenhouse_empty(call: Call, reply: Reply) -> Reply:
    return Reply(data={"jobs": [], "meta": {"total": 0}})


def kept_share(refs: list[str], share: float, salt: str) -> set[str]:
    """A deterministic random ``share`` of ``refs`` (by a hash of each): the subset a truncating server sends."""
    return {ref for ref in refs if int(hashlib.sha256(f"{salt}|{ref}".encode()).hexdigest()[:8], 16) < share * 16 ** 8}


# Truncation without a count (issue 23): a listing cut short that the platform does not count, or
# counts as sent, proves nothing is missing; the archive must hold its closures, not close on it.
@fault("gh_head_80_no_count", "greenhouse", "the first 80% of the board, meta left out", NOT_COMPLETE,
       kinds=("board",))
def _greenhouse_head_without_count(call: Call, reply: Reply) -> None:
    jobs = reply.data["jobs"]
    reply.data["jobs"] = jobs[: len(jobs) * 4 // 5]
    del reply.data["meta"]


@fault("gh_random_60_recounted", "greenhouse", "a random 60% of the board, meta.total counting what is sent",
       NOT_COMPLETE, kinds=("board",))
def _greenhouse_random_subset_recounted(call: Call, reply: Reply) -> None:
    kept = kept_share([str(job["id"]) for job in reply.data["jobs"]], 0.6, "gh")
    reply.data["jobs"] = [job for job in reply.data["jobs"] if str(job["id"]) in kept]
    reply.data["meta"]["total"] = len(reply.data["jobs"])


@fault("gh_one_missing_recounted", "greenhouse", "one posting left out, meta.total counting what is sent",
       kinds=("board",))
def _greenhouse_one_missing_recounted(call: Call, reply: Reply) -> None:
    reply.data["jobs"].remove(middle(reply.data["jobs"]))
    reply.data["meta"]["total"] = len(reply.data["jobs"])


@fault("lever_head_half", "lever", "each page cut to its first half (Lever never counts)", NOT_COMPLETE,
       kinds=("page",))
def _lever_head_half(call: Call, reply: Reply) -> None:
    reply.data = reply.data[: len(reply.data) // 2]


@fault("lever_random_70", "lever", "a random 70% of each page", NOT_COMPLETE, kinds=("page",))
def _lever_random_subset(call: Call, reply: Reply) -> None:
    kept = kept_share([posting["id"] for posting in reply.data], 0.7, "lever")
    reply.data = [posting for posting in reply.data if posting["id"] in kept]


@fault("lever_empty", "lever", "an empty list, as a site with no postings answers", NOT_COMPLETE, kinds=("page",))
def _lever_empty(call: Call, reply: Reply) -> Reply:
    return Reply(data=[])


@fault("wd_random_70_recounted", "workday", "a random 70% of the postings, total counting them", NOT_COMPLETE,
       kinds=("list",))
def _workday_random_subset_recounted(call: Call, reply: Reply) -> Reply:
    postings = call.server.board("workday")
    kept = kept_share([posting.ref for posting in postings], 0.7, "wd")
    return Reply(data=workday_page([posting for posting in postings if posting.ref in kept], call.offset or 0))


@fault("wd_empty", "workday", "no postings: total 0 and jobPostings []", NOT_COMPLETE, kinds=("list",))
def _workday_empty(call: Call, reply: Reply) -> Reply:
    return Reply(data=workday_page([], 0))


@fault("gh_robots_disallow", "greenhouse", "robots.txt disallows the Greenhouse API path", NOT_COMPLETE,
       kinds=("robots",))
def _robots_disallow_greenhouse(call: Call, reply: Reply) -> Reply:
    return Reply(body=b"User-agent: *\nDisallow: /greenhouse/\n", content_type="text/plain")


# ------------------------------------------------------------------------------------------------
# Running the real command.
# ------------------------------------------------------------------------------------------------
@dataclass
class CrawlRun:
    night: int
    exit_code: int | None     # None: killed at the time limit
    seconds: float
    stdout: str
    stderr: str

    @property
    def timed_out(self) -> bool:
        return self.exit_code is None

    def exceptions(self) -> list[str]:
        """The distinct exception lines of the log (a traceback's last line), for the report."""
        found: list[str] = []
        for line in self.stderr.splitlines():
            if re.match(r"^\w+(\.\w+)*(Error|Exception)\b", line) and line[:200] not in found:
                found.append(line[:200])
        return found


def crawl_settings(server_url: str, config: LabConfig) -> list[str]:
    """Every platform's base URL on the lab's server (so nothing can leave 127.0.0.1), the demo's
    fast local politeness, and the lab's timeouts and retries."""
    from scrapers.platforms import PLATFORMS  # imported here: only the runner needs Scrapy

    settings = [f"{spider.base_url_setting}={server_url}/{name}" for name, spider in sorted(PLATFORMS.items())]
    return settings + [
        f"LEVER_EU_API_URL={server_url}/lever",
        "DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
        f"DOWNLOAD_TIMEOUT={config.download_timeout:g}", f"RETRY_TIMES={config.retry_times}",
        f"LEVER_PAGE_SIZE={config.lever_page_size}",
    ]


def crawl_command(db: Path, registry: Path, settings: list[str], companies: Iterable[str] = ()) -> list[str]:
    command = [sys.executable, "-m", "scrapers.cli", "crawl", "--db", str(db), "--registry", str(registry),
               "--log-level", "WARNING"]
    for slug in companies:
        command += ["--company", slug]
    for setting in settings:
        command += ["-s", setting]
    return command


def crawl_env() -> dict[str, str]:
    """The checkout's code, whatever the virtualenv's editable install points at."""
    env = dict(os.environ, TZ="UTC", PYTHONPATH=str(REPO_ROOT))
    env.pop("PAYWATCH_REGISTRY", None)
    return env


def run_crawl(db: Path, registry: Path, server: FaultServer, night: int, fault: Fault | None, config: LabConfig,
              companies: Iterable[str] = (), extra_settings: Iterable[str] = ()) -> CrawlRun:
    server.set_night(night, fault)
    command = crawl_command(db, registry, crawl_settings(server.url, config) + list(extra_settings), companies)
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=crawl_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=config.crawl_timeout)
        code: int | None = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=30)
        code = None
    return CrawlRun(night, code, time.monotonic() - started, stdout, stderr)


def write_registry(directory: Path) -> Path:
    path = directory / "faultlab-companies.toml"
    path.write_text(REGISTRY_TOML, encoding="utf-8")
    return path


def copy_archive(source: Path, target: Path) -> None:
    """A consistent copy (the backup API reads through the WAL)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    # Back in WAL mode like the archive it copies (the backup keeps the header's journal mode).
    with sqlite3.connect(target) as dst:
        dst.execute("PRAGMA journal_mode=wal")


def read_only(db: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    connection.row_factory = sqlite3.Row
    return connection


# ------------------------------------------------------------------------------------------------
# Measures.
# ------------------------------------------------------------------------------------------------
@dataclass
class ArchiveState:
    """What the measures need from one archive after a run."""

    crawls: list[dict[str, Any]]
    versions: dict[tuple[str, str], list[str]]        # (company, ref) -> content hashes, in version order
    open_current: dict[tuple[str, str], str]          # open postings -> current content hash
    closures: list[tuple[int, str, str]]              # (crawl id, company, ref) of every 'closed' event
    closed_at: dict[tuple[str, str], str]             # closed postings -> when the archive dates the closure
    reopened: set[tuple[str, str]]
    opened_by_crawl: dict[int, int]
    versions_by_crawl: dict[int, int]
    integrity: str


def read_state(db: Path) -> ArchiveState:
    connection = read_only(db)
    try:
        crawls = [dict(row) for row in connection.execute("SELECT * FROM crawls ORDER BY id")]
        versions: dict[tuple[str, str], list[str]] = {}
        for row in connection.execute(
            "SELECT p.company, p.ref, v.content_hash FROM posting_versions v JOIN postings p ON p.id = v.posting_id "
            "ORDER BY p.company, p.ref, v.version"
        ):
            versions.setdefault((row["company"], row["ref"]), []).append(row["content_hash"])
        open_current = {
            (row["company"], row["ref"]): row["content_hash"]
            for row in connection.execute(
                "SELECT p.company, p.ref, v.content_hash FROM postings p JOIN posting_versions v "
                "ON v.posting_id = p.id AND v.version = p.current_version WHERE p.closed_at IS NULL"
            )
        }
        events = [dict(row) for row in connection.execute(
            "SELECT e.crawl_id, e.event, p.company, p.ref FROM posting_events e JOIN postings p ON p.id = e.posting_id "
            "ORDER BY e.id"
        )]
        closed_at = {(row["company"], row["ref"]): row["closed_at"] for row in connection.execute(
            "SELECT company, ref, closed_at FROM postings WHERE closed_at IS NOT NULL")}
        versions_by_crawl = dict(connection.execute(
            "SELECT crawl_id, count(*) FROM posting_versions GROUP BY crawl_id"))
        integrity = "; ".join(row[0] for row in connection.execute("PRAGMA integrity_check"))
    finally:
        connection.close()
    opened: dict[int, int] = {}
    for event in events:
        if event["event"] == "opened":
            opened[event["crawl_id"]] = opened.get(event["crawl_id"], 0) + 1
    return ArchiveState(
        crawls=crawls,
        versions=versions,
        open_current=open_current,
        closures=[(e["crawl_id"], e["company"], e["ref"]) for e in events if e["event"] == "closed"],
        closed_at=closed_at,
        reopened={(e["company"], e["ref"]) for e in events if e["event"] == "reopened"},
        opened_by_crawl=opened,
        versions_by_crawl=versions_by_crawl,
        integrity=integrity,
    )


def common_subsequence(first: list[str], second: list[str]) -> int:
    """Length of the longest common subsequence (version histories are a handful long)."""
    table = [[0] * (len(second) + 1) for _ in range(len(first) + 1)]
    for i, a in enumerate(first):
        for j, b in enumerate(second):
            table[i + 1][j + 1] = table[i][j] + 1 if a == b else max(table[i][j + 1], table[i + 1][j])
    return table[-1][-1]


@dataclass
class RowResult:
    """One row of the matrix."""

    name: str
    platform: str
    summary: str
    expect: str
    status: dict[int, dict[str, tuple[str, str]]]   # night -> company -> (status, failure reason); "—" = no row
    false_closures: list[tuple[int, str, str]]       # (night, company, ref)
    spurious_versions: int
    lost_versions: int
    lost_nights: list[tuple[int, str]]               # (night, company) without a crawl row
    failed_crawl_writes: int                         # versions + openings written by crawls recorded failed
    unlisted_postings: list[tuple[str, str]]         # archived postings the server never truly listed
    integrity: str
    convergence_differences: int
    off_host_requests: int
    runs: list[CrawlRun]
    versions: dict[tuple[str, str], list[str]]
    late_closures: list[tuple[str, str, str]] = field(default_factory=list)  # (company, ref, why): real, not right
    seconds: float = 0.0
    evidence: list[str] = field(default_factory=list)
    lab_problems: list[str] = field(default_factory=list)  # the lab's own errors (must stay empty)

    @property
    def company(self) -> str:
        return COMPANIES[self.platform]

    def night_status(self, night: int) -> str:
        return self.status.get(night, {}).get(self.company, ("—", ""))[0]

    def night_reason(self, night: int) -> str:
        return self.status.get(night, {}).get(self.company, ("", ""))[1] or ""

    @property
    def converged(self) -> bool:
        return self.convergence_differences == 0


def night_of_crawl(crawl_ids_by_night: dict[int, set[int]], crawl_id: int) -> int | None:
    return next((night for night, ids in crawl_ids_by_night.items() if crawl_id in ids), None)


def measure(name: str, platform: str, summary: str, expect: str, state: ArchiveState, reference: ArchiveState,
            crawl_ids_by_night: dict[int, set[int]], config: LabConfig, runs: list[CrawlRun],
            off_host_requests: int) -> RowResult:
    by_id = {crawl["id"]: crawl for crawl in state.crawls}
    status: dict[int, dict[str, tuple[str, str]]] = {}
    lost_nights: list[tuple[int, str]] = []
    for night, ids in crawl_ids_by_night.items():
        status[night] = {by_id[i]["company"]: (by_id[i]["status"], by_id[i].get("failure_reason") or "") for i in ids}
        for slug in COMPANIES.values():
            if slug not in status[night]:
                status[night][slug] = ("—", "no crawl row")
                if night != 1:
                    lost_nights.append((night, slug))

    false_closures = []
    for crawl_id, company, ref in state.closures:
        night = night_of_crawl(crawl_ids_by_night, crawl_id)
        platform_of_company = PLATFORM_OF[company]
        listed = night is not None and ref in listed_refs(platform_of_company, config.sizes[platform_of_company], night)
        if listed or (company, ref) in state.reopened:
            false_closures.append((night or 0, company, ref))

    spurious = lost = 0
    for key in set(state.versions) | set(reference.versions):
        ours, theirs = state.versions.get(key, []), reference.versions.get(key, [])
        shared = common_subsequence(ours, theirs)
        spurious += len(ours) - shared
        lost += len(theirs) - shared

    failed_ids = [crawl["id"] for crawl in state.crawls if crawl["status"] == "failed"]
    failed_writes = sum(state.versions_by_crawl.get(i, 0) + state.opened_by_crawl.get(i, 0) for i in failed_ids)

    ever_listed = {
        (company, ref)
        for platform, company in COMPANIES.items()
        for night in NIGHTS
        for ref in listed_refs(platform, config.sizes[platform], night)
    }
    unlisted = sorted(key for key in state.versions if key not in ever_listed)

    differences = len(set(state.open_current.items()) ^ set(reference.open_current.items()))
    return RowResult(name, platform, summary, expect, status, false_closures, spurious, lost, lost_nights,
                     failed_writes, unlisted, state.integrity, differences, off_host_requests, runs, state.versions,
                     late_closures(state, crawl_ids_by_night))


def late_closures(state: ArchiveState, crawl_ids_by_night: dict[int, set[int]]) -> list[tuple[str, str, str]]:
    """The postings really taken down on night 3 that the archive has not closed by night 4, or dates
    outside (night 2's crawl, night 3's crawl]: after the last night it was listed, by the first night it
    was gone."""
    crawls = {crawl["id"]: crawl for crawl in state.crawls}
    problems = []
    for platform, company in COMPANIES.items():
        ref = posting_ref(platform, REMOVED_ON_NIGHT_3)
        night_start = {night: min((crawls[i]["started_at"] for i in ids if crawls[i]["company"] == company),
                                  default=None)
                       for night, ids in crawl_ids_by_night.items()}
        at = state.closed_at.get((company, ref))
        if at is None:
            problems.append((company, ref, "not closed by night 4"))
        elif not (night_start[2] or "") < at <= (night_start[3] or ""):
            problems.append((company, ref, f"closed dated {at}, not on night 3 ({night_start[3]})"))
    return problems


# ------------------------------------------------------------------------------------------------
# The lab: night 1 once, the fault-free reference once, then one row per fault.
# ------------------------------------------------------------------------------------------------
class FaultLab:
    """``FaultLab(config, workdir)``: ``lab.reference()`` and ``lab.run_row(fault)``; every row
    starts from a copy of the same good night 1 and is compared with the same fault-free run."""

    def __init__(self, config: LabConfig, workdir: Path) -> None:
        self.config = config
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.registry = write_registry(self.workdir)
        self._night1: Path | None = None
        self._night1_ids: set[int] = set()
        self._reference: RowResult | None = None
        self._reference_state: ArchiveState | None = None
        self._lock = threading.Lock()

    def night1(self) -> Path:
        """An archive holding good night 1 (crawled once, copied for every row)."""
        with self._lock:
            if self._night1 is None:
                db = self.workdir / "night1.db"
                with FaultServer(self.config) as server:
                    run = run_crawl(db, self.registry, server, 1, None, self.config)
                if run.exit_code != 0:
                    raise RuntimeError(
                        f"good night 1 did not crawl cleanly (exit {run.exit_code}):\n{run.stderr[-3000:]}")
                connection = read_only(db)
                self._night1_ids = {row[0] for row in connection.execute("SELECT id FROM crawls")}
                connection.close()
                self._night1 = db
            return self._night1

    def run_nights(self, label: str, fault: Fault | None) -> tuple[Path, dict[int, set[int]], list[CrawlRun], int,
                                                                  list[str]]:
        """Nights 2 to 4 on a copy of night 1: the archive, each night's crawl ids, the runs, how
        many requests the "other host" received, and the lab's own problems (server errors, 404s)."""
        db = self.workdir / f"{label}.db"
        copy_archive(self.night1(), db)
        crawl_ids = {1: set(self._night1_ids)}
        runs = []
        with FaultServer(self.config) as server:
            for night in NIGHTS[1:]:
                before = max_crawl_id(db)
                runs.append(run_crawl(db, self.registry, server, night, fault, self.config))
                crawl_ids[night] = crawl_ids_after(db, before)
            off_host = len(server.other_host.requests) - sum(
                1 for call in server.other_host.requests if call.kind == "robots")
            problems = [f"server error: {error}" for error in server.errors + server.other_host.errors]
            problems += [f"no such route: {miss}" for miss in server.misses + server.other_host.misses]
        return db, crawl_ids, runs, off_host, problems

    def reference(self) -> RowResult:
        """The fault-free run of the same four nights (computed once)."""
        with self._lock:
            cached = self._reference
        if cached is not None:
            return cached
        db, crawl_ids, runs, off_host, problems = self.run_nights("reference", None)
        state = read_state(db)
        result = measure("reference", "greenhouse", "no fault", "complete", state, state, crawl_ids, self.config,
                         runs, off_host)
        result.lab_problems = problems
        with self._lock:
            self._reference, self._reference_state = result, state
        return result

    def reference_state(self) -> ArchiveState:
        self.reference()
        return self._reference_state

    def run_row(self, fault: Fault) -> RowResult:
        started = time.monotonic()
        self.reference()
        db, crawl_ids, runs, off_host, problems = self.run_nights(fault.name, fault)
        result = measure(fault.name, fault.platform, fault.summary, fault.expect, read_state(db),
                         self._reference_state, crawl_ids, self.config, runs, off_host)
        result.lab_problems = problems
        result.seconds = time.monotonic() - started
        result.evidence = evidence(result, runs)
        return result

    def run_rows(self, faults: Iterable[Fault], workers: int = 2) -> list[RowResult]:
        """Every row, ``workers`` at a time (each row has its own server and archive)."""
        self.night1()
        self.reference()
        faults = list(faults)
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            return list(pool.map(self.run_row, faults))


def max_crawl_id(db: Path) -> int:
    connection = read_only(db)
    try:
        return connection.execute("SELECT coalesce(max(id), 0) FROM crawls").fetchone()[0]
    finally:
        connection.close()


def crawl_ids_after(db: Path, before: int) -> set[int]:
    connection = read_only(db)
    try:
        return {row[0] for row in connection.execute("SELECT id FROM crawls WHERE id > ?", [before])}
    finally:
        connection.close()


def evidence(result: RowResult, runs: list[CrawlRun]) -> list[str]:
    """Short lines from the archive and the logs that say why a row looks the way it does."""
    lines = []
    for night in NIGHTS[1:]:
        status, reason = result.status[night][result.company]
        lines.append(f"night {night} {result.company}: {status}{': ' + reason[:160] if reason else ''}")
        others = {slug: status for slug, (status, _) in result.status[night].items()
                  if slug != result.company and status != "complete"}
        if others:
            lines.append(f"night {night} other companies not complete: {others}")
    if result.false_closures:
        refs = ", ".join(ref for _, _, ref in result.false_closures[:5])
        nights = sorted({night for night, _, _ in result.false_closures})
        lines.append(f"{len(result.false_closures)} listed postings closed on night(s) {nights}: {refs}"
                     f"{' ...' if len(result.false_closures) > 5 else ''}")
    for run in runs:
        if run.timed_out:
            lines.append(f"night {run.night}: paywatch crawl killed after {run.seconds:.0f}s (time limit)")
        for error in run.exceptions()[:3]:
            lines.append(f"night {run.night} log: {error}")
    if result.failed_crawl_writes:
        lines.append(f"crawls recorded failed still wrote {result.failed_crawl_writes} versions/openings")
    if result.off_host_requests:
        lines.append(f"the other host received {result.off_host_requests} request(s)")
    if result.unlisted_postings:
        lines.append(f"{len(result.unlisted_postings)} postings the server never listed were archived, "
                     f"e.g. {result.unlisted_postings[0][1]}")
    return lines


# ------------------------------------------------------------------------------------------------
# The matrix.
# ------------------------------------------------------------------------------------------------
def matrix_rows(results: list[RowResult]) -> list[list[Any]]:
    rows = []
    for result in results:
        rows.append([
            result.name,
            result.expect,
            result.night_status(2),
            result.night_status(3),
            result.night_status(4),
            len(result.false_closures),
            len(COMPANIES) - len(result.late_closures),
            result.spurious_versions,
            result.lost_versions,
            len(result.lost_nights),
            result.failed_crawl_writes,
            len(result.unlisted_postings),
            result.integrity,
            "yes" if result.converged else f"no ({result.convergence_differences})",
            result.off_host_requests,
        ])
    return rows


MATRIX_HEADERS = ["fault", "expect n2", "n2 status", "n3 status", "n4 status", "false closed", "real closed",
                  "spurious ver", "lost ver",
                  "lost nights", "failed wrote", "unlisted", "integrity", "converged", "off-host req"]
MATRIX_LEGEND = """\
expect n2     what issue 9 asks of the fault night: "not complete" (failed or suspect) or "any" (a bad value)
n2..n4 status crawls.status of the faulted company on the fault night and the good nights after ("—": no row)
false closed  'closed' events for postings the server still listed that night (or that later reopened)
real closed   of the postings really taken down on night 3 (one a platform), those closed by night 4 and dated night 3
spurious ver  versions beyond the fault-free run's (per posting, longest common subsequence of content hashes)
lost ver      versions of the fault-free run missing after night 4
lost nights   (night, company) crawls that left no crawls row (archive write raised, or killed at the limit)
failed wrote  versions written + postings opened by crawls recorded failed
unlisted      archived postings the server never listed (another host's board, runaway pages)
integrity     PRAGMA integrity_check after night 4
converged     open postings and their current content hashes equal the fault-free run's after night 4
off-host req  requests the other host (another port on 127.0.0.1) received, robots.txt aside
"""


def render_matrix(results: list[RowResult]) -> str:
    from tabulate import tabulate

    rows = matrix_rows(results)
    totals = ["TOTAL", "", f"{sum(1 for r in results if r.night_status(2) == 'complete')} complete", "", "",
              sum(len(r.false_closures) for r in results), sum(len(COMPANIES) - len(r.late_closures) for r in results),
              sum(r.spurious_versions for r in results),
              sum(r.lost_versions for r in results), sum(len(r.lost_nights) for r in results),
              sum(r.failed_crawl_writes for r in results),
              sum(len(r.unlisted_postings) for r in results),
              f"{sum(1 for r in results if r.integrity == 'ok')}/{len(results)} ok",
              f"{sum(1 for r in results if r.converged)}/{len(results)}",
              sum(r.off_host_requests for r in results)]
    return tabulate(rows + [totals], headers=MATRIX_HEADERS, tablefmt="simple", disable_numparse=True)


def expectation_failures(result: RowResult) -> list[str]:
    """What the row gets wrong against issue 9's model (what the tests assert)."""
    problems = []
    if result.false_closures:
        problems.append(f"{len(result.false_closures)} false closure(s)")
    if result.late_closures:
        problems.append(f"real closure(s) missing or misdated: {result.late_closures}")
    if result.lost_nights:
        problems.append(f"lost night(s) {result.lost_nights}")
    if result.expect == NOT_COMPLETE and result.night_status(FAULT_NIGHT) == "complete":
        problems.append("fault night recorded complete")
    return problems
