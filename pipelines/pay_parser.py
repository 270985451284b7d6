"""Pull published pay ranges out of job-posting prose.

``parse_pay(text)`` returns one :class:`PayRange` per pay figure or range the text states, in text
order. It is pure and deterministic, and it runs in linear time: every regex below is either
anchored on a bounded slice or free of nested, overlapping repetition, and all context look-ups go
through indexes built with one pass over the text.

How it works, in four steps:

1. **Amounts.** Every number is read together with what is glued to it: a currency before it
   (``$``, ``CA$``, ``USD $``, ``€``, ``(USD)``), a multiplier (``k``, ``M``), and a tail of currency
   codes and pay periods after it (``CAD``, ``/hr``, ``USD per month``, ``zł/h``, ``gross/monthly``).
2. **Ranges.** Two neighbouring amounts form a range when only a connector separates them: a dash of
   any kind (including ``\\-`` and mojibake), ``to``/``and`` (and ``do``/``a``/``ed i`` in other
   languages), optionally around a bracketed note, or a ``from X … up to Y`` span.
3. **Is it pay?** The nearest keyword before the amount and the noun phrase right after it decide:
   funding, revenue, stipends, bonuses, 401(k) caps and so on reject; salary, base, OTE, rate accept.
   A range with a currency is pay unless something rejects it; a single figure needs positive
   evidence. Bare numbers (no currency at all) count only with a pay period such as ``/hr``.
4. **Period, currency, basis, label.** A period written on the amount wins, then one stated earlier
   in the same sentence, then one stated later in it, then one stated for a sibling range in the same
   sentence; otherwise it is inferred from magnitude (``period_inferred=True``). A bare ``$`` is the
   caller's ``default_currency`` unless the text says "figures below in CAD" or pesos.

See docs/PAY.md for the rules and the known limits.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace

from scrapers.items import PayRange

__all__ = ["PayRange", "parse_pay", "period_suspect"]


# --------------------------------------------------------------------------------------------
# Currencies
# --------------------------------------------------------------------------------------------

PESO_CURRENCIES = {"MXN", "ARS", "CLP", "COP", "UYU", "CUP", "DOP", "PHP"}

# ISO 4217 codes (and the odd non-standard spelling seen in postings) recognised next to a number.
CODE_ALIASES = {"URU": "UYU", "RMB": "CNY", "NIS": "ILS", "RM": "MYR", "RS": "INR", "RS.": "INR"}
ISO_CODES = (
    "USD CAD EUR GBP AUD NZD PLN MXN ARS UYU BRL CLP COP PEN INR JPY CNY SGD HKD CHF SEK NOK DKK "
    "CZK HUF RON BGN ZAR ILS TRY AED SAR QAR MYR PHP IDR THB VND KRW TWD NGN KES EGP UAH RUB PKR "
    "LKR BDT GHS ISK RSD"
).split()
_ISO_CODE_SET = frozenset(ISO_CODES) | {"URU", "RMB", "NIS"}
_CODE_PATTERN = "|".join(sorted(_ISO_CODE_SET, key=lambda code: (-len(code), code)))

SYMBOL_CURRENCY = {
    "£": "GBP", "￡": "GBP", "€": "EUR", "¥": "JPY", "￥": "JPY", "₹": "INR", "₩": "KRW", "₱": "PHP",
    "₪": "ILS", "₺": "TRY", "₦": "NGN", "₴": "UAH", "₽": "RUB", "฿": "THB", "₫": "VND",
}
_SYMBOL_PATTERN = "".join(SYMBOL_CURRENCY)

# Letters glued to a "$": US$, CA$, C$, A$, NZ$ ...
DOLLAR_PREFIX_CURRENCY = {
    "US": "USD", "USD": "USD", "CA": "CAD", "CAD": "CAD", "CDN": "CAD", "C": "CAD", "A": "AUD",
    "AU": "AUD", "AUD": "AUD", "NZ": "NZD", "NZD": "NZD", "MX": "MXN", "S": "SGD", "SG": "SGD",
    "HK": "HKD", "NT": "TWD", "R": "BRL", "AR": "ARS",
}

CURRENCY_WORDS = {
    "euro": "EUR", "euros": "EUR", "zł": "PLN", "złotych": "PLN", "zloty": "PLN", "pln": "PLN",
    "rupees": "INR", "reais": "BRL", "pounds": "GBP",
}

# Rough value of one unit in US dollars. Only used to judge magnitude ("is 24,150 a monthly or a
# yearly figure in this currency?", "is this too small or too big to be pay?"), never for output.
USD_VALUE = {
    "USD": 1, "CAD": 0.73, "AUD": 0.65, "NZD": 0.6, "EUR": 1.08, "GBP": 1.27, "PLN": 0.25,
    "MXN": 0.055, "ARS": 0.001, "UYU": 0.025, "BRL": 0.19, "CLP": 0.0011, "COP": 0.00025,
    "PEN": 0.27, "INR": 0.012, "JPY": 0.0067, "CNY": 0.14, "SGD": 0.74, "HKD": 0.128, "CHF": 1.12,
    "SEK": 0.095, "NOK": 0.093, "DKK": 0.145, "CZK": 0.043, "HUF": 0.0027, "RON": 0.22,
    "BGN": 0.55, "ZAR": 0.055, "ILS": 0.27, "TRY": 0.03, "AED": 0.27, "SAR": 0.27, "QAR": 0.27,
    "MYR": 0.22, "PHP": 0.018, "IDR": 0.000063, "THB": 0.028, "VND": 0.00004, "KRW": 0.00073,
    "TWD": 0.031, "NGN": 0.00065, "KES": 0.0077, "EGP": 0.02, "UAH": 0.024, "RUB": 0.011,
    "PKR": 0.0036, "LKR": 0.0033, "BDT": 0.0085, "GHS": 0.065, "ISK": 0.0072, "RSD": 0.0092,
    "CUP": 0.042, "DOP": 0.017, "JMD": 0.0064, "TTD": 0.15,
}


def _normalise_code(code: str) -> str:
    upper = code.upper()
    return CODE_ALIASES.get(upper, upper)


# --------------------------------------------------------------------------------------------
# Step 1: amounts
# --------------------------------------------------------------------------------------------

_MULTIPLIER = re.compile(
    r"(?:(?P<letter>[kK]|[mM]{1,2}|[bB]n?|tn)(?![A-Za-z])"
    r"|[ ]?(?P<word>(?i:thousand|million|mil|mio|billion|bn|trillion))(?![A-Za-z]))"
)
MULTIPLIER_VALUES = {
    "k": 1e3, "m": 1e6, "mm": 1e6, "b": 1e9, "bn": 1e9, "tn": 1e12,
    "thousand": 1e3, "million": 1e6, "mil": 1e6, "mio": 1e6, "billion": 1e9, "trillion": 1e12,
}

# One thing that may follow an amount: a pay period, a currency, or "gross"/"net".
_PERIOD_WORD = (
    r"(?:(?:/[ ]?|\bper[ ]+|\ban?[ ]+|\beach[ ]+)(?P<unit>hours?|hrs?|h|years?|yrs?|annum|months?|mos?|mths?|weeks?|wks?|days?)(?![A-Za-z])"
    # An abbreviation's dot before a dash belongs to the unit ("$62/h. – $68/h."), not to a sentence.
    r"(?:(?<=[hrsok])\.(?=[ \t]*[-–—][ \t]*[$€£\d]))?"
    r"|/[ ]?(?P<slash_adverb>hourly|monthly|annually|yearly|weekly|daily)"
    r"|(?P<adverb>hourly|monthly|annually|yearly|weekly|daily|annual|per[ ]+annum|p\.[ ]?a\.|p/a)(?![A-Za-z])"
    # The same in the other languages postings come in: "/Monat", "por mês", "im Jahr", "par mois".
    r"|(?:/[ ]?|\b(?:pro|por|par|al|im|je|na)[ ]+)(?P<foreign>monat|mes|mês|mois|miesiąc|stunde|std|hora|heure|godz\w*|godzinę|jahr|año|ano|rok)(?![A-Za-z]))"
)
_TAIL_TOKEN = re.compile(
    rf"""
    [ \t*_]*+
    (?:
        (?i:(?P<period>{_PERIOD_WORD}))
      # "(CAD $150,000 - …)" after an amount opens the next amount, it is not this one's code.
      | (?!\((?:{_CODE_PATTERN})[ \t]+[$€£¥\d])\(?(?P<code>{_CODE_PATTERN})\)?(?![A-Za-z])
      | (?P<symbol>[{_SYMBOL_PATTERN}])
      | (?P<word>(?i:euros?|złotych|zloty|zł|pesos?|dollars|rupees|reais))(?![A-Za-z])
      | (?P<gross>(?i:gross|net|brutto|netto))(?![A-Za-z])
    )
    """,
    re.X,
)
_TAIL_NOTE = re.compile(r"[ \t*_]*\([^()\n]{1,30}\)")  # "(+ VAT / B2B)" before a period or code

# A number: "21 250" (space-grouped thousands) or digits with , and . separators. What is glued to
# its right (a multiplier such as "k" or "million", a "+", a tail of periods and currencies) is read
# in _read_amount. Possessive quantifiers keep long digit runs linear. The look-behind sits after the
# first digit, not before it, so the engine can skip ahead to digits (measured: 12% of parse time on
# the pay corpus).
# After a currency sign, "$98, 000" is a thousands group a scrape broke with a space.
_NUMBER = re.compile(
    r"\d(?<![\d.,]\d)(?:(?<=[$€£]\d)\d{0,2}(?:,[ ]\d{3})++(?![\d,.]?\d)"
    r"|\d{0,2}(?:[ \u00a0\u202f]\d{3})++(?![\d,.]?\d)|\d*+(?:[.,]\d++)*+)"
)

UNIT_PERIOD = {
    "hour": "hour", "hours": "hour", "hr": "hour", "hrs": "hour", "h": "hour", "hourly": "hour",
    "year": "year", "years": "year", "yr": "year", "yrs": "year", "annum": "year", "annually": "year",
    "yearly": "year", "annual": "year", "per annum": "year", "p.a.": "year", "p. a.": "year", "p/a": "year",
    "month": "month", "months": "month", "mo": "month", "mos": "month", "mth": "month", "mths": "month",
    "monthly": "month",
    "week": "week", "weeks": "week", "wk": "week", "wks": "week", "weekly": "week",
    "day": "day", "days": "day", "daily": "day",
    "monat": "month", "mes": "month", "mês": "month", "mois": "month", "miesiąc": "month",
    "stunde": "hour", "std": "hour", "hora": "hour", "heure": "hour", "godzinę": "hour",
    "jahr": "year", "año": "year", "ano": "year", "rok": "year",
}


_WHITESPACE = re.compile(r"\s+")


def _period_of(match: re.Match) -> str:
    unit, slash_adverb, adverb, foreign = match.group("unit", "slash_adverb", "adverb", "foreign")
    word = _WHITESPACE.sub(" ", (unit or slash_adverb or adverb or foreign).lower())
    return UNIT_PERIOD.get(word) or ("hour" if word.startswith("godz") else "year")


@dataclass
class _Amount:
    """A number read from the text with what is glued to it."""

    start: int  # where the amount expression starts (currency prefix included)
    end: int  # one past its tail (suffix code / period included)
    value: float
    has_multiplier: bool
    multiplier: float
    is_fraction: bool  # "139.00", "25.40": written with a decimal part
    grouped: bool  # written with thousands separators
    currency: str | None  # from a code, symbol or prefixed dollar ("CA$")
    weak_currency: str | None  # "CA $" (spaced: could be California) counts only if the partner agrees
    dollar: bool  # a bare "$": what it means is decided later
    currency_word: str | None  # "pesos", "euros" after the number
    period: str | None  # a period written on the amount


_SEPARATORS = re.compile(r"[.,]")
_NON_DIGITS = re.compile(r"\D")
_GLUED_CODE = re.compile(rf"(?:{_CODE_PATTERN})(?![A-Za-z])")
_SPACE_OR_MARKUP = " \t*_"


def _parse_number(token: str) -> tuple[float, bool, bool] | None:
    """(value, has a decimal part, has thousands grouping) or None when the token isn't a number."""
    if token.isdigit():
        return (float(token), False, False) if len(token) <= 15 else None
    if len(token) > 24:
        return None  # longer than any pay figure: a digit/comma run, an ID, garbage
    if " " in token or "\u00a0" in token or "\u202f" in token:
        return float(_NON_DIGITS.sub("", token)), False, True
    last_dot, last_comma = token.rfind("."), token.rfind(",")
    decimal_at = -1
    last = max(last_dot, last_comma)
    after_last = len(token) - last - 1
    if last_dot >= 0 and last_comma >= 0:
        decimal_at = last if after_last != 3 else -1  # "1,234.56" / "1.234,56"
    elif after_last != 3:
        decimal_at = last  # "25.40", "2.2", "139,00" (a typo for 139,000; fixed in the range)
    integer_part = token if decimal_at < 0 else token[:decimal_at]
    groups = _SEPARATORS.split(integer_part)
    # Thousands groups are three digits (Indian lakh grouping "12,00,000" ends in three too).
    if len(groups) > 1 and (len(groups[-1]) != 3 or any(len(g) not in (2, 3) for g in groups[1:-1])):
        return None
    value = float("".join(groups) or "0")
    if decimal_at >= 0:
        fraction = token[decimal_at + 1 :]
        if not fraction.isdigit():
            return None
        value += float("0." + fraction)
    return value, decimal_at >= 0, len(groups) > 1


def _next_visible(text: str, position: int, limit: int = 8) -> str:
    """The first character at or after ``position`` that is not a space or markdown emphasis."""
    end = min(len(text), position + limit)
    while position < end and text[position] in _SPACE_OR_MARKUP:
        position += 1
    return text[position] if position < end else ""


_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
# Spaced dollar prefixes that are also common abbreviations ("CA $" = California?) only count when
# the other end of the range agrees; see _Amount.weak_currency.
_WEAK_SPACED_PREFIXES = {"CA", "AU", "NZ", "MX", "SG", "HK", "AR", "NT"}


def _letters_before(text: str, end: int, most: int) -> int:
    """Start of the run of up to ``most`` capital letters ending at ``end`` (``end`` if none)."""
    start = end
    while start > 0 and end - start < most and text[start - 1] in _UPPER:
        start -= 1
    if start > 0 and text[start - 1].isalpha():
        return end  # part of a longer word
    return start


def _read_head(text: str, number_start: int) -> tuple[int, str | None, str | None, bool] | None:
    """The currency written just before a number: (start, currency, weak currency, bare dollar).

    Handles "$", "US$", "CA$", "CA $", "USD $", "(USD) $", "€", "£", "USD ", "(USD)", "RM", "Rs.".
    A hand-written scan: it runs for every number, and a regex search here was the hot spot.
    """
    k = number_start
    floor = max(0, number_start - 6)
    while k > floor and text[k - 1] in _SPACE_OR_MARKUP:
        k -= 1
    if k == 0:
        return None
    char = text[k - 1]
    if char in "$＄":
        start = k - 1
        glued = _letters_before(text, start, 3)
        if glued < start:  # "US$", "CA$", "C$", "AUD$"
            prefix = text[glued:start]
            if prefix in DOLLAR_PREFIX_CURRENCY:
                return glued, DOLLAR_PREFIX_CURRENCY[prefix], None, False
            return None if text[start - 1].isalpha() else (start, None, None, True)
        if start >= 2 and text[start - 1] == " ":  # "USD $600", "CA $210,000", "(USD) $2.500"
            word_start = _letters_before(text, start - 1, 3)
            word = text[word_start : start - 1]
            if len(word) >= 2:
                if word in _ISO_CODE_SET:
                    return word_start, _normalise_code(word), None, True
                if word in _WEAK_SPACED_PREFIXES:
                    return word_start, None, DOLLAR_PREFIX_CURRENCY[word], True
                if word in DOLLAR_PREFIX_CURRENCY:
                    return word_start, DOLLAR_PREFIX_CURRENCY[word], None, True
            if start >= 6 and text[start - 2] == ")" and text[start - 6] == "(" and text[start - 5 : start - 2] in _ISO_CODE_SET:
                return start - 6, _normalise_code(text[start - 5 : start - 2]), None, True
        return start, None, None, True
    if char in SYMBOL_CURRENCY:
        return k - 1, SYMBOL_CURRENCY[char], None, False
    if char == ")" and k >= 5 and text[k - 5] == "(" and text[k - 4 : k - 1] in _ISO_CODE_SET:
        return k - 5, _normalise_code(text[k - 4 : k - 1]), None, False  # "(USD) 2,500"
    if char == "." and text[max(0, k - 3) : k] == "Rs.":
        return k - 3, "INR", None, False
    if char in _UPPER or char == "s":
        word_start = _letters_before(text, k, 3) if char in _UPPER else k - 2
        word = text[word_start:k]
        if word in _ISO_CODE_SET:
            return word_start, _normalise_code(word), None, False
        if word in ("RM", "Rs") and (word_start == 0 or not text[word_start - 1].isalpha()):
            return word_start, CODE_ALIASES[word.upper()], None, False
    return None


def _read_amount(text: str, match: re.Match) -> _Amount | None:
    parsed = _parse_number(match.group())
    if parsed is None:
        return None
    value, is_fraction, grouped = parsed
    number_start, position = match.span()
    length = len(text)

    head = _read_head(text, number_start)
    if head is None:
        if number_start and text[number_start - 1].isalpha():
            return None  # "M25", "B2B", "Q3": part of a word
        start, currency, weak_currency, dollar = number_start, None, None, False
    else:
        start, currency, weak_currency, dollar = head

    # Multiplier right after the digits.
    multiplier, has_multiplier = 1.0, False
    suffix = _MULTIPLIER.match(text, position)
    if suffix is not None:
        multiplier, has_multiplier = MULTIPLIER_VALUES[suffix.group().strip().lower()], True
        position = suffix.end()
    if position < length and text[position] == "+":  # "$100k+"
        position += 1
    if position < length:
        following = text[position]
        if following == "%" or text.startswith(" %", position):
            return None  # a percentage
        if (
            following.isalpha()
            and not text.startswith(("zł", "zl", "β€", "â€"), position)
            and not _GLUED_CODE.match(text, position)
        ):
            return None  # "9am", "5th", "24x7", "3D"

    # Tail: currency codes, currency words, periods, gross/net, in any order.
    period = currency_word = None
    end = position
    for _ in range(5):
        if not _next_visible(text, end):
            break  # nothing visible in the next 8 characters: no (further) tail
        token = _TAIL_TOKEN.match(text, end)
        if token is None:
            note = _TAIL_NOTE.match(text, end)
            if note is None:
                break
            token = _TAIL_TOKEN.match(text, note.end())
            if token is None or not (token.group("period") or token.group("code")):
                break
        if token.group("period"):
            if period is not None:
                break
            period = _period_of(token)
        elif token.group("code"):
            code = _normalise_code(token.group("code"))
            if currency and currency != code:
                break
            currency = code
        elif token.group("symbol"):
            symbol_currency = SYMBOL_CURRENCY[token.group("symbol")]
            if currency and currency != symbol_currency:
                break
            currency = symbol_currency
        elif token.group("word"):
            word = token.group("word").lower()
            if word in CURRENCY_WORDS:
                currency = currency or CURRENCY_WORDS[word]
            else:
                currency_word = word
        end = token.end()
    return _Amount(
        start, end, value * multiplier, has_multiplier, multiplier, is_fraction, grouped or has_multiplier,
        currency, weak_currency, dollar, currency_word, period,
    )


# --------------------------------------------------------------------------------------------
# Step 2: ranges
# --------------------------------------------------------------------------------------------

_DASH = r"(?:\\?[-‐‑‒–—―−~]|β€[“”\"]|â€[“”\"])"
_CONNECTOR_WORD = r"(?i:to|and|through|thru|until|till|up[ ]to|do|bis|à|a|al|au|e|ed|et|y|und|hasta|til)"
# Only a connector between the two amounts: "-", " to ", " and ", "–$", "\-", "to a max", "ed i".
_TIGHT_GAP = re.compile(
    rf"""[ \t*_]*
    (?:\[[^\]\n]{{0,160}}\][ \t*_]*)?                 # "[minimum salary in our lowest market]"
    (?:{_DASH}|(?<![A-Za-z]){_CONNECTOR_WORD}(?![A-Za-z])(?:[ ](?i:i|il|la|the|le|los|las))?)
    (?:[ \t*_]+(?i:a[ ])?(?i:max(?:imum)?)(?:[ ]of)?)?  # "min $156k to a max $212k"
    [ \t*_]*""",
    re.X,
)
# "from $X/year in our lowest geographic market up to $Y/year": a short clause, then "to"/"and".
_LOOSE_GAP = re.compile(r"[^\d\n.;!?$€£]{0,120}?(?<![A-Za-z])(?i:up[ ]to|to|and)[ \t*_]*")
_LOOSE_OPENER = re.compile(r"(?<![A-Za-z])(?i:from|between)[ \t*_]*(?:\(\w{3}\)[ \t*_]*)?\Z")

MAX_RANGE_RATIO = 12  # "$100,000 - $700,000" is wide; "$5 - $150,000" is two different things
# Two amounts with currencies the wrong way round, at most this far apart, are one range swapped.
MAX_SWAPPED_RATIO = 1.5


@dataclass
class _Candidate:
    """One amount (``low is high``), or two joined into a range."""

    low: _Amount
    high: _Amount
    min: float
    max: float

    @property
    def start(self) -> int:
        return self.low.start

    @property
    def end(self) -> int:
        return self.high.end

    @property
    def is_range(self) -> bool:
        return self.low is not self.high


def _join(text: str, low: _Amount, high: _Amount) -> _Candidate | None:
    """The range low–high, or None when the two amounts are not one range."""
    if low.end > high.start:
        return None
    gap_start, gap_end = low.end, high.start
    gap_ok = _TIGHT_GAP.fullmatch(text, gap_start, gap_end) is not None
    if not gap_ok and gap_end - gap_start <= 140:
        gap_ok = (
            (high.dollar or high.currency is not None)
            and _LOOSE_OPENER.search(text, max(0, low.start - 30), low.start) is not None
            and _LOOSE_GAP.fullmatch(text, gap_start, gap_end) is not None
        )
    if not gap_ok:
        return None
    if low.currency and high.currency and low.currency != high.currency:
        return None
    if low.period and high.period and low.period != high.period:
        return None
    lo, hi = low.value, high.value
    if lo <= 0 or hi <= 0:
        return None  # "0 up to 1000", "$0 - $5": not a pay range
    # "$120-150K", "$130k - 150k": a multiplier on the high end applies to a bare low end.
    if high.has_multiplier and not low.has_multiplier and lo * high.multiplier <= hi:
        lo *= high.multiplier
    elif low.has_multiplier and not high.has_multiplier and hi < lo and hi * low.multiplier >= lo:
        hi *= low.multiplier
    # "$100-150,000", "$177-$192,000", and the typo "$139,00 - $192,000": the low end lost "000".
    elif lo < 1000 <= hi and not low.has_multiplier and lo * 1000 <= hi * 1.0001:
        if (not low.is_fraction or lo == int(lo)) and hi / (lo * 1000) <= MAX_RANGE_RATIO:
            lo *= 1000
    if lo > hi * 1.0001 and lo <= hi * MAX_SWAPPED_RATIO and (low.currency or low.dollar) and (high.currency or high.dollar):
        lo, hi = hi, lo  # "USD $94,388.00 - USD $90,311.00": the two ends typed the wrong way round
    if lo <= 0 or lo > hi * 1.0001 or hi / lo > MAX_RANGE_RATIO:
        return None
    return _Candidate(low, high, lo, max(lo, hi))


# A labelled grid: "MIN: 100,000 MID: 125,000 MAX: 150,000 USD", "Minimum $80k | Maximum $95k".
_GRID_MIN = re.compile(r"(?<![A-Za-z])(?i:min(?:imum)?)[ \t*_]*[:=]?[ \t*_]*\Z")
_GRID_MID = re.compile(r"[ \t*_|,/]*(?<![A-Za-z])(?i:mid(?:[- ]?point)?)[ \t*_]*[:=]?[ \t*_]*")
_GRID_CURRENCY = re.compile(
    rf"[ \t*_|,]*(?:\n[ \t*_]*)?(?:(?i:currency)[ \t*_]*[:=]?[ \t*_]*)?\(?(?P<code>{_CODE_PATTERN})\)?(?![A-Za-z])"
)
_GRID_MAX = re.compile(r"[ \t*_|,/]*(?<![A-Za-z])(?i:max(?:imum)?)[ \t*_]*[:=]?[ \t*_]*")


def _grid(text: str, amounts: list[_Amount], index: int) -> tuple[_Candidate, int] | None:
    """The range a MIN / (MID /) MAX grid starting at ``amounts[index]`` states, and how many amounts
    it took; the midpoint is a figure inside the range, not one of its own."""
    low = amounts[index]
    if not _GRID_MIN.search(text, max(0, low.start - 12), low.start):
        return None
    for taken, middle in ((3, True), (2, False)):
        if index + taken - 1 >= len(amounts):
            continue
        high = amounts[index + taken - 1]
        if middle:
            mid = amounts[index + 1]
            if not (_GRID_MID.fullmatch(text, low.end, mid.start) and _GRID_MAX.fullmatch(text, mid.end, high.start)):
                continue
        elif not _GRID_MAX.fullmatch(text, low.end, high.start):
            continue
        if low.currency and high.currency and low.currency != high.currency:
            return None
        stated = _GRID_CURRENCY.match(text, high.end)
        if stated and not (low.currency or high.currency or low.dollar or high.dollar):
            high = replace(high, currency=_normalise_code(stated.group("code")))  # "… MAX: 150,000\nCurrency: USD"
        span = _span(low, high)
        return (span, taken) if span is not None else None
    return None


# "from £100,000 / 100,000 EUR to £150,000 / 150,000 EUR": one range stated in two currencies at once.
_ALTERNATIVE = re.compile(r"[ \t*_]*(?:/|&#x2F;|&#47;|\bor\b)[ \t*_]*", re.IGNORECASE)


def _paired_currencies(text: str, amounts: list[_Amount], index: int) -> list[_Candidate] | None:
    """The two ranges of "A / A' to B / B'" (A and B in one currency, A' and B' in another)."""
    if index + 3 >= len(amounts):
        return None
    a, a2, b, b2 = amounts[index : index + 4]
    if not (_ALTERNATIVE.fullmatch(text, a.end, a2.start) and _ALTERNATIVE.fullmatch(text, b.end, b2.start)):
        return None
    first, second = _join(text, a, b), None
    if first is None:
        # The connector sits between A' and B: read the pairs as if each currency's ends were neighbours.
        if not _TIGHT_GAP.fullmatch(text, a2.end, b.start):
            return None
        first = _span(a, b)
        second = _span(a2, b2)
    if first is None or second is None:
        return None
    if (a.currency or "$") == (a2.currency or "$") or (a.currency != b.currency) or (a2.currency != b2.currency):
        return None
    return [first, second]


def _span(low: _Amount, high: _Amount) -> _Candidate | None:
    """low–high as they are written, when they make a range (a grid's or a currency's two ends)."""
    if 0 < low.value <= high.value and high.value / low.value <= MAX_RANGE_RATIO:
        return _Candidate(low, high, low.value, high.value)
    return None


def _group(text: str, amounts: list[_Amount]) -> list[_Candidate]:
    candidates = []
    index = 0
    while index < len(amounts):
        amount = amounts[index]
        grid = _grid(text, amounts, index) if index + 1 < len(amounts) else None
        if grid is not None:
            candidates.append(grid[0])
            index += grid[1]
            continue
        paired = _paired_currencies(text, amounts, index)
        if paired is not None:
            candidates.extend(paired)
            index += 4
            continue
        if index + 1 < len(amounts):
            joined = _join(text, amount, amounts[index + 1])
            if joined is not None:
                candidates.append(joined)
                index += 2
                continue
        candidates.append(_Candidate(amount, amount, amount.value, amount.value))
        index += 1
    return candidates


# --------------------------------------------------------------------------------------------
# Step 3: context — keywords that say "this is pay" or "this is something else"
# --------------------------------------------------------------------------------------------

# (kind, basis it implies, patterns). Each pattern starts with a literal lower-case character so the
# compiled regex can branch on it. At one position the first pattern listed wins, so compounds come
# before their parts ("base + bonus target" before "base" and "bonus").
_KEYWORDS = [
    ("pos", "total", [
        r"base(?:[ ]salary|[ ]pay)?[ ]*(?:\+|plus|and|&)[ ]*bonus(?:[ ]target)?",
        r"salary[ ]*(?:\+|plus|and|&)[ ]*bonus(?:[ ]target)?",
    ]),
    ("pos", None, [
        r"base(?:[ ]salary|[ ]pay)?[ ]*(?:\+|plus|and|&)[ ]*commission(?:[ ]target)?",
        r"salary[ ]*(?:\+|plus|and|&)[ ]*commission(?:[ ]target)?",
    ]),
    ("pos", "ote", [r"ote", r"on[- ]?target(?:[ ]earnings|[ ]compensation|[ ]comp|[ ]salary|[ ]pay)?"]),
    ("pos", "total", [
        r"total[ ](?:target[ ])?(?:cash[ ])?comp(?:ensation)?", r"total[ ]target[ ]cash", r"total[ ]cash",
        r"total[ ]pay",
    ]),
    ("pos", "base", [
        r"base(?:[ ]salary|[ ]pay|[ ]compensation|[ ]rate|[ ]range|[ ]wage)?", r"basic(?:[ ]salary|[ ]pay)?",
    ]),
    ("pos", None, [
        r"salary", r"salaries", r"pay(?:[ ]range|[ ]rate|[ ]band|[ ]scale)?", r"compensation", r"comp",
        r"wages?", r"remuneration", r"earnings", r"earn", r"income", r"rates?", r"hiring[ ]range",
        r"range", r"ral", r"gross",
        # A level's row in a pay table: "Band B: $98k AUD / $104k NZD" (a letter or a number after it,
        # so "band members" is not one).
        r"band[ ](?:[a-z]|\d{1,2})", r"stipendio", r"retribuzione", r"sueldo", r"salario", r"salaire",
        r"rémunération", r"gehalt", r"vergütung", r"wynagrodzenie", r"stawka", r"pensja",
    ]),
    # Things that are money but not pay. ("benefits", "premium" and "sales" are left out: they
    # name tiers and roles too, as in "Premium: $114k" or "non-sales roles".)
    ("neg", None, [
        # A bonus component stated beside the OTE ("a variable incentive target range of $40,929 -
        # $45,429"), and a ceiling pay may grow to ("the potential to increase their pay up to $343,000").
        r"annualized[ ]cash[ ]variable[ ]incentive(?:[ ]target)?(?:[ ]range)?",
        r"variable[ ]incentive(?:[ ]target)?(?:[ ]range)?", r"incentive(?:[ ]target)?(?:[ ]range)?",
        r"increase[ ](?:their|your)[ ]pay(?:[ ]up[ ]to)?",
        # Someone's own pay, not the role's ("as a Staff Engineer, I make a bit over $200k").
        r"i[ ](?:make|made|earn|earned)",
        r"raised", r"raise", r"raising", r"funding", r"funded", r"financing", r"series[ ][a-h]",
        r"valuation", r"valued", r"revenues?", r"arr", r"mrr", r"gmv", r"assets", r"aum", r"invest\w*",
        r"capital", r"spend\w*", r"stipends?", r"allowances?", r"budgets?", r"bonus(?:es)?",
        r"reimburs\w*", r"subsid\w*", r"credits?", r"referral", r"sign[- ]?on", r"signing",
        r"relocation", r"401[ ]?\(?k\)?", r"403[ ]?\(?b\)?", r"match(?:ing)?", r"contribut\w*",
        r"cap(?:ped)?[ ]at", r"capped", r"donat\w*", r"discounts?", r"worth", r"loans?", r"payments",
        r"transactions", r"fees", r"costs?", r"price[sd]?", r"pricing", r"gifts?", r"vouchers?",
        r"prizes?", r"awards?", r"grants?", r"equity", r"stock", r"rsus?", r"deductible", r"insurance",
        r"charge[sd]?", r"billing", r"bill", r"clients?[ ]spend", r"customers", r"users", r"acquired",
        r"acquisition", r"round",
    ]),
    # A pay period said in words somewhere in the sentence ("the expected hourly rate is ...").
    # Scanned together with the keywords to save a pass; the basis slot holds the period.
    ("period", "hour", [r"hourly", r"per[ ]hour", r"an[ ]hour", r"hour[ ]rate"]),
    ("period", "month", [
        r"monthly", r"per[ ]month", r"a[ ]month", r"mensual\w*", r"miesięczn\w*", r"monatlich\w*", r"mensuel\w*",
    ]),
    ("period", "year", [
        r"annual(?:ly)?", r"yearly", r"per[ ](?:year|annum)", r"a[ ]year", r"anual\w*", r"annuel\w*",
        r"jährlich\w*", r"roczn\w*",
    ]),
    ("period", "week", [r"weekly", r"per[ ]week"]),
    ("period", "day", [r"daily", r"per[ ]day", r"day[ ]rate"]),
    # Figures that sit inside a stated range (a midpoint, an anchor): never a range of their own.
    ("single_neg", None, [r"mid[ -]?point", r"mid", r"midpoint", r"anchor\w*", r"average", r"avg", r"median"]),
]


def _build_keyword_regex() -> re.Pattern:
    # One branch per first character instead of ~150 alternatives in a row (measured: 7% of parse
    # time on the pay corpus). It runs over the lower-cased text; what a match means is looked up
    # afterwards (_keyword_meaning).
    by_first_char: dict[str, list[str]] = {}
    for _, _, patterns in _KEYWORDS:
        for pattern in patterns:
            by_first_char.setdefault(pattern[0], []).append(pattern[1:])
    branches = "|".join(f"{re.escape(char)}(?:{'|'.join(rest)})" for char, rest in by_first_char.items())
    return re.compile(rf"\b(?:{branches})(?!\w)")


_KEYWORD = _build_keyword_regex()
_KEYWORD_TESTS = [
    (re.compile(pattern), kind, basis) for kind, basis, patterns in _KEYWORDS for pattern in patterns
]


# Cached: each keyword spelling is tried against the ~150 table patterns once (measured: 16% of parse
# time on the pay corpus).
@functools.lru_cache(maxsize=4096)
def _keyword_meaning(word: str) -> tuple[str, str | None]:
    """(kind, basis) of a keyword match: the first table entry that spells it."""
    return next(((kind, basis) for test, kind, basis in _KEYWORD_TESTS if test.fullmatch(word)), ("pos", None))


# The noun phrase right after an amount ("yearly bonus", "home office stipend", "salary"). These
# run over the lower-cased text, like _KEYWORD.
_AFTER_STOP = re.compile(
    r"[.;,:()\[\]{}+•|!?\n]|β€|\b(?:plus|and|or|with|depending|dependent|based|which|that|commensurate|regardless|including|inclusive|excluding|not|but|while|if|when|as|depends|subject|per[ ]year|per[ ]annum)\b"
)
_AFTER_NEG = re.compile(
    r"\b(?:bonus\w*|stipends?|allowances?|budgets?|credits?|reimburs\w*|subsid\w*|referral|sign[- ]?on|signing|relocation|funding|raised|round|series|valuation|revenues?|arr|mrr|gmv|sales|assets|aum|market[ ]cap|worth|value|valued|spend\w*|loans?|payments|transactions|contracts|deals|projects|invest\w*|capital|fees|costs?|premiums?|equity|stock|rsus?|options|grants?|gifts?|vouchers?|prizes?|awards?|workspace|home[ ]office|office|setup|set-up|equipment|wellness|fitness|gym|learning|education|tuition|training|conference|internet|phone|wifi|lunch|meals?|food|commuter|transit|parking|childcare|baby|family|fertility|therapy|charit\w*|nonprofit|donat\w*|users?|customers?|clients|employees|members|per[ ]employee|towards?|to[ ]spend|to[ ]build|cash[ ]back|match\w*|401|savings|game|tickets?|in[ ]the[ ]bank|deposit\w*|payouts?|commissions?)\b"
)
_AFTER_POS = re.compile(
    r"\b(?:salary|base|basic|ote|on[- ]target|earnings|compensation|pay|wages?|total[ ]target[ ]cash|income|rate)\b"
)
# A single figure followed by the rest of a pay package.
_PACKAGE_AFTER = re.compile(r"[ \t*_]*(?:\+|&|&amp;|plus|and)[ \t]*(?:[\d.,%\- ]{1,8}[ ]?)?(?:equity|stock|rsus?|bonus|benefits)\b")
_AFTER_BASIS = [
    (re.compile(r"\b(?:ote|on[- ]target)\b"), "ote"),
    (re.compile(r"\btotal\b"), "total"),
    (re.compile(r"\b(?:base|basic)\b"), "base"),
]

# After an amount, only unambiguous phrasing counts ("annual" there is usually "annual bonus").
_AFTER_PERIOD = re.compile(
    r"\b(?:(?P<hour>hourly|per[ ]hour|an[ ]hour)|(?P<month>monthly|per[ ]month|a[ ]month)"
    r"|(?P<year>annually|per[ ](?:year|annum)|a[ ]year)|(?P<week>weekly|per[ ]week)|(?P<day>daily|per[ ]day))\b"
    r"|\b(?:pro|por|par|al|im)[ ](?:(?P<month_>monat|mes|mês|mois)|(?P<year_>jahr|año|ano|an)|(?P<hour_>stunde|hora|heure))\b"
)

# "All figures cited below in CAD", "(in CAD)": a bare "$" after this is that currency. Found by
# the literal "in CODE" first, then confirmed by a noun shortly before it. The look-behind sits
# after "in", not before it, so the engine can skip ahead to the literal (measured: 5% of parse
# time on the pay corpus).
_CURRENCY_LABEL = re.compile(rf"(?<![A-Za-z])\(?(?P<code>{_CODE_PATTERN})\)?[ \t]*[:=][ \t*_]*\Z")
_CURRENCY_SCOPE = re.compile(rf"in(?<![A-Za-z]in)[ ]+(?P<code>{_CODE_PATTERN})(?![A-Za-z])")
_SCOPE_NOUN = re.compile(r"(?:figures|amounts|numbers|ranges?|salar(?:y|ies)|compensation|pay|rates?)\b[^.\n$]{0,40}\Z|\((?:all[ ])?\Z")
_PESOS = re.compile(r"(?<![a-z])pesos?(?![a-z])")  # over the lower-cased text
PESO_COUNTRY_HINTS = [
    (re.compile(r"(?i)argentin"), "ARS"), (re.compile(r"(?i)colombi"), "COP"),
    (re.compile(r"(?i)chile"), "CLP"), (re.compile(r"(?i)urugua"), "UYU"), (re.compile(r"(?i)m[eé]xic"), "MXN"),
]

_NETFLIX_TOTAL = re.compile(  # over the lower-cased text
    r"(?:based[ ]on|reflects?|represents?|is|are)[ ](?:the[ ])?total[ ](?:target[ ])?(?:cash[ ])?comp"
)

# A sentence ends at . ! ? ; followed by a space or markdown, but not after a lone capital ("U.S.").
_SENTENCE_END = re.compile(r"[.!?;](?=[\s*_])|\n[ \t]*\n")
_NEWLINE = re.compile(r"\n")
_LETTER = re.compile(r"[A-Za-z]")


KEYWORD_LOOKBACK = 320  # the widest context window: a basis stated a few lines above a tier list


class _Document:
    """The text plus position indexes, built lazily and once, so every look-up is a bisect."""

    def __init__(self, text: str, keyword_span: tuple[int, int] | None = None) -> None:
        self.text = text
        # Keywords are only ever looked up shortly before a candidate amount, so only that part of
        # the text is scanned (it is the costliest regex here).
        self.keyword_span = keyword_span or (0, len(text))
        lower = text.lower()
        if len(lower) != len(text):  # "İ" lower-cases to two characters; keep positions aligned
            lower = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
        self.lower = lower
        self._keywords: tuple[list[int], list[int], list[str], list[str | None]] | None = None
        self.mentions_pesos = "peso" in self.lower
        self._sentence_ends: list[int] | None = None
        self._line_starts: list[int] | None = None
        self._scopes: tuple[list[int], list[str]] | None = None
        self._pesos: list[int] | None = None

    @property
    def keywords(self) -> tuple[list[int], list[int], list[str], list[str | None]]:
        """Parallel lists over the keywords in ``keyword_span``: ends, starts, kinds, bases/periods."""
        if self._keywords is None:
            ends, starts, kinds, values = [], [], [], []
            for match in _KEYWORD.finditer(self.lower, *self.keyword_span):
                kind, value = _keyword_meaning(match.group())
                start, end = match.span()
                ends.append(end)
                starts.append(start)
                kinds.append(kind)
                values.append(value)
            self._keywords = (ends, starts, kinds, values)
        return self._keywords

    @property
    def sentence_ends(self) -> list[int]:
        if self._sentence_ends is None:
            text = self.text
            self._sentence_ends = [
                m.end() for m in _SENTENCE_END.finditer(text) if m.start() == 0 or text[m.start() - 1] not in _UPPER
            ]
        return self._sentence_ends

    @property
    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in _NEWLINE.finditer(self.text)]
        return self._line_starts

    @property
    def scopes(self) -> tuple[list[int], list[str]]:
        if self._scopes is None:
            matches = [
                m for m in _CURRENCY_SCOPE.finditer(self.text)
                if _SCOPE_NOUN.search(self.lower, max(0, m.start() - 60), m.start())
            ]
            self._scopes = ([m.end() for m in matches], [_normalise_code(m.group("code")) for m in matches])
        return self._scopes

    @property
    def pesos(self) -> list[int]:
        if self._pesos is None:
            self._pesos = [m.start() for m in _PESOS.finditer(self.lower)]
        return self._pesos

    # -- windows ---------------------------------------------------------------------------

    def sentence_start(self, position: int, limit: int = 240) -> int:
        ends = self.sentence_ends
        index = bisect_right(ends, position) - 1
        start = ends[index] if index >= 0 else 0
        return max(start, position - limit)

    def sentence_end(self, position: int, limit: int = 240) -> int:
        ends = self.sentence_ends
        index = bisect_right(ends, position)
        end = ends[index] if index < len(ends) else len(self.text)
        return min(end, position + limit)

    def line_start(self, position: int) -> int:
        starts = self.line_starts
        return starts[bisect_right(starts, position) - 1]

    def context_start(self, position: int) -> int:
        """Start of the clause that introduces the amount at ``position``.

        It is the sentence, cut at the line start, unless the line holds nothing but bullets and
        markup before the amount: then the previous non-empty line (a heading) is included.
        """
        start = max(self.sentence_start(position), self.line_start(position))
        if not _LETTER.search(self.text, start, position):
            start = self._heading_start(start, position)
        return start

    def _heading_start(self, start: int, position: int) -> int:
        previous_end = start - 1
        while previous_end > 0 and self.text[previous_end - 1] in " \t\r\n":
            previous_end -= 1
        if previous_end <= 0:
            return start
        return max(self.line_start(previous_end - 1), position - 240)

    def keywords_between(self, start: int, end: int) -> range:
        """Indexes (into the ``keywords`` lists) of the keywords ending after ``start``, up to ``end``."""
        ends = self.keywords[0]
        return range(bisect_left(ends, start + 1), bisect_right(ends, end))

    def periods_between(self, start: int, end: int) -> list[str]:
        """The period words said between ``start`` and ``end``, in text order."""
        _, starts, kinds, values = self.keywords
        found: list[str] = []
        for i in self.keywords_between(start, end):
            value = values[i]
            if kinds[i] == "period" and starts[i] >= start and value is not None:
                found.append(value)
        return found

    def scope_currency(self, position: int) -> str | None:
        ends, codes = self.scopes
        index = bisect_right(ends, position) - 1
        return codes[index] if index >= 0 else None

    def pesos_near(self, start: int, end: int) -> bool:
        starts = self.pesos
        index = bisect_left(starts, start)
        return index < len(starts) and starts[index] < end


