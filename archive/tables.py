"""Plain-text tables that fit a terminal: what `diff`, `history` and `report` print.

A table wider than ``TERMINAL_WIDTH`` has its wrappable columns wrapped at spaces (tabulate's
``maxcolwidths``), in the order the caller gives, each down to the narrowest it may get, so the
column a reader came for (the pay) stays whole the longest. A cell keeps words together with
``KEEP`` (a no-break space) between them: one range, ``USD 180,000-220,000/year base``, is never
split across lines; it is turned back into a plain space in what is printed.
"""

from __future__ import annotations

from typing import Any, Sequence

import tabulate as tabulate_module
from tabulate import tabulate

TERMINAL_WIDTH = 120
KEEP = "\u00a0"
GAP = 2  # between columns in tabulate's simple format
HEADER_PADDING = 2  # tabulate's MIN_PADDING: a column is at least its header and two more, unless set to 0


def keep_together(text: str) -> str:
    return text.replace(" ", KEEP)


def ranges_kept_whole(pay: str | None) -> str:
    """Each range of a pay display (``"; "`` between ranges) as one unbreakable run, "—" for none: a
    wrapped table breaks lines between ranges, never inside one."""
    return "; ".join(keep_together(part) for part in pay.split("; ")) if pay else "—"


def _lines(cell: Any) -> list[str]:
    return str(cell).split("\n")


def _longest_word(cell: Any) -> int:
    return max((len(word) for line in _lines(cell) for word in line.split(" ")), default=0)


def fitted_table(rows: Sequence[Sequence[Any]], headers: Sequence[str], wrap: Sequence[tuple[int, int]] = (),
                 width: int = TERMINAL_WIDTH) -> str:
    """``rows`` under ``headers`` as tabulate's simple table, no wider than ``width`` when it can be:
    the columns of ``wrap`` ((column, narrowest width), in the order they give way) are wrapped at
    spaces, never narrower than a header word. Each way is tried in turn until one fits: as it is;
    without tabulate's header padding (a column as wide as its header); wrapped; wrapped with the
    kept-together runs broken too."""
    for keep_runs, padding, wrapping in ((True, HEADER_PADDING, ()), (True, 0, ()), (True, 0, wrap), (False, 0, wrap)):
        cells = [[cell if keep_runs else str(cell).replace(KEEP, " ") for cell in row] for row in rows]
        limits, excess = _limits(cells, headers, wrapping, width, padding)
        if excess <= 0:
            break
    wrapped_headers = [header if limit is None else "\n".join(_wrap_words(header, limit - padding))
                       for header, limit in zip(headers, limits)]
    saved = tabulate_module.MIN_PADDING
    tabulate_module.MIN_PADDING = padding  # read by each tabulate() call; a CLI prints one table at a time
    try:
        table = tabulate(cells, headers=wrapped_headers, tablefmt="simple", disable_numparse=True,
                         maxcolwidths=limits if any(limits) else None)
    finally:
        tabulate_module.MIN_PADDING = saved
    return table.replace(KEEP, " ")


def _limits(cells: list[list[Any]], headers: Sequence[str], wrap: Sequence[tuple[int, int]], width: int,
            padding: int) -> tuple[list[int | None], int]:
    """Each column's wrap width (None: as wide as it is), and how far the table is still too wide."""
    widths = [max([len(line) for row in cells for line in _lines(row[column])]
                  + [len(line) + padding for line in _lines(headers[column])])
              for column in range(len(headers))]
    limits: list[int | None] = [None] * len(headers)
    excess = sum(widths) + GAP * (len(widths) - 1) - width
    for column, narrowest in wrap:
        if excess <= 0:
            break
        floor = max([narrowest, _longest_word(headers[column]) + padding]
                    + [_longest_word(row[column]) for row in cells])
        cut = min(excess, widths[column] - floor)
        if cut > 0:
            widths[column] -= cut
            limits[column] = widths[column]
            excess -= cut
    return limits, excess


def _wrap_words(text: str, limit: int) -> list[str]:
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines
