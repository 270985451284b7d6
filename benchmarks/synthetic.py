"""Made-up companies whose boards change a little every night, for the crawl and ingest benchmarks.

A ``Board`` is one company's open postings on one night. ``Board.advance()`` moves it to the next
night: a fixed share of its postings (2% by default) change, drawn by a seeded random generator so
every run sees the same nights. Of each ten changes, four raise a pay range, four edit the
description, one takes a posting down and one opens a new posting.

A posting renders two ways: as an entry of a real Greenhouse board reply (``greenhouse_board``: the
field set of the corpus's recorded replies, ``content`` entity-escaped HTML with the markup real boards
use) for ``benchmarks/crawl.py``, and as the JobPosting dict the pipelines hand the archive
(``archived_item``) for ``benchmarks/ingest.py``. Descriptions are about 3 KB of text.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass, replace
from typing import Any

TITLES = (
    "Software Engineer, Payments", "Senior Data Scientist", "Product Manager, Growth",
    "Machine Learning Engineer, Recommendations", "Technical Recruiter", "Account Executive, Enterprise",
    "Production Coordinator", "Senior Product Designer", "Financial Analyst", "Customer Support Specialist",
    "Staff Backend Engineer", "Marketing Manager", "Research Scientist, Large Language Models",
    "Security Engineer", "Video Editor", "Director, Film Marketing", "Data Engineer", "Site Reliability Engineer",
    "Animator, Feature Films", "Engineering Manager, Platform",
)
HOURLY_TITLES = {"Customer Support Specialist", "Production Coordinator"}
DEPARTMENTS = ("Engineering", "Data", "Product", "Design", "Marketing", "Sales", "Operations", "Finance")
PLACES = (("San Francisco", "CA"), ("New York", "NY"), ("Los Angeles", "CA"), ("Seattle", "WA"),
          ("Austin", "TX"), ("Chicago", "IL"), ("Denver", "CO"), ("Boston", "MA"))
# Of every ten changes a night: four pay raises, four description edits, one closure, one opening.
CHANGE_KINDS = ("pay", "description", "pay", "description", "close", "pay", "description", "pay", "description",
                "open")
NIGHT_ONE = "2026-11-02"


@dataclass(frozen=True)
class Posting:
    """One posting as it is tonight; ``edits`` and ``raises`` count its changes so far."""

    index: int
    title: str
    department: str
    city: str
    state: str
    base_pay: tuple[float, float] | None
    hourly: bool
    raises: int = 0
    edits: int = 0

    @property
    def pay(self) -> tuple[float, float] | None:
        if self.base_pay is None:
            return None
        factor = 1.04 ** self.raises
        digits = 2 if self.hourly else -3
        return round(self.base_pay[0] * factor, digits), round(self.base_pay[1] * factor, digits)

    @property
    def location(self) -> str:
        return f"{self.city}, {self.state}"

    @property
    def pay_style(self) -> int:
        """0: structured ``pay_input_ranges``; 1: the pay-transparency block; 2: a sentence in the text."""
        return self.index % 3


def new_posting(index: int) -> Posting:
    title = TITLES[index % len(TITLES)]
    hourly = title in HOURLY_TITLES
    pay = None
    if index % 7 != 6:  # most postings publish pay, as the boards paywatch follows do
        if hourly:
            low = 21.0 + index % 9
            pay = (low, low + 7.0)
        else:
            low = 70000.0 + (index * 7919) % 150 * 1000
            pay = (low, round(low * 1.35, -3))
    city, state = PLACES[index % len(PLACES)]
    return Posting(index, title, DEPARTMENTS[index % len(DEPARTMENTS)], city, state, pay, hourly)


class Board:
    """One company's open postings, night by night (night 0 first)."""

    def __init__(self, company: str, size: int, *, change_share: float = 0.02, seed: int = 10) -> None:
        self.company = company
        self.change_share = change_share
        self.seed = seed
        self.night = 0
        self.postings: dict[int, Posting] = {index: new_posting(index) for index in range(size)}
        self.closed_tonight: set[str] = set()
        self.next_index = size
        self.company_offset = sum(map(ord, company)) % 1000 * 1_000_000  # ids unique across companies

    def advance(self) -> dict[str, int]:
        """Move to the next night; how many postings changed, by kind."""
        self.night += 1
        self.closed_tonight: set[str] = set()  # refs taken down tonight: closed by the next night's listing
        rng = random.Random(f"{self.seed}/{self.company}/{self.night}")
        count = max(1, round(self.change_share * len(self.postings)))
        chosen = rng.sample(sorted(self.postings), min(count, len(self.postings)))
        done = dict.fromkeys(("pay", "description", "close", "open"), 0)
        for position, index in enumerate(chosen):
            kind = CHANGE_KINDS[position % len(CHANGE_KINDS)]
            posting = self.postings[index]
            if kind == "pay" and posting.base_pay is None:
                kind = "description"
            if kind == "pay":
                self.postings[index] = replace(posting, raises=posting.raises + 1)
            elif kind == "description":
                self.postings[index] = replace(posting, edits=posting.edits + 1)
            elif kind == "close":
                self.closed_tonight.add(self.ref(posting))
                del self.postings[index]
            else:
                self.postings[self.next_index] = new_posting(self.next_index)
                self.next_index += 1
            done[kind] += 1
        return done

    def ref(self, posting: Posting) -> str:
        return str(4_000_000_000 + self.company_offset + posting.index)

    def token(self) -> str:
        return self.company

    # -- rendered as Greenhouse's board reply -------------------------------------------------------
    def greenhouse_board(self) -> dict[str, Any]:
        jobs = [self.greenhouse_job(posting) for posting in self.postings.values()]
        return {"jobs": jobs, "meta": {"total": len(jobs)}}

    def greenhouse_job(self, posting: Posting) -> dict[str, Any]:
        """One entry of ``GET /v1/boards/{token}/jobs?content=true&pay_transparency=true``."""
        ref = self.ref(posting)
        job: dict[str, Any] = {
            "absolute_url": f"https://boards.greenhouse.io/{self.token()}/jobs/{ref}?gh_src=board",
            "data_compliance": [{"type": "gdpr", "requires_consent": False, "requires_processing_consent": False,
                                 "requires_retention_consent": False, "retention_period": None,
                                 "demographic_data_consent_applies": False}],
            "internal_job_id": 15_000_000 + posting.index,
            "location": {"name": posting.location},
            "metadata": [
                {"id": 4120051, "name": "Employment Type", "value": "Part-time" if posting.hourly else "Full-time",
                 "value_type": "single_select"},
                {"id": 10216612, "name": "Workplace Type", "value": "Hybrid", "value_type": "single_select"},
            ],
            "id": int(ref),
            "updated_at": f"{NIGHT_ONE}T10:15:00-05:00",
            "requisition_id": f"R-{posting.index:05d}",
            "title": posting.title,
            "company_name": self.company.replace("_", " ").title(),
            "first_published": f"2026-10-{1 + posting.index % 28:02d}T09:00:00-04:00",
            "language": "en",
            "application_deadline": None,
            "content": html.escape(self.content_html(posting)),
            "departments": [{"id": 60100 + posting.index % len(DEPARTMENTS), "name": posting.department,
                             "child_ids": [], "parent_id": None}],
            "offices": [{"id": 50200 + posting.index % len(PLACES), "name": posting.location,
                         "location": posting.location, "child_ids": [], "parent_id": None}],
        }
        if posting.pay is not None and posting.pay_style == 0:
            low, high = posting.pay
            job["pay_input_ranges"] = [{"min_cents": int(low * 100), "max_cents": int(high * 100),
                                        "currency_type": "USD", "title": f"{posting.city} Pay Range",
                                        "blurb": "<p>Base pay for this role.</p>"}]
        return job

    def content_html(self, posting: Posting) -> str:
        """The description as boards write it: headings, styled spans, lists, entities."""
        name = html.escape(self.company.replace("_", " ").title())
        parts = [f'<div class="content-intro"><p><span style="font-family: helvetica, arial, sans-serif; '
                 f'font-size: 12pt;">{name} makes films, series and the software behind them, for audiences '
                 f'in more than 190 countries. We&rsquo;re a team of storytellers, engineers and operators who '
                 f'care about craft &amp; about each other.</span></p></div>']
        parts.append("<h2><strong>About the role</strong></h2>")
        for paragraph in description_paragraphs(posting):
            parts.append(f"<p>{html.escape(paragraph)}</p>")
        for heading, bullets in description_lists(posting):
            parts.append(f"<h3><strong>{heading}</strong></h3><ul>")
            parts += [f"<li><strong>{html.escape(lead)}:</strong> {html.escape(rest)}</li>" for lead, rest in bullets]
            parts.append("</ul>")
        if posting.pay is not None and posting.pay_style == 1:
            low, high = posting.pay
            parts.append(
                '<div class="content-pay-transparency"><div class="pay-input"><div class="description"><p>The base '
                'salary range for this full-time position is listed below.</p></div>'
                f'<div class="title">{posting.city} Pay Range</div><div class="pay-range"><span>{money(low)}</span>'
                f'<span class="divider">&mdash;</span><span>{money(high)} USD</span></div></div></div>')
        elif posting.pay is not None and posting.pay_style == 2:
            parts.append(f"<p>{html.escape(pay_sentence(posting))}</p>")
        parts.append(f"<p><em>{html.escape(EQUAL_OPPORTUNITY)}</em></p>")
        return "".join(parts)

    # -- rendered as the pipelines' output, what the archive writer hands ``ingest_crawl`` ----------
    def archived_item(self, posting: Posting, scraped_at: str) -> dict[str, Any]:
        ref = self.ref(posting)
        pay_ranges = []
        if posting.pay is not None:
            low, high = posting.pay
            period = "hour" if posting.hourly else "year"
            factor = 2080 if posting.hourly else 1
            pay_ranges.append({
                "min": low, "max": high, "currency": "USD", "period": period, "basis": "base",
                "label": f"{posting.city} Pay Range" if posting.pay_style < 2 else None,
                "raw": f"{money(low)} - {money(high)} USD", "source": "structured" if posting.pay_style == 0 else "text",
                "period_inferred": posting.pay_style == 0, "annual_min": round(low * factor, 2),
                "annual_max": round(high * factor, 2), "annualized": posting.hourly,
            })
        return {
            "platform": "greenhouse", "company": self.company, "ref": ref, "title": posting.title,
            "url": f"https://boards.greenhouse.io/{self.token()}/jobs/{ref}?gh_src=board",
            "department": posting.department, "locations": [posting.location], "country": "US",
            "employment_type": "Part-time" if posting.hourly else "Full-time",
            "posted_at": f"2026-10-{1 + posting.index % 28:02d}T09:00:00-04:00",
            "updated_at": f"{NIGHT_ONE}T10:15:00-05:00",
            "description": description_text(posting),
            "pay_text": pay_text(posting),
            "pay_ranges": pay_ranges,
            "pay_source": None if posting.pay is None else ("structured" if posting.pay_style == 0 else "text"),
            "role_type": "engineering" if "Engineer" in posting.title else "other",
            "ai_related": "Machine Learning" in posting.title or "Language Models" in posting.title,
            "seniority": "senior" if "Senior" in posting.title or "Staff" in posting.title else "mid",
            "scraped_at": scraped_at,
        }


