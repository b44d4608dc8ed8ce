"""Walk-forward folds as a kind of queued work (``work.kind``): once a fold's training sweep
has finished (its last chunk queues the fold, ``kinds.sweeps.kind.ON_COMPLETE``; the reaper is
the backstop), the fold's Job reads the sweep's stored results, chooses the best
parameters (``kinds.walkforward.select``), runs them with the walk-forward's kind on the
training window (the in-sample curve) and on the test window (the out-of-sample run; a
run's indicators warmed up on every bar before it), through the kind's search
(``kinds.walkforward.search_folds.fold_result``), and stores both with its SUCCEEDED
transition.

A fold whose sweep has a FAILED chunk, or none of whose combinations is eligible, ends
FAILED with a message saying so (and with it the walk-forward). The fold that leaves every
fold SUCCEEDED stores the walk-forward's outcome (its ``finished`` hook).
"""

from __future__ import annotations

import json
import logging
import math
import statistics
from dataclasses import dataclass
from typing import Any

from kinds.walkforward.contract import FOLD_FUNCTION
from kinds.walkforward.outcome import outcome
from kinds.walkforward.search_folds import fold_result
from kinds.walkforward.select import select_best
from kinds.walkforward.state import (
    FOLDS,
    chunk_outcomes,
    result_rows,
    store_fold_result,
    store_outcome,
    sweep_request,
    walkforward_folds,
)
from store.dbapi import Database, Tx
from work.kind import Claim, WorkFailed, WorkKind
from work.status import RunStatus
from work.transitions import ItemTable

logger = logging.getLogger("kinds.walkforward.kind")


@dataclass
class FoldExecution:
    """A computed fold: what it stores with its SUCCEEDED transition."""

    fold_id: str
    result: dict[str, Any]

    def store(self, tx: Tx) -> bool:
        return store_fold_result(tx, self.fold_id, self.result)

    def summary(self, elapsed_ms: float) -> str:
        tested = self.result["test_metrics"].get("total_return_pct")
        return (
            f"succeeded in {elapsed_ms:.0f} ms: combo {self.result['combo_no']} "
            f"{self.result['params']}, test return {tested} %"
        )


def _training(message: dict[str, Any]) -> tuple[dict, list[tuple], dict]:
    """The training sweep's stored request, its result rows and its trials (how many, their
    Sharpe variance) (one transaction).

    :raise WorkFailed: the sweep is missing, not finished, or has a FAILED chunk.
    """
    from store.dbapi import process_database
    from work.retry import retry_transaction

    def read() -> tuple[dict | None, list, list, list]:
        with process_database().transaction() as tx:
            stored = sweep_request(tx, message["sweep_id"])
            outcomes = chunk_outcomes(tx, message["sweep_id"])
            rows = result_rows(tx, message["sweep_id"], message["metric"])
            sharpe = result_rows(tx, message["sweep_id"], "sharpe_ratio")
        return stored, outcomes, rows, sharpe

    stored, outcomes, rows, sharpe = retry_transaction(read)
    if stored is None or not outcomes:
        raise WorkFailed("the fold's training sweep no longer exists")
    failed = [error for status, error in outcomes if status == RunStatus.FAILED]
    if failed:
        raise WorkFailed(f"the training sweep failed: {failed[0] or 'a chunk failed'}")
    if any(status != RunStatus.SUCCEEDED for status, _ in outcomes):
        raise WorkFailed("the training sweep had not finished when the fold ran")
    return stored, rows, _trials([value for *_, value in sharpe])


def _trials(sharpe: list) -> dict[str, float | int]:
    """What the walk-forward's deflated Sharpe needs of a fold's training sweep: how many
    combinations it tried and the sample variance of their (annualised) Sharpe ratios."""
    values = [v for v in sharpe if v is not None and math.isfinite(v)]
    variance = statistics.variance(values) if len(values) >= 2 else 0.0
    return {"count": len(sharpe), "sharpe_variance_annual": variance}


def compute(claim: Claim, message: dict[str, Any]) -> FoldExecution:
    """Select the fold's parameters from its training sweep and run them with the
    walk-forward's kind (module docstring; ``kinds.walkforward.search_folds.fold_result``).

    :raise WorkFailed: the training sweep failed, or no combination is eligible.
    """
    stored, rows, trials = _training(message)
    metric, min_trades = message["metric"], int(message["min_trades"])
    choice = select_best(rows, metric, min_trades)
    if choice is None:
        raise WorkFailed(
            f"no combination of the training window made at least {min_trades} trade(s) "
            f"with a defined {metric}"
        )
    result = fold_result(stored, claim.item_id, message, choice, trials)
    return FoldExecution(claim.item_id, result)


def _finished(database: Database, claim: Claim, message: dict[str, Any]) -> None:
    """After a fold's outcome is committed: when every fold of its walk-forward has
    SUCCEEDED, compute and store the walk-forward's outcome (``kinds.walkforward.outcome``)."""
    from work.retry import retry_transaction

    walkforward_id = message["walkforward_id"]

    def read() -> tuple[dict | None, list[tuple]]:
        with database.transaction() as tx:
            return walkforward_folds(tx, walkforward_id)

    request, folds = retry_transaction(read)
    if request is None or any(status != RunStatus.SUCCEEDED for _, status, _, _ in folds):
        return
    oos, wfe = outcome(
        request, [(no, json.loads(msg), json.loads(res)) for no, _, msg, res in folds]
    )

    def write() -> bool:
        with database.transaction() as tx:
            return store_outcome(tx, walkforward_id, oos, wfe)

    if retry_transaction(write):
        logger.info("walk-forward %s complete: outcome stored", walkforward_id)


FOLD = WorkKind(
    name="walk-forward fold",
    function=FOLD_FUNCTION,
    items=ItemTable(name=FOLDS, id_field="fold_id"),
    compute=compute,
    finished=_finished,
    pending_ready=(
        "NOT EXISTS (SELECT 1 FROM sweep_chunks WHERE sweep_chunks.sweep_id = "
        "walkforward_folds.sweep_id AND sweep_chunks.status IN ('PENDING', 'RUNNING'))"
    ),
    resource="walkforwards",
    blueprints=("web.api.walkforward", "web.pages.walkforward"),
    noun="walkforward",
    validate="web.api.walkforward:check_request",
)
"""The walk-forward fold kind."""
