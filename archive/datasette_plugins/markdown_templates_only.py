"""datasette-render-markdown (which datasette-dashboards needs for its text) without its per-cell hook.

The hook renders columns named ``*_markdown`` as Markdown; the archive has none, yet it runs for
every string cell and looks up its plugin configuration each time: a third of the time of a canned
query page of 1,000 rows (benchmarks/queries.py: range_changes_for 275 -> 190 ms at 1x). Its template
hooks (the ``render_markdown`` function and the ``{% markdown %}`` tag the dashboards use) stay."""

from __future__ import annotations

import types

from datasette.plugins import pm

TEMPLATES_ONLY = "paywatch-markdown-templates"

try:
    import datasette_render_markdown
except ImportError:  # not installed: nothing to trim
    datasette_render_markdown = None

if (datasette_render_markdown is not None and not pm.has_plugin(TEMPLATES_ONLY)
        and hasattr(datasette_render_markdown, "extra_template_vars")
        and hasattr(datasette_render_markdown, "prepare_jinja2_environment")):
    templates_only = types.ModuleType(TEMPLATES_ONLY)
    templates_only.extra_template_vars = datasette_render_markdown.extra_template_vars
    templates_only.prepare_jinja2_environment = datasette_render_markdown.prepare_jinja2_environment
    if pm.is_registered(datasette_render_markdown):
        pm.unregister(datasette_render_markdown)
    pm.register(templates_only, TEMPLATES_ONLY)
