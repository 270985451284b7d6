"""The compiled pay parser (setup.py builds pipelines/pay.py with mypyc) must give exactly what the
pure-Python one gives. Skipped, with the reason, where the compiled build is not in use."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given

from pipelines import pay
from tests.test_pay_properties import PAYISH_TEXT, SETTINGS

pytestmark = pytest.mark.skipif(pay.IMPLEMENTATION != "compiled", reason=f"pay parser: {pay.IMPLEMENTATION}")

CORPUS_TEXTS = Path(os.environ.get("PAYWATCH_PAY_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "pay-corpus")) / "texts.jsonl"


def both(text: str, currency: str) -> tuple[list, list]:
    from pipelines import _pay_compiled

    return (
        _pay_compiled.parse_pay_python(text, default_currency=currency),
        pay.parse_pay_python(text, default_currency=currency),
    )


def test_parse_pay_is_the_compiled_function():
    from pipelines import _pay_compiled

    assert pay.parse_pay is _pay_compiled.parse_pay_python
    assert _pay_compiled.__file__.endswith((".so", ".pyd"))


@pytest.mark.skipif(not CORPUS_TEXTS.exists(), reason=f"no pay corpus at {CORPUS_TEXTS}")
def test_compiled_matches_python_on_every_corpus_passage():
    texts = [json.loads(line)["text"] for line in CORPUS_TEXTS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(texts) > 100
    found = 0
    for text in texts:
        for currency in ("USD", "CAD", "GBP"):
            compiled, python = both(text, currency)
            assert compiled == python, text[:200]
            found += len(python)
    assert found > 100  # the comparison covered real ranges, not only empty lists


@SETTINGS
@given(PAYISH_TEXT)
def test_compiled_matches_python_on_generated_text(text):
    compiled, python = both(text, "USD")
    assert compiled == python