EQUAL_OPPORTUNITY = ("We are an equal opportunity employer and value diversity at our company. We do not discriminate "
                     "on the basis of race, religion, color, national origin, gender, sexual orientation, age, "
                     "marital status, veteran status, or disability status.")


def money(amount: float) -> str:
    return f"${amount:,.2f}" if amount < 1000 else f"${amount:,.0f}"


def pay_sentence(posting: Posting) -> str:
    low, high = posting.pay
    unit = "per hour" if posting.hourly else "per year"
    return (f"The hiring range for this position in {posting.location} is {money(low)} to {money(high)} {unit}. "
            "Pay within the range depends on skills, experience and location.")


def pay_text(posting: Posting) -> str | None:
    """What the Greenhouse extractor reads as the posting's pay text: the block, or the sentence."""
    if posting.pay is None or posting.pay_style == 0:
        return None
    if posting.pay_style == 1:
        low, high = posting.pay
        return ("The base salary range for this full-time position is listed below.\n"
                f"{posting.city} Pay Range: {money(low)} \u2014 {money(high)} USD")
    return pay_sentence(posting)


def description_paragraphs(posting: Posting) -> list[str]:
    paragraphs = [
        f"As our {posting.title} in {posting.location}, you will join the {posting.department} team and work on "
        "the projects of the coming season: the tools our productions rely on every day, the services that bring "
        "our stories to members around the world, and the data that tells us what resonates.",
        "You will own problems end to end, from the first conversation with the people who have them to the day the "
        "solution is running well and someone else can look after it. We work in small teams with a lot of trust "
        "and little process, and we write things down so that people in other time zones can follow along.",
        "The team is spread over three offices and works hybrid: two days a week together, the rest wherever you "
        "do your best work. New members spend their first month pairing with a different colleague each week, so "
        "that by the end of it they know who to ask about what, and have shipped something real.",
    ]
    paragraphs += [f"Update {edit}: this role now also covers the partnership with our studio in {posting.city}, "
                   f"season {edit + 1}." for edit in range(1, posting.edits + 1)]
    return paragraphs


