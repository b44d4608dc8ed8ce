"""The JSON API, one blueprint per resource: the catalog (rules, tickers), presets, JSON
schemas, the health probes, the Prometheus telemetry, the signal analyzer and the queue
panel, listed here; each kind of work's own blueprint (the runs' ``web.api.runs`` under
``/api/runs``, sweeps, walk-forwards) is named by its ``WorkKind.blueprints`` and registered
from ``kinds.registry``. Shared request/response helpers live
in ``web`` itself (``web.body``, ``web.query``, ``web.present``, ``web.errors``); the API
never imports the pages (``web.pages``), nor they it (import-linter)."""

BLUEPRINTS = (
    "web.api.catalog",
    "web.api.presets",
    "web.api.health",
    "web.api.schema",
    "web.api.telemetry",
    "web.api.signals",
    "web.api.queue_snapshot",
    "web.api.work_kinds",
)
"""Modules whose ``bp`` the app factory registers, in order, besides the kinds'."""
