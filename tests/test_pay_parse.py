"""Table-driven tests for pipelines.pay_parser.parse_pay, one group per phrasing family.

The sentences are written for these tests (they are not corpus passages). Each case lists the
expected ranges as (min, max, currency, period); basis/label get their own groups below.
"""

from __future__ import annotations

import dataclasses

import pytest

from pipelines.pay_parser import PayRange, parse_pay
from scrapers.extract.countries import default_currency_for_country


def summary(text: str, **kwargs) -> list[tuple[float, float, str, str]]:
    return [(r.min, r.max, r.currency, r.period) for r in parse_pay(text, **kwargs)]


def cases(*rows):
    """pytest params whose id is the text, so a failure names the sentence."""
    return [pytest.param(text, expected, id=text[:60]) for text, expected in rows]


USD_YEAR = "USD", "year"

DASHES_AND_CONNECTORS = cases(
    ("Pay range: $300,000 - $900,000 depending on level.", [(300000, 900000, *USD_YEAR)]),
    ("The band is $95,000–$120,000.", [(95000, 120000, *USD_YEAR)]),
    ("The band is $95,000 — $120,000 plus equity.", [(95000, 120000, *USD_YEAR)]),
    ("**Salary:** $88,000 \\- $104,000", [(88000, 104000, *USD_YEAR)]),
    ("We pay $101,000 to $133,000 for this role.", [(101000, 133000, *USD_YEAR)]),
    ("Compensation is between $140,500 and $171,250 annually.", [(140500, 171250, *USD_YEAR)]),
    ("The salary is $72,000 -$ 80,000.", [(72000, 80000, *USD_YEAR)]),
    ("Base pay spans $210,000 **** \\- $240,000 **** in the US.", [(210000, 240000, *USD_YEAR)]),
    ("The range is min $150k to a max $190k annual salary.", [(150000, 190000, *USD_YEAR)]),
)

K_AND_M_SUFFIXES = cases(
    ("Salary: $120K–$150K", [(120000, 150000, *USD_YEAR)]),
    ("Total compensation: $1.2M", [(1200000, 1200000, *USD_YEAR)]),
    ("Range: $135k - 160k", [(135000, 160000, *USD_YEAR)]),
    ("Full time • $119k-204k/year (USD) • Remote", [(119000, 204000, *USD_YEAR)]),
    ("Salary: $100-150,000", [(100000, 150000, *USD_YEAR)]),
    ("Salary range: $95-$120,000 DOE", [(95000, 120000, *USD_YEAR)]),
    ("Pay: $90-120K", [(90000, 120000, *USD_YEAR)]),
)

CENTS = cases(
    ("Hourly pay: $25.50 – $30.00 per hour", [(25.5, 30.0, "USD", "hour")]),
    ("Salary range: $61,250.50 - $88,400.75", [(61250.5, 88400.75, *USD_YEAR)]),
    ("The pay rate is $18.75/hr.", [(18.75, 18.75, "USD", "hour")]),
)

CODES_BEFORE_AND_AFTER = cases(
    ("Salary: USD 100,000 – 150,000", [(100000, 150000, *USD_YEAR)]),
    ("Salary: 150,000 - 200,000 USD", [(150000, 200000, *USD_YEAR)]),
    ("The base salary range is $140,000 - $170,000 CAD.", [(140000, 170000, "CAD", "year")]),
    ("Budgeted range (USD) $3.100 - $4.200 per month for contractors.", [(3100, 4200, "USD", "month")]),
    ("Pay: 6,500 - 8,000 EUR/month gross", [(6500, 8000, "EUR", "month")]),
    ("Zone 1: USD $200,000 - USD $250,000", [(200000, 250000, *USD_YEAR)]),
    ("Toronto: 120,000 -140,000 CAD", [(120000, 140000, "CAD", "year")]),
)