# --------------------------------------------------------------------------------------------
# Step 4: deciding, and filling in period / currency / basis / label
# --------------------------------------------------------------------------------------------

# Plausible pay, in US-dollar equivalents per period. A period written on the amount gets the wide
# bounds; one taken from the surrounding sentence or from magnitude must sit in the narrow band.
WIDE_BOUNDS = {"year": (1_000, 5_000_000), "month": (80, 500_000), "week": (20, 100_000), "day": (5, 20_000), "hour": (1, 2_500)}
NARROW_BOUNDS = {"year": (8_000, 5_000_000), "month": (300, 45_000), "week": (100, 12_000), "day": (40, 4_000), "hour": (5, 600)}


def _usd(value: float, currency: str) -> float:
    return value * USD_VALUE.get(currency, 1.0)


def period_suspect(minimum: float, maximum: float, currency: str, period: str) -> bool:
    """True when a range's figures are implausible for its period (in US-dollar terms, outside
    NARROW_BOUNDS): 2,100-2,600 "per year" reads like a monthly figure, $4,000 "an hour" like a
    monthly or weekly one. Platforms publish such ranges; they are kept as published and flagged."""
    return period in NARROW_BOUNDS and not _within(minimum, maximum, currency, NARROW_BOUNDS[period])


def _within(minimum: float, maximum: float, currency: str, bounds: tuple[float, float]) -> bool:
    low, high = bounds
    return low <= _usd(minimum, currency) and _usd(maximum, currency) <= high


