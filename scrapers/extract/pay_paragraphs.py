"""The lines of a job description that state pay, for platforms that publish pay only as prose.

Workday, Phenom, SmartRecruiters, JSON-LD pages, Eightfold and Amazon have no pay field (or not
always one): their pay is a paragraph somewhere in the description. ``pay_paragraphs`` picks those
lines out of the plain text (``html_to_text`` output, one line a block) by one set of rules. What
differs between platforms is the wording their postings use, kept as data in ``PAY_WORDING``:

- a *pay line* names pay (``names_pay``) and carries an amount (``amount``); it is taken;
- a *heading* (``takes_headings``): a line that names pay, right above an amount line that does
  not, is taken with it ("The pay range for this role is:" / "$120,000 - $150,000");
- a *coverage note* (``covers``): the line right after a pay line that says what the range covers,
  with no amount of its own, is taken with it (Netflix: "This market range is based on total
  compensation ...");
- an *announcement* (``announces``): a line that names pay and says the amounts follow ("The base
  salary range for this position is listed below") is taken without an amount;
- a *pay row* (``pay_row``): a line of that shape is taken by itself (Amazon: "USA, CA, SAN DIEGO -
  200,100.00 - 270,600.00 USD annually").

Nothing is returned unless a taken line carries an amount. Blank lines come from the HTML's own
line breaks and from list items, so "right above" and "right after" look past them. Two rules are
SmartRecruiters' own, kept because its pay_text was archived by them: ``blank_lines_separate`` (the
heading must stand directly on top) and ``heading_lines_once`` (a heading or amount line whose very
text is already taken is not taken again: "Salary range" twice over two amounts appears once).

``pay_text`` is hashed into the archive's versions: if what is picked for a real posting changed,
every such posting would get a new version. So each entry keeps the exact phrases and amount forms
of the finder that platform had before (checked line for line against those finders).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def whole_words(*phrases: str) -> re.Pattern[str]:
    """Any of the phrases, as whole words, in any case."""
    return re.compile(rf"\b(?:{'|'.join(map(re.escape, phrases))})\b", re.IGNORECASE)


def word_starts(*phrases: str) -> re.Pattern[str]:
    """Any of the phrases, in any case, also as the start of a longer word ("pay range" in "pay ranges")."""
    return re.compile(rf"\b(?:{'|'.join(map(re.escape, phrases))})", re.IGNORECASE)


@dataclass(frozen=True)
class PayWording:
    """How one platform's postings word their pay (the rules are in the module docstring)."""

    names_pay: re.Pattern[str]
    amount: re.Pattern[str]
    takes_headings: bool = False
    blank_lines_separate: bool = False
    heading_lines_once: bool = False
    covers: re.Pattern[str] | None = None
    announces: tuple[str, ...] = ()  # lower-case phrases, found anywhere in the line
    pay_row: re.Pattern[str] | None = None


# An amount is a number with a currency sign or code next to it; each platform's list of codes is
# the one its postings were seen to use. Case matters: "USD", not "usd".
_SIGN_THEN_NUMBER = r"[$€£¥₹]\s?\d"
# A sign, or any three capitals as a code on either side of the number ("USD 120,000", "120,000 CAD").
_ANY_CODE_AMOUNT = re.compile(rf"{_SIGN_THEN_NUMBER}|\b[A-Z]{{3}}\s?\d|\d[\d,.]*\s?(?:[A-Z]{{3}})\b")

WORKDAY = PayWording(
    names_pay=whole_words(
        "pay", "paid", "salary", "salaries", "compensation", "wage", "wages", "hiring range", "base rate",
        "hourly rate", "rate of pay", "remuneration", "earning", "earnings", "OTE", "stipend",
    ),
    # Workday descriptions also write bare thousands ("120,000 - 150,000") and k amounts ("120k").
    amount=re.compile(
        rf"{_SIGN_THEN_NUMBER}|\b(?:USD|CAD|GBP|EUR|AUD|NZD|INR|JPY|SGD|CHF)\s?\d"
        r"|\d[\d,.]*\s?(?:USD|CAD|GBP|EUR|AUD|NZD)\b|\b\d{2,3},\d{3}\b|\b\d{2,3}(?:\.\d)?\s?[kK]\b"
    ),
    takes_headings=True,
)

SMARTRECRUITERS = PayWording(
    names_pay=whole_words(
        "salary", "salaries", "pay range", "base pay", "pay rate", "compensation", "wage", "hourly rate",
        "per hour", "per year", "annually", "per annum", "OTE",
    ),
    amount=re.compile(
        rf"{_SIGN_THEN_NUMBER}|\d[\d,.]*\s?(?:k\b|K\b)?\s*(?:USD|EUR|GBP|CAD|AUD|INR|CHF|SEK|PLN|JPY)\b"
        r"|\b(?:USD|EUR|GBP|CAD|AUD|INR|CHF|SEK|PLN|JPY)\s?\d"
    ),
    takes_headings=True,
    blank_lines_separate=True,
    heading_lines_once=True,
)

