"""A portfolio's row as its Job sees it, in plain SQL (``work.transitions``,
``store.dbapi``; a Job imports no SQLAlchemy): the guarded RUNNING → SUCCEEDED transition
that stores its result. Nothing here commits: the caller owns the transaction."""

from __future__ import annotations

from typing import Any

from metrics import PORTFOLIO_LIST_METRIC_KEYS
from work.transitions import succeed_item

TABLE = "portfolios"
"""The portfolios' table (``store.models.Portfolio``)."""


def store_result(handle: Any, portfolio_id: str, result: dict[str, Any], text: str) -> bool:
    """RUNNING → SUCCEEDED with ``text`` (the result JSON of ``result``) and the figures the
    list shows (``metrics.PORTFOLIO_LIST_METRICS``); False, with nothing written, if the
    portfolio was not RUNNING."""
    metrics = result["metrics"]
    return succeed_item(
        handle,
        TABLE,
        "portfolio_id",
        portfolio_id,
        result_json=text,
        data_hash=result["data_hash"],
        engine_version=result["portfolio_engine_version"],
        **{key: metrics.get(key) for key in PORTFOLIO_LIST_METRIC_KEYS},
    )