def _fits(candidate: _Candidate, currency: str, period: str, bounds: dict) -> bool:
    return _within(candidate.min, candidate.max, currency, bounds[period])


def _infer_period(candidate: _Candidate, currency: str) -> str | None:
    """The period a figure of this size usually is; None where that is ambiguous."""
    top = _usd(candidate.max, currency)
    bottom = _usd(candidate.min, currency)
    if bottom >= 10_000 and top <= 5_000_000:
        return "year"
    if 700 <= bottom and top < 12_000:
        return "month"
    if 5 <= bottom and top <= 300:
        return "hour"
    return None


def _after_phrase(lower: str, position: int) -> str:
    """The lower-cased words right after an amount, up to the first clause break."""
    window = lower[position : position + 60]
    stop = _AFTER_STOP.search(window)
    return window[: stop.start()] if stop else window


def _nearest_keyword_kind(doc: _Document, start: int, end: int, single: bool) -> str | None:
    keyword_ends, kinds = doc.keywords[0], doc.keywords[2]
    for index in reversed(doc.keywords_between(start, end)):
        kind = kinds[index]
        if kind == "period" or (kind == "single_neg" and not single):
            continue
        # "Senior Engineer | Equity | £75k-£120k": a money word in another cell of a "|" row is that
        # cell's, not the amount's.
        if kind in ("neg", "single_neg") and "|" in doc.text[keyword_ends[index]:end]:
            continue
        return kind
    return None