SYMBOLS_AND_PREFIXES = cases(
    ("Salary: £45,000 - £55,000", [(45000, 55000, "GBP", "year")]),
    ("Salary: ￡60,000 - ￡70,000", [(60000, 70000, "GBP", "year")]),
    ("Gehalt: €65.000 - €80.000 brutto", [(65000, 80000, "EUR", "year")]),
    ("Annual salary ¥6,000,000 - ¥9,000,000", [(6000000, 9000000, "JPY", "year")]),
    ("CTC ₹18,00,000 - ₹24,00,000 per annum", [(1800000, 2400000, "INR", "year")]),
    ("The range is C$110,000 - C$130,000.", [(110000, 130000, "CAD", "year")]),
    ("The range is CA$ 98,000 to CA $121,000.", [(98000, 121000, "CAD", "year")]),
    ("Salary A$150,000 - A$175,000 plus super", [(150000, 175000, "AUD", "year")]),
    ("Rate: US$45/hour to US$60/hour", [(45, 60, "USD", "hour")]),
    ("Wynagrodzenie: 18 000 - 24 000 zł brutto miesięcznie", [(18000, 24000, "PLN", "month")]),
    ("Stawka od 140 zł/h do 175 zł/h netto", [(140, 175, "PLN", "hour")]),
)

EUROPEAN_FORMATS = cases(
    ("Umowa o pracę: 21 250 - 25 000 PLN gross/monthly", [(21250, 25000, "PLN", "month")]),
    ("Salary: 40.000 EUR - 52.000 EUR per year", [(40000, 52000, "EUR", "year")]),
    ("The monthly pay is $2.500 - $3.200 depending on experience.", [(2500, 3200, "USD", "month")]),
    ("Bruttogehalt 58.500,00 € - 66.000,00 € jährlich", [(58500, 66000, "EUR", "year")]),
)

PERIODS = cases(
    ("Pay: $42 - $48 per hour", [(42, 48, "USD", "hour")]),
    ("Pay: $42 - $48/hr", [(42, 48, "USD", "hour")]),
    ("The expected hourly rate is between $55 and $70.", [(55, 70, "USD", "hour")]),
    ("Salary of $98,000 - $118,000, paid annually.", [(98000, 118000, "USD", "year")]),
    ("Salary: £38,000 - £41,000 per annum", [(38000, 41000, "GBP", "year")]),
    ("Contractors earn $4,000 - $5,500 a month.", [(4000, 5500, "USD", "month")]),
    ("Salary: $1,800 - $2,100 per week", [(1800, 2100, "USD", "week")]),
    ("Day rate: £450 - £550 per day", [(450, 550, "GBP", "day")]),
    ("Compensation: $131,000/year - $160,000/year", [(131000, 160000, "USD", "year")]),
    ("Salary: 1200 - 1800 USD Monthly", [(1200, 1800, "USD", "month")]),
    ("The annual pay range for US applicants is US$52/hour to US$64/hour.", [(52, 64, "USD", "hour")]),
)

SINGLE_FIGURES = cases(
    ("Base salary: $140,000", [(140000, 140000, *USD_YEAR)]),
    ("Pay starts at $17.50/hr and rises with tenure.", [(17.5, 17.5, "USD", "hour")]),
    ("You will earn up to $32/hr.", [(32, 32, "USD", "hour")]),
    ("* $185,000 USD salary, wherever you live", [(185000, 185000, *USD_YEAR)]),
    ("* Mexico - 21.50 USD /hr", [(21.5, 21.5, "USD", "hour")]),
    ("* US - 48/hr", [(48, 48, "USD", "hour")]),
    ("Remote anywhere: $52K USD/yr.", [(52000, 52000, *USD_YEAR)]),
)

TIERS = cases(
    (
        "Zone A: $150,000 - $180,000\nZone B: $140,000 - $168,000\nZone C: $130,000 - $156,000",
        [(150000, 180000, *USD_YEAR), (140000, 168000, *USD_YEAR), (130000, 156000, *USD_YEAR)],
    ),
    (
        "California: $160,000 - $190,000. New York: $165,000 - $195,000. Texas: $140,000 - $170,000.",
        [(160000, 190000, *USD_YEAR), (165000, 195000, *USD_YEAR), (140000, 170000, *USD_YEAR)],
    ),
    (
        "The target range is $120,000 - $140,000 USD / $150,000 - $175,000 CAD.",
        [(120000, 140000, *USD_YEAR), (150000, 175000, "CAD", "year")],
    ),
    (
        "* L4: $4,000 - $5,000 USD per month\n* L5: $5,500 - $7,000 USD per month",
        [(4000, 5000, "USD", "month"), (5500, 7000, "USD", "month")],
    ),
    (
        "Employment contract: 14,000 - 19,000 PLN or USD 3,500 - 4,800 (+ VAT / B2B) Monthly",
        [(14000, 19000, "PLN", "month"), (3500, 4800, "USD", "month")],
    ),
)

