"""Shared bits of the portfolio tests: a request the shipped demo data can serve."""

from __future__ import annotations

from typing import Any

DEMO = ("ACME", "GLOBEX", "HOOLI", "INITECH")
"""Tickers of the shipped demo data (data/catalog.json)."""


def valid_portfolio(**fields: Any) -> dict[str, Any]:
    """A momentum portfolio of the demo tickers, with ``fields`` replaced or added."""
    body = {
        "tickers": list(DEMO),
        "start_date": "2018-01-01",
        "end_date": "2021-12-31",
        "fee_rate": 0.001,
        "allocation": {
            "method": "rank",
            "score": "roc(close, $n)",
            "filter": "close > sma(close, 50)",
            "top_n": 2,
        },
        "rebalance": {"schedule": "monthly"},
        "params": {"n": 20},
    }
    return {**body, **fields}
