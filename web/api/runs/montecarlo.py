"""``GET /api/runs/<run_id>/montecarlo``: the Monte Carlo of a SUCCEEDED run — trade-order
reshuffling and the stationary block bootstrap of its bar returns, seeded
(``adapters.run_robustness.monte_carlo``) — computed on each request from the stored
result. Nothing is stored and the run's Job pays nothing for it; the same query on the
same result answers the same bytes. ``…/montecarlo.csv`` answers the same figures as a CSV
download (one row per method and statistic).

Query (each bounded, a bad value is a 400 naming it): ``paths`` (1 .. ``PATHS_MAX``, and
paths × the run's bar returns at most ``MONTECARLO_MAX_VALUES``; default 1,000 or that
bound when it is lower), ``seed`` (0 .. 999,999,999; default 0) and ``block`` (the mean
block length of the bootstrap in bars, 1 .. the run's bar returns; default 10 or fewer).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app
from flask.typing import ResponseReturnValue

from adapters.montecarlo import DEFAULT_PATHS
from adapters.run_robustness import DEFAULT_BLOCK, monte_carlo, monte_carlo_csv
from web.api.runs.blueprint import bp
from web.api.runs.data import stored_result
from web.query import count

PATHS_MAX = 10_000
"""Most paths one request may ask for, however short the run."""

SEED_MAX = 10**9 - 1
"""Largest seed (nine digits, as ``web.query.count`` reads them)."""


def _simulated(run_id: str) -> dict[str, Any]:
    """The Monte Carlo of the stored run as the query asks it.

    :raise ApiError 404 / 409: as ``stored_result``; 400: a query parameter out of range.
    """
    result = json.loads(stored_result(run_id))
    returns = max(len((result.get("equity_curve") or {}).get("equity") or []) - 1, 1)
    most = max(1, min(PATHS_MAX, current_app.config["MONTECARLO_MAX_VALUES"] // returns))
    paths = count("paths", min(DEFAULT_PATHS, most), 1, most)
    seed = count("seed", 0, 0, SEED_MAX)
    block = count("block", min(DEFAULT_BLOCK, returns), 1, returns)
    return {"run_id": run_id, **monte_carlo(result, paths, seed, block)}


@bp.get("/<run_id>/montecarlo")
def montecarlo(run_id: str) -> ResponseReturnValue:
    """The Monte Carlo of a SUCCEEDED run (docs/api.md)."""
    return _simulated(run_id)


@bp.get("/<run_id>/montecarlo.csv")
def montecarlo_csv(run_id: str) -> ResponseReturnValue:
    """The same as CSV (``adapters.run_robustness.monte_carlo_csv``), a download."""
    response = Response(monte_carlo_csv(_simulated(run_id)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="montecarlo-{run_id}.csv"'
    return response