def _resolve_currency(doc: _Document, candidate: _Candidate, default_currency: str) -> tuple[str, bool]:
    """(ISO currency, whether the text marked a currency at all)."""
    low, high = candidate.low, candidate.high
    explicit = low.currency or high.currency
    if explicit:
        return explicit, True
    weak = low.weak_currency or high.weak_currency
    if weak and (low.weak_currency == high.weak_currency) and candidate.is_range and low.weak_currency:
        return weak, True  # "CA $100 - CA $120"
    marked = low.dollar or high.dollar
    word = low.currency_word or high.currency_word
    # doc.mentions_pesos spares most texts the peso scan (measured: 7% of parse time on the pay corpus).
    if (word and word.startswith("peso")) or (
        doc.mentions_pesos and doc.pesos_near(doc.context_start(candidate.start), candidate.start)
    ):
        return _peso_currency(doc.text[max(0, candidate.start - 400) : candidate.end + 200], default_currency), True
    # "USD: $41–$44/hr, CAD: $39–$42/hr": a code labelling the amounts right before them is theirs.
    label = _CURRENCY_LABEL.search(doc.text, max(0, candidate.start - 14), candidate.start)
    if label:
        return _normalise_code(label.group("code")), True
    scoped = doc.scope_currency(candidate.start)
    if scoped:
        return scoped, True
    return default_currency, marked


