"""The item every spider yields, and the pay range it carries.

Identity is designed, not a database row id: (platform, company, ref), where ``ref`` is the
platform's own job id. Extraction fills the posting as published; pipelines add what paywatch
derives from it (parsed pay ranges, role type, AI flag, seniority). ``PayRange`` is one published
range, from a platform's pay fields or parsed from text; postings carry them as ``to_dict()`` dicts.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class JobPosting:
    platform: str
    company: str
    ref: str
    title: str | None
    url: str | None = None
    department: str | None = None
    locations: list[str] = field(default_factory=list)
    # ISO 3166 alpha-2 when the platform says it; it decides what a bare "$" means.
    country: str | None = None
    employment_type: str | None = None
    posted_at: str | None = None
    updated_at: str | None = None
    description: str | None = None
    # The text most likely to hold pay (a pay block or salary description); else the description is used.
    pay_text: str | None = None
    # Ranges from platform fields (Lever salaryRange, Greenhouse pay_input_ranges, Ashby tiers, JSON-LD
    # baseSalary), as PayRange dicts with source="structured". The pay pipeline keeps these over text.
    pay_ranges: list[dict[str, Any]] = field(default_factory=list)
    pay_source: str | None = None
    role_type: str | None = None
    ai_related: bool | None = None
    seniority: str | None = None
    scraped_at: str | None = None
    # True when only the listing was read: the night's detail budget left this new posting's detail
    # for a later night (scrapers/platforms/details.py). The archive opens it but never versions a
    # known posting from its list alone.
    list_only: bool = False
    # The fields whose published value could not be read tonight (a pay figure "n/a", metadata of the
    # wrong type): the archive keeps the posting's version rather than record a value as removed.
    lost_values: list[str] = field(default_factory=list)

PERIODS = ("year", "month", "week", "day", "hour")
BASES = ("base", "total", "ote", "unknown")
# The usual US full-time conventions (2080 h = 52 weeks x 40 h; 260 working days).
ANNUAL_FACTORS = {"year": 1, "month": 12, "week": 52, "day": 260, "hour": 2080}


@dataclass(frozen=True)
class PayRange:
    min: float
    max: float
    currency: str
    period: str
    basis: str = "unknown"
    label: str | None = None
    raw: str = ""
    # "structured" when it came from a platform field, "text" when parsed from prose.
    source: str = "text"
    period_inferred: bool = False
    # Where ``raw`` sits in the text it was parsed from (the posting's pay_source field): [start, end).
    start: int | None = None
    end: int | None = None
    # Kept as published, but its period is implausible for its size (2,100-2,600 "per year"): research
    # queries leave it out (pipelines.pay_parser.period_suspect).
    period_suspect: bool = False

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise ValueError(f"unknown pay period {self.period!r}")
        if self.basis not in BASES:
            raise ValueError(f"unknown pay basis {self.basis!r}")
        if not (math.isfinite(self.min) and math.isfinite(self.max)):
            raise ValueError(f"pay figures must be finite numbers, got {self.min}-{self.max}")
        if self.min > self.max:
            raise ValueError(f"pay min {self.min} is above max {self.max}")

    @property
    def annualized(self) -> bool:
        """True when annual_min/annual_max are derived rather than stated."""
        return self.period != "year"

    @property
    def annual_min(self) -> float:
        return round(self.min * ANNUAL_FACTORS[self.period], 2)

    @property
    def annual_max(self) -> float:
        return round(self.max * ANNUAL_FACTORS[self.period], 2)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(annual_min=self.annual_min, annual_max=self.annual_max, annualized=self.annualized)
        return data
