"""Is the best trial luck? The deflated Sharpe ratio of a study's best trial (docs/studies.md):
a study picks its best among up to thousands of trials, and the best of many looks good by
chance alone — the selection bias a sweep's DSR of its best combination quantifies
(``kinds.sweeps.overfitting``).

For a study with one objective: its best trial by that objective (``sampling.best_trials``,
the status document's ``best``), run alone through the one execution path
(``kinds.sweeps.overfitting.returns_alone``: the run request the trial stands for,
``contract.trial_run_request``, without charts), gives the bar returns; every COMPLETE
trial's annualised ``sharpe_ratio`` (from its stored metrics, those without one not
counted) gives N and the trials' variance → ``adapters.deflated.deflated_sharpe_of_best``.
TPE's trials are not independent (each is drawn near the good ones before it), so N = the
COMPLETE trials overstates the independent ones: the DSR errs low (conservative).

A batch computes it in the transaction that stores its outcomes (``update_deflated``, after
the importances), when the best trial or the count of COMPLETE trials changed since the
stored one: one backtest and the formula. A failure is logged with the batch's and the
study's ids and stores nothing; the batch does not fail.

It reads the trials the batch read for the importances; a study whose objective is the
Sharpe ratio takes the Sharpe ratios from their objective values (the same numbers:
``sampling.objective_values``) and reads only the best trial's metrics — reading every
COMPLETE trial's metrics is most of the cost at 20,000 trials.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from kinds.studies.sampling import COMPLETE, TrialRow, best_trials
from kinds.studies.state import complete_metrics, store_deflated, stored_deflated, trial_of

logger = logging.getLogger("kinds.studies.deflated")

ONE_OBJECTIVE = (
    "one objective only: a study with two objectives has a Pareto front, not one best trial "
    "to deflate"
)
TOO_FEW = "fewer than 2 COMPLETE trials"
NO_TRADE = "the best trial made no trade"
UNDEFINED = "the best trial's bar returns give no deflated Sharpe ratio (they do not vary)"


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _sharpe_objective(stored: dict[str, Any]) -> bool:
    """Is the study's one objective the Sharpe ratio (its values are the Sharpe ratios)?"""
    return [o["metric"] for o in stored["objectives"]] == ["sharpe_ratio"]


def _sharpe(metrics: dict[str, Any]) -> float:
    value = metrics.get("sharpe_ratio")
    return math.nan if value is None else float(value)


def deflated(
    stored: dict[str, Any],
    sharpes: list[float],
    best: int | None,
    chosen: tuple[dict[str, Any], dict[str, Any]] | None,
    label: str,
) -> dict[str, Any]:
    """The DSR of trial ``best`` (``chosen``: its params and metrics) among the COMPLETE
    trials (``sharpes``: each one's annualised Sharpe ratio, NaN for none), with its inputs
    and verdict; or ``{"unavailable": why}``. ``best_trial`` and ``complete`` (the count of
    COMPLETE trials) say what it was computed from. ``label`` is the run id of the best
    trial's run.

    :raise RequestError: the trial's run request no longer validates, or the data cannot
        serve it.
    """
    from adapters.deflated import deflated_sharpe_of_best, dsr_verdict
    from kinds.runs.contract import parse_request
    from kinds.studies.bases import base_returns, is_base_study
    from kinds.studies.contract import trial_run_request
    from kinds.sweeps.overfitting import returns_alone

    if len(stored["objectives"]) > 1:
        return {"unavailable": ONE_OBJECTIVE}
    base: dict[str, Any] = {"best_trial": best, "complete": len(sharpes)}
    if len(sharpes) < 2 or best is None or chosen is None:
        return {**base, "unavailable": TOO_FEW}
    params, metrics = chosen
    if not metrics.get("num_trades"):
        return {**base, "unavailable": NO_TRADE}
    if is_base_study(stored):
        returns, per_year = base_returns(stored, params)
    else:
        body = {**trial_run_request(stored, params), "charts": False, "run_id": label}
        returns, _, per_year = returns_alone(parse_request(body))
    found = deflated_sharpe_of_best(returns, sharpes, per_year)
    if not math.isfinite(found["dsr"]):
        return {**base, "unavailable": UNDEFINED}
    verdict = dsr_verdict(found["dsr"], int(found["n_trials"]), len(sharpes))
    return {**base, **{k: _finite(v) for k, v in found.items()}, "verdict": verdict}


def update_deflated(
    tx: Any, study_id: str, batch_id: str, stored: dict[str, Any], trials: list[TrialRow]
) -> None:
    """In the batch's storing transaction (the study locked, ``trials`` its every trial as
    now stored): compute and store the DSR of the study's best trial when the best trial or
    the count of COMPLETE trials changed since the stored one (a two-objective study: its
    ``unavailable``, once). A database error propagates (the transaction is retried); any
    other failure is logged and nothing is stored."""
    from work.retry import is_driver_error

    current = stored_deflated(tx, study_id)
    if len(stored["objectives"]) > 1:
        if current is None:
            store_deflated(tx, study_id, {"unavailable": ONE_OBJECTIVE})
        return
    complete = [t for t in trials if t.state == COMPLETE and t.values is not None]
    best = next(iter(best_trials(stored, complete)), None)
    basis = (best, len(complete))
    if current is not None and (current.get("best_trial"), current.get("complete")) == basis:
        return
    if _sharpe_objective(stored):
        sharpes = [t.values[0] for t in complete]
    else:
        sharpes = [_sharpe(metrics) for metrics in complete_metrics(tx, study_id)]
    chosen = None if best is None else trial_of(tx, study_id, best)
    try:
        found = deflated(stored, sharpes, best, chosen, study_id)
    except Exception as exc:
        if is_driver_error(exc):
            raise
        logger.exception(
            "batch %s: the deflated Sharpe ratio of study %s's best trial failed; nothing "
            "stored", batch_id, study_id,
        )  # fmt: skip
        return
    store_deflated(tx, study_id, found)