def _peso_currency(window: str, default_currency: str) -> str:
    if default_currency in PESO_CURRENCIES:
        return default_currency
    for pattern, code in PESO_COUNTRY_HINTS:
        if pattern.search(window):
            return code
    return "MXN"


def _resolve_period(
    doc: _Document, candidate: _Candidate, currency: str, context_start: int, candidates: list[_Candidate], index: int
) -> tuple[str | None, bool]:
    """(period, inferred from magnitude?) of ``candidate``, which is ``candidates[index]``."""
    stated = candidate.high.period or candidate.low.period
    if stated:
        return (stated, False) if _fits(candidate, currency, stated, WIDE_BOUNDS) else (None, False)
    before = doc.periods_between(context_start, candidate.start)
    for period in reversed(before):
        if _fits(candidate, currency, period, NARROW_BOUNDS):
            return period, False
    after = _AFTER_PERIOD.search(doc.lower, candidate.end, doc.sentence_end(candidate.end, 80))
    if after:
        period = (after.lastgroup or "").rstrip("_")
        if _fits(candidate, currency, period, NARROW_BOUNDS):
            return period, False
    sentence_end = doc.sentence_end(candidate.end)
    for later in range(index + 1, len(candidates)):  # the later candidates in the same sentence
        sibling = candidates[later]
        if sibling.start >= sentence_end:
            break
        sibling_period = sibling.high.period or sibling.low.period
        if sibling_period and _fits(candidate, currency, sibling_period, NARROW_BOUNDS):
            return sibling_period, False
    inferred = _infer_period(candidate, currency)
    return inferred, inferred is not None