AMAZON_AND_NETFLIX = cases(
    (
        "Pay is based on market location and may vary. The base pay for this position ranges from "
        "$118,900/year in our lowest geographic market up to $205,600/year in our highest "
        "geographic market.",
        [(118900, 205600, *USD_YEAR)],
    ),
    (
        "The overall market range for roles in this area is typically $150,000 - $650,000\n\n"
        "This market range is based on total compensation (vs. only base salary).",
        [(150000, 650000, *USD_YEAR)],
    ),
    (
        "The expected salary range is between $141,000 [minimum salary in our lowest geographic "
        "market] to $212,000 [maximum salary in our highest geographic market].",
        [(141000, 212000, *USD_YEAR)],
    ),
)

OTHER_LANGUAGES = cases(
    ("Wir zahlen 4.000 - 5.500 € brutto im Monat", [(4000, 5500, "EUR", "month")]),
    ("Gehalt: 60.000 - 70.000 € pro Jahr", [(60000, 70000, "EUR", "year")]),
    ("Salário: R$ 8.000 - R$ 12.000 por mês", [(8000, 12000, "BRL", "month")]),
    ("Sueldo: $30,000 - $40,000 MXN al mes", [(30000, 40000, "MXN", "month")]),
    ("Stawka: 120-150 zł/godz.", [(120, 150, "PLN", "hour")]),
    ("RAL tra i € 35k ed i € 45k", [(35000, 45000, "EUR", "year")]),
)

PAY_NEXT_TO_OTHER_MONEY = cases(
    ("Salary: $80,000 - $100,000 + 10% bonus", [(80000, 100000, *USD_YEAR)]),
    ("We offer $5,000 relocation and a salary of $120k–$140k", [(120000, 140000, *USD_YEAR)]),
    ("The salary is $130,000 to $150,000 USD, plus a $10,000 signing bonus.", [(130000, 150000, *USD_YEAR)]),
    ("Range: $145,000 - $165,000. Stipend: $1,000 per year for learning.", [(145000, 165000, *USD_YEAR)]),
    ("Our Series A raised $12M from investors; the salary is $140k-$160k.", [(140000, 160000, *USD_YEAR)]),
    ("Range: $150,000 - $190,000. We anchor offers at the mid point ($170k).", [(150000, 190000, *USD_YEAR)]),
    ("* Base: $150,000\n* Base + Bonus Target: $180,000", [(150000, 150000, *USD_YEAR), (180000, 180000, *USD_YEAR)]),
)

NEGATIVES = cases(
    ("We offer a 401(k) with a 4% match.", []),
    ("Our 401k match is capped at $6,000 per year.", []),
    ("We raised a $50M Series B led by top investors.", []),
    ("Customers process $5-$10B in ARR through our platform.", []),
    ("The company reached $120 million in revenue last year.", []),
    ("A $1,500 home office stipend and a $100/month internet allowance.", []),
    ("Learning budget of $2,000 per year for courses and conferences.", []),
    ("Referral bonus of $3,000 for every hire you refer.", []),
    ("A $10,000 sign-on bonus is available.", []),
    ("5-7 years of experience with distributed systems.", []),
    ("You will lead a team of 8-12 engineers.", []),
    ("Roughly 20-30% of the role is travel.", []),
    ("Applications close on March 15, 2025.", []),
    ("Our office is at 1 Market St, San Francisco, CA 94105.", []),
    ("Call us at (415) 555-0123 or 1-800-555-0199.", []),
    ("Expect 30-40 hours per week of work.", []),
    ("We anchor offers at the midpoint ($150k).", []),
    ("$2,000 USD to build your personal workspace", []),
    ("£2,500 yearly bonus", []),
    ("Wellness reimbursement ($300/year)", []),
    ("Trusted with more than $40 billion in assets.", []),
    ("We run PHP 8.1 - 8.3 and Python 3.11.", []),
    ("", []),
    ("no numbers at all", []),
)


@pytest.mark.parametrize("text, expected", DASHES_AND_CONNECTORS)
def test_dashes_and_connectors(text, expected):
    assert summary(text) == expected


@pytest.mark.parametrize("text, expected", K_AND_M_SUFFIXES)
def test_k_and_m_suffixes(text, expected):
    assert summary(text) == expected


@pytest.mark.parametrize("text, expected", CENTS)
def test_cents(text, expected):
    assert summary(text) == expected


@pytest.mark.parametrize("text, expected", CODES_BEFORE_AND_AFTER)
def test_codes_before_and_after(text, expected):
    assert summary(text) == expected


