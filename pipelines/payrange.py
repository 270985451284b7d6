"""The PayRange type shared by the text parser and the platform field mappers."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

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

    # Written by hand rather than generated: a frozen dataclass's __init__ sets each field through
    # object.__setattr__, and filling __dict__ in one call makes building a range twice as fast (the
    # text parser builds one per range it finds). The dataclass decorator keeps an explicit __init__.
    def __init__(
        self, min: float, max: float, currency: str, period: str, basis: str = "unknown",
        label: str | None = None, raw: str = "", source: str = "text", period_inferred: bool = False,
    ) -> None:
        if period not in PERIODS:
            raise ValueError(f"unknown pay period {period!r}")
        if basis not in BASES:
            raise ValueError(f"unknown pay basis {basis!r}")
        if min > max:
            raise ValueError(f"pay min {min} is above max {max}")
        self.__dict__.update(
            min=min, max=max, currency=currency, period=period, basis=basis, label=label, raw=raw,
            source=source, period_inferred=period_inferred,
        )

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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PayRange":
        names = cls.__dataclass_fields__.keys()
        return cls(**{key: value for key, value in data.items() if key in names})
