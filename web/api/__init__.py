"""The JSON API, one blueprint per resource: run submission and status, run history, the
catalog (rules, tickers), presets, JSON schemas, the dashboard's run data and exports,
sweeps, the health probes and the Prometheus telemetry. Shared request/response helpers live
in ``web`` itself (``web.body``, ``web.query``, ``web.present``, ``web.errors``); the API
never imports the pages (``web.pages``), nor they it (import-linter)."""

BLUEPRINTS = (
    "web.api.runs",
    "web.api.history",
    "web.api.run_manage",
    "web.api.catalog",
    "web.api.presets",
    "web.api.health",
    "web.api.run_data",
    "web.api.run_report",
    "web.api.indicators",
    "web.api.sweeps",
    "web.api.walkforward",
    "web.api.schema",
    "web.api.telemetry",
    "web.api.signals",
)
"""Modules whose ``bp`` the app factory registers, in order."""