@pytest.mark.parametrize("text, expected", SYMBOLS_AND_PREFIXES)
def test_symbols_and_prefixes(text, expected):
    assert summary(text) == expected


@pytest.mark.parametrize("text, expected", EUROPEAN_FORMATS)
def test_european_number_formats(text, expected):
    assert summary(text) == expected


@pytest.mark.parametrize("text, expected", PERIODS)
def test_periods(text, expected):
    assert summary(text) == expected


@pytest.mark.parametrize("text, expected", SINGLE_FIGURES)
def test_single_figures(text, expected):
    assert summary(text) == expected


@pytest.mark.parametrize("text, expected", TIERS)
def test_several_tiers(text, expected):
    assert summary(text) == expected


@pytest.mark.parametrize("text, expected", AMAZON_AND_NETFLIX)
def test_amazon_and_netflix_phrasings(text, expected):
    assert summary(text) == expected


@pytest.mark.parametrize("text, expected", OTHER_LANGUAGES)
def test_other_languages(text, expected):
    assert summary(text) == expected


@pytest.mark.parametrize("text, expected", PAY_NEXT_TO_OTHER_MONEY)
def test_pay_next_to_other_money(text, expected):
    assert summary(text) == expected


@pytest.mark.parametrize("text, expected", NEGATIVES)
def test_not_pay(text, expected):
    assert summary(text) == expected


# --- currency defaults ----------------------------------------------------------------------


def test_bare_dollar_follows_default_currency():
    assert summary("Salary: $120,000 - $140,000", default_currency="AUD") == [(120000, 140000, "AUD", "year")]


def test_explicit_dollar_prefix_beats_default_currency():
    text = "Salary: CA$120,000 - CA$140,000"
    assert summary(text, default_currency="AUD") == [(120000, 140000, "CAD", "year")]
    assert summary("Salary: US$90,000 - US$110,000", default_currency="AUD")[0][2] == "USD"


def test_code_after_the_dollar_amount_wins():
    assert summary("Salary: $120,000 - $140,000 CAD", default_currency="USD")[0][2] == "CAD"


def test_pesos_make_the_dollar_sign_pesos():
    text = "Compensation: Gross Annual Pesos Salary Range: $600,000.00 - $840,000.00"
    assert summary(text) == [(600000, 840000, "MXN", "year")]


def test_currency_scope_statement_applies_to_later_bare_dollars():
    text = (
        "* Zone A: $150,000 - $170,000\n"
        "* Canada (all figures below in CAD)\n"
        "  * $160,000 - $185,000"
    )
    assert summary(text) == [(150000, 170000, "USD", "year"), (160000, 185000, "CAD", "year")]


@pytest.mark.parametrize(
    "country, currency",
    [("US", "USD"), ("CA", "CAD"), ("AU", "AUD"), ("NZ", "NZD"), ("MX", "MXN"), ("SG", "SGD"),
     ("HK", "HKD"), ("AR", "ARS"), ("ca", "CAD"), ("GB", "USD"), ("DE", "USD"), (None, "USD"), ("", "USD")],
)
def test_default_currency_for_country(country, currency):
    assert default_currency_for_country(country) == currency


def test_country_default_flows_into_parse():
    assert summary("Salary: $95,000 - $110,000", default_currency=default_currency_for_country("NZ"))[0][2] == "NZD"


# --- basis ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, basis",
    [
        ("The base salary range for this role is $150,000 - $180,000.", "base"),
        ("Annual base pay: $120,000 - $135,000", "base"),
        ("OTE: $200,000 - $240,000 (60/40 split)", "ote"),
        ("$180,000 - $220,000 OTE plus equity", "ote"),
        ("The on-target earnings for this role are $160,000 - $200,000.", "ote"),
        ("Range: $170,000 - $210,000 total target cash (includes bonus)", "total"),
        ("The salary range is $110,000 - $130,000.", "unknown"),
    ],
)
def test_basis(text, basis):
    (found,) = parse_pay(text)
    assert found.basis == basis


def test_netflix_market_range_is_total():
    text = (
        "The overall market range for roles in this area is typically $150,000 - $650,000\n\n"
        "This market range is based on total compensation (vs. only base salary)."
    )
    (found,) = parse_pay(text)
    assert found.basis == "total"


