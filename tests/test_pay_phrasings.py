"""Phrasings real postings use that the pay parser once missed (issue 13), as table tests. The
passages are written for these tests in the shapes the issue names; each row says what must come out:
(min, max, currency, period), and for some the basis or the label."""

import pytest

from pipelines.pay_parser import parse_pay


def found(text):
    return [(pay.min, pay.max, pay.currency, pay.period) for pay in parse_pay(text)]


@pytest.mark.parametrize("text, expected", [
    # A currency named as a label before its amounts: each range takes its own label's currency.
    ("USD: $41–$44/hr, CAD: $39–$42/hr", [(41, 44, "USD", "hour"), (39, 42, "CAD", "hour")]),
    ("Hourly rate by country. USD: $52 - $58/hr | CAD: $60 - $66/hr | AUD: $70 - $77/hr",
     [(52, 58, "USD", "hour"), (60, 66, "CAD", "hour"), (70, 77, "AUD", "hour")]),
    ("Base salary (CAD): $104,000 - $131,000", [(104000, 131000, "CAD", "year")]),
    ("The CAD base range for this role is CAD $96,000 – $118,000.", [(96000, 118000, "CAD", "year")]),
    ("Pay range: US: $120,000-$150,000; UK: £90,000-£110,000",
     [(120000, 150000, "USD", "year"), (90000, 110000, "GBP", "year")]),
    # Labelled grids: MIN / MID / MAX, the currency after the grid; the midpoint is inside the range.
    ("MIN: 100,000 MID: 125,000 MAX: 150,000 USD", [(100000, 150000, "USD", "year")]),
    ("Salary grid - Min: $88,000 | Mid: $101,000 | Max: $114,000", [(88000, 114000, "USD", "year")]),
    ("MIN: 70,000 MID: 80,000 MAX: 90,000\nCurrency: EUR", [(70000, 90000, "EUR", "year")]),
    ("Minimum: 80,000 Maximum: 95,000 (CAD)", [(80000, 95000, "CAD", "year")]),
    # Amounts glued to codes and periods.
    ("Compensation: 45USD/Hr", [(45, 45, "USD", "hour")]),
    ("Rate: $ 62/h. – $68/h.", [(62, 68, "USD", "hour")]),
    ("$30/hr. - $35/hr. depending on experience", [(30, 35, "USD", "hour")]),
    # Single rates stated as an average or a typical figure for contract work.
    ("Contract rates average about USD $19.75 per hour.", [(19.75, 19.75, "USD", "hour")]),
    ("The typical rate for this contract is $45/hr.", [(45, 45, "USD", "hour")]),
    # Tables of single figures per level and per currency.
    ("Band B: $98k AUD / $104k NZD", [(98000, 98000, "AUD", "year"), (104000, 104000, "NZD", "year")]),
    ("Salary by level - Band A: $85k AUD / $92k NZD; Band B: $98k AUD / $104k NZD",
     [(85000, 85000, "AUD", "year"), (92000, 92000, "NZD", "year"), (98000, 98000, "AUD", "year"),
      (104000, 104000, "NZD", "year")]),
    # A parenthesised code opening the next amount is that amount's, not the one before it.
    ("The annual base salary range for this position is $170,000 - $250,000 (CAD $150,000 - $220,000)",
     [(170000, 250000, "USD", "year"), (150000, 220000, "CAD", "year")]),
    ("US: $86000 - $118000 (USD) + 15% bonus target + equity + benefits", [(86000, 118000, "USD", "year")]),
    # Found on real passages (tests/test_pay_real_passages.py), written again here in their shapes:
    # a money word in another "|" cell; a figure heading a package; ends typed the wrong way round; a
    # thousands group a scrape split with a space.
    ("Staff Engineer | Equity | £80k-£110k (based on experience)", [(80000, 110000, "GBP", "year")]),
    ("| Backend Engineer | Remote EU | €95k + equity and benefits", [(95000, 95000, "EUR", "year")]),
    ("Full-time | $140k & 0.1-0.5% equity", [(140000, 140000, "USD", "year")]),
    ("Studio X | Lighting Artist | Vancouver | Full-time | CAD95k", [(95000, 95000, "CAD", "year")]),
    ("Acme | Tools Engineer | Remote (EU) | up-to €70K", [(70000, 70000, "EUR", "year")]),
    ("USD $72,500.00 - USD $68,000.00 /Yr.", [(68000, 72500, "USD", "year")]),
    ("The hiring range for this position is $88, 000 to $104, 500 per year.", [(88000, 104500, "USD", "year")]),
    # One range stated in two currencies at once: each currency's ends are its range.
    ("Salary: £60,000 / €70,000 to £80,000 / €93,000", [(60000, 80000, "GBP", "year"), (70000, 93000, "EUR", "year")]),
    # Full-width and other Unicode digits.
    ("The salary range is ＄１２０，０００ – ＄１５０，０００ per year.", [(120000, 150000, "USD", "year")]),
    ("Salary: €٤٥٬٠٠٠ - €٥٥٬٠٠٠", [(45000, 55000, "EUR", "year")]),
])
def test_phrasings_give_their_ranges(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize("text", [
    "The range is $100,000 - $140,000 with a midpoint of $120,000.",  # the midpoint is inside the range
    "Pay is $40/hr. - bonus eligible",  # the dot ends the rate: the bonus is not its range
])
def test_figures_inside_a_stated_range_or_after_it_are_not_ranges_of_their_own(text):
    assert len(parse_pay(text)) == 1


@pytest.mark.parametrize("text", [
    "Our average customer saves $1,200 a year.",
    "Our band played to 5,000 fans for $20 tickets.",
    "Minimum 2 years, maximum 5 years of experience.",
    "Minimum order: 100 units, maximum order: 5,000 units.",
    "The mid-market segment grew from $40M to $55M.",
    # A bonus component beside the OTE, and a ceiling pay may grow to, are not the role's range.
    "The OTE also includes an annualized cash variable incentive target range of $31,000 - $34,500.",
    "Employees have the potential to increase their pay up to $260,000.00 with sustained performance.",
    "We give a $1,000 bonus + equity refresh every year.",
    "Acme | Series B | $20M | NYC",  # a funding round in a header row
    "Acme | Engineer | $5k | NYC",  # too small to be a salary alone in a cell
    "As a senior engineer here I make a bit over $180k base.",  # someone's own pay, not the role's
])
def test_near_misses_are_not_pay(text):
    assert parse_pay(text) == []


def test_a_range_stated_twice_in_different_basis_wording_is_one_range_with_the_more_specific_basis():
    [pay] = parse_pay("Salary range: $120,000 - $150,000. The base pay range for this role is $120,000 - $150,000.")
    assert (pay.min, pay.max, pay.basis) == (120000, 150000, "base")


def test_the_same_figures_for_different_places_stay_apart():
    text = ("New York City salary range: $204,000 - $307,000 total target cash.\n\n"
            "Based on legislation in California: Salary range: $204,000 - $307,000 total target cash.")
    assert len(parse_pay(text)) == 2
    zones = parse_pay("Zone A: $100,000 - $120,000; Zone B: $100,000 - $120,000")
    assert [pay.label for pay in zones] == ["Zone A", "Zone B"]


def test_a_band_label_names_its_figures():
    assert [pay.label for pay in parse_pay("Band B: $98k AUD / $104k NZD")] == ["Band B", "Band B"]
