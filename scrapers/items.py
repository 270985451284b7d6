"""The one item every spider yields.

Identity is designed, not a database row id: (platform, company, ref), where ``ref`` is the
platform's own job id. Extraction fills the posting as published; pipelines add what paywatch
derives from it (parsed pay ranges, role type, AI flag, seniority).
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
