"""Helpers of the study tests: a valid request on the test data, and one batch executed
in this process exactly as a consumer's Job does (start, ask, evaluate, store)."""

from __future__ import annotations

import json
from typing import Any

from kinds.studies.kind import BATCH, compute_on
from store.dbapi import Database
from work.kind import Claim

SPACE = {
    "period": {"low": 2, "high": 30},
    "oversold": {"low": 10, "high": 45, "step": 0.5},
    "overbought": {"low": 55, "high": 90, "step": 0.5},
}


def valid_study(ticker: str = "ACME", **fields: Any) -> dict[str, Any]:
    """A study request the data can serve, with ``fields`` replaced."""
    return {
        "ticker": ticker,
        "rule_type": "RSI",
        "start_date": "2015-01-01",
        "end_date": "2019-12-31",
        "space": SPACE,
        "n_trials": 20,
        "batch_size": 10,
        **fields,
    }


def execute_batch(database_url: str, message: dict[str, Any], worker: str = "test") -> bool:
    """Run one batch here: RUNNING, ask, evaluate, store (with the study's continuation);
    whether it stored."""
    database = Database(database_url)
    try:
        claim = Claim(message["batch_id"], worker, 0.0)
        with database.transaction() as tx:
            if not BATCH.mark_running(tx, claim):
                return False
            stored = json.loads(BATCH.get(tx, claim.item_id).message_json)
        execution = compute_on(database, claim, stored)
        with database.transaction() as tx:
            return execution.store(tx)
    finally:
        database.close()
