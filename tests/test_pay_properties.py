"""Property tests for pipelines.pay_parser.parse_pay: it never raises, its ranges are well formed, every
``raw`` is a substring of the input, and adversarial input stays linear-time."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipelines.pay_parser import parse_pay

# Fragments that look like pay text, so the generator hits the interesting paths (currencies,
# multipliers, connectors, periods, markdown, separators) far more often than random Unicode would.
FRAGMENTS = [
    "$", "US$", "CA$", "C$", "A$", "€", "£", "￡", "¥", "₹", "zł", "USD", "CAD", "EUR", "PLN", "URU",
    "(USD)", "k", "K", "M", "MM", "B", "bn", "million", "-", "–", "—", "\\-", "β€“", " to ", " and ",
    " between ", " from ", " up to ", " do ", " od ", "/hr", "/year", "/yr", "/mo.", "/h", " per hour",
    " per month", " annually", " a month", " hourly", " gross/monthly", "base salary", "OTE",
    "total compensation", "salary range", "stipend", "401(k)", "Series B", "raised", "bonus",
    "Zone A:", "California:", "[minimum salary in our lowest geographic market]", "**", "_", "*",
    "\n", "\n\n", " ", ",", ".", ":", "(", ")", "%", "+", "pesos", "figures below in CAD",
]
NUMBERS = st.one_of(
    st.integers(min_value=0, max_value=10_000_000).map(str),
    st.integers(min_value=0, max_value=10_000_000).map("{:,}".format),
    st.integers(min_value=0, max_value=10_000_000).map(lambda n: f"{n:,}".replace(",", ".")),
    st.integers(min_value=0, max_value=10_000_000).map(lambda n: f"{n:,}".replace(",", " ")),
    st.floats(min_value=0, max_value=1_000_000, allow_nan=False).map("{:.2f}".format),
    st.text(alphabet="0123456789,. ", min_size=1, max_size=12),
)
PIECES = st.one_of(st.sampled_from(FRAGMENTS), NUMBERS, st.text(max_size=6))
PAYISH_TEXT = st.lists(PIECES, max_size=40).map("".join)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_well_formed(text: str, **kwargs) -> None:
    for found in parse_pay(text, **kwargs):
        assert found.min <= found.max
        assert found.min > 0
        assert found.raw and found.raw in text
        assert len(found.currency) == 3 and found.currency.isupper()
        assert found.period in ("year", "month", "week", "day", "hour")
        assert found.basis in ("base", "total", "ote", "unknown")


@SETTINGS
@given(PAYISH_TEXT)
@example("0 up to 1000")  # once divided by zero when scaling a low end that "lost its 000"
@example("$0 - $5,000 per month")
def test_payish_text_never_raises_and_is_well_formed(text):
    check_well_formed(text)


@SETTINGS
@given(st.text(max_size=200))
def test_arbitrary_unicode_never_raises_and_is_well_formed(text):
    check_well_formed(text)


@SETTINGS
@given(PAYISH_TEXT, st.sampled_from(["USD", "CAD", "AUD", "MXN", "EUR"]))
def test_default_currency_never_breaks_invariants(text, currency):
    check_well_formed(text, default_currency=currency)


@SETTINGS
@given(PAYISH_TEXT)
def test_deterministic(text):
    assert parse_pay(text) == parse_pay(text)


ONE_MB = 1_000_000


def adversarial_inputs() -> dict[str, str]:
    def fill(unit: str) -> str:
        return (unit * (ONE_MB // len(unit) + 1))[:ONE_MB]

    return {
        "open-ended ranges": fill("$1,000,000 - "),
        "digits and commas without closure": fill("1,000,"),
        "one long digit run": "$" + "9" * ONE_MB,
        "long comma run": "$1" + "," * ONE_MB,
        "spaced digit groups": fill("123 "),
        "dash ladders": fill("$5 - "),
        "brackets never closed": fill("$100,000 [minimum salary in "),
        "currency soup": fill("USD $ CA$ € k M to and "),
        "mixed pay text": fill("Zone A: $150,000 - $180,000 per year. Stipend of $500. "),
    }


def test_one_megabyte_adversarial_descriptions_parse_quickly():
    for name, text in adversarial_inputs().items():
        started = time.perf_counter()
        found = parse_pay(text)
        elapsed = time.perf_counter() - started
        assert elapsed < 2.0, f"{name}: {elapsed:.2f}s"
        assert all(r.raw in text for r in found[:100])