EIGHTFOLD = PayWording(
    names_pay=word_starts(
        "market range", "range for this role", "pay range", "base pay", "base salary", "salary range",
        "compensation range", "pay for this role", "pay for this position", "hourly rate", "salary for this",
    ),
    # "USD $142,800": a code may stand before the sign.
    amount=re.compile(
        r"[$€£¥]\s?\d|\b(?:USD|EUR|GBP|CAD|AUD|INR|JPY)\s?[$€£]?\s?\d|\d[\d,.]*\s?(?:USD|EUR|GBP|CAD)"
    ),
    covers=whole_words("total compensation", "base salary", "base pay", "market range"),
)

AMAZON = PayWording(
    names_pay=word_starts(
        "base pay", "base salary", "pay range", "salary range", "pay for this position", "geographic market",
        "hourly rate", "pay rate",
    ),
    # Any three capitals count as a currency code here (Amazon writes "USD", "CAD", "GBP", "INR" ...).
    amount=_ANY_CODE_AMOUNT,
    announces=("listed below",),
    pay_row=re.compile(r"^[A-Z]{2,3}\b.*\s-\s[\d,]+(?:\.\d+)?\s-\s[\d,]+(?:\.\d+)?\s[A-Z]{3}\b", re.IGNORECASE),
)

# Apple states base pay in a footer of its own ("The base pay range for this role is between $139,500
# and $258,100, ..."); hourly retail roles name a rate.
APPLE = PayWording(
    names_pay=word_starts("base pay", "pay range", "salary range", "base salary", "hourly rate", "pay rate",
                          "hourly pay", "starting pay"),
    amount=_ANY_CODE_AMOUNT,
    takes_headings=True,
)

# Oracle Recruiting Cloud postings: "US: Hiring Range in USD from: $92,500 to $209,500 per annum." (Oracle's
# own), "This position is a salary grade 5 and ranges from $56,400-$94,900."
ORACLE = PayWording(
    names_pay=word_starts("hiring range", "pay range", "salary", "base pay", "compensation range", "hourly rate",
                          "pay rate", "wage", "rate of pay"),
    amount=_ANY_CODE_AMOUNT,
    takes_headings=True,
)

# Google Careers: "The US base salary range for this full-time position is $207,000-$300,000 + bonus +
# equity + benefits", and a row a country: "US: $86000 - $118000 (USD) + 15% bonus target + ...".
GOOGLE = PayWording(
    names_pay=word_starts("base salary", "salary range", "pay range", "base pay", "hourly rate", "pay rate"),
    amount=_ANY_CODE_AMOUNT,
    pay_row=re.compile(r"^[A-Za-z][A-Za-z .]{0,23}:\s*\S?\s?[\d,]+(?:\.\d+)?\s*[-–—]\s*\S?\s?[\d,]+(?:\.\d+)?\s*\([A-Z]{3}\)"),
)

# Phenom sites sit in front of Workday and carry its descriptions; JSON-LD pages were read with the
# SmartRecruiters wording from the start, and their pay_text must not change.
PAY_WORDING = {
    "workday": WORKDAY,
    "phenom": WORKDAY,
    "smartrecruiters": SMARTRECRUITERS,
    "jsonld": SMARTRECRUITERS,
    "eightfold": EIGHTFOLD,
    "amazon": AMAZON,
    "apple": APPLE,
    "oracle": ORACLE,
    "google": GOOGLE,
    # SuccessFactors descriptions are the employers' own HTML, as varied as Workday's.
    "successfactors": WORKDAY,
}


def pay_paragraphs(text: str | None, platform: str) -> str | None:
    """The lines of ``text`` that state pay, in their order, by ``platform``'s wording; None if none."""
    if not text:
        return None
    wording = PAY_WORDING[platform]
    lines = text.split("\n")
    if not wording.blank_lines_separate:
        lines = [line for line in lines if line.strip()]
    taken: set[int] = set()
    for index, line in enumerate(lines):
        has_amount = wording.amount.search(line) is not None
        names_pay = wording.names_pay.search(line) is not None
        if (wording.pay_row and wording.pay_row.search(line)) or (
            names_pay and (has_amount or any(phrase in line.lower() for phrase in wording.announces))
        ):
            taken.add(index)
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if wording.covers and wording.covers.search(following) and not wording.amount.search(following):
                taken.add(index + 1)
        elif has_amount and wording.takes_headings and index and wording.names_pay.search(lines[index - 1]):
            pair = [index - 1, index]
            if wording.heading_lines_once:
                quoted = {lines[taken_index] for taken_index in taken}
                pair = [line_index for line_index in pair if lines[line_index] not in quoted]
            taken.update(pair)
    chosen = [lines[index] for index in sorted(taken)]
    if not any(wording.amount.search(line) for line in chosen):
        return None
    return "\n".join(chosen)
