"""Shared bits of the portfolio tests: a request the shipped demo data can serve, the app on
that data, and an item executed as a Job executes it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask

from kinds.portfolios.kind import PORTFOLIO
from store.models import Portfolio
from tests.web.support import app_with_schema, serve
from web.db import get_database
from work.kind import Claim

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


"""The shipped demo data directory."""


def demo_app(sqlite_url: str, redis_url: str, demo_data_dir) -> Iterator[Flask]:
    """The app on SQLite and the test Redis with the shipped demo data (for a fixture)."""
    yield from serve(app_with_schema(sqlite_url, redis_url, demo_data_dir))


def execute_item(app: Flask, portfolio_id: str) -> None:
    """What a Job does with a portfolio: RUNNING, compute its stored message with the
    kind's own code, store the outcome (in the app's database)."""
    sessions = get_database(app).sessionmaker
    claim = Claim(portfolio_id, "test-worker", time.time())
    with sessions.begin() as session:
        assert PORTFOLIO.mark_running(session, claim)
        message = json.loads(session.get(Portfolio, portfolio_id).payload_json)
    execution = PORTFOLIO.compute(claim, message)
    with sessions.begin() as session:
        assert execution.store(session)