def _is_pay(doc: _Document, candidate: _Candidate, currency_marked: bool, after: str, context_start: int,
            range_nearby: bool = True) -> bool:
    """``after``: the phrase right after the amount; ``context_start``: where its clause starts;
    ``range_nearby``: whether a range is stated close to it. A midpoint or an average is a figure
    inside a stated range; with no range near, an average is the figure itself ("contract rates
    average about USD $19.75 per hour")."""
    single = not candidate.is_range
    if after and _AFTER_NEG.search(after):
        return False
    nearest_kind = _nearest_keyword_kind(doc, context_start, candidate.start, single and range_nearby)
    if nearest_kind in ("neg", "single_neg"):
        return False
    period = candidate.high.period or candidate.low.period
    if not currency_marked:
        # A bare number is pay only with a pay period on it ("US - 50/hr") or a pay keyword
        # introducing thousands-grouped figures ("Salary: 90,000 - 120,000").
        if period == "hour":
            return True
        return (
            nearest_kind == "pos"
            and candidate.low.grouped
            and candidate.high.grouped
            and candidate.min >= 1000
        )
    if not single:
        return True
    if nearest_kind == "pos" or (after and _AFTER_POS.search(after)):
        return True
    if _PACKAGE_AFTER.match(doc.lower, candidate.end):
        return True  # "$120k + equity and benefits", "$150k & 0.5-2% equity": the figure heads a pay package
    if _alone_in_a_cell(doc, candidate):
        return True  # "Senior Engineer | Remote | Full-time | BRL280k": a job row's pay column
    if period == "hour":
        return True  # "$40.00/hr"
    written_currency = candidate.low.currency is not None  # a code or a symbol, not a bare "$"
    return written_currency and period is not None  # "$47K USD/yr", "2.2M ARS/mo."


# What may stand before a figure alone in a "|" cell ("up-to £85K", "from $120k").
_CELL_LEAD = re.compile(r"[ \t*_]*(?i:(?:up[ -]?to|from|to|~|c\.)[ \t]*)?\Z")
_CELL_TAIL = re.compile(r"[ \t*_]*(?:\||\n|\Z)")


def _alone_in_a_cell(doc: _Document, candidate: _Candidate) -> bool:
    """A salary-sized figure with a currency and a multiplier, alone in a cell of a "|" row that has
    at least two cells before it: the way job-board headers state pay ("… | Full-time | $150k")."""
    amount = candidate.low
    if not ((amount.currency or amount.dollar) and amount.has_multiplier):
        return False
    if _usd(candidate.max, amount.currency or "USD") < 10_000:
        return False  # "| $5k |": a budget or a bonus as often as pay
    line_start = doc.line_start(candidate.start)
    before = doc.text[line_start:candidate.start]
    if before.count("|") < 2:
        return False
    cell = before[before.rfind("|") + 1:]
    return _CELL_LEAD.fullmatch(cell) is not None and _CELL_TAIL.match(doc.text, candidate.end) is not None


def _resolve_basis(doc: _Document, candidate: _Candidate, after: str) -> str:
    if after:
        for pattern, basis in _AFTER_BASIS:
            if pattern.search(after):
                return basis
    _, _, kinds, values = doc.keywords
    for index in reversed(doc.keywords_between(max(0, candidate.start - KEYWORD_LOOKBACK), candidate.start)):
        value = values[index]
        if value and kinds[index] != "period":
            return value
    following = doc.lower[candidate.end : candidate.end + 260]
    if _NETFLIX_TOTAL.search(following):
        return "total"
    return "unknown"


# Words that describe pay itself rather than a tier; a label made only of these is no label.
_LABEL_GENERIC = re.compile(
    r"(?i)^(?:(?:the|our|us|u\.s\.|annual|yearly|estimated|expected|anticipated|starting|target|new[- ]hire|hiring|typical|full|overall|base|basic|salary|salaries|pay|compensation|comp|cash|wage|rate|hourly|monthly|range|ranges|band|gross|net|total|ote|on[- ]target|earnings|bonus|and|for|this|role|position|is|are|of|in|offered|details|transparency|together|with|benefits|pesos?|dollars|euros?|per|year|hour|month|\W)+)$"
)
_LABEL_TRAILING_GENERIC = re.compile(
    r"(?i)(?:[ ]+(?:base|basic|annual|hourly|salary|pay|compensation|comp|cash|wage|hiring|starting|target|range|ranges|band|rate|per|year|hour|month)){1,6}$"
)
_LABEL_FOR = re.compile(r"(?i)\b(?:for|in)[ ]+(?:the[ ]+)?(?:states?[ ]+of[ ]+|working[ ]+locations[ ]+in[ ]+)?([^,:;]{2,60}?)(?:[ ]+(?:is|are|will[ ]be)\b|,)")
_LABEL_MARKUP = re.compile(r"[*_`#>{}]+")
_LABEL_BULLET = re.compile(r"^[\s·•\-–+]+")
_LABEL_VERB = re.compile(r"(?i)\b(?:is|are|will be)\b")
_LABEL_LEAD = re.compile(r"(?i)^(?:based in|for|in|located in)\s+")
_LABEL_CAPITAL = re.compile(r"[A-Z]")
_THREE_DIGITS = re.compile(r"\d{3}")


