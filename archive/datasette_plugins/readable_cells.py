"""Pay amounts with thousands separators and a posting's locations as text, in Datasette's HTML only.

``render_cell`` changes what a page shows, never what JSON or CSV export: researchers get
``117500.0`` as a number there and read ``117,500`` on the page. The archive stores locations as a
JSON list, shown as ``Los Gatos, California; Remote``. Columns are picked by name because a canned
query's cells come with no table; the names below are the pay figures of the archive's tables, views
and queries (``annual_mins``/``annual_maxes`` are JSON lists and stay as they are). The hook runs for
every cell of a page, so a cell of another column costs one set lookup."""

from __future__ import annotations

import json

from datasette import hookimpl

AMOUNTS = frozenset({
    "min", "max", "annual_min", "annual_max",
    "old_min", "old_max", "new_min", "new_max",
    "old_annual_min", "old_annual_max", "new_annual_min", "new_annual_max",
    "median_annual_min", "median_annual_max",
})
LOCATIONS = "locations"


@hookimpl
def render_cell(value, column):
    if column in AMOUNTS:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            # Hourly ranges have cents (25.50); yearly ones are whole (117,500, not 117,500.00).
            return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        return None
    if column == LOCATIONS and isinstance(value, str) and value.startswith("["):
        try:
            places = json.loads(value)
        except ValueError:
            return None
        if isinstance(places, list) and all(isinstance(place, str) for place in places):
            return "; ".join(places)
    return None
