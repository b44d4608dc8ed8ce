"""The run kind's JSON API: one blueprint, ``bp`` (``runs``), whose prefix ``/api/runs`` is set
once where it is created (``web.api.runs.blueprint``); each module of this package attaches
its views to it:

- ``submit``: ``POST /api/runs`` (submit) and ``GET /api/runs/<run_id>`` (status);
- ``history``: ``GET /api/runs`` (the run history);
- ``manage``: ``POST /api/runs/<run_id>/cancel``, ``DELETE`` and ``PATCH /api/runs/<run_id>``;
- ``data``: ``GET /api/runs/lookup``, ``/api/runs/<run_id>/result.json``,
  ``/api/runs/<run_id>/trades.csv`` and ``/api/runs/compare/curves.json``;
- ``report``: ``GET /api/runs/<run_id>/report``;
- ``montecarlo``: ``GET /api/runs/<run_id>/montecarlo`` and ``…/montecarlo.csv``;
- ``indicators``: ``GET /api/runs/<run_id>/indicators``;
- ``capacity``: ``GET /api/runs/<run_id>/capacity`` and ``…/capacity.svg``.

The older routes outside the prefix are contracts and keep answering: ``legacy_route`` adds
each as one more URL rule of the same view under the same endpoint (``runs.<view>``), so the
old path and its ``/api/runs`` twin are one view, ``POST /run_backtest`` is the rate-limited
``runs.submit``, and — the legacy rule being registered first — ``url_for`` keeps building the
links handed out so far (``status_url`` ``/status/<id>``, ``result_url``
``/runs/<id>/result.json``…). ``LEGACY_RULES`` lists them: ``POST /run_backtest``, ``GET
/status/<run_id>``, ``/runs/<run_id>/result.json``, ``/runs/<run_id>/trades.csv``,
``/compare/curves.json``.
"""

from web.api.runs import (
    capacity,
    data,
    history,
    indicators,
    manage,
    montecarlo,
    report,
    submit,
)
from web.api.runs.blueprint import LEGACY_RULES, bp, legacy_route

__all__ = [
    "LEGACY_RULES",
    "bp",
    "capacity",
    "data",
    "history",
    "indicators",
    "legacy_route",
    "manage",
    "montecarlo",
    "report",
    "submit",
]
