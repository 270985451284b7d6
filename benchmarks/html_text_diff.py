#!/usr/bin/env python
"""``html_to_text`` against the version before issue 10's speed work, on every saved reply we have.

    python benchmarks/html_text_diff.py [--corpus DIR]

Inputs: every string in the JSON replies under tests/fixtures/, scrapers/demo/ and the corpus
(default /work/shared/corpus/raw, skipped when absent), every saved HTML page whole, and
``benchmarks/synthetic.py``'s descriptions, and ``--fuzz`` random mixes of tags, entities and
whitespace, each read plain and with ``escaped=True``. Prints how
many inputs, how many outputs differ (they must not: exit code 1) and both versions' time.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import sys
import time
from pathlib import Path
from typing import Any, Iterator

from w3lib.html import remove_comments, remove_tags, remove_tags_with_content

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.synthetic import Board  # noqa: E402
from scrapers.extract.common import html_to_text  # noqa: E402

_BLOCK_END = re.compile(r"<\s*(?:br\s*/?|/p|/div|/li|/h[1-6]|/tr|/ul|/ol|/section|/table)\s*>", re.IGNORECASE)
_LIST_ITEM = re.compile(r"<\s*li\b[^>]*>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2009\u202f]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def reference_html_to_text(markup: str | None, *, escaped: bool = False) -> str | None:
    """scrapers/extract/common.py's html_to_text as it was before (commit f0afea7)."""
    if markup is None:
        return None
    if escaped:
        markup = html.unescape(markup)
    markup = remove_comments(markup)
    markup = remove_tags_with_content(markup, which_ones=("script", "style"))
    markup = _LIST_ITEM.sub("\n• ", markup)
    markup = _BLOCK_END.sub("\n", markup)
    text = html.unescape(remove_tags(markup))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip() or None


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for entry in value:
            yield from strings(entry)
    elif isinstance(value, dict):
        for entry in value.values():
            yield from strings(entry)


def inputs(corpus: Path | None) -> Iterator[str]:
    folders = [REPO_ROOT / "tests" / "fixtures", REPO_ROOT / "scrapers" / "demo"]
    if corpus is not None and corpus.is_dir():
        folders.append(corpus)
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.suffix == ".json":
                try:
                    yield from strings(json.loads(path.read_text(encoding="utf-8")))
                except ValueError:
                    yield path.read_text(encoding="utf-8", errors="replace")
            elif path.suffix in (".html", ".htm", ".txt", ".md"):
                yield path.read_text(encoding="utf-8", errors="replace")
    board = Board("html_text_diff", 60)
    for posting in board.postings.values():
        yield board.content_html(posting)
        yield html.escape(board.content_html(posting))


FUZZ_PIECES = ("<p>", "</p>", "<br/>", "<BR >", "<li class='x'>", "</li>", "<ul>", "</ul>", "<div>", "</div >",
               "<!-- note -->", "<!--", "<script>x()</script>", "<style>p{}</style>", "<b>", "</b>", "&amp;", "&lt;p&gt;",
               "&nbsp;", "&#10;", "&NewLine;", "&#13;", "&#x2028;", "&mdash;", "&bogus;", "&", "<", ">", "\n", "\r\n",
               "\n\n\n\n", "\t", " ", "\u00a0", "\u2009", "\u202f", "\u3000", "\u2028", "\x85", "\x1c", "\u200b",
               "Pay", "$120,000", "word", "é", "<a href=\"x\">", "</a>", "<h2>", "</h2>", "<td>", "</tr>")


def fuzz_inputs(count: int, seed: int) -> Iterator[str]:
    """Random mixes of tags, entities and every kind of whitespace (what the lines step must strip)."""
    rng = random.Random(seed)
    for _ in range(count):
        yield "".join(rng.choice(FUZZ_PIECES) for _ in range(rng.randint(1, 60)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--corpus", type=Path, default=Path("/work/shared/corpus/raw"))
    parser.add_argument("--fuzz", type=int, default=20_000, help="random inputs besides the saved ones")
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args()
    texts = list(inputs(args.corpus))
    saved = len(texts)
    texts += fuzz_inputs(args.fuzz, args.seed)
    cases = [(text, escaped) for text in texts for escaped in (False, True)]
    differences = [(text, escaped) for text, escaped in cases
                   if html_to_text(text, escaped=escaped) != reference_html_to_text(text, escaped=escaped)]
    # Timed on the saved descriptions (500 characters and more): the random inputs are there to find
    # differences, and the short strings (titles, names) are not what extraction spends its time on.
    descriptions = [text for text in texts[:saved] if len(text) >= 500]
    timings: dict[str, float] = {}
    for name, function in (("before", reference_html_to_text), ("now", html_to_text)) * 3:
        started = time.perf_counter()
        for text in descriptions:
            function(text)
        timings[name] = min(timings.get(name, float("inf")), time.perf_counter() - started)
    print(f"{len(cases)} inputs ({saved} saved strings and {args.fuzz} random ones, each plain and escaped; "
          f"{sum(len(text) for text in texts) / 1e6:.1f} MB), {len(differences)} differences; the {len(descriptions)} saved descriptions take "
          f"{timings['before']:.3f} s before, {timings['now']:.3f} s now ({timings['before'] / timings['now']:.1f}x; "
          "best of 3, interleaved)")
    for text, escaped in differences[:5]:
        print(f"DIFFERS (escaped={escaped}): {text[:200]!r}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
