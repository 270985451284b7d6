"""Datasette plugins `paywatch serve` loads with ``--plugins-dir`` (this directory), so they act on
the archive's server only, not on every Datasette in the environment."""
