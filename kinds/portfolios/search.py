"""What a portfolio contributes to searches (``work.search``): its parameter space, the request
of one point, and its evaluator (point by point: the portfolio's own computation,
``kinds.portfolios.kind.result_of``, so a point's result is byte for byte the result of the
same request submitted alone; with its equity curve as a run's and its benchmark, what a
walk-forward fold stores).

Searchable names of a base portfolio request (docs/portfolios.md, "Searching a portfolio"):
a ranking's ``$names`` (``lookback`` for ``roc(close, $lookback)``; a window or lag is a
whole number, anything else a number, within the strategy language's bounds), ``top_n`` and
``weighting`` (a ranking), ``schedule``, ``every_n_bars`` (schedule ``bars``) and
``drift_threshold``.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from typing import Any

from engine.portfolio import SCHEDULES, WEIGHTINGS
from kinds.portfolios.request_model import MAX_TICKERS, parse_portfolio
from metrics import SWEEP_METRIC_KEYS
from rules.library.expr import DEFAULT_BOUNDS
from rules.ranking import compile_ranking
from work.errors import RequestError
from work.search import Domain, Outcome, Search

REBALANCE_NAMES = ("schedule", "every_n_bars", "drift_threshold")
"""Searchable names that live in the request's ``rebalance``."""
ALLOCATION_NAMES = ("top_n", "weighting")
"""Searchable names that live in the request's ``allocation``."""
WHOLE_USES = ("window", "lag")
"""Uses of a ``$name`` whose values are whole numbers (``rules.library.expr``)."""


def space(base: dict[str, Any]) -> dict[str, Domain]:
    """The searchable names of a normalised portfolio request and their domains."""
    allocation, rebalance = base["allocation"], base["rebalance"]
    out: dict[str, Domain] = {}
    if allocation["method"] == "rank":
        ranking = compile_ranking(allocation["score"], allocation["filter"])
        for name, use in ranking.params.items():
            low, high = DEFAULT_BOUNDS[use]
            kind = "int" if use in WHOLE_USES else "float"
            out[name] = Domain(kind, low, high, default=base["params"].get(name))
        out["top_n"] = Domain("int", 1, MAX_TICKERS, default=allocation["top_n"])
        out["weighting"] = Domain("choice", choices=WEIGHTINGS, default=allocation["weighting"])
    out["schedule"] = Domain("choice", choices=SCHEDULES, default=rebalance["schedule"])
    out["every_n_bars"] = Domain("int", 1, 10_000, default=rebalance["every_n_bars"])
    out["drift_threshold"] = Domain("float", 0, 1, default=rebalance["drift_threshold"])
    return out


def suggested_grid(base: dict[str, Any]) -> dict[str, Any]:
    """A first grid to sweep a portfolio over (the dashboard's "Sweep this portfolio"): each
    whole-number ``$name`` from half to twice its value, ``top_n`` from 1 to the universe;
    what the user edits before submitting."""
    grid: dict[str, Any] = {}
    for name, domain in space(base).items():
        if name in ALLOCATION_NAMES or name in REBALANCE_NAMES:
            continue
        if domain.type == "int" and isinstance(domain.default, int):
            low = max(int(domain.low or 1), domain.default // 2)
            step = max(1, (domain.default * 2 - low) // 5)
            grid[name] = f"{low}:{domain.default * 2}:{step}"
    if base["allocation"]["method"] == "rank":
        grid["top_n"] = list(range(1, min(len(base["tickers"]), 5) + 1))
    return grid


def apply(base: dict[str, Any], point: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``point``'s values, normalised like a submitted portfolio.

    :raise RequestError: a value the portfolio request refuses, or one its normalisation
        drops (it would change nothing), named ``grid.<name>``.
    """
    request = copy.deepcopy(base)
    for name, value in point.items():
        if name in REBALANCE_NAMES:
            request["rebalance"][name] = value
        elif name in ALLOCATION_NAMES:
            request["allocation"][name] = value
        else:
            request["params"][name] = value
    try:
        parsed = parse_portfolio(request)
    except RequestError as exc:
        named = next((n for n in point if exc.field.endswith(n)), None)
        field = f"grid.{named}" if named else exc.field
        raise RequestError(field, f"{exc.field} {exc.message}"[:300]) from None
    for name, value in point.items():
        if _held(parsed, name) != value:
            raise RequestError(f"grid.{name}", "changes nothing for this base (e.g. every_n_bars "
                               "needs schedule 'bars')")  # fmt: skip
    return parsed


def _held(request: dict[str, Any], name: str) -> Any:
    """The value a normalised request holds for a searchable name."""
    if name in REBALANCE_NAMES:
        return request["rebalance"][name]
    if name in ALLOCATION_NAMES:
        return request["allocation"][name]
    return request["params"].get(name)


def metrics_of(result: dict[str, Any]) -> dict[str, float | int | None]:
    """The registry metrics (``SWEEP_METRIC_KEYS``) of a portfolio result (``num_trades``
    counts its orders)."""
    return {key: result["metrics"].get(key) for key in SWEEP_METRIC_KEYS}


def evaluate_one(request: dict[str, Any]) -> Outcome:
    """One point: the portfolio computed exactly as a submitted one (``result_of``)."""
    from kinds.portfolios.kind import computed

    result, text, per_year = computed(request)
    returns = _returns(result["equity"])
    return Outcome(
        request,
        result,
        text,
        metrics_of(result),
        returns,
        per_year,
        curve=lambda: _curve(result),
        benchmark=result["benchmark"]["equity"],
        data_hash=result["data_hash"],
        engine_version=result["engine_version"],
    )


def _curve(result: dict[str, Any]) -> dict[str, list]:
    """A portfolio result's equity curve as a run's (ISO UTC timestamps, equity)."""
    import numpy as np

    from adapters import iso_utc

    stamps = np.array(result["timestamps"], dtype="datetime64[s]")
    return {"timestamps": list(iso_utc(stamps)), "equity": result["equity"]}


def _returns(equity: list[float | None]) -> list[float]:
    """Bar-to-bar simple returns of a stored equity curve (0 where it is not positive)."""
    return [
        (after / before - 1.0) if before and after is not None and before > 0 else 0.0
        for before, after in itertools.pairwise(equity)
    ]


SEARCH = Search(kind="portfolio", space=space, apply=apply, evaluate_one=evaluate_one)
"""The portfolio kind's search (``PORTFOLIO.search``)."""