def _label_before_separator(prefix: str) -> str | None:
    """"Zone A" from "Zone A:" / "Zone A -" when the separator sits right before the amount."""
    near = len(prefix) - 14  # the separator may be followed by a little markup or "USD"
    separator = max(prefix.rfind(":"), prefix.rfind(" -"), prefix.rfind(" –"))
    if separator < 0 or separator < near or ":" in prefix[separator + 1 :]:
        return None
    label = prefix[max(0, separator - 80) : separator]
    label = label[max(label.rfind(":"), label.rfind(";"), label.rfind("|")) + 1 :].strip()
    return label or None


def _label(doc: _Document, candidate: _Candidate) -> str | None:
    """The tier a range applies to when the text names one: "Zone A", "Colorado", "Senior"."""
    text = doc.text
    clause_start = max(doc.line_start(candidate.start), doc.sentence_start(candidate.start, 200))
    prefix = text[clause_start : candidate.start]
    if not _LETTER.search(prefix):
        return None
    prefix = _LABEL_BULLET.sub("", _LABEL_MARKUP.sub(" ", prefix)).strip()
    label = None
    colon = _label_before_separator(prefix)
    if colon and "." not in colon[-3:]:
        label = colon
        if _LABEL_VERB.search(label):  # "The anticipated starting pay range for Colorado is:"
            inner = _LABEL_FOR.search(label + " is")
            label = inner.group(1) if inner else None
    else:
        inner = _LABEL_FOR.search(prefix)  # "In the state of California, the ... range is"
        if inner and _LABEL_CAPITAL.match(inner.group(1)):
            label = inner.group(1)
    if not label:
        return None
    label = _LABEL_LEAD.sub("", label.strip())
    label = _LABEL_TRAILING_GENERIC.sub("", label).strip(" ,.-–")  # "Zone A base salary range" -> "Zone A"
    if (
        not label or len(label) > 60 or label.lower().startswith("this ")
        or _LABEL_GENERIC.match(label) or _THREE_DIGITS.search(label)
    ):
        return None
    return label


def _worth_a_look(candidate: _Candidate, default_currency: str, mentions_pesos: bool) -> bool:
    """Cheap checks that throw out most non-pay numbers before any context is read."""
    low, high = candidate.low, candidate.high
    marked = (
        low.currency or high.currency or low.dollar or high.dollar or low.currency_word or high.currency_word
        or low.weak_currency or high.weak_currency
    )
    if not marked and high.period != "hour" and low.period != "hour":
        # Bare numbers ("5-7 years", "2024") are pay only as a grouped range ("Salary: 90,000 - 120,000").
        if not (candidate.is_range and low.grouped and high.grouped and candidate.min >= 1000):
            return False
    currency = low.currency or high.currency or default_currency
    if _usd(candidate.max, currency) > WIDE_BOUNDS["year"][1] and not mentions_pesos:
        return False  # "$36M", "$1.8tn": funding and market sizes
    return True


# A guard for pathological input (megabytes of "$1,000,000 - "): only the first this-many numbers
# are read. A real pay passage has a few (at most 11 in the pay corpus), a whole posting a few dozen;
# each costs about 20 us, so 800 keep any 64 KB text within 20 ms (benchmarks/pay_speed.py).
MAX_NUMBERS_READ = 800
# How close (characters) a stated range makes a single "average" or "midpoint" figure part of it.
RANGE_NEARBY = 400


# The thousands and decimal separators written with Arabic-Indic digits ("٤٥٬٠٠٠", "١٢٫٥").
_DIGIT_SEPARATORS = {"\u066c": ",", "\u066b": "."}


class _AsciiTwins(dict):
    """A str.translate table: each Unicode decimal digit ("１", "٣") and full-width form ("＄", "，",
    "－") to its ASCII twin. One character for one, so positions in the translated text are positions
    in the original, and every range's ``raw`` is cut from the text as the posting wrote it."""

    def __missing__(self, code: int) -> int | None:
        char = chr(code)
        if char.isdecimal():
            twin: int | None = ord(str(unicodedata.decimal(char)))
        elif char in _DIGIT_SEPARATORS:
            twin = ord(_DIGIT_SEPARATORS[char])
        elif 0xFF01 <= code <= 0xFF5E:  # the full-width block mirrors printable ASCII
            twin = code - 0xFEE0
        else:
            twin = None
        self[code] = twin if twin is not None else code
        return self[code]


_ASCII_TWINS = _AsciiTwins()
# Where a text has a twin at all: a C scan that finds none in almost every posting, where translating
# 64 KB character by character through the table cost 2 ms (benchmarks/pay_speed.py).
_HAS_TWIN = re.compile(r"(?:(?![0-9])\d)|[\uff01-\uff5e\u066b\u066c]")


def parse_pay(text: str, *, default_currency: str = "USD") -> list[PayRange]:
    """Every pay figure or range stated in ``text``, in text order (see the module docstring)."""
    if not text:
        return []
    original = text
    if not text.isascii() and _HAS_TWIN.search(text):  # ASCII has no twins to swap in
        text = text.translate(_ASCII_TWINS)
    amounts = []
    for count, match in enumerate(_NUMBER.finditer(text)):
        if count == MAX_NUMBERS_READ:
            break
        amount = _read_amount(text, match)
        if amount is not None:
            amounts.append(amount)
    if not amounts:
        return []
    candidates = _group(text, amounts)
    mentions_pesos = "peso" in text or "Peso" in text or "PESO" in text
    promising = [(i, c) for i, c in enumerate(candidates) if _worth_a_look(c, default_currency, mentions_pesos)]
    if not promising:
        return []
    # Context is read at most KEYWORD_LOOKBACK characters before a candidate.
    doc = _Document(text, (max(0, promising[0][1].start - KEYWORD_LOOKBACK), promising[-1][1].start))
    results: list[PayRange] = []
    lower = doc.lower
    range_starts = [c.start for c in candidates if c.is_range]
    for index, candidate in promising:
        currency, marked = _resolve_currency(doc, candidate, default_currency)
        after = _after_phrase(lower, candidate.end)
        context_start = doc.context_start(candidate.start)
        nearby = bisect_left(range_starts, candidate.start - RANGE_NEARBY) < bisect_right(
            range_starts, candidate.start + RANGE_NEARBY)
        if not _is_pay(doc, candidate, marked, after, context_start, nearby):
            continue
        period, inferred = _resolve_period(doc, candidate, currency, context_start, candidates, index)
        if period is None or not _fits(candidate, currency, period, WIDE_BOUNDS):
            continue
        results.append(
            PayRange(
                round(candidate.min, 2), round(candidate.max, 2), currency, period,
                _resolve_basis(doc, candidate, after), _label(doc, candidate),
                original[candidate.start : candidate.end], "text", inferred, candidate.start, candidate.end,
                period_suspect(candidate.min, candidate.max, currency, period),
            )
        )
    return _once_each(results)


def _once_each(ranges: list[PayRange]) -> list[PayRange]:
    """A range the text states twice in different basis wording ("Salary range: $120,000 - $150,000
    ... The base pay range for this role is $120,000 - $150,000") is one range, with the more
    specific basis. The same figures stated twice with the same wording, or for tiers with different
    labels, are kept apart: they are for different places or levels (the text says which)."""
    kept: list[PayRange] = []
    first: dict[tuple, int] = {}  # (figures, currency, period, label) -> where it was kept first
    for pay in ranges:
        key = (pay.min, pay.max, pay.currency, pay.period, pay.label)
        twin = first.get(key)
        if twin is None or kept[twin].basis == pay.basis or "unknown" not in (kept[twin].basis, pay.basis):
            first.setdefault(key, len(kept))
            kept.append(pay)
        elif kept[twin].basis == "unknown":
            kept[twin] = replace(kept[twin], basis=pay.basis)
    return kept