def description_lists(posting: Posting) -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        ("What you&rsquo;ll do", [
            ("Build", f"design and ship the systems the {posting.department} team needs, with care for the people "
                      "who use them and for the ones who will maintain them after you."),
            ("Partner", "work closely with producers, engineers and analysts to decide what to build next and why."),
            ("Measure", "define what success looks like, instrument it, and report on it honestly, good or bad."),
            ("Improve", "leave every codebase, process and document you touch a little better than you found it."),
            ("Mentor", "help the people around you grow, through review, pairing and the occasional talk."),
            ("Operate", "share an on-call rotation with the team, and make each page rarer than the one before."),
        ]),
        ("Who you are", [
            ("Experienced", "several years of professional experience in a role like this one, or equivalent."),
            ("Curious", "you enjoy learning how things work, including the parts outside your own field."),
            ("Clear", "you explain complex ideas simply, in writing and in person, to people with other skills."),
            ("Reliable", "you do what you said you would, and say so early when plans need to change."),
            ("Kind", "you give and take candid feedback well, and you make newcomers feel welcome from day one."),
            ("Practical", "you know when a good-enough answer today beats a perfect one next quarter, and say so."),
        ]),
        ("What we offer", [
            ("Health", "medical, dental and vision cover for you and your dependants from your first day."),
            ("Time", "generous paid time off, paid parental leave and a winter break when the whole company rests."),
            ("Growth", "a yearly learning budget, conference travel and time set aside for projects of your own."),
        ]),
    ]


def description_text(posting: Posting) -> str:
    """Roughly what ``html_to_text`` makes of ``content_html`` (for the ingest benchmark's items)."""
    lines = [f"{posting.title} makes films, series and the software behind them.", "About the role"]
    lines += description_paragraphs(posting)
    for heading, bullets in description_lists(posting):
        lines.append(html.unescape(heading))
        lines += [f"• {lead}: {rest}" for lead, rest in bullets]
    if posting.pay is not None and posting.pay_style == 2:
        lines.append(pay_sentence(posting))
    lines.append(EQUAL_OPPORTUNITY)
    return "\n".join(lines)
