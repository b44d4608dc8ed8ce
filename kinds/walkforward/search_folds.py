"""Walk-forwards through the search protocol (``work.search``). Planning one over a base
request of another kind whose search reads dated bars (``Search.data``: a portfolio's
universe; a kind without data is refused, naming ``kind``): the request is a search sweep's
(``kinds.sweeps.search_sweep``: ``kind``, ``base``, ``grid``, ``random``) plus the
walk-forward fields; the folds are planned on the base's own bars (a portfolio: its
universe's trading days) and each fold's training window is an ordinary search sweep of the
base over the training dates. Every fold, a run walk-forward's included, runs its best
point with its kind's own computation on the training window and on the test window
(``fold_result``). Everything else (storage, queueing, the fold's selection, stitching, the
views) is the run walk-forward's.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from kinds.runs.contract import RequestError, new_run_id
from kinds.sweeps.caps import RequestCaps
from kinds.sweeps.search_sweep import (
    UNIVERSE,
    parse_search_sweep,
    point_id,
    searchable_kind,
    sweep_base,
)
from kinds.walkforward.contract import WALKFORWARD_FIELDS, WalkForwardRequest, planned_message
from kinds.walkforward.plan import plan_folds, window_span
from work.kind import WorkFailed
from work.search import Outcome


def plan_search_walkforward(
    payload: dict[str, Any],
    windows: Any,
    data_dir: Path | str | None,
    caps: RequestCaps,
    folds_field: str,
) -> tuple[WalkForwardRequest, list[tuple[Any, Any, dict]], str]:
    """(the walk-forward request, per fold (window, its training sweep, its message), the
    data hash) of a walk-forward over another kind's base.

    :raise RequestError: naming the field (``base.tickers[1]``, ``grid.lookback``,
        ``train_bars``…).
    """
    body = {name: value for name, value in payload.items() if name not in WALKFORWARD_FIELDS}
    sweep = parse_search_sweep(body)
    universe = searchable_kind(sweep.kind)[1].base_data(sweep.base, data_dir)
    if universe is None:
        raise RequestError(
            "kind", f"a {sweep.kind} reads no dated bars to cut into folds (sweep or study it)"
        )
    days = universe.days
    plan = plan_folds(
        len(days), windows.train_bars, windows.test_bars, windows.step_bars, windows.anchored
    )
    folds_caps = replace(caps, folds=len(plan), folds_field=folds_field)
    folds_caps.check_combinations(len(sweep.grid.combos))
    request = WalkForwardRequest(new_run_id(), sweep, windows)
    stamps = days.astype("datetime64[s]")
    folds = []
    for window in plan:
        train = window_span(stamps, window.train_start, window.train_stop, True)
        test = window_span(stamps, window.test_start, window.test_stop, True)
        base = {**sweep.base, "start_date": train["start_date"], "end_date": train["end_date"]}
        fold_sweep = replace(sweep, sweep_id=new_run_id(), base=base)
        message = planned_message(
            request, window.fold, fold_sweep.sweep_id, (train, test), universe
        )
        folds.append((window, fold_sweep, message))
    folds_caps.check_chunks(sum(fold_sweep.chunk_count for _, fold_sweep, _ in folds))
    return request, folds, universe.data_hash


def fold_result(
    stored: dict[str, Any], fold_id: str, message: dict[str, Any], choice: Any, trials: dict
) -> dict[str, Any]:
    """A fold's stored result, whatever kind its walk-forward searches: its chosen point
    computed alone by the kind (``Search.evaluate_one``, the kind's one execution path:
    a run's indicators warmed up on every bar before the window) on the training and on
    the test window; the test curve's ``close`` is the kind's benchmark (a run's close, a
    portfolio's benchmark equity), what the stitched benchmark follows. A fold over a
    universe names it as its ``ticker``.

    :raise WorkFailed: the data changed since submission, or the test window's bars differ
        from the plan's.
    """
    kind, search = searchable_kind(stored.get("kind"))
    ticker = stored["tickers"][0]

    def run(window: dict[str, Any]) -> Outcome:
        base = {
            **sweep_base(stored, ticker),
            "start_date": window["start_date"],
            "end_date": window["end_date"],
        }
        request = search.apply(base, choice.params)
        request[kind.id_field] = point_id(fold_id, choice.combo_no)
        outcome = search.evaluate_one(request)
        if outcome.data_hash != message["data_hash"]:
            raise WorkFailed("the data changed since the walk-forward was submitted")
        return outcome

    train, test = run(message["train"]), run(message["test"])
    curve = test.curve() if test.curve else {}
    if len(curve.get("equity") or ()) != message["test"]["bars"]:
        raise WorkFailed("the test window's bars differ from the plan's")
    result = {
        "combo_no": choice.combo_no,
        "params": choice.params,
        "train_metric": choice.value,
        "train_metrics": train.metrics,
        "test_metrics": test.result["metrics"],
        "test_trades": test.result["metrics"].get("num_trades"),
        "test_curve": {
            "timestamps": curve["timestamps"],
            "equity": curve["equity"],
            "close": test.benchmark,
        },
        "train_curve": train.curve() if train.curve else None,
        "data_hash": test.data_hash,
        "engine_version": test.engine_version,
        "trials": trials,
    }
    if ticker == UNIVERSE:
        result["ticker"] = UNIVERSE
    return result