def test_base_and_ote_singles_side_by_side():
    found = parse_pay("* £36,000 basic (£44,000 on-target earnings) with overtime available")
    assert [(r.min, r.basis) for r in found] == [(36000, "base"), (44000, "ote")]


# --- labels -----------------------------------------------------------------------------------


def test_zone_labels():
    text = "Zone A: $150,000 - $180,000\nZone B: $140,000 - $168,000"
    assert [r.label for r in parse_pay(text)] == ["Zone A", "Zone B"]


def test_location_labels():
    text = (
        "· The anticipated starting pay range for Colorado is: $120,000 - $150,000.\n"
        "· The anticipated starting pay range for California and New York is: $132,000 - $165,000."
    )
    assert [r.label for r in parse_pay(text)] == ["Colorado", "California and New York"]


def test_level_labels():
    text = "* L5: $180,000 - $210,000\n* L6: $220,000 - $260,000"
    assert [r.label for r in parse_pay(text)] == ["L5", "L6"]


def test_no_label_for_a_plain_salary_line():
    (found,) = parse_pay("Salary range: $100,000 - $120,000")
    assert found.label is None


# --- raw, inference and annualization ---------------------------------------------------------


def test_raw_is_the_exact_source_substring():
    text = "Pay: **$ 2,200 - $3,500 USD per month** for juniors"
    (found,) = parse_pay(text)
    assert found.raw in text
    assert found.raw.startswith("$") and found.raw.endswith("per month")


def test_period_inferred_only_from_magnitude():
    (stated,) = parse_pay("Salary: $90,000 - $110,000 per year")
    (inferred,) = parse_pay("Salary: $90,000 - $110,000")
    assert (stated.period, stated.period_inferred) == ("year", False)
    assert (inferred.period, inferred.period_inferred) == ("year", True)


def test_ambiguous_magnitude_without_a_period_is_dropped():
    assert parse_pay("Salary: $450 - $500") == []


@pytest.mark.parametrize(
    "text, factor",
    [
        ("Pay: $40 - $50 per hour", 2080),
        ("Pay: $1,000 - $1,200 per week", 52),
        ("Pay: $5,000 - $6,000 per month", 12),
        ("Day rate: $500 - $600 per day", 260),
        ("Salary: $100,000 - $120,000 per year", 1),
    ],
)
def test_annualization_is_derived_and_never_overwrites_stated_amounts(text, factor):
    (found,) = parse_pay(text)
    stated = summary(text)[0]
    assert (found.min, found.max) == stated[:2]
    assert found.annual_min == round(found.min * factor, 2)
    assert found.annual_max == round(found.max * factor, 2)
    assert found.annualized == (factor != 1)
    as_dict = found.to_dict()
    assert (as_dict["min"], as_dict["max"]) == (found.min, found.max)
    assert PayRange(**{field.name: as_dict[field.name] for field in dataclasses.fields(PayRange)}) == found


def test_results_are_payrange_text_source_and_deterministic():
    text = "Zone A: $150,000 - $180,000\nZone B: $140,000 - $168,000"
    first, second = parse_pay(text), parse_pay(text)
    assert first == second
    assert all(isinstance(r, PayRange) and r.source == "text" for r in first)


@pytest.mark.parametrize(
    "fields, message",
    [
        (dict(period="fortnight"), "unknown pay period"),
        (dict(basis="bonus"), "unknown pay basis"),
        (dict(min=120_000, max=100_000), "above max"),
        (dict(min=float("nan")), "finite"),
        (dict(max=float("inf")), "finite"),
    ],
)
def test_payrange_rejects_a_bad_period_basis_or_order(fields, message):
    good = dict(min=100_000, max=120_000, currency="USD", period="year", basis="base")
    PayRange(**good)
    with pytest.raises(ValueError, match=message):
        PayRange(**(good | fields))


@pytest.mark.parametrize(
    "text",
    [
        "Salary: ＄１２０，０００ – ＄１５０，０００ per year",  # full-width digits, sign and comma
        "Salary: $١٢٠,٠٠٠ - $١٥٠,٠٠٠ per year",  # Arabic-Indic digits
        "Salary: $१२०,००० - $१५०,००० per year",  # Devanagari digits
    ],
)
def test_unicode_digits_read_as_the_figures_they_are_and_raw_keeps_the_original(text):
    (found,) = parse_pay(text)
    assert (found.min, found.max, found.currency, found.period) == (120000, 150000, "USD", "year")
    assert found.raw in text and found.raw[0] in "$＄"
