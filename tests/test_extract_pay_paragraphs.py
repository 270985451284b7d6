import pytest
from hypothesis import given
from hypothesis import strategies as st

from scrapers.extract import amazon, eightfold, jsonld, phenom, smartrecruiters, workday
from scrapers.extract.pay_paragraphs import PAY_WORDING, pay_paragraphs

PLATFORMS = sorted(PAY_WORDING)


def test_every_platform_that_reads_pay_from_prose_names_its_own_entry():
    for module in (workday, phenom, smartrecruiters, jsonld, eightfold, amazon):
        assert module.PLATFORM in PAY_WORDING
    # Phenom sites carry Workday's descriptions; JSON-LD pages were always read like SmartRecruiters.
    assert PAY_WORDING["phenom"] is PAY_WORDING["workday"]
    assert PAY_WORDING["jsonld"] is PAY_WORDING["smartrecruiters"]


# A line on its own: is it a pay line for that platform's wording?
@pytest.mark.parametrize("platform, line, is_pay", [
    ("workday", "The hiring range for this position in Burbank, CA is $142,300 to $190,800 per year.", True),
    ("workday", "Base pay: 120,000 - 150,000", True),  # bare thousands are an amount on Workday
    ("workday", "Salary 120k", True),
    ("workday", "A $500 home-office stipend", True),
    ("workday", "We raised $50M in 2024.", False),  # an amount, but nothing names pay
    ("workday", "Competitive compensation and great benefits.", False),  # pay named, no amount
    ("smartrecruiters", "The estimated salary range is 138,000.00 to 200,100.00 USD per year", True),
    ("smartrecruiters", "Salary: 120k USD", True),
    ("smartrecruiters", "Salary: 120,000", False),  # no currency: not an amount here
    ("smartrecruiters", "Pay: $40", False),  # "pay" alone is not one of its phrases
    ("eightfold", "The overall market range for roles in this area is typically $100,000 - $720,000.", True),
    ("eightfold", "The typical base pay range for this role across the U.S. is USD $142,800 - $274,800.", True),
    ("eightfold", "Our pay ranges start at $50 an hour.", True),  # phrases also start longer words
    ("eightfold", "Salary: $100,000", False),
    ("amazon", "The base pay for this position ranges from $115,000/year in our lowest geographic market", True),
    ("amazon", "The pay rate is 25.50 USD per hour", True),
    ("amazon", "Compensation: $100,000", False),
])
def test_pay_lines(platform, line, is_pay):
    assert (pay_paragraphs(line, platform) == line) is is_pay


@pytest.mark.parametrize("platform, text, expected", [
    # A pay-worded heading right above an amount line is taken with it ...
    ("workday", "About us\nThe pay range for this role is:\n$120,000 - $150,000 USD\nBenefits",
     "The pay range for this role is:\n$120,000 - $150,000 USD"),
    # ... also across the blank line a list item or the HTML's own line break leaves,
    ("workday", "Pay range\n\n• $120,000 - $150,000", "Pay range\n• $120,000 - $150,000"),
    ("phenom", "Pay range\n\n• $120,000 - $150,000", "Pay range\n• $120,000 - $150,000"),
    # but on SmartRecruiters (and JSON-LD) only directly on top.
    ("smartrecruiters", "Pay Range\n$95,000 - $120,000", "Pay Range\n$95,000 - $120,000"),
    ("smartrecruiters", "Pay Range\n\n• $95,000 - $120,000", None),
    ("jsonld", "Pay Range\n\n• $95,000 - $120,000", None),
    # Eightfold and Amazon take no headings.
    ("eightfold", "Pay range\n$95,000 - $120,000", None),
    ("amazon", "Base pay\n$95,000 - $120,000", None),
    # A heading above a line that names pay itself is not taken.
    ("workday", "Compensation\nSalary: $100,000", "Salary: $100,000"),
])
def test_headings(platform, text, expected):
    assert pay_paragraphs(text, platform) == expected


def test_a_repeated_heading_is_taken_again_except_on_smartrecruiters():
    text = "Salary range\n$100,000 - $120,000 (NY)\nSalary range\n$90,000 - $110,000 (TX)"
    assert pay_paragraphs(text, "workday") == text
    assert pay_paragraphs(text, "smartrecruiters") == "Salary range\n$100,000 - $120,000 (NY)\n$90,000 - $110,000 (TX)"
    # A repeated pay line (one that names pay itself) is taken each time, on every platform.
    stated_twice = "Salary: $100,000 USD\nSalary: $100,000 USD"
    assert pay_paragraphs(stated_twice, "smartrecruiters") == stated_twice


NETFLIX = "The overall market range for roles in this area of Netflix is typically $100,000 - $720,000."
COVERAGE = ("This market range is based on total compensation (vs. only base salary), which is in line with our "
            "compensation philosophy.")


@pytest.mark.parametrize("text, expected", [
    (f"{NETFLIX}\n{COVERAGE}\nOther", f"{NETFLIX}\n{COVERAGE}"),
    (f"{NETFLIX}\n\n{COVERAGE}", f"{NETFLIX}\n{COVERAGE}"),  # past a blank line
    (f"{COVERAGE}\n{NETFLIX}", NETFLIX),  # the note must come after the pay line
    (f"{NETFLIX}\nA $5,000 bonus comes on top of total compensation.", NETFLIX),  # a note has no amount
    (f"{NETFLIX}\nWe offer total compensation.", f"{NETFLIX}\nWe offer total compensation."),
])
def test_eightfold_coverage_note_after_the_pay_line(text, expected):
    assert pay_paragraphs(text, "eightfold") == expected


INTRO = "The base salary range for this position is listed below. Final compensation depends on location."
ROW = "USA, CA, SAN DIEGO - 200,100.00 - 270,600.00 USD annually"


@pytest.mark.parametrize("text, expected", [
    (f"{INTRO}\n{ROW}\nUSA, WA, Seattle - 200,100.00 - 270,600.00 USD annually",
     f"{INTRO}\n{ROW}\nUSA, WA, Seattle - 200,100.00 - 270,600.00 USD annually"),
    (ROW, ROW),  # a pay row needs no pay phrase
    (INTRO, None),  # an announcement alone states no amount
    ("usa, ca - 100 - 200 usd", None),  # a row in lower case is a row, but "usd" is not an amount
])
def test_amazon_announcement_and_pay_rows(text, expected):
    assert pay_paragraphs(text, "amazon") == expected


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("text", [None, "", "\n\n", "No pay stated here.", "Salary: competitive"])
def test_no_pay_gives_none(platform, text):
    assert pay_paragraphs(text, platform) is None


LINES = st.sampled_from([
    "", "Pay range", "Salary range:", "Compensation", "$120,000 - $150,000", "USD 90,000", "120k",
    "The pay range for this role is $1 - $2.", "This market range is based on total compensation.",
    "The base salary range for this position is listed below.", ROW, "Benefits include 401k.", "We raised $5M.",
])


@given(st.lists(LINES, max_size=12), st.sampled_from(PLATFORMS))
def test_output_is_the_texts_own_lines_in_order(lines, platform):
    text = "\n".join(lines)
    found = pay_paragraphs(text, platform)
    if found is None:
        return
    picked = found.split("\n")
    remaining = iter(line for line in lines if line)
    assert all(any(line == candidate for candidate in remaining) for line in picked)  # a subsequence
    assert any(PAY_WORDING[platform].amount.search(line) for line in picked)
