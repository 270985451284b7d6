"""Helpers every platform's extraction uses: HTML to text, timestamps, ids and counts, structured pay
fields, and the stamp every posting gets."""

from __future__ import annotations

import html
import math
import re
import warnings
from datetime import datetime, timezone
from typing import Any

import w3lib.html
from w3lib.html import remove_comments, remove_tags_with_content

from scrapers.items import JobPosting, PayRange

_BLOCK_END = re.compile(r"<\s*(?:br\s*/?|/p|/div|/li|/h[1-6]|/tr|/ul|/ol|/section|/table)\s*>", re.IGNORECASE)
_LIST_ITEM = re.compile(r"<\s*li\b[^>]*>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2009\u202f]+")
# The runs _SPACES.sub(" ", ...) would change, and only those: two or more, or one that is not a plain
# space. Text has a single space between most words; matching each of them was most of the work.
_SPACES_TO_SQUEEZE = re.compile(r"[ \t\r\f\v\u00a0\u2009\u202f]{2,}|[\t\r\f\v\u00a0\u2009\u202f]")
_BLANK_LINES = re.compile(r"\n{3,}")
# w3lib's own tag pattern: remove_tags() with no tags named removes every match of it, but calls a
# Python function per tag to decide; substituting "" directly gives the same text at a third of the cost.
_ANY_TAG = w3lib.html._tags_re


def html_to_text(markup: str | None, *, escaped: bool = False) -> str | None:
    """Plain text with one line per block element.

    ``escaped`` is for APIs (Greenhouse) that send the HTML itself entity-escaped (``&lt;p&gt;``).
    """
    if markup is None:
        return None
    if escaped:
        markup = html.unescape(markup)
    if "<!--" in markup:
        markup = remove_comments(markup)
    markup = remove_tags_with_content(markup, which_ones=("script", "style"))
    markup = _LIST_ITEM.sub("\n• ", markup)
    markup = _BLOCK_END.sub("\n", markup)
    # Runs of spaces squeezed in the whole text at once (the pattern never spans a newline), then each line stripped.
    text = _SPACES_TO_SQUEEZE.sub(" ", html.unescape(_ANY_TAG.sub("", markup)))
    lines = [line.strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip() or None


def plain_text(value: Any) -> str | None:
    """A plain-text field (the API's own text version of a description) trimmed, or None when empty."""
    return value.strip() or None if isinstance(value, str) else None


def clean_inline(value: Any) -> str | None:
    """A single-line string field, or None when empty."""
    if value is None:
        return None
    text = _SPACES.sub(" ", str(value).replace("\n", " ")).strip()
    return text or None


def iso_from_epoch(value: Any, *, milliseconds: bool = False) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        seconds = float(value) / (1000 if milliseconds else 1)
        return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def iso_timestamp(value: Any) -> str | None:
    """An ISO 8601 timestamp from an API, normalised; None when it is not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).isoformat()
    except ValueError:
        return None


def parse_text_date(text: Any, *, now: datetime) -> str | None:
    """A date written for people ("Posted 3 days ago", "Posted Today", "March 3, 2026") as ISO.

    Relative phrases are resolved against ``now``, the crawl's start, so a replay gives the same
    answer. "30+ days ago" is an upper bound the platform gives, not a date: it yields None.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    phrase = re.sub(r"^\s*posted\s+(?:on\s+)?", "", text.strip(), flags=re.IGNORECASE)
    if "+" in phrase:
        return None
    import dateparser  # imported here: it is slow to import and most platforms send ISO dates

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        parsed = dateparser.parse(
            phrase,
            languages=["en"],
            settings={
                "RELATIVE_BASE": now.replace(tzinfo=None),
                "TIMEZONE": "UTC",
                "RETURN_AS_TIMEZONE_AWARE": False,
                "PREFER_DATES_FROM": "past",
            },
        )
    if parsed is None:
        return None
    return parsed.date().isoformat()


def structured_pay(
    *,
    minimum: Any,
    maximum: Any,
    currency: Any,
    period: str | None,
    basis: str = "unknown",
    label: str | None = None,
    raw: str = "",
) -> dict[str, Any] | None:
    """A PayRange dict from a platform's pay fields, or None when the fields do not make a range."""
    try:
        low = float(minimum) if minimum not in (None, "") else None
        high = float(maximum) if maximum not in (None, "") else None
    except (TypeError, ValueError):
        return None
    if low is None and high is None:
        return None
    if any(value is not None and not math.isfinite(value) for value in (low, high)):
        return None  # NaN or infinity: not a figure anyone published
    low = high if low is None else low
    high = low if high is None else high
    if low <= 0 or not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency.strip()):
        return None
    if period is None:
        period = infer_period_from_amount(high)
        inferred = True
    else:
        inferred = False
    if period is None:
        return None
    low, high = min(low, high), max(low, high)
    try:
        pay = PayRange(
            min=low,
            max=high,
            currency=currency.strip().upper(),
            period=period,
            basis=basis,
            label=clean_inline(label),
            raw=raw,
            source="structured",
            period_inferred=inferred,
        )
    except ValueError:
        return None
    return pay.to_dict()


def infer_period_from_amount(amount: float) -> str | None:
    """Only the unambiguous magnitudes: hourly-sized or salary-sized; monthly pay is left unguessed."""
    if 7 <= amount <= 500:
        return "hour"
    if amount >= 20_000:
        return "year"
    return None


def stamped_posting(platform: str, company: str, scraped_at: datetime, /, **fields: Any) -> JobPosting:
    """A JobPosting stamped with where it was read and when the crawl started."""
    return JobPosting(platform=platform, company=company, scraped_at=scraped_at.isoformat(), **fields)


def ref_text(value: Any) -> str | None:
    """A platform's job id as text, as sent (it is the posting's identity); None when missing or empty."""
    return str(value) if value not in (None, "") else None


def int_or_none(value: Any) -> int | None:
    """A whole number from JSON, or None (JSON true/false are Python ints, but not counts)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class PageShapeError(ValueError):
    """A platform page without the structure its extractor needs (the platform changed, or an error page)."""


def dig(data: Any, *keys: str) -> Any:
    """``data[k1][k2]...`` through nested JSON objects, or None where one is missing or not an object."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def required_list(data: Any, key: str, reply: str) -> list[Any]:
    """``data[key]``, which a ``reply`` (e.g. "Ashby job board reply") must carry as a list."""
    value = dig(data, key)
    if not isinstance(value, list):
        raise PageShapeError(f"{reply} has no '{key}' list")
    return value


def required_int(data: dict[str, Any], key: str, reply: str) -> int:
    """``data[key]``, which a ``reply`` must carry as a whole number."""
    value = int_or_none(data.get(key))
    if value is None:
        raise PageShapeError(f"{reply} has no integer '{key}'")
    return value


def join_names(values: Any, key: str = "name") -> str | None:
    """Department-style lists of objects joined with " / " (outermost first, as platforms send them)."""
    if not isinstance(values, list):
        return None
    names = [clean_inline(value.get(key)) for value in values if isinstance(value, dict)]
    return " / ".join(name for name in names if name) or None


def unique(values: Any) -> list[str]:
    result: list[str] = []
    for value in values:
        text = clean_inline(value)
        if text and text not in result:
            result.append(text)
    return result
